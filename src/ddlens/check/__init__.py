"""``ddlens check``: a fast gate for posts, with stable rule codes and CI-friendly output.

    >>> from ddlens.check import check_paths
    >>> result = check_paths(["_posts"])
    >>> [str(d) for d in result.all()]        # 'path:line:col: CODE message'

Rules live in ``rules_frontmatter``, ``rules_markdown``, ``rules_content`` and
``rules_corpus``; configuration in ``config``; the driver in ``runner``. Output formats are
``ddlens.render.diagnostics``. Importing this package does not import spaCy or
scikit-learn: only the rules that need the NLP pipeline load it, when they are enabled.
"""

from __future__ import annotations

from .config import CheckConfig, ConfigResolver, Overrides
from .model import CheckConfigError, Diagnostic, Rule, Severity, all_rules, get_rule
from .runner import CheckResult, check_files, check_paths

__all__ = [
    "CheckConfig",
    "CheckConfigError",
    "CheckResult",
    "ConfigResolver",
    "Diagnostic",
    "Overrides",
    "Rule",
    "Severity",
    "all_rules",
    "check_files",
    "check_paths",
    "get_rule",
]

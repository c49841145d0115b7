"""Output formats of ``ddlens check``: renderers over :class:`ddlens.check.Diagnostic`.

These are kept apart from the analysis renderers of this package (``json``, ``jsonl``,
``csv``, ``table`` over :class:`ddlens.Analysis` records, see :func:`ddlens.render.get_renderer`):
the modules here are named ``check_<format>``. A check renderer gets every checked post
in order, with its (sorted) diagnostics, then ``close()``:

    r = get_check_renderer("sarif", sys.stdout, rules=all_rules())
    for path, diags in result.diagnostics.items():
        r.file(path, diags)
    r.close()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence, TextIO

if TYPE_CHECKING:  # pragma: no cover
    from ..check.model import Diagnostic, Rule, Severity

CHECK_FORMATS = ("text", "json", "jsonl", "github", "sarif", "junit")


class CheckRenderer(Protocol):
    def file(self, path: str, diagnostics: Sequence["Diagnostic"]) -> None: ...

    def close(self) -> None: ...


def get_check_renderer(
    fmt: str, out: TextIO, *, rules: Mapping[str, "Rule"], fail_on: "Severity | None" = None, **options: Any
) -> CheckRenderer:
    """The ``ddlens check`` renderer for ``fmt``; ``ValueError`` for an unknown format."""
    if fmt not in CHECK_FORMATS:
        raise ValueError(f"unknown check format {fmt!r}; choose one of {', '.join(CHECK_FORMATS)}")
    from ..check.model import Severity

    module = importlib.import_module(f"{__package__}.check_{fmt}")
    return module.Renderer(out, rules=rules, fail_on=fail_on or Severity.ERROR, **options)  # type: ignore[no-any-return]

"""ddlens reads digital-development articles and tells you what they say: their themes,
the named frameworks they invoke, the sources they cite, and how they stand against the
transformation pillars.

    >>> import ddlens, pathlib
    >>> lens = ddlens.load()
    >>> result = lens.analyze(pathlib.Path("corpora/posts/2019-02-11-a-post.md"))
    >>> result.to_dict()["frameworks"]

The names below are imported lazily, so ``import ddlens`` (and ``ddlens check``) does not
pay for spaCy or scikit-learn until a pipeline is actually loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Analysis", "Article", "ArticleError", "Lens", "load", "__version__"]

_LAZY = {
    "Analysis": ("ddlens.analysis", "Analysis"),
    "Article": ("ddlens.article", "Article"),
    "ArticleError": ("ddlens.article", "ArticleError"),
    "Lens": ("ddlens.lens", "Lens"),
    "load": ("ddlens.lens", "load"),
}

if TYPE_CHECKING:  # pragma: no cover
    from .analysis import Analysis
    from .article import Article, ArticleError
    from .lens import Lens, load


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ddlens' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

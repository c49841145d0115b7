"""What a rule sees of one post: the parsed :class:`~ddlens.Article`, its configuration, and
helpers to place findings on source lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .locate import FrontMatterIndex
from .model import Finding

if TYPE_CHECKING:  # pragma: no cover
    from ..article import Article
    from .config import CheckConfig
    from .runner import Corpus

__all__ = ["PostContext"]


@dataclass
class PostContext:
    path: Path
    display: str  # the path as shown in diagnostics
    article: "Article"
    config: "CheckConfig"
    corpus: "Corpus"
    code: str = ""  # the rule being run (set by the runner)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def fm(self) -> FrontMatterIndex:
        return FrontMatterIndex.build(self.article.source, self.article.body_offset)

    @cached_property
    def source_lines(self) -> list[str]:
        return self.article.source.split("\n")

    @cached_property
    def body_line(self) -> int:
        return self.article.source.count("\n", 0, self.article.body_offset) + 1

    def option(self, name: str) -> Any:
        return self.config.option(self.code, name)

    def at(self, line: int, column: int, message: str) -> Finding:
        return Finding(max(1, line), max(1, column), message)

    def at_key(self, key: str, message: str, value: bool = False) -> Finding:
        """A finding on front-matter key ``key`` (its value's column with ``value``)."""
        line = self.fm.line_of(key)
        col = self.fm.col_of(key) if value and key in self.fm.keys else 1
        return Finding(line, col, message)

    def at_text(self, text_offset: int, message: str) -> Finding:
        line, col = self.article.line_col(text_offset)
        return Finding(line, col, message)

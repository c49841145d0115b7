"""The one result type of ddlens: :class:`Analysis` and the records it holds.

``Analysis.to_dict()`` has a stable shape (documented in README.md and shipped as a JSON
Schema, ``ddlens schema``); every output format is a renderer over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Analysis",
    "Theme",
    "Evidence",
    "Framework",
    "Source",
    "PillarEvidence",
    "Pillar",
    "TagSuggestion",
]


@dataclass(frozen=True)
class Theme:
    phrase: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"phrase": self.phrase, "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class Evidence:
    text: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "line": self.line}


@dataclass(frozen=True)
class Framework:
    name: str
    category: str
    mentions: int
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "mentions": self.mentions,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class Source:
    kind: str  # "link" | "attribution"
    text: str
    sentence: str
    line: int
    source_type: str = "other"
    name: str | None = None
    title: str | None = None
    url: str | None = None
    domain: str | None = None
    year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "title": self.title,
            "url": self.url,
            "domain": self.domain,
            "source_type": self.source_type,
            "year": self.year,
            "text": self.text,
            "sentence": self.sentence,
            "line": self.line,
        }


@dataclass(frozen=True)
class PillarEvidence:
    sentence: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "line": self.line}


@dataclass(frozen=True)
class Pillar:
    id: str
    label: str
    score: float
    assigned: bool
    evidence: tuple[PillarEvidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "score": round(float(self.score), 4),
            "assigned": bool(self.assigned),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class TagSuggestion:
    tag: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class Analysis:
    """What ddlens found in one post."""

    path: str | None
    title: str | None
    date: str | None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    words: int = 0
    themes: tuple[Theme, ...] = ()
    frameworks: tuple[Framework, ...] = ()
    sources: tuple[Source, ...] = ()
    pillars: tuple[Pillar, ...] = ()
    suggested_tags: tuple[TagSuggestion, ...] = field(default=())

    ok = True  # an Analysis is a success; failures are ddlens.ArticleError values

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "title": self.title,
            "date": self.date,
            "authors": list(self.authors),
            "tags": list(self.tags),
            "words": self.words,
            "themes": [t.to_dict() for t in self.themes],
            "frameworks": [f.to_dict() for f in self.frameworks],
            "sources": [s.to_dict() for s in self.sources],
            "pillars": [p.to_dict() for p in self.pillars],
            "suggested_tags": [t.to_dict() for t in self.suggested_tags],
        }


def analysis_from_dict(d: dict[str, Any]) -> Analysis:
    """Rebuild an :class:`Analysis` from its ``to_dict()`` (used by the result cache)."""
    return Analysis(
        path=d["path"],
        title=d["title"],
        date=d["date"],
        authors=tuple(d["authors"]),
        tags=tuple(d["tags"]),
        words=d["words"],
        themes=tuple(Theme(**t) for t in d["themes"]),
        frameworks=tuple(
            Framework(f["name"], f["category"], f["mentions"], tuple(Evidence(**e) for e in f["evidence"]))
            for f in d["frameworks"]
        ),
        sources=tuple(Source(**s) for s in d["sources"]),
        pillars=tuple(
            Pillar(p["id"], p["label"], p["score"], p["assigned"], tuple(PillarEvidence(**e) for e in p["evidence"]))
            for p in d["pillars"]
        ),
        suggested_tags=tuple(TagSuggestion(**t) for t in d["suggested_tags"]),
    )

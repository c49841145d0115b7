"""Who a folder of posts cites: the most cited domains, names and works, with counts and
the posts that cite them. The engine of ``ddlens sources``.

>>> index = CitationIndex()
>>> for analysis in lens.analyze_many(paths):      # doctest: +SKIP
...     index.add(analysis)
>>> index.to_dict(top=10)["domains"][0]            # doctest: +SKIP
{'domain': 'worldbank.org', 'source_type': 'multilateral', 'citations': 7, 'posts': [...]}
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, TextIO

__all__ = ["CitationIndex", "SOURCES_FORMATS", "write_report"]

SOURCES_FORMATS = ("json", "table", "csv")
_SPACE = re.compile(r"\s+")
_EDGE = " \t\n,.;:!?\"'“”‘’*_()[]"


def _clean(name: str) -> str:
    s = _SPACE.sub(" ", name).strip(_EDGE)
    if s[:4].lower() == "the ":
        s = s[4:]
    return s


@dataclass
class _Entry:
    forms: Counter[str] = field(default_factory=Counter)  # how it was written
    types: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)  # works: who wrote them
    years: Counter[int] = field(default_factory=Counter)
    citations: int = 0
    posts: dict[str, None] = field(default_factory=dict)  # ordered set

    def add(self, form: str, stype: str, post: str) -> None:
        self.forms[form] += 1
        self.types[stype] += 1
        self.citations += 1
        self.posts.setdefault(post, None)

    @staticmethod
    def _top(c: Counter[Any]) -> Any:
        # most common, ties broken by value so the output never depends on input order
        return min(c.items(), key=lambda kv: (-kv[1], str(kv[0])))[0] if c else None


class CitationIndex:
    """Accumulates the sources of many :class:`ddlens.Analysis` records."""

    def __init__(self, include_internal: bool = False) -> None:
        self.include_internal = include_internal
        self.posts = 0
        self.links = 0
        self.attributions = 0
        self._domains: dict[str, _Entry] = {}
        self._names: dict[str, _Entry] = {}
        self._works: dict[str, _Entry] = {}

    def add(self, analysis: Any) -> None:
        d = analysis if isinstance(analysis, dict) else analysis.to_dict()
        post = d.get("path") or d.get("title") or f"<post {self.posts + 1}>"
        self.posts += 1
        for s in d.get("sources", []):
            stype = s.get("source_type") or "other"
            if s["kind"] == "link":
                self.links += 1
            else:
                self.attributions += 1
            domain = s.get("domain")
            if domain and (stype != "internal" or self.include_internal):
                self._domains.setdefault(domain, _Entry()).add(domain, stype, post)
            name = _clean(s.get("name") or "")
            if s["kind"] == "attribution" and name:
                self._names.setdefault(name.casefold(), _Entry()).add(name, stype, post)
            title = _clean(s.get("title") or "")
            if title:
                e = self._works.setdefault(title.casefold(), _Entry())
                e.add(title, stype, post)
                if name and name.casefold() != title.casefold():
                    e.names[name] += 1
                if s.get("year"):
                    e.years[int(s["year"])] += 1

    @staticmethod
    def _ranked(entries: dict[str, _Entry]) -> list[tuple[str, _Entry]]:
        return sorted(entries.items(), key=lambda kv: (-len(kv[1].posts), -kv[1].citations, kv[0]))

    def domains(self, top: int = 0) -> list[dict[str, Any]]:
        rows = self._ranked(self._domains)
        return [
            {"domain": k, "source_type": e._top(e.types), "citations": e.citations, "posts": list(e.posts)}
            for k, e in (rows[:top] if top else rows)
        ]

    def names(self, top: int = 0) -> list[dict[str, Any]]:
        rows = self._ranked(self._names)
        return [
            {"name": e._top(e.forms), "source_type": e._top(e.types), "citations": e.citations, "posts": list(e.posts)}
            for _, e in (rows[:top] if top else rows)
        ]

    def works(self, top: int = 0) -> list[dict[str, Any]]:
        rows = self._ranked(self._works)
        return [
            {
                "title": e._top(e.forms),
                "by": e._top(e.names),
                "year": e._top(e.years),
                "source_type": e._top(e.types),
                "citations": e.citations,
                "posts": list(e.posts),
            }
            for _, e in (rows[:top] if top else rows)
        ]

    def to_dict(self, top: int = 0) -> dict[str, Any]:
        """The report: totals, then domains, names and works, most cited (by number of
        posts, then of citations) first; ``top`` keeps the first N of each (0: all)."""
        return {
            "posts": self.posts,
            "links": self.links,
            "attributions": self.attributions,
            "domains": self.domains(top),
            "names": self.names(top),
            "works": self.works(top),
        }


def _write_csv(report: dict[str, Any], out: TextIO) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["section", "item", "by", "year", "source_type", "citations", "post_count", "posts"])
    for section, key in (("domain", "domain"), ("name", "name"), ("work", "title")):
        for row in report[section + "s"]:
            w.writerow(
                [
                    section,
                    row[key],
                    row.get("by") or "",
                    row.get("year") or "",
                    row["source_type"],
                    row["citations"],
                    len(row["posts"]),
                    "; ".join(row["posts"]),
                ]
            )


def _write_table(report: dict[str, Any], out: TextIO) -> None:
    import os

    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=None if out.isatty() else 140)

    def posts_cell(posts: list[str]) -> str:
        names = [os.path.basename(p) for p in posts]
        more = len(names) - 3
        return ", ".join(names[:3]) + (f" +{more}" if more > 0 else "")

    for title, key, extra in (
        ("Most cited domains", "domain", ()),
        ("Most cited names", "name", ()),
        ("Most cited works", "title", ("by", "year")),
    ):
        table = Table(title=title, title_justify="left", header_style="bold")
        table.add_column(key if key != "title" else "work", overflow="fold", max_width=48)
        for col in extra:
            table.add_column(col, overflow="fold", max_width=30)
        table.add_column("type")
        table.add_column("citations", justify="right")
        table.add_column("posts", justify="right")
        table.add_column("cited in", overflow="fold", max_width=60)
        for row in report[{"domain": "domains", "name": "names", "title": "works"}[key]]:
            cells = [str(row[key])] + [str(row.get(c) or "") for c in extra]
            cells += [row["source_type"], str(row["citations"]), str(len(row["posts"])), posts_cell(row["posts"])]
            table.add_row(*cells)
        console.print(table)
    console.print(
        f"{report['posts']} post(s), {report['links']} link(s) and {report['attributions']} attribution(s)"
    )


def write_report(report: dict[str, Any], fmt: str, out: TextIO) -> None:
    """Write a :meth:`CitationIndex.to_dict` report as ``json``, ``table`` or ``csv``."""
    if fmt == "json":
        import json

        json.dump(report, out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "csv":
        _write_csv(report, out)
    elif fmt == "table":
        _write_table(report, out)
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(SOURCES_FORMATS)}")


def index_of(analyses: Iterable[Any], include_internal: bool = False) -> CitationIndex:
    idx = CitationIndex(include_internal=include_internal)
    for a in analyses:
        idx.add(a)
    return idx

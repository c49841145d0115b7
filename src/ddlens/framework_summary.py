"""Frameworks across a folder (``ddlens frameworks DIR``) and corpus themes output.

:class:`FrameworkIndex` collects the frameworks of many :class:`ddlens.Analysis` results:
per framework the posts and mentions, with one example (path, line, sentence). With
``candidates=True`` it collects the unlisted candidates instead, as lines of a patterns
file (with counts) that a user can edit and pass back with ``--frameworks FILE``.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, TextIO

from .analysis import Analysis

__all__ = ["FrameworkIndex", "write_records", "write_themes"]


class FrameworkIndex:
    def __init__(self, candidates: bool = False, entries: Iterable[Any] = ()) -> None:
        self.candidates = candidates
        self.meta = {e.name: e for e in entries}
        self.rows: dict[str, dict[str, Any]] = {}
        self.forms: dict[str, dict[str, int]] = {}

    def add(self, analysis: Analysis) -> None:
        from .components.frameworks import CANDIDATE, candidate_key

        for f in analysis.frameworks:
            if (f.category == CANDIDATE) != self.candidates:
                continue
            key = candidate_key(f.name) if self.candidates else f.name
            row = self.rows.get(key)
            if row is None:
                ev = f.evidence[0] if f.evidence else None
                row = self.rows[key] = {
                    "name": f.name,
                    "category": f.category,
                    "posts": 0,
                    "mentions": 0,
                    "example": {"path": analysis.path, "line": ev.line, "text": ev.text} if ev else None,
                }
            row["posts"] += 1
            row["mentions"] += f.mentions
            forms = self.forms.setdefault(key, {})
            forms[f.name] = forms.get(f.name, 0) + f.mentions

    def records(self, min_posts: int = 1) -> list[dict[str, Any]]:
        from .components.frameworks import candidate_record

        out: list[dict[str, Any]] = []
        for key, row in self.rows.items():
            if row["posts"] < min_posts:
                continue
            if self.candidates:
                forms = self.forms[key]
                name = sorted(forms, key=lambda n: (-forms[n], n))[0]
                rec = candidate_record(name, row["mentions"], row["posts"])
                rec["example"] = row["example"]
            else:
                e = self.meta.get(row["name"])
                rec = {
                    "id": e.id if e is not None else None,
                    "name": row["name"],
                    "category": row["category"],
                    "parent": (e.parent if e is not None else None),
                    "posts": row["posts"],
                    "mentions": row["mentions"],
                    "example": row["example"],
                }
            out.append(rec)
        out.sort(key=lambda r: (-r["posts"], -r["mentions"], r["name"].lower(), r["name"]))
        return out


def write_records(records: list[dict[str, Any]], fmt: str, out: TextIO, candidates: bool = False) -> None:
    if fmt == "jsonl":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt == "json":
        out.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(header_style="bold")
        table.add_column("candidate" if candidates else "framework", overflow="fold")
        table.add_column("category")
        table.add_column("posts", justify="right")
        table.add_column("mentions", justify="right")
        table.add_column("example", overflow="fold", max_width=70)
        for r in records:
            ex = r.get("example") or {}
            where = f"{ex.get('path')}:{ex.get('line')}" if ex else ""
            table.add_row(r["name"], r["category"], str(r["posts"]), str(r["mentions"]), where)
        console = Console(file=out, width=None if out.isatty() else 160)
        console.print(table)
        console.print(f"{len(records)} {'candidate(s)' if candidates else 'framework(s)'}")


def write_themes(result: dict[str, Any], fmt: str, out: TextIO, max_posts: int = 5) -> None:
    if fmt == "json":
        out.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(header_style="bold", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("posts", justify="right")
    table.add_column("top terms", overflow="fold", max_width=50)
    table.add_column("per year", overflow="fold", max_width=30)
    table.add_column("strongest posts", overflow="fold", max_width=60)
    for th in result["themes"]:
        years = " ".join(f"{y}:{n}" for y, n in th["years"].items())
        posts = "\n".join((p.get("title") or p.get("path") or "") for p in th["posts"][:max_posts])
        table.add_row(str(th["id"]), str(th["count"]), ", ".join(th["terms"]), years, posts)
    console = Console(file=out, width=None if out.isatty() else 160)
    console.print(table)
    console.print(f"{result['posts']} post(s), {result['k']} theme(s), vocabulary {result['vocabulary']} phrases")

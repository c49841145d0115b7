"""``--format table``: a rich table for people (collected, printed at the end)."""

from __future__ import annotations

import os
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from . import as_dict


def _short(items: list[str], n: int = 4) -> str:
    more = len(items) - n
    return ", ".join(items[:n]) + (f" +{more}" if more > 0 else "")


class Renderer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.rows: list[dict[str, Any]] = []

    def write(self, record: Any) -> None:
        self.rows.append(as_dict(record))

    def close(self) -> None:
        table = Table(show_lines=False, header_style="bold")
        with_tags = any(d.get("suggested_tags") for d in self.rows)  # only when a tag model ran
        for col, kw in (
            ("post", {"overflow": "fold", "max_width": 40}),
            ("date", {"no_wrap": True}),
            ("words", {"justify": "right"}),
            ("frameworks", {"overflow": "fold"}),
            ("themes", {"overflow": "fold"}),
            ("sources", {"justify": "right"}),
            ("pillars", {"overflow": "fold"}),
        ) + ((("suggested tags", {"overflow": "fold"}),) if with_tags else ()):
            table.add_column(col, **kw)
        for d in self.rows:
            tags = [_short([t["tag"] for t in d.get("suggested_tags", [])])] if with_tags else []
            table.add_row(
                d.get("title") or os.path.basename(d.get("path") or "") or "-",
                d.get("date") or "",
                str(d.get("words", 0)),
                _short([f["name"] for f in d.get("frameworks", [])]),
                _short([t["phrase"] for t in d.get("themes", [])], 3),
                str(len(d.get("sources", []))),
                ", ".join(p["id"] for p in d.get("pillars", []) if p.get("assigned")),
                *tags,
            )
        console = Console(file=self.out, width=None if self.out.isatty() else 160)
        console.print(table)
        console.print(f"{len(self.rows)} post(s)")

"""``--format table``: a rich table for people (its cells collected, printed at the end)."""

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
        # only the cells shown, not whole records: a table of 10,000 posts stays small
        self.rows: list[tuple[str, ...]] = []
        self.with_tags = False

    def write(self, record: Any) -> None:
        d = as_dict(record)
        self.with_tags = self.with_tags or bool(d.get("suggested_tags"))  # only when a tag model ran
        self.rows.append(
            (
                d.get("title") or os.path.basename(d.get("path") or "") or "-",
                d.get("date") or "",
                str(d.get("words", 0)),
                _short([f["name"] for f in d.get("frameworks", [])]),
                _short([t["phrase"] for t in d.get("themes", [])], 3),
                str(len(d.get("sources", []))),
                ", ".join(p["id"] for p in d.get("pillars", []) if p.get("assigned")),
                _short([t["tag"] for t in d.get("suggested_tags", [])]),
            )
        )

    def close(self) -> None:
        table = Table(show_lines=False, header_style="bold")
        with_tags = self.with_tags
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
        for row in self.rows:
            table.add_row(*(row if with_tags else row[:-1]))
        console = Console(file=self.out, width=None if self.out.isatty() else 160)
        console.print(table)
        console.print(f"{len(self.rows)} post(s)")

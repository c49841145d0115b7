"""``--format csv``: one row per post, list fields joined with ``; ``."""

from __future__ import annotations

import csv
from typing import Any, TextIO

from . import as_dict

COLUMNS = (
    "path",
    "title",
    "date",
    "authors",
    "tags",
    "words",
    "themes",
    "frameworks",
    "sources",
    "link_sources",
    "attributions",
    "pillars",
    "suggested_tags",
)


def flatten(d: dict[str, Any]) -> dict[str, Any]:
    sources = d.get("sources", [])
    return {
        "path": d.get("path") or "",
        "title": d.get("title") or "",
        "date": d.get("date") or "",
        "authors": "; ".join(d.get("authors", [])),
        "tags": "; ".join(d.get("tags", [])),
        "words": d.get("words", 0),
        "themes": "; ".join(t["phrase"] for t in d.get("themes", [])),
        "frameworks": "; ".join(f"{f['name']} ({f['mentions']})" for f in d.get("frameworks", [])),
        "sources": len(sources),
        "link_sources": sum(1 for s in sources if s["kind"] == "link"),
        "attributions": sum(1 for s in sources if s["kind"] == "attribution"),
        "pillars": "; ".join(p["id"] for p in d.get("pillars", []) if p.get("assigned")),
        "suggested_tags": "; ".join(t["tag"] for t in d.get("suggested_tags", [])),
    }


class Renderer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        self.writer.writeheader()

    def write(self, record: Any) -> None:
        self.writer.writerow(flatten(as_dict(record)))

    def close(self) -> None:
        self.out.flush()

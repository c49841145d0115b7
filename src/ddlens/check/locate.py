"""Where front-matter keys and list items sit in the source, for ``path:line:col`` diagnostics.

The YAML is already loaded by :class:`ddlens.Article`; this is a light line scan of the
front-matter block that finds top-level keys (``key:`` at column 1) and the items of block
lists (``- item``) and flow lists (``key: [a, b]``) under them. Good enough for the keys
posts use; anything it cannot place falls back to the key's line, then to line 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["FrontMatterIndex", "Item"]

_KEY = re.compile(r"""^(?P<q>["']?)(?P<key>[^\s:#"'][^:#"']*?)(?P=q)\s*:(?:\s|$)""")
_ITEM = re.compile(r"^(?P<indent>\s*)-(?:\s+|$)(?P<value>.*)$")


@dataclass(frozen=True)
class Item:
    value: str  # the raw item text, quotes removed
    line: int
    column: int


@dataclass
class FrontMatterIndex:
    has_front_matter: bool = False
    open_line: int = 1  # the opening '---'
    keys: dict[str, int] = field(default_factory=dict)  # key -> 1-based line
    value_cols: dict[str, int] = field(default_factory=dict)  # key -> column of its inline value
    items: dict[str, list[Item]] = field(default_factory=dict)

    @classmethod
    def build(cls, source: str, body_offset: int) -> "FrontMatterIndex":
        idx = cls()
        if body_offset <= 0 or not source.startswith("---"):
            return idx
        idx.has_front_matter = True
        lines = source[:body_offset].split("\n")
        current: str | None = None
        for i, raw in enumerate(lines[1:], start=2):
            line = raw.rstrip("\r")
            if line.strip() in ("---", "..."):
                break
            m = _KEY.match(line)
            if m:
                key = m.group("key").strip()
                current = key
                idx.keys.setdefault(key, i)
                rest_start = m.end()
                rest = line[rest_start:]
                value = rest.split(" #", 1)[0].strip()
                if value:
                    idx.value_cols.setdefault(key, rest_start + (len(rest) - len(rest.lstrip())) + 1)
                if value.startswith("["):
                    idx.items.setdefault(key, []).extend(_flow_items(line, line.index("[", rest_start), i))
                continue
            if current is None or not line.strip() or line.lstrip().startswith("#"):
                continue
            if not line[:1].isspace() and not line.startswith("-"):
                current = None
                continue
            im = _ITEM.match(line)
            if im and len(im.group("indent")) <= 4:
                value = im.group("value")
                col = im.start("value") + 1
                item = _unquote(value.split(" #", 1)[0].strip())
                idx.items.setdefault(current, []).append(Item(item, i, col))
        return idx

    def line_of(self, key: str, default: int | None = None) -> int:
        if key in self.keys:
            return self.keys[key]
        return default if default is not None else self.open_line

    def col_of(self, key: str) -> int:
        return self.value_cols.get(key, 1)


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    return s


def _flow_items(line: str, open_at: int, line_no: int) -> list[Item]:
    """Items of a one-line flow list ``[a, "b", c]`` starting at ``open_at``."""
    close = line.rfind("]")
    if close < open_at:
        return []
    out: list[Item] = []
    pos = open_at + 1
    inner = line[pos:close]
    start = 0
    quote = ""
    for j, ch in enumerate(inner + ","):
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'" and not inner[start:j].strip():
            quote = ch
            continue
        if ch == ",":
            seg = inner[start:j]
            text = seg.strip()
            if text:
                lead = len(seg) - len(seg.lstrip())
                out.append(Item(_unquote(text), line_no, pos + start + lead + 1))
            start = j + 1
    return out

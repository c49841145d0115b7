"""Inline suppression comments in a post.

In the Markdown body (an HTML comment)::

    <!-- ddlens: disable=DDL007 -->                 the whole file
    <!-- ddlens: disable-next-line=DDL007,DDL008 --> the next line only

In the front matter (a YAML comment)::

    # ddlens: disable-next-line=duplicate-tag

Codes may be written as codes or names; ``all`` means every rule. Comments inside fenced
code blocks are text, not directives. A directive naming an unknown rule is reported
(DDL020) instead of being silently ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Suppressions", "parse_suppressions"]

_HTML = re.compile(r"<!--\s*ddlens\s*:\s*(?P<body>.*?)\s*-->", re.IGNORECASE)
_YAML = re.compile(r"(?:^|\s)#\s*ddlens\s*:\s*(?P<body>.*?)\s*$", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^(?P<kind>disable|disable-next-line)\s*=\s*(?P<codes>[^\s].*)$", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")


@dataclass
class Suppressions:
    file: set[str] = field(default_factory=set)  # rule codes, or "ALL"
    lines: dict[int, set[str]] = field(default_factory=dict)  # line -> codes
    problems: list[tuple[int, int, str]] = field(default_factory=list)  # (line, col, message)

    def suppressed(self, code: str, line: int) -> bool:
        if "ALL" in self.file or code in self.file:
            return True
        got = self.lines.get(line)
        return bool(got) and ("ALL" in got or code in got)  # type: ignore[operator]


def _front_matter_end(lines: list[str]) -> int:
    """Index (0-based) of the closing fence line, or -1 when there is no front matter."""
    if not lines or lines[0].rstrip() != "---":
        return -1
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return i
    return -1


def parse_suppressions(source: str, resolve_code) -> Suppressions:  # type: ignore[no-untyped-def]
    """Directives in ``source``. ``resolve_code(str) -> code | None`` maps a code or name."""
    out = Suppressions()
    if "ddlens" not in source:
        return out
    lines = source.split("\n")
    fm_end = _front_matter_end(lines)
    fence: str | None = None
    for i, line in enumerate(lines):
        lineno = i + 1
        if "ddlens" not in line and fence is None and not line.lstrip().startswith(("```", "~~~")):
            continue
        if 0 < i < fm_end:
            m = _YAML.search(line)
            if m:
                _apply(out, m.group("body"), lineno, m.start("body") + 1, resolve_code)
            continue
        if i <= fm_end:
            continue
        fm = _FENCE.match(line)
        if fm:
            mark = fm.group("fence")
            if fence is None:
                fence = mark
                continue
            if mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark) :].strip():
                fence = None
                continue
        if fence is not None:
            continue
        for m in _HTML.finditer(line):
            _apply(out, m.group("body"), lineno, m.start() + 1, resolve_code)
    return out


def _apply(out: Suppressions, body: str, lineno: int, col: int, resolve_code) -> None:  # type: ignore[no-untyped-def]
    d = _DIRECTIVE.match(body.strip())
    if not d:
        out.problems.append(
            (lineno, col, f"malformed ddlens directive {body.strip()!r}; write 'disable=CODE' or 'disable-next-line=CODE'")
        )
        return
    codes: set[str] = set()
    for raw in re.split(r"[,\s]+", d.group("codes").strip()):
        if not raw:
            continue
        if raw.upper() == "ALL":
            codes.add("ALL")
            continue
        code = resolve_code(raw)
        if code is None:
            out.problems.append((lineno, col, f"unknown rule {raw!r} in ddlens directive; `ddlens rules` lists them"))
        else:
            codes.add(code)
    if not codes:
        return
    if d.group("kind").lower() == "disable":
        out.file |= codes
    else:
        out.lines.setdefault(lineno + 1, set()).update(codes)

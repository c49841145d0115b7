"""``ddlens check --format github``: GitHub Actions workflow commands, which GitHub shows
as annotations on the pull request's changed lines::

    ::error file=_posts/x.md,line=3,col=8,title=DDL009::link URL 'htp://x' has the scheme ...
"""

from __future__ import annotations

from typing import Mapping, Sequence, TextIO

from ..check.model import Diagnostic, Rule, Severity


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


class Renderer:
    def __init__(self, out: TextIO, *, rules: Mapping[str, Rule], fail_on: Severity) -> None:
        self.out = out

    def file(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        for d in diagnostics:
            kind = "error" if d.severity is Severity.ERROR else "warning"
            props = (
                f"file={escape_property(d.path.replace(chr(92), '/'))},line={d.line},col={d.column},"
                f"title={escape_property(d.code)}"
            )
            self.out.write(f"::{kind} {props}::{escape_data(d.message)}\n")

    def close(self) -> None:
        self.out.flush()

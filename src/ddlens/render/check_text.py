"""``ddlens check --format text``: one ``path:line:col: CODE message`` line per diagnostic."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence, TextIO

from ..check.model import Diagnostic, Rule, Severity


class Renderer:
    def __init__(self, out: TextIO, *, rules: Mapping[str, Rule], fail_on: Severity, color: bool | None = None) -> None:
        self.out = out
        if color is None:
            color = bool(getattr(out, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ
        self.color = color

    def _paint(self, s: str, code: str) -> str:
        return f"\x1b[{code}m{s}\x1b[0m" if self.color else s

    def file(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        for d in diagnostics:
            if self.color:
                where = self._paint(f"{d.path}:{d.line}:{d.column}:", "1")
                code = self._paint(d.code, "1;31" if d.severity is Severity.ERROR else "1;33")
                self.out.write(f"{where} {code} {d.message}\n")
            else:
                self.out.write(f"{d}\n")

    def close(self, **_: Any) -> None:
        self.out.flush()

"""``ddlens check --format json``: one JSON array of diagnostics
(``path``, ``line``, ``column``, ``code``, ``name``, ``severity``, ``message``)."""

from __future__ import annotations

import json
from typing import Mapping, Sequence, TextIO

from ..check.model import Diagnostic, Rule, Severity


class Renderer:
    def __init__(self, out: TextIO, *, rules: Mapping[str, Rule], fail_on: Severity) -> None:
        self.out = out
        self.items: list[dict[str, object]] = []

    def file(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.items.extend(d.to_dict() for d in diagnostics)

    def close(self) -> None:
        self.out.write(json.dumps(self.items, ensure_ascii=False, indent=2) + "\n")
        self.out.flush()

"""``ddlens check --format jsonl``: one JSON object per diagnostic, one per line."""

from __future__ import annotations

import json
from typing import Mapping, Sequence, TextIO

from ..check.model import Diagnostic, Rule, Severity


class Renderer:
    def __init__(self, out: TextIO, *, rules: Mapping[str, Rule], fail_on: Severity) -> None:
        self.out = out

    def file(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        for d in diagnostics:
            self.out.write(json.dumps(d.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        self.out.flush()

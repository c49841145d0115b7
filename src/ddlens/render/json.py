"""``--format json``: one JSON array (also for a single post), written as records arrive."""

from __future__ import annotations

import json
from typing import Any, TextIO

from . import as_dict


class Renderer:
    def __init__(self, out: TextIO, indent: int | None = 2) -> None:
        self.out = out
        self.indent = indent
        self.count = 0

    def write(self, record: Any) -> None:
        text = json.dumps(as_dict(record), ensure_ascii=False, indent=self.indent)
        if self.indent:
            text = "\n".join("  " + line for line in text.splitlines())
        self.out.write(("[\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def close(self) -> None:
        self.out.write("[]\n" if self.count == 0 else "\n]\n")
        self.out.flush()

"""``--format jsonl``: one JSON object per line, flushed as each post is done."""

from __future__ import annotations

import json
from typing import Any, TextIO

from . import as_dict


class Renderer:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, record: Any) -> None:
        self.out.write(json.dumps(as_dict(record), ensure_ascii=False, separators=(",", ":")) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()

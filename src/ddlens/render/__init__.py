"""Output formats. Each is a renderer over :class:`ddlens.Analysis` records, in its own
module, imported only when asked for. A renderer streams: ``write`` each record as it
comes, then ``close``."""

from __future__ import annotations

import importlib
from typing import Any, Protocol, TextIO

ANALYSIS_FORMATS = ("json", "jsonl", "csv", "table")


class Renderer(Protocol):
    def write(self, record: Any) -> None: ...

    def close(self) -> None: ...


def get_renderer(fmt: str, out: TextIO, **options: Any) -> Renderer:
    """The renderer for ``fmt`` writing to ``out``; ``ValueError`` for an unknown format."""
    if fmt not in ANALYSIS_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(ANALYSIS_FORMATS)}")
    module = importlib.import_module(f"{__name__}.{fmt}")
    return module.Renderer(out, **options)  # type: ignore[no-any-return]


def as_dict(record: Any) -> dict[str, Any]:
    return record if isinstance(record, dict) else record.to_dict()

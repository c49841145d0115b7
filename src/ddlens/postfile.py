"""Reading a post file's bytes, and the error for a post that cannot be read.

Kept apart from :mod:`ddlens.article` (markdown-it, YAML) so that a run served entirely from
the result cache imports neither."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import LocatedError

__all__ = ["ArticleError", "DEFAULT_MAX_BYTES", "read_post_bytes"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class ArticleError(LocatedError):
    """A post that could not be read. ``str()`` is one line: ``path:line: reason``."""


def read_post_bytes(path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a post file; :class:`ArticleError` for folders, huge or unreadable files."""
    p = Path(path)
    name = str(path)
    try:
        if p.is_dir():
            raise ArticleError(name, "is a folder, not a file")
        size = p.stat().st_size
        if size > max_bytes:
            raise ArticleError(name, f"file is too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)")
        return p.read_bytes()
    except OSError as exc:
        raise ArticleError(name, exc.strerror or str(exc)) from None

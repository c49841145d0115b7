"""Which files a command reads: posts under folders, explicit files, glob patterns."""

from __future__ import annotations

import fnmatch
import glob as _glob
import os
from pathlib import Path
from typing import Iterable, Iterator

POST_SUFFIXES = (".md", ".markdown")
# Repository documents that sit beside posts but are not posts; skipped when walking folders
# (named explicitly, they are still read).
NOT_POSTS = frozenset(
    {"readme", "license", "licence", "changelog", "contributing", "code_of_conduct", "security", "source", "authors"}
)


class MissingPath(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: no such file or folder")
        self.path = path


def _walk(root: Path, pattern: str | None) -> Iterator[Path]:
    # os.walk does not follow symlinked folders, so symlink loops cannot trap it.
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.startswith(".") or f.rsplit(".", 1)[0].lower() in NOT_POSTS:
                continue
            if pattern is not None:
                if not fnmatch.fnmatch(f, pattern):
                    continue
            elif not f.lower().endswith(POST_SUFFIXES):
                continue
            p = Path(dirpath) / f
            if p.is_file():
                yield p


def iter_post_paths(paths: Iterable[str | os.PathLike[str]], pattern: str | None = None) -> Iterator[Path]:
    """Posts named by ``paths``: folders are walked (hidden ones skipped, posts ``*.md`` and
    ``*.markdown`` or ``pattern``), files are taken as given, shell globs are expanded.
    Raises :class:`MissingPath` for a path that names nothing (before yielding anything)."""
    resolved: list[tuple[Path, bool]] = []
    for raw in paths:
        s = os.fspath(raw)
        p = Path(s)
        if p.exists():
            resolved.append((p, p.is_dir()))
        elif any(ch in s for ch in "*?["):
            hits = sorted(_glob.glob(s, recursive=True))
            if not hits:
                raise MissingPath(s)
            resolved.extend((Path(h), Path(h).is_dir()) for h in hits)
        else:
            raise MissingPath(s)
    seen: set[Path] = set()
    for p, is_dir in resolved:
        for f in _walk(p, pattern) if is_dir else [p]:
            key = f.resolve() if f.exists() else f
            if key in seen:
                continue
            seen.add(key)
            yield f

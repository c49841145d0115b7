"""A content-addressed cache of analysis results.

Key: the file's path and bytes, the ddlens version and code, the shipped models, and the
pipeline configuration (including the bytes of any file it names). Entries are JSON files
written atomically (temporary file + rename), so two runs can share a cache; a corrupt entry
is ignored and rebuilt; the folder is kept under a size bound by evicting the least recently
used entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def default_cache_dir() -> Path:
    env = os.environ.get("DDLENS_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "ddlens" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ddlens"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ddlens"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of ddlens' own source files, so a code change never serves stale results."""
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parent
    for p in sorted(pkg.rglob("*.py")):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _jsonable(value: Any, h: "hashlib._Hash") -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, h) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, h) for v in value]
    if isinstance(value, (str, os.PathLike)):
        s = os.fspath(value)
        if len(s) < 4096 and os.path.isfile(s):  # a file the config names: its bytes count too
            h.update(Path(s).read_bytes())
        return s
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return repr(value)


def config_fingerprint(options: Mapping[str, Any]) -> str:
    from . import __version__
    from .resources import models_fingerprint

    h = hashlib.sha256()
    body = _jsonable({k: v for k, v in options.items() if k != "cache"}, h)
    h.update(json.dumps(body, sort_keys=True).encode())
    h.update(__version__.encode())
    h.update(code_fingerprint().encode())
    h.update(models_fingerprint().encode())
    return h.hexdigest()


class ResultCache:
    def __init__(self, directory: str | os.PathLike[str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.dir = Path(directory) if directory is not None else default_cache_dir()
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._written = 0

    @staticmethod
    def key(salt: str, path: str | None, data: bytes) -> str:
        h = hashlib.sha256(salt.encode())
        h.update(b"\0" + (path or "").encode("utf-8", "surrogateescape") + b"\0")
        h.update(data)
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key[2:]}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        f = self._file(key)
        try:
            raw = f.read_bytes()
        except OSError:
            self.misses += 1
            return None
        try:
            value = json.loads(raw)
            if not isinstance(value, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            self.misses += 1
            try:
                f.unlink()  # corrupt: drop it, it will be rebuilt
            except OSError:
                pass
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        f = self._file(key)
        try:
            f.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=f.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, f)  # atomic: readers see the old entry or the new one
            self._written += 1
        except OSError:
            return  # a cache that cannot be written is just slower, never fatal

    def evict(self, force: bool = False) -> int:
        """Delete least recently written entries until the cache fits ``max_bytes``."""
        if not (self._written or force) or not self.dir.is_dir():
            return 0
        entries: list[tuple[float, int, str]] = []
        total = 0
        for shard in os.scandir(self.dir):
            if not shard.is_dir():
                continue
            for e in os.scandir(shard.path):
                try:
                    st = e.stat()
                except OSError:
                    continue
                total += st.st_size
                entries.append((st.st_mtime, st.st_size, e.path))
        removed = 0
        if total > self.max_bytes:
            for _, size, path in sorted(entries):
                try:
                    os.unlink(path)
                except OSError:
                    continue
                total -= size
                removed += 1
                if total <= self.max_bytes * 0.9:
                    break
        return removed

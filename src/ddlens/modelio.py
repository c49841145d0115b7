"""Saving and loading ddlens models with skops: byte-reproducible files, trusted loading.

``skops.io.dumps`` is not byte-stable on its own: it names array files and ``__id__``
fields after ``id()`` (memory addresses) and stamps zip entries with the current time.
:func:`dump_deterministic` rewrites the archive canonically (ids and file names numbered
in order of first appearance in ``schema.json``, fixed timestamps and attributes), so the
same fitted object always gives the same bytes. Loading never trusts what the file says:
:func:`load_trusted` passes an explicit list of type names to ``skops.io.load`` and refuses
anything else.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterable

__all__ = ["ModelError", "dump_deterministic", "dumps_deterministic", "load_trusted"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


class ModelError(ValueError):
    """A model file that cannot be used. ``str()`` is one line: ``path: reason``."""

    def __init__(self, path: str | os.PathLike[str] | None, reason: str) -> None:
        super().__init__(reason)
        self.path = None if path is None else str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path or '<model>'}: {self.reason}"


def _canonical_schema(schema: Any, names: set[str]) -> tuple[Any, dict[str, str]]:
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def walk(x: Any) -> Any:
        if isinstance(x, dict):
            out = {}
            for k, v in x.items():
                if k == "__id__" and isinstance(v, int):
                    out[k] = ids.setdefault(v, len(ids) + 1)
                elif k == "file" and isinstance(v, str) and v in names:
                    if v not in files:
                        ext = v.rsplit(".", 1)[-1] if "." in v else "bin"
                        files[v] = f"{len(files) + 1:06d}.{ext}"
                    out[k] = files[v]
                else:
                    out[k] = walk(v)
            return out
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    return walk(schema), files


def dumps_deterministic(obj: Any) -> bytes:
    """``skops.io.dumps(obj)``, rewritten so equal objects give identical bytes."""
    import skops.io as sio

    raw = sio.dumps(obj)
    with zipfile.ZipFile(io.BytesIO(raw)) as zin:
        names = set(zin.namelist())
        schema = json.loads(zin.read("schema.json"))
        canon, files = _canonical_schema(schema, names - {"schema.json"})
        unreferenced = names - {"schema.json"} - set(files)
        if unreferenced:  # pragma: no cover - would mean skops changed its format
            raise ModelError(None, f"skops wrote files the schema does not name: {sorted(unreferenced)[:3]}")
        entries = [("schema.json", json.dumps(canon, indent=1, sort_keys=False).encode("utf-8"))]
        entries += sorted((new, zin.read(old)) for old, new in files.items())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def dump_deterministic(obj: Any, path: str | os.PathLike[str]) -> bytes:
    """Write ``obj`` to ``path`` atomically (temp file + rename); returns the bytes written."""
    data = dumps_deterministic(obj)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a model is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return data


def schema_types(data: bytes) -> set[str]:
    """Every ``module.Class`` a skops archive's schema names (whatever skops would trust)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        schema = json.loads(z.read("schema.json"))
    found: set[str] = set()
    stack = [schema]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            if "__class__" in x and "__module__" in x:
                found.add(f"{x['__module__']}.{x['__class__']}")
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return found


def load_trusted(path: str | os.PathLike[str], trusted: Iterable[str]) -> Any:
    """Load a skops file only if every type it names is in ``trusted``.

    Stricter than ``skops.io.load(trusted=...)`` alone, which also accepts skops' own
    default-trusted types (many scikit-learn estimators): ddlens accepts exactly its list.
    """
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    trusted = list(trusted)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ModelError(path, f"cannot read model: {exc.strerror}") from None
    try:
        names = schema_types(data) | set(sio.get_untrusted_types(data=data))
    except Exception as exc:  # noqa: BLE001 - a broken archive can fail in many ways
        raise ModelError(path, f"not a skops model file ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    untrusted = sorted(names - set(trusted))
    if untrusted:
        shown = ", ".join(sorted(untrusted)[:5]) + (" …" if len(untrusted) > 5 else "")
        raise ModelError(path, f"refusing to load: the file contains types ddlens does not trust: {shown}")
    try:
        return sio.loads(data, trusted=trusted)
    except UntrustedTypesFoundException as exc:  # pragma: no cover - caught above
        raise ModelError(path, f"refusing to load: {exc}".splitlines()[0]) from None
    except Exception as exc:  # noqa: BLE001
        raise ModelError(path, f"cannot load model ({type(exc).__name__}: {exc})".splitlines()[0]) from None

"""The one shape of a user-facing error: one line, ``path:line: reason``."""

from __future__ import annotations

from typing import Any


class LocatedError(Exception):
    """An error about a place in a file. ``str()`` is one line: ``path:line: reason``."""

    where_unknown = "<text>"

    def __init__(self, path: str | None, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        where = self.path or self.where_unknown
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across worker processes
        return (_rebuild, (type(self), self.path, self.reason, self.line))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "error": self.reason}


def _rebuild(cls: type[LocatedError], path: str | None, reason: str, line: int | None) -> LocatedError:
    err = cls.__new__(cls)
    LocatedError.__init__(err, path, reason, line)
    return err

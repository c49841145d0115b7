"""``--changed-since REF``: the files added or modified since a git revision.

"Since REF" means since the merge base of REF and HEAD (so that, on a branch, posts
changed on the main line after the branch point do not count), up to the working tree:
committed, staged and unstaged changes, plus untracked files that are not ignored.
Deleted files are left out.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .model import CheckConfigError

__all__ = ["changed_files"]


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise CheckConfigError("--changed-since needs git, which is not installed") from None
    if proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        raise _GitError(msg[-1] if msg else f"git {' '.join(args)} failed")
    return proc.stdout


class _GitError(Exception):
    pass


def changed_files(ref: str, cwd: Path) -> set[Path]:
    """Resolved paths of files added, modified, renamed or untracked since ``ref``."""
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except _GitError as exc:
        raise CheckConfigError(f"--changed-since needs a git repository ({cwd}: {exc})") from None
    if ref.startswith("-"):
        raise CheckConfigError(f"--changed-since: {ref!r} is not a git revision")
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", ref + "^{commit}"], top)
    except _GitError:
        raise CheckConfigError(
            f"--changed-since: unknown git revision {ref!r} (in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)"
        ) from None
    try:
        base = _git(["merge-base", ref, "HEAD"], top).strip() or ref
    except _GitError:
        base = ref  # unrelated histories: compare with REF itself
    out: set[Path] = set()
    listing = _git(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT", base, "--"], top)
    listing += _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    for name in listing.split("\0"):
        if name:
            out.add((top / name).resolve())
    return out

"""Finds the shipped artifacts in ``models/`` (gazetteers, taxonomies, trained models).

In an installed wheel they live in the package as ``ddlens/models``; in a source checkout
they are the repository's top-level ``models/``. Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from importlib import resources as _res
from pathlib import Path

__all__ = ["models_dir", "model_path", "models_fingerprint"]


@lru_cache(maxsize=1)
def models_dir() -> Path:
    """The folder that holds the shipped models. ``DDLENS_MODELS_DIR`` overrides it."""
    env = os.environ.get("DDLENS_MODELS_DIR")
    if env:
        return Path(env)
    packaged = Path(str(_res.files("ddlens"))) / "models"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "models"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        "ddlens cannot find its models folder (neither ddlens/models in the package nor models/ in a checkout)"
    )


def model_path(*parts: str) -> Path:
    """Path of a shipped artifact, e.g. ``model_path("frameworks.jsonl")``."""
    p = models_dir().joinpath(*parts)
    if not p.exists():
        raise FileNotFoundError(f"shipped model file not found: {p}")
    return p


@lru_cache(maxsize=1)
def models_fingerprint() -> str:
    """A hash of every shipped artifact: part of cache keys, so new models invalidate old results."""
    h = hashlib.sha256()
    root = models_dir()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]

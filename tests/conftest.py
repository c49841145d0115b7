"""Shared fixtures. Tests that read the real corpora in ../shared skip cleanly without them."""

from __future__ import annotations

from pathlib import Path

import os

import pytest
from hypothesis import settings

# CI runs are reproducible: the same examples every run (CI=true is set there); locally
# hypothesis keeps exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
SHARED = ROOT.parent / "shared" / "corpora"


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's cache folder from tests."""
    monkeypatch.setenv("DDLENS_CACHE_DIR", str(tmp_path_factory.mktemp("ddlens-cache")))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPORA


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """../shared/corpora (real published posts, read-only); skips the test when absent."""
    if not (SHARED / "dai-digital").is_dir():
        pytest.skip("../shared/corpora is not present")
    return SHARED


@pytest.fixture(scope="session")
def lens():
    """One default pipeline for the whole session (loading it is the slow part)."""
    import ddlens

    return ddlens.load()

"""The shipped models travel inside the wheel: a non-editable install finds them from any
working directory, with no source checkout on the path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_non_editable_install_finds_models_from_any_directory(tmp_path: Path) -> None:
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    post = tmp_path / "2020-01-01-p.md"
    post.write_text("---\ntitle: Installed\n---\nRead [this](https://www.worldbank.org/x).\n", encoding="utf-8")
    code = (
        "import json, pathlib, ddlens, ddlens.resources as r;"
        "d = r.models_dir();"
        "a = ddlens.load().analyze(pathlib.Path('2020-01-01-p.md'));"
        "print(json.dumps({'file': ddlens.__file__, 'models': str(d),"
        " 'files': sorted(p.name for p in d.iterdir()), 'title': a.title}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DDLENS_MODELS_DIR")}
    env["PYTHONPATH"] = str(target)
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    assert got["file"].startswith(str(target))  # the installed copy, not the checkout
    assert got["models"].startswith(str(target))
    shipped = sorted(p.name for p in (ROOT / "models").iterdir())
    assert got["files"] == shipped
    assert got["title"] == "Installed"

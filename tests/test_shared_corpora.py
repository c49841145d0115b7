"""The real blogs in ../shared/corpora (read-only, skipped when absent): every post is
analysed or reported, never crashed on, and links come out on their source lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ddlens.files import NOT_POSTS

SLUG = "2020-03-12-unlocking-the-value-of-digital-transformation-in-the-social-sector.markdown"


@pytest.mark.slow
def test_cli_over_both_blogs(shared_corpora: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "ddlens", "analyze", str(shared_corpora / "18f-blog"), str(shared_corpora / "dai-digital"),
         "-f", "jsonl", "-o", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    n_posts = sum(1 for d in ("18f-blog", "dai-digital") for p in (shared_corpora / d).rglob("*")
                  if p.suffix in (".md", ".markdown") and p.stem.lower() not in NOT_POSTS)  # fmt: skip
    n_errors = sum(1 for l in proc.stderr.splitlines() if not l.startswith("ddlens:"))
    records = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) + n_errors == n_posts
    assert len(records) >= 0.95 * n_posts


def test_dai_post_title_and_every_link_on_its_line(shared_corpora: Path, lens) -> None:
    path = shared_corpora / "dai-digital" / SLUG
    src = path.read_text(encoding="utf-8")
    lines = src.splitlines()
    result = lens.analyze(path)
    assert result.title == "Unlocking the Value of Digital Transformation in the Social Sector"
    # an independent, rough extraction of the hyperlinks to cross-check the parser
    expected = set(re.findall(r"\]\((https?://[^)\s]+)\)", src)) | set(re.findall(r'href="(https?://[^"]+)"', src))
    # a link merged with its prose attribution ("According to [X](url)") keeps its URL
    cited = [s for s in result.sources if s.url]
    assert {s.url for s in cited} == expected
    for s in cited:
        assert s.url in lines[s.line - 1], (s.url, s.line)

"""The result cache: same output as a fresh run, corrupt entries rebuilt, bounded size,
invalidated by a change of file, path or configuration."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import ddlens
from ddlens.cache import ResultCache, config_fingerprint


def make_posts(d: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        p = d / f"2021-01-{i + 1:02d}-post.md"
        p.write_text(f"---\ntitle: Post {i}\n---\nPost {i} cites [a](https://a{i}.org). Done.\n", encoding="utf-8")
        paths.append(p)
    return paths


def test_cached_results_equal_fresh_results(tmp_path: Path) -> None:
    paths = make_posts(tmp_path, 5)
    fresh = [a.to_dict() for a in ddlens.load().analyze_many(paths)]
    lens = ddlens.load(cache=tmp_path / "cache")
    first = [a.to_dict() for a in lens.analyze_many(paths)]
    second = [a.to_dict() for a in lens.analyze_many(paths)]
    assert first == fresh and second == fresh
    assert lens.cache.hits == 5 and lens.cache.misses == 5


def test_changed_file_is_reanalysed(tmp_path: Path) -> None:
    paths = make_posts(tmp_path, 2)
    lens = ddlens.load(cache=tmp_path / "cache")
    list(lens.analyze_many(paths))
    paths[0].write_text("---\ntitle: Changed\n---\nNew.\n", encoding="utf-8")
    out = list(lens.analyze_many(paths))
    assert out[0].title == "Changed" and out[1].title == "Post 1"


def test_corrupt_entry_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    paths = make_posts(tmp_path, 3)
    cache_dir = tmp_path / "cache"
    lens = ddlens.load(cache=cache_dir)
    expected = [a.to_dict() for a in lens.analyze_many(paths)]
    entries = sorted(cache_dir.rglob("*.json"))
    assert len(entries) == 3
    entries[0].write_bytes(b"{not json")
    entries[1].write_bytes(b"[1, 2]")
    again = ddlens.load(cache=cache_dir)
    assert [a.to_dict() for a in again.analyze_many(paths)] == expected
    assert again.cache.misses == 2
    for e in entries:
        json.loads(e.read_text(encoding="utf-8"))  # rebuilt


def test_config_change_changes_the_key() -> None:
    a = config_fingerprint({"max_bytes": 1, "config": None})
    b = config_fingerprint({"max_bytes": 2, "config": None})
    assert a != b and a == config_fingerprint({"config": None, "max_bytes": 1})


def test_config_file_contents_count(tmp_path: Path) -> None:
    f = tmp_path / "patterns.jsonl"
    f.write_text("one\n", encoding="utf-8")
    a = config_fingerprint({"config": {"x": {"patterns": [str(f)]}}})
    f.write_text("two\n", encoding="utf-8")
    assert config_fingerprint({"config": {"x": {"patterns": [str(f)]}}}) != a


def test_eviction_keeps_the_cache_bounded(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c", max_bytes=2000)
    for i in range(50):
        cache.put(f"{i:064x}", {"payload": "x" * 200, "i": i})
    removed = cache.evict()
    total = sum(p.stat().st_size for p in (tmp_path / "c").rglob("*.json"))
    assert removed > 0 and total <= 2000


def test_two_writers_sharing_a_cache(tmp_path: Path) -> None:
    cache_dir = tmp_path / "shared"
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        try:
            c = ResultCache(cache_dir)
            for i in range(200):
                c.put(f"{i % 20:064x}", {"seed": seed, "i": i % 20})
                got = c.get(f"{(i * 7) % 20:064x}")
                assert got is None or got["i"] == (i * 7) % 20
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not list(cache_dir.rglob(".tmp-*"))  # no temporary files left behind


def test_cli_no_cache_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ddlens.cli import app

    (tmp_path / "posts").mkdir()
    make_posts(tmp_path / "posts", 2)
    monkeypatch.setenv("DDLENS_CACHE_DIR", str(tmp_path / "cli-cache"))
    runner = CliRunner()
    assert runner.invoke(app, ["analyze", str(tmp_path / "posts"), "--no-cache"]).exit_code == 0
    assert not (tmp_path / "cli-cache").exists()
    assert runner.invoke(app, ["analyze", str(tmp_path / "posts")]).exit_code == 0
    assert len(list((tmp_path / "cli-cache").rglob("*.json"))) == 2


def test_lazy_lens_with_a_warm_cache_never_builds_the_pipeline(tmp_path: Path) -> None:
    paths = make_posts(tmp_path, 3)
    first = [a.to_dict() for a in ddlens.load(cache=tmp_path / "cache").analyze_many(paths)]
    lazy = ddlens.load(cache=tmp_path / "cache", lazy=True)
    assert not lazy.loaded
    assert [a.to_dict() for a in lazy.analyze_many(paths)] == first
    assert not lazy.loaded  # every post came from the cache
    paths[1].write_text("---\ntitle: Changed\n---\nNew text.\n", encoding="utf-8")
    again = [a.to_dict() for a in lazy.analyze_many(paths)]
    assert lazy.loaded and again[1]["title"] == "Changed" and again[0] == first[0]


_WARM_PROBE = """
import atexit, sys
heavy = ("spacy", "sklearn", "thinc", "skops")
atexit.register(lambda: sys.__stderr__.write("LOADED=" + ",".join(m for m in heavy if m in sys.modules) + "\\n"))
sys.argv = ["ddlens", "analyze", *sys.argv[1:]]
from ddlens.cli import main
main()
"""


def test_cli_rerun_over_an_unchanged_folder_loads_neither_spacy_nor_models(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "posts").mkdir()
    make_posts(tmp_path / "posts", 3)
    env = {**os.environ, "DDLENS_CACHE_DIR": str(tmp_path / "cache")}
    outs, loaded = [], []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", _WARM_PROBE, str(tmp_path / "posts"), "-f", "jsonl"],
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
        loaded.append([x for x in proc.stderr.splitlines() if x.startswith("LOADED=")][0])
    assert outs[0] == outs[1] and outs[0].count("\n") == 3
    assert "spacy" in loaded[0] and loaded[1] == "LOADED="


def test_cli_with_the_cache_reports_a_pipeline_that_cannot_be_built_in_one_line(tmp_path: Path) -> None:
    """With the cache on, the pipeline is built at the first post not in the cache; a bad
    --spacy-model found then is still one line naming it, exit 2, no traceback."""
    import os
    import subprocess
    import sys

    (tmp_path / "posts").mkdir()
    make_posts(tmp_path / "posts", 2)
    env = {**os.environ, "DDLENS_CACHE_DIR": str(tmp_path / "cache")}
    code = "import sys; from ddlens.cli import main; sys.argv = ['ddlens', *sys.argv[1:]]; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "analyze", str(tmp_path / "posts"), "--spacy-model", "no_such_pipeline_xyz"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no_such_pipeline_xyz" in lines[0] and "Traceback" not in proc.stderr

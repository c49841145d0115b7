"""`ddlens analyze`, `ddlens schema`, `--version`: formats, exit codes, the record shape."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

import ddlens
from ddlens.cli import app

runner = CliRunner()

POST = "---\ntitle: {title}\ndate: 2022-05-0{n}\ntags: [data]\n---\nSee [the report](https://worldbank.org/r{n}).\n"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    for n in (1, 2, 3):
        (tmp_path / f"2022-05-0{n}-post-{n}.md").write_text(POST.format(title=f"Post {n}", n=n), encoding="utf-8")
    hidden = tmp_path / ".git"
    hidden.mkdir()
    (hidden / "x.md").write_text("---\ntitle: hidden\n---\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a post", encoding="utf-8")
    return tmp_path


def schema() -> dict:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    return json.loads(result.stdout)


def test_json_is_an_array_valid_against_the_schema(folder: Path) -> None:
    result = runner.invoke(app, ["analyze", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["title"] for r in records] == ["Post 1", "Post 2", "Post 3"]  # sorted, hidden skipped
    for r in records:
        jsonschema.validate(r, schema())
        assert r["sources"][0]["url"].startswith("https://worldbank.org/r")


def test_json_for_one_file_is_still_an_array(folder: Path) -> None:
    result = runner.invoke(app, ["analyze", str(folder / "2022-05-01-post-1.md")])
    assert result.exit_code == 0
    assert isinstance(json.loads(result.stdout), list)


def test_jsonl_csv_and_table(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert runner.invoke(app, ["analyze", str(folder), "-f", "jsonl", "-o", str(out)]).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and all(json.loads(l)["tags"] == ["data"] for l in lines)
    res = runner.invoke(app, ["analyze", str(folder), "-f", "csv"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["title"] for r in rows] == ["Post 1", "Post 2", "Post 3"]
    assert rows[0]["link_sources"] == "1"
    res = runner.invoke(app, ["analyze", str(folder), "-f", "table"])
    assert res.exit_code == 0 and "Post 2" in res.stdout and "3 post(s)" in res.stdout


def test_glob_option(folder: Path) -> None:
    (folder / "2022-06-01-other.markdown").write_text(POST.format(title="Other", n=4), encoding="utf-8")
    res = runner.invoke(app, ["analyze", str(folder), "--glob", "*.markdown"])
    assert [r["title"] for r in json.loads(res.stdout)] == ["Other"]


def test_missing_path_and_bad_format_exit_2(folder: Path) -> None:
    res = runner.invoke(app, ["analyze", str(folder / "nope")])
    assert res.exit_code == 2
    assert runner.invoke(app, ["analyze", str(folder), "--format", "xml"]).exit_code == 2


def test_version_and_help() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and ddlens.__version__ in res.stdout
    res = runner.invoke(app, ["analyze", "--help"])
    assert res.exit_code == 0 and "--format" in res.stdout


def test_analysis_to_dict_has_exactly_the_documented_keys(lens: "ddlens.Lens") -> None:
    d = lens.analyze("---\ntitle: T\n---\nText [a](https://a.org).\n").to_dict()
    assert list(d) == [
        "path", "title", "date", "authors", "tags", "words",
        "themes", "frameworks", "sources", "pillars", "suggested_tags",
    ]  # fmt: skip
    jsonschema.validate(d, schema())


def test_analyze_many_streams_in_order_with_errors(lens: "ddlens.Lens", folder: Path) -> None:
    bad = folder / "2022-05-09-bad.md"
    bad.write_bytes(b"\xff\xfe")
    items = [folder / "2022-05-01-post-1.md", bad, "---\ntitle: inline\n---\nhi", folder / "2022-05-03-post-3.md"]
    out = list(lens.analyze_many(items, batch_size=2))
    assert [type(o).__name__ for o in out] == ["Analysis", "ArticleError", "Analysis", "Analysis"]
    assert out[2].title == "inline" and out[3].title == "Post 3"


def test_parallel_output_is_identical_to_serial(lens: "ddlens.Lens", folder: Path) -> None:
    paths = sorted(folder.glob("*.md")) * 4
    serial = [o.to_dict() for o in lens.analyze_many(paths)]
    parallel = [o.to_dict() for o in lens.analyze_many(paths, n_process=2)]
    assert parallel == serial


def test_console_script_runs_from_another_directory(folder: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("ddlens")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ddlens"]
    proc = subprocess.run(cmd + ["analyze", str(folder), "-f", "jsonl"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3


def test_repository_documents_are_not_posts(folder: Path) -> None:
    for name in ("README.md", "SOURCE.md", "CHANGELOG.md"):
        (folder / name).write_text("# Not a post\n", encoding="utf-8")
    res = runner.invoke(app, ["analyze", str(folder), "-f", "jsonl"])
    assert len(res.stdout.splitlines()) == 3
    res = runner.invoke(app, ["analyze", str(folder / "README.md"), "-f", "jsonl"])  # named: read
    assert len(res.stdout.splitlines()) == 1

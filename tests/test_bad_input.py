"""Bad input is answered, never crashed on: analysed, or reported in one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ddlens
from ddlens.article import Article, ArticleError

BOMB = """---
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
title: *i
tags: *i
---
body
"""


def err(text: str | bytes) -> ArticleError:
    with pytest.raises(ArticleError) as info:
        if isinstance(text, bytes):
            Article.from_bytes(text, "post.md")
        else:
            Article.from_text(text, "post.md")
    e = info.value
    assert "\n" not in str(e) and str(e).startswith("post.md")
    return e


def test_invalid_yaml_names_the_line() -> None:
    e = err("---\ntitle: ok\ntags: [a, b\nauthor: x\n---\nbody\n")
    assert "invalid YAML" in e.reason and e.line is not None and 3 <= e.line <= 5


def test_unclosed_front_matter() -> None:
    e = err("---\ntitle: never closed\n\nbody text\n")
    assert "not closed" in e.reason and e.line == 1


def test_not_utf8_names_line() -> None:
    e = err(b"---\ntitle: x\n---\nline two\ncaf\xe9\n")
    assert "not UTF-8" in e.reason and e.line == 5


def test_binary_file() -> None:
    assert "binary" in err(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR").reason


def test_object_constructing_yaml_tags_are_refused() -> None:
    e = err("---\ntitle: !!python/object/apply:os.system ['echo pwned']\n---\n")
    assert "invalid YAML" in e.reason


def test_alias_bomb_is_refused_fast() -> None:
    t = time.perf_counter()
    e = err(BOMB)
    assert "alias" in e.reason
    assert time.perf_counter() - t < 5  # generous: it must not expand the bomb


def test_deeply_nested_yaml_is_refused() -> None:
    assert "nested" in err("---\nx: " + "[" * 5000 + "]" * 5000 + "\n---\n").reason
    block = "---\n" + "".join(" " * i + f"k{i}:\n" for i in range(200)) + "---\n"
    assert "nested" in err(block).reason


def test_front_matter_that_is_not_a_mapping() -> None:
    assert "not a mapping" in err("---\n- a\n- b\n---\nbody\n").reason


def test_odd_types_are_coerced() -> None:
    a = Article.from_text("---\ntitle: [not, a, string]\ntags: {a: 1}\ndate: not-a-date\nauthor: 42\n---\nHi.\n")
    assert a.title is None and a.tags == [] and a.date is None and a.authors == ["42"]
    b = Article.from_text("---\ntitle: 3.5\ntags: scrum, kanban , agile\n---\n")
    assert b.title == "3.5" and b.tags == ["scrum", "kanban", "agile"]


def test_bom_and_crlf() -> None:
    text = "\ufeff---\r\ntitle: BOM post\r\n---\r\nLine one.\r\n\r\nSee [x](https://x.org) now.\r\n"
    a = Article.from_text(text, "p.md")
    assert a.has_bom and a.title == "BOM post"
    assert a.links[0].line == 6
    assert "\r" not in a.text


def test_empty_file_is_analysed(lens: "ddlens.Lens", tmp_path: Path) -> None:
    p = tmp_path / "empty.md"
    p.write_bytes(b"")
    r = lens.analyze(p)
    assert r.words == 0 and r.title is None and r.sources == ()


def test_megabyte_line_and_long_text(lens: "ddlens.Lens") -> None:
    line = ("word " * 200_000) + "https://example.org/end"
    t = time.perf_counter()
    r = lens.analyze("---\ntitle: long\n---\n" + line + "\n")
    assert r.words >= 200_000
    assert [s.url for s in r.sources] == ["https://example.org/end"]
    assert lens.nlp.max_length > len(line)  # longer than spaCy's default 1,000,000: no E088
    assert time.perf_counter() - t < 60


def test_file_too_large_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "huge.md"
    with p.open("wb") as fh:
        fh.write(b"---\ntitle: huge\n---\n")
        fh.write((b"lorem ipsum dolor sit amet " * 40 + b"\n") * 20_000)  # ~21 MB
    lens = ddlens.load(components=["ddlens_sentences"])
    with pytest.raises(ArticleError) as info:
        lens.analyze(p)
    assert "too large" in str(info.value)


def test_folder_named_like_a_post(tmp_path: Path) -> None:
    d = tmp_path / "x.md"
    d.mkdir()
    with pytest.raises(ArticleError) as info:
        Article.from_path(d)
    assert "folder" in str(info.value)


def test_cli_reports_each_bad_file_in_one_line_and_analyses_the_rest(tmp_path: Path) -> None:
    good = tmp_path / "2020-01-01-good.md"
    good.write_text("---\ntitle: Good\n---\nFine [x](https://x.org).\n", encoding="utf-8")
    (tmp_path / "2020-01-02-bad-yaml.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    (tmp_path / "2020-01-03-latin1.md").write_bytes(b"---\ntitle: x\n---\ncaf\xe9\n")
    (tmp_path / "2020-01-04-binary.md").write_bytes(b"\x00\x01\x02")
    (tmp_path / "2020-01-05-bomb.md").write_text(BOMB, encoding="utf-8")
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "2020-01-06-bom.md").write_bytes("\ufeff---\r\ntitle: Bommed\r\n---\r\nok\r\n".encode())
    proc = subprocess.run(
        [sys.executable, "-m", "ddlens", "analyze", str(tmp_path), "--format", "jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(r["title"] for r in records) == ["Bommed", "Good"]
    err_lines = [l for l in proc.stderr.splitlines() if not l.startswith("ddlens:")]
    assert len(err_lines) == 4
    for name in ("bad-yaml", "latin1", "binary", "bomb"):
        assert sum(name in l for l in err_lines) == 1
    assert any(l.startswith(str(tmp_path / "2020-01-03-latin1.md") + ":4:") for l in err_lines)

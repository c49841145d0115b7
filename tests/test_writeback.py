"""Write-back: the ``ddlens`` mapping goes into the front matter and nothing else moves.

The property tests build posts from labelled chunks (so the test knows, independently of
the code under test, which lines belong to which key) with comments, blank lines, odd
quoting, unicode, CRLF line endings and a BOM, and check byte-level invariants.
"""

from __future__ import annotations

import difflib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ddlens.frontmatter_io import load_yaml, split_front_matter
from ddlens.writeback import (
    WriteBackError,
    apply,
    atomic_write,
    findings_mapping,
    plan,
    unified_diff,
    update_text,
)

# DDLENS_HYPOTHESIS_EXAMPLES=5000 for a long bug hunt; the default keeps this file fast
EXAMPLES = int(os.environ.get("DDLENS_HYPOTHESIS_EXAMPLES", "120"))

MAPPING = {
    "pillars": ["leadership", "skills"],
    "frameworks": ["Principles for Digital Development"],
    "themes": ["mobile money", "données ouvertes", "a: colon", "#hash", "'quoted'"],
    "suggested_tags": ["Open Data", "ICT4D"],
}


# -- generators ----------------------------------------------------------------------------
SAFE = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn"), blacklist_characters="\ufeff\x85"
)
WORD = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")), min_size=1, max_size=8).filter(
    lambda w: not w[0].isdigit()
)
PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
KEY = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(lambda k: k not in ("ddlens", "tags"))
COMMENT = st.text(SAFE, max_size=20).map(lambda s: "# " + s.replace("\n", " "))


def _single(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _double(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + out + '"'


@st.composite
def scalar_text(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "single", "double", "escape", "number", "date"]))
    if kind == "plain":
        return draw(PHRASE)
    if kind == "single":
        return _single(draw(st.text(SAFE, max_size=20)))
    if kind == "double":
        return _double(draw(st.text(SAFE, max_size=20)))
    if kind == "escape":
        return '"caf\\u00e9 \\t tab \\" q"'
    if kind == "number":
        return str(draw(st.integers(-5000, 5000)))
    return "2019-02-11 10:00:00 -05:00"


@st.composite
def entry_lines(draw: st.DrawFn, key: str) -> list[str]:
    kind = draw(st.sampled_from(["scalar", "scalar", "block", "flow", "map", "literal", "empty"]))
    trail = draw(st.sampled_from(["", "", "  " + draw(COMMENT)]))
    if kind == "scalar":
        return [f"{key}: {draw(scalar_text())}{trail}"]
    if kind == "block":
        dash = draw(st.sampled_from(["- ", "  - ", "-   "]))
        items = draw(st.lists(scalar_text(), min_size=1, max_size=3))
        return [f"{key}:{trail}"] + [dash + i for i in items]
    if kind == "flow":
        items = draw(st.lists(st.one_of(PHRASE, st.text(SAFE, max_size=8).map(_double)), max_size=3))
        return [f"{key}: [{', '.join(items)}]{trail}"]
    if kind == "map":
        sub = draw(st.lists(KEY, min_size=1, max_size=3, unique=True))
        return [f"{key}:{trail}"] + [f"  {k}: {draw(scalar_text())}" for k in sub]
    if kind == "literal":
        body = draw(st.lists(st.text(SAFE, min_size=1, max_size=15).filter(lambda s: s.strip()), min_size=1, max_size=3))
        return [f"{key}: |"] + ["  " + b for b in body]
    return [f"{key}:{trail}"]


@st.composite
def tags_lines(draw: st.DrawFn) -> tuple[list[str], str | None]:
    style = draw(st.sampled_from([None, "block", "block-indented", "flow", "flow-empty", "comma", "comma-single", "comma-double", "null"]))
    tags = draw(st.lists(PHRASE, min_size=1, max_size=3, unique_by=str.casefold))
    if style is None:
        return [], None
    if style == "block":
        return ["tags:"] + [f"- {t}" for t in tags], style
    if style == "block-indented":
        return ["tags:  # the blog's tags"] + [f"  - {t}" for t in tags], style
    if style == "flow":
        return [f"tags: [{', '.join(tags)}]"], style
    if style == "flow-empty":
        return ["tags: []"], style
    if style == "comma":
        return [f"tags: {', '.join(tags)}"], style
    if style == "comma-single":
        return [f"tags: '{', '.join(tags)}'"], style
    if style == "comma-double":
        return [f'tags: "{", ".join(tags)}"'], style
    return ["tags:"], style


@st.composite
def posts(draw: st.DrawFn) -> dict:
    """A post as (role, line) pairs plus its line ending, BOM and body."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    keys = draw(st.lists(KEY, max_size=5, unique=True))
    chunks: list[tuple[str, list[str]]] = [(k, draw(entry_lines(k))) for k in keys]
    tag_lines, tag_style = draw(tags_lines())
    if tag_lines:
        chunks.insert(draw(st.integers(0, len(chunks))), ("tags", tag_lines))
    old = draw(st.sampled_from([None, "same", "other", "flow"]))
    if old is not None:
        if old == "same":
            block = yaml.safe_dump({"ddlens": MAPPING}, sort_keys=False, allow_unicode=True, width=1 << 20).splitlines()
        elif old == "flow":
            block = ["ddlens: {pillars: [skills], old: true}"]
        else:
            block = ["ddlens:", "  themes:", "    - stale theme", "  version: 0"]
        chunks.insert(draw(st.integers(0, len(chunks))), ("ddlens", block))
    lines: list[tuple[str, str]] = []
    for role, chunk in chunks:
        for _ in range(draw(st.integers(0, 1))):
            lines.append(("gap", draw(st.sampled_from(["", draw(COMMENT)]))))
        lines.extend((role, ln) for ln in chunk)
    if draw(st.booleans()):
        lines.append(("gap", draw(COMMENT)))
    has_fm = draw(st.booleans()) or bool(lines)
    body_lines = draw(
        st.lists(st.one_of(st.text(SAFE, max_size=30), st.sampled_from(["---", "***", "ddlens: x", "- item", ""])), max_size=5)
    )
    body = nl.join(body_lines) + draw(st.sampled_from(["", nl]))
    if not has_fm:
        assume(not body.startswith("---") and not body.startswith("\ufeff"))
    return {
        "nl": nl,
        "bom": draw(st.booleans()),
        "lines": lines,
        "has_fm": has_fm,
        "body": body,
        "tag_style": tag_style,
    }


def newline(post: dict) -> str:
    """The line ending ddlens should use: the front matter's, else the body's first line's."""
    if post["has_fm"] or post["nl"] in post["body"]:
        return post["nl"]
    return "\n"


def render(post: dict) -> str:
    nl = post["nl"]
    head = ""
    if post["has_fm"]:
        head = "---" + nl + "".join(line + nl for _, line in post["lines"]) + "---" + nl
    return ("\ufeff" if post["bom"] else "") + head + post["body"]


def without_ddlens(lines: list[str]) -> list[str]:
    """Drop a top-level ``ddlens:`` entry: its line and the indented lines under it."""
    out: list[str] = []
    skipping = False
    for ln in lines:
        if ln.startswith("ddlens:"):
            skipping = True
            continue
        if skipping and ln[:1] == " " and ln.strip() and not ln.lstrip().startswith("#"):
            continue
        skipping = False
        out.append(ln)
    return out


def fm_values(text: str) -> dict:
    t = text.lstrip("\ufeff").replace("\r\n", "\n")
    sp = split_front_matter(t)
    return load_yaml(sp.fm_text, 2) if sp.fm_text is not None else {}


def body_of(text: str) -> str:
    t = text[1:] if text.startswith("\ufeff") else text
    sp = split_front_matter(t)
    return t[sp.body_offset :]


# -- properties -----------------------------------------------------------------------------
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts())
@example({"nl": "\r\n", "bom": True, "lines": [], "has_fm": False, "body": "", "tag_style": None})
def test_only_the_ddlens_key_changes(post: dict) -> None:
    old = render(post)
    try:
        old_values = fm_values(old)
    except Exception:
        assume(False)  # the generator made YAML that does not load; not a case to judge
    new, added = update_text(old, MAPPING)
    assert added == []
    # BOM, line endings and body are kept byte for byte
    assert new.startswith("\ufeff") == old.startswith("\ufeff")
    if newline(post) == "\r\n":
        assert new.count("\n") == new.count("\r\n")
    else:
        assert "\r" not in new.replace(old.lstrip("\ufeff"), "")
    if post["has_fm"]:
        assert body_of(new) == body_of(old)
    else:
        assert new.endswith(old.lstrip("\ufeff"))
    # no line outside the ddlens key changes, is added or is lost
    old_lines = [ln for role, ln in post["lines"] if role != "ddlens"]
    new_fm_lines = new.lstrip("\ufeff").split(newline(post))
    new_fm_lines = new_fm_lines[1 : new_fm_lines.index("---", 1)]
    assert without_ddlens(new_fm_lines) == old_lines
    # the other keys load to the same values, in the same order; ours reads back
    new_values = fm_values(new)
    assert new_values["ddlens"] == MAPPING
    others = {k: v for k, v in old_values.items() if k != "ddlens"}
    assert {k: v for k, v in new_values.items() if k != "ddlens"} == others
    assert [k for k in new_values if k != "ddlens"] == list(others)
    # a second run changes nothing
    again, _ = update_text(new, MAPPING)
    assert again == new


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts(), st.lists(st.sampled_from(["Open Data", "open data", "ICT4D", "café, bar", "Ünïcode tag", "it's", 'say "hi"']), max_size=4))
def test_add_tags_keeps_the_list_style(post: dict, suggested: list[str]) -> None:
    old = render(post)
    try:
        old_values = fm_values(old)
    except Exception:
        assume(False)
    new, added = update_text(old, MAPPING, add_tags=suggested)
    new_values = fm_values(new)
    before = old_values.get("tags")
    before_list = before.split(",") if isinstance(before, str) else before or []
    before_list = [str(t).strip() for t in before_list if str(t).strip()]
    seen = {t.casefold() for t in before_list}
    expected = []
    for t in suggested:
        comma_string = isinstance(before, str)
        if t.casefold() not in seen and not (comma_string and "," in t):
            seen.add(t.casefold())
            expected.append(t)
    assert added == expected
    after = new_values.get("tags")
    after_list = [s.strip() for s in after.split(",")] if isinstance(after, str) else after or []
    assert [str(t) for t in after_list if str(t)] == before_list + expected
    if isinstance(before, (list, str)):
        assert type(after) is type(before)  # a flow list stays a list, a string a string
    style = post["tag_style"]
    tag_line = next((ln for ln in new.split(newline(post)) if ln.startswith("tags:")), None)
    if style in ("flow", "flow-empty") and expected:
        assert tag_line is not None and tag_line.rstrip().endswith("]")
    if style in ("block", "block-indented") and expected:
        assert tag_line is not None and tag_line.split("#")[0].strip() == "tags:"
    # everything but ddlens and tags reads the same; the body is untouched
    for k, v in old_values.items():
        if k not in ("ddlens", "tags"):
            assert new_values[k] == v
    if post["has_fm"]:
        assert body_of(new) == body_of(old)
    # lines outside ddlens/tags are untouched
    def plain(lines: list[str]) -> list[str]:
        out, in_tags = [], False
        for ln in without_ddlens(lines):
            if ln.startswith("tags:"):
                in_tags = True
                continue
            if in_tags and (ln.startswith(" ") or ln.startswith("-")) and not ln.lstrip().startswith("#"):
                continue
            in_tags = False
            out.append(ln)
        return out

    old_fm = [ln for _, ln in post["lines"]]
    new_fm = new.lstrip("\ufeff").split(newline(post))
    new_fm = new_fm[1 : new_fm.index("---", 1)]
    assert plain(new_fm) == plain(old_fm)
    assert update_text(new, MAPPING, add_tags=suggested)[0] == new


# -- examples that pin the layout -------------------------------------------------------------
def test_replaces_in_place_and_keeps_surrounding_comments() -> None:
    old = (
        "---\n"
        "title: \"Mobile money\"   # keep me\n"
        "\n"
        "# findings below are written by ddlens\n"
        "ddlens:\n"
        "  themes: [old]\n"
        "\n"
        "# after\n"
        "layout: post\n"
        "---\n"
        "Body.\n"
    )
    new, _ = update_text(old, {"themes": ["new"]})
    assert new == (
        "---\n"
        "title: \"Mobile money\"   # keep me\n"
        "\n"
        "# findings below are written by ddlens\n"
        "ddlens:\n"
        "  themes:\n"
        "  - new\n"
        "\n"
        "# after\n"
        "layout: post\n"
        "---\n"
        "Body.\n"
    )


def test_post_without_front_matter_gets_one_with_its_line_endings() -> None:
    new, _ = update_text("\ufeffJust a body.\r\nSecond line.\r\n", {"themes": []})
    assert new == "\ufeff---\r\nddlens:\r\n  themes: []\r\n---\r\nJust a body.\r\nSecond line.\r\n"


def test_configurable_key_and_indented_mapping() -> None:
    old = "---\n  title: x\n  tags: [a]\n---\n"
    new, added = update_text(old, {"themes": ["t"]}, key="analysis", add_tags=["b"])
    assert new == "---\n  title: x\n  tags: [a, b]\n  analysis:\n    themes:\n    - t\n---\n"
    assert added == ["b"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("---\ntitle: [unclosed\n---\n", "invalid YAML"),
        ("---\n- a list\n---\n", "not a mapping"),
        ("---\n{title: flow}\n---\n", "flow mapping"),
        ("---\nddlens: 1\nddlens: 2\n---\n", "2 times"),
        ("---\ntitle: x\n", "not closed"),
    ],
)
def test_front_matter_that_cannot_be_edited_is_refused_with_a_line(text: str, reason: str) -> None:
    with pytest.raises(WriteBackError) as err:
        update_text(text, {"themes": []}, path="p.md")
    assert reason in str(err.value)
    assert str(err.value).startswith("p.md:")
    assert "\n" not in str(err.value)


def test_tags_in_a_mapping_or_block_scalar_are_refused() -> None:
    with pytest.raises(WriteBackError, match="mapping"):
        update_text("---\ntags:\n  a: 1\n---\n", None, add_tags=["x"])
    with pytest.raises(WriteBackError, match="block scalar"):
        update_text("---\ntags: |\n  a, b\n---\n", None, add_tags=["x"])
    # nothing to add: nothing refused, nothing changed
    same = "---\ntags:\n  a: 1\n---\n"
    assert update_text(same, None, add_tags=[])[0] is same


def test_findings_mapping_from_an_analysis_dict() -> None:
    d = {
        "pillars": [{"id": "skills", "assigned": True}, {"id": "leadership", "assigned": False}],
        "frameworks": [{"name": "Scrum"}, {"name": "Scrum"}],
        "themes": [{"phrase": f"theme\n{i}"} for i in range(8)],
        "suggested_tags": [{"tag": "Data", "score": 0.9}],
    }
    m = findings_mapping(d)
    assert list(m) == ["pillars", "frameworks", "themes", "suggested_tags"]
    assert m == {
        "pillars": ["skills"],
        "frameworks": ["Scrum"],
        "themes": [f"theme {i}" for i in range(5)],
        "suggested_tags": ["Data"],
    }


# -- files: atomic, mode kept, diff ------------------------------------------------------------
def test_plan_apply_keeps_mode_and_second_run_is_a_no_op(tmp_path: Path) -> None:
    p = tmp_path / "post.md"
    p.write_bytes(b"---\r\ntitle: x\r\n---\r\nbody\r\n")
    os.chmod(p, 0o640)
    edit = plan(p, {"themes": ["t"]})
    assert edit.changed
    diff = edit.diff()
    assert diff.startswith(f"--- a/{p}\n+++ b/{p}\n")
    assert "+ddlens:\r\n" in diff and "-title" not in diff
    assert p.read_bytes() == edit.old  # planning writes nothing
    assert apply(edit)
    assert stat.S_IMODE(p.stat().st_mode) == 0o640
    assert p.read_bytes() == edit.new
    again = plan(p, {"themes": ["t"]})
    assert not again.changed and again.diff() == "" and not apply(again)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["post.md"]  # no temp files left


def test_symlink_is_followed_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("---\na: 1\n---\n", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    apply(plan(link, {"themes": []}))
    assert link.is_symlink()
    assert "ddlens:" in real.read_text(encoding="utf-8")


def test_file_changed_since_read_is_not_overwritten(tmp_path: Path) -> None:
    p = tmp_path / "post.md"
    p.write_text("---\na: 1\n---\n", encoding="utf-8")
    edit = plan(p, {"themes": []})
    p.write_text("---\na: 2\n---\n", encoding="utf-8")
    with pytest.raises(WriteBackError, match="changed while"):
        apply(edit)
    assert p.read_text(encoding="utf-8") == "---\na: 2\n---\n"
    assert [x.name for x in tmp_path.iterdir()] == ["post.md"]


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    p = tmp_path / "latin1.md"
    p.write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    with pytest.raises(WriteBackError, match=r"latin1.md: not UTF-8"):
        plan(p, {"themes": []})


@pytest.mark.parametrize("where", ["write", "fsync", "chmod", "replace"])
def test_a_write_that_raises_midway_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    p = tmp_path / "post.md"
    old = b"---\ntitle: x\n---\n" + b"body line\n" * 5000
    p.write_bytes(old)
    new = old.replace(b"title: x", b"title: y")

    class Boom(RuntimeError):
        pass

    import ddlens.writeback as wb

    if where == "write":
        real_fdopen = os.fdopen

        def fdopen(fd, *a, **k):  # type: ignore[no-untyped-def]
            fh = real_fdopen(fd, *a, **k)

            class Half:
                def __enter__(self):  # type: ignore[no-untyped-def]
                    return self

                def __exit__(self, *exc):  # type: ignore[no-untyped-def]
                    fh.close()

                def write(self, data: bytes) -> None:
                    fh.write(data[: len(data) // 2])
                    fh.flush()
                    raise Boom("disk full, half written")

            return Half()

        monkeypatch.setattr(wb.os, "fdopen", fdopen)
    else:
        def boom(*a, **k):  # type: ignore[no-untyped-def]
            raise Boom(where)

        monkeypatch.setattr(wb.os, where, boom)
    with pytest.raises(Boom):
        atomic_write(p, new)
    monkeypatch.undo()
    assert p.read_bytes() == old
    assert [x.name for x in tmp_path.iterdir()] == ["post.md"]


_KILL_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import ddlens.writeback as wb
    real_fsync = os.fsync
    def slow_fsync(fd):
        time.sleep(0.02)   # widen the window between writing the temp file and the rename
        real_fsync(fd)
    wb.os.fsync = slow_fsync
    print("ready", flush=True)
    for p in sys.argv[1:]:
        wb.apply(wb.plan(p, {"themes": ["x" * 2000]}))
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_killing_the_writer_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    """SIGKILL a process that is writing many files, at several moments: each file is
    byte-identical to its old or its new version, never a mix."""
    for delay in (0.15, 0.3, 0.6):
        folder = tmp_path / f"run{delay}"
        folder.mkdir()
        paths = []
        olds = {}
        for i in range(60):
            p = folder / f"post{i:02}.md"
            data = f"---\ntitle: post {i}\n---\n".encode() + b"word " * 20000
            p.write_bytes(data)
            olds[p] = data
            paths.append(p)
        news = {p: plan(p, {"themes": ["x" * 2000]}).new for p in paths}
        proc = subprocess.Popen(
            [sys.executable, "-c", _KILL_SCRIPT, *map(str, paths)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        states = []
        for p in paths:
            got = p.read_bytes()
            assert got in (olds[p], news[p]), f"{p.name} is neither old nor new"
            states.append(got == news[p])
        # the kill landed midway: some files written, some not (else the test proves nothing)
        if 0 < sum(states) < len(paths):
            break
    else:
        pytest.fail("the writer was never interrupted midway; adjust the delays")
    # leftovers of the killed writer are hidden temp files only, which ddlens never reads
    from ddlens.files import iter_post_paths

    assert sorted(iter_post_paths([folder])) == sorted(paths)


def test_unified_diff_marks_missing_final_newline() -> None:
    d = unified_diff(b"a\nb", b"a\nc", "x.md")
    assert "\\ No newline at end of file" in d
    assert difflib  # imported for readers comparing with difflib's own format


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_front_matter_that_only_libyaml_accepts_is_edited_like_it_is_read() -> None:
    # A real post has "- melody<TAB><TAB>": libyaml (which ddlens reads with) accepts the
    # trailing tabs, PyYAML's pure-Python scanner does not; editing must follow reading.
    old = "---\nauthors:\n- melody\t\t\ntags: [a]\n---\nBody\n"
    new, added = update_text(old, {"themes": []}, add_tags=["b"])
    assert new == "---\nauthors:\n- melody\t\t\ntags: [a, b]\nddlens:\n  themes: []\n---\nBody\n"
    assert added == ["b"]

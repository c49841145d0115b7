"""Property tests for the parsers under `ddlens check`: any input gives diagnostics (never a
crash), and every diagnostic points inside the file."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ddlens.check import ConfigResolver, check_files
from ddlens.check.locate import FrontMatterIndex
from ddlens.check.rules_markdown import url_problem
from ddlens.check.suppress import parse_suppressions

_PIECES = st.sampled_from(
    [
        "---\n", "title: x\n", "title: a: b\n", "date: 2019-02-30\n", "date: 2019-01-15\n", "tags: [a, A, b]\n",
        "tags:\n  - a\n  - a\n", "categories: x\n", "<!-- ddlens: disable-next-line=DDL007 -->\n",
        "<!-- ddlens: disable=bogus -->\n", "# ddlens: disable-next-line=DDL012\n", "![](x.png)\n", "![alt](x.png)\n",
        "[here](#)\n", "[](http://)\n", "[x](htp://a.org)\n", "<a href=''><img src=x></a>\n", "```\n", "{% post_url x %}\n",
        "{{ site.baseurl }}\n", "SCRUM and Devops\n", "\n", "text\n", "\ufeff", "\r\n", "\t- item\n", "*", "[", "]", "(", ")",
    ]
)
_POSTS = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=25).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_POSTS)
def test_any_post_gives_diagnostics_inside_the_file(tmp_path_factory, text: str):
    d = tmp_path_factory.mktemp("p")
    p = d / "2019-01-15-post.md"
    p.write_text(text, encoding="utf-8")
    result = check_files([p], ConfigResolver(isolated=True))
    assert result.internal_errors == []
    raw = text.replace("\r\n", "\n").replace("\r", "\n")
    n_lines = raw.count("\n") + 1
    for diag in result.all():
        assert 1 <= diag.line <= n_lines, (diag, n_lines)
        assert diag.column >= 1
        assert "\n" not in diag.message


@given(st.text(max_size=200))
def test_url_problem_never_raises(url: str):
    got = url_problem(url)
    assert got is None or isinstance(got, str)


@given(st.lists(st.sampled_from(["https://", "http:", "//", "www.", "a", ".", "-", ":", "8080", "@", " ", "/", "%", "[", "]", "?", "#", "xn--", "é"]), max_size=12).map("".join))
def test_url_problem_on_url_shaped_text(url: str):
    url_problem(url)


@given(st.text(max_size=300))
def test_suppression_parser_never_raises(text: str):
    sup = parse_suppressions(text, lambda c: c.upper() if c.upper().startswith("DDL") else None)
    for line, col, msg in sup.problems:
        assert line >= 1 and col >= 1 and msg


@given(st.lists(st.sampled_from(["---\n", "key: v\n", "k2: [a, 'b, c', d]\n", "  - x\n", "- y\n", "# c\n", "  nested: 1\n", "\n", "..."]), max_size=20).map("".join))
def test_front_matter_index_lines_are_in_range(text: str):
    end = text.find("\n---", 3)
    body_offset = end + 5 if end > 0 and text.startswith("---") else 0
    idx = FrontMatterIndex.build(text, min(body_offset, len(text)))
    n = text.count("\n") + 1
    assert all(1 <= line <= n for line in idx.keys.values())
    assert all(1 <= it.line <= n and it.column >= 1 for items in idx.items.values() for it in items)


def test_flow_list_items_keep_their_columns():
    src = "---\ntags: [a, 'b, c', \"d\"]\n---\n"
    idx = FrontMatterIndex.build(src, len(src))
    assert [(i.value, i.column) for i in idx.items["tags"]] == [("a", 8), ("b, c", 11), ("d", 19)]
    line = src.split("\n")[1]
    assert line[7] == "a" and line[10] == "'" and line[18] == '"'


def test_real_corpus_posts_check_cleanly(corpus_dir: Path):
    """The project's own corpus: every post is checked, none hits an internal error."""
    posts = sorted((corpus_dir / "posts").glob("*.md"))
    if not posts:
        return
    result = check_files(posts, ConfigResolver(isolated=True))
    assert result.internal_errors == []
    assert len(result.files) == len(posts)

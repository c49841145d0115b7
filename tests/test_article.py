"""Article: front matter fields, Markdown -> plain text with an offset map, links, images."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import frontmatter
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ddlens.article import Article, ArticleError

POST = """\
---
title: Mobile money in *Kenya*
date: 2021-06-02
tags: [mobile money, Finance]
categories: blog
Author: Amina Odhiambo
---
# Why agents matter

According to [the central bank](https://www.centralbank.go.ke/report), agents handle
most cash-in. See <https://www.gsma.com/x> or https://example.org/data.csv.

> Quoted [voice](https://quote.example.com) here.

1. First [ref][r1]
2. Second with `code` and {{ site.baseurl }} liquid
   and a [Liquid link]({{ site.baseurl }}/2020/01/02/post/)

[r1]: https://ref.example.com/a

<!--more-->

<div class="note">
  <p>Raw <a href="https://html.example.com/b">HTML link</a> text.</p>
  <img src="/x.png" alt="chart">
</div>

![Agent kiosk](/assets/kiosk.jpg) and ![](/assets/noalt.png)

| Country | Share |
|---------|-------|
| Kenya [KE](https://ke.example.com) | 80% |

```python
print("[not a link](https://code.example.com)")
```
"""


def line_containing(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


@pytest.fixture(scope="module")
def art() -> Article:
    return Article.from_text(POST, "2021-06-02-mobile-money.md")


def test_front_matter_fields(art: Article) -> None:
    assert art.title == "Mobile money in *Kenya*"
    assert art.date == dt.date(2021, 6, 2)
    assert art.tags == ["mobile money", "Finance", "blog"]
    assert art.authors == ["Amina Odhiambo"]
    assert art.has_excerpt_separator


def test_every_link_kind_found_on_its_line(art: Article) -> None:
    got = {l.url: l for l in art.links}
    expected = {
        "https://www.centralbank.go.ke/report": ("inline", "the central bank"),
        "https://www.gsma.com/x": ("autolink", "https://www.gsma.com/x"),
        "https://example.org/data.csv": ("bare", "https://example.org/data.csv"),
        "https://quote.example.com": ("inline", "voice"),
        "https://ref.example.com/a": ("reference", "ref"),
        "{{ site.baseurl }}/2020/01/02/post/": ("inline", "Liquid link"),
        "https://html.example.com/b": ("html", "HTML link"),
        "https://ke.example.com": ("inline", "KE"),
    }
    assert set(got) == set(expected)
    for url, (kind, text) in expected.items():
        link = got[url]
        assert link.kind == kind, url
        assert link.text == text, url
        assert art.text[link.start : link.end].strip() == text
        # the reported line is where the link text stands in the source
        assert text in POST.splitlines()[link.line - 1], (url, link.line)
        assert art.line_of(link.start) == link.line


def test_code_blocks_and_liquid_stay_out_of_prose(art: Article) -> None:
    assert "code.example.com" not in art.text
    assert "site.baseurl" not in art.text
    assert "{{" not in art.text and "{%" not in art.text
    assert "Raw HTML link text." in art.text  # HTML block text is kept


def test_images_and_headings(art: Article) -> None:
    imgs = {i.src: i for i in art.images}
    assert imgs["/assets/kiosk.jpg"].alt == "Agent kiosk"
    assert imgs["/assets/noalt.png"].alt == ""
    assert imgs["/x.png"].alt == "chart"
    assert imgs["/assets/kiosk.jpg"].line == line_containing(POST, "kiosk.jpg")
    assert [(h.level, h.text, h.line) for h in art.headings] == [(1, "Why agents matter", 8)]


def test_offset_map_points_at_words(art: Article) -> None:
    for word in ("agents", "cash-in", "Quoted", "Second", "Raw", "Country"):
        i = art.text.index(word)
        line, col = art.line_col(i)
        assert POST.splitlines()[line - 1][col - 1 : col - 1 + len(word)] == word


def test_date_from_jekyll_file_name_when_front_matter_has_none() -> None:
    a = Article.from_text("---\ntitle: x\n---\nbody\n", "_posts/2019-11-30-slug.markdown")
    assert a.date == dt.date(2019, 11, 30)
    assert a.slug == "slug"


def test_authors_and_tags_variants() -> None:
    a = Article.from_text("---\nauthors: [A One, B Two]\ntags: 'x, y ,x'\n---\n")
    assert a.authors == ["A One", "B Two"]
    assert a.tags == ["x", "y"]
    b = Article.from_text("---\nauthor: Solo\ntitle: 2020\ntags: [1, [nested], null, ok]\n---\n")
    assert b.authors == ["Solo"]
    assert b.title == "2020"
    assert b.tags == ["1", "ok"]


def test_from_post_and_path(tmp_path: Path) -> None:
    post = frontmatter.Post("Hello [x](https://x.org).", title="T", tags=["a"])
    a = Article.from_post(post)
    assert a.title == "T" and a.links[0].url == "https://x.org"
    p = tmp_path / "2020-01-01-a.md"
    p.write_text(POST, encoding="utf-8")
    b = Article.from_path(p)
    assert b.path == str(p) and len(b.links) == len(Article.from_text(POST).links)


def test_custom_excerpt_separator() -> None:
    a = Article.from_text("---\nexcerpt_separator: <!--cut-->\n---\nIntro\n\n<!--cut-->\n\nRest\n")
    assert a.has_excerpt_separator
    assert not Article.from_text("no separator here\n").has_excerpt_separator


# --- property tests: the offset map ---------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
PHRASE = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@st.composite
def inline_piece(draw: st.DrawFn) -> tuple[str, str | None]:
    kind = draw(
        st.sampled_from(["plain", "em", "strong", "code", "liquid", "escape", "entity", "link", "auto", "bare", "ref"])
    )
    w = draw(PHRASE)
    slug = draw(WORD)
    if kind == "plain":
        return w, None
    if kind == "em":
        return f"*{w}*", None
    if kind == "strong":
        return f"**{w}**", None
    if kind == "code":
        return f"`{w}`", None
    if kind == "escape":
        return f"\\*{w}\\*", None
    if kind == "entity":
        return f"{w} &amp; {slug}", None
    if kind == "liquid":
        return f"{{{{ site.{slug} }}}}", None
    url = f"https://{slug}.example.org/{draw(WORD)}"
    if kind == "link":
        return f"[{w}]({url})", url
    if kind == "auto":
        return f"<{url}>", url
    if kind == "bare":
        return url, url
    return f"[{w}][{slug}]", "ref:" + slug


@st.composite
def markdown_doc(draw: st.DrawFn) -> tuple[str, list[tuple[str, int]]]:
    """Markdown with links in paragraphs, lists and quotes; returns (text, [(url, line)])."""
    lines = ["---", "title: generated", "---"]
    expected: list[tuple[str, int]] = []
    refs: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 6))):
        prefix = draw(st.sampled_from(["", "- ", "1. ", "> ", "## "]))
        for j in range(draw(st.integers(1, 3))):
            pieces = draw(st.lists(inline_piece(), min_size=1, max_size=4))
            # headings are one line; continuation lines of a list item are indented
            lead = prefix if j == 0 else ("> " if prefix == "> " else "   " if prefix in ("- ", "1. ") else "")
            if prefix == "## " and j > 0:
                break
            line_no = len(lines) + 1
            for md, url in pieces:
                if url is None:
                    continue
                if url.startswith("ref:"):
                    slug = url[4:]
                    refs.setdefault(slug, f"https://ref.example.org/{slug}")
                    expected.append((refs[slug], line_no))
                else:
                    expected.append((url, line_no))
            lines.append(lead + " text ".join(md for md, _ in pieces))
        lines.append("")
    for slug, url in refs.items():
        lines.append(f"[{slug}]: {url}")
    return "\n".join(lines) + "\n", expected


@settings(max_examples=150, deadline=None)
@given(markdown_doc())
def test_every_link_reports_the_line_it_stands_on(doc: tuple[str, list[tuple[str, int]]]) -> None:
    text, expected = doc
    art = Article.from_text(text)
    got = sorted((l.url, l.line) for l in art.links)
    assert got == sorted(expected)


@settings(max_examples=100, deadline=None)
@given(markdown_doc())
def test_offset_map_is_monotonic_and_in_range(doc: tuple[str, list[tuple[str, int]]]) -> None:
    text, _ = doc
    art = Article.from_text(text)
    n_lines = text.count("\n") + 1
    prev = 0
    for i in range(len(art.text)):
        off = art.source_offset(i)
        assert art.body_offset <= off <= len(art.source)
        line, col = art.line_col(i)
        assert 1 <= line <= n_lines and col >= 1
        if not art.text[i].isspace():
            assert off >= prev - 2  # never jumps backwards (separators may point a little behind)
            prev = off
            # non-space characters map to the same character in the source
            assert art.source[off] == art.text[i] or not re.match(r"\w", art.text[i])

"""Fuzzing ``ddlens.Article``: arbitrary unicode and bytes, and Markdown built from a grammar.

Properties checked on every generated post:

* building an Article raises nothing but :class:`ArticleError`;
* every link, image and heading line (and column) lies within the file;
* a link with anchor text: ``text[start:end].strip() == link.text``; ``link.line`` is the line
  of its first visible character; an anchor standing on one source line has every letter and
  digit on that line, and a URL shown as itself (bare, autolink) is written there verbatim;
* the offset map is exact for ordinary words: every letter or digit of the plain text maps to
  the same character in the source (a character written as an entity maps to its ``&``), and
  such characters appear in the text in source order;
* Liquid placeholders (U+E000, plane-15 private use) never leak into text, links, images or
  headings;
* ``from_bytes`` agrees with ``from_text``;
* the parser's fast paths change nothing: the tokens, and the Article built from them, are
  those of markdown-it's stock rules.

Examples are bounded so the whole file runs in seconds; DDLENS_FUZZ_SCALE=20 runs twenty
times as many (for a longer hunt, not for CI).
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it.helpers import parseLinkDestination as stock_link_destination
from markdown_it.token import Token

import ddlens.article as article_mod
from ddlens.article import Article, ArticleError

_PLACEHOLDER = re.compile("[\ue000\U000f0000-\U000ffffd]")
_UNREADABLE = re.compile("[\0\ue000\U000f0000-\U000ffffd]")
SCALE = max(1, int(os.environ.get("DDLENS_FUZZ_SCALE", "1")))
FAST = settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- checking one post ------------------------------------------------------------------------


def build(text: str) -> Article | None:
    """The Article, or None when it was refused with an ArticleError (anything else fails)."""
    try:
        return Article.from_text(text, "fuzz.md")
    except ArticleError as exc:
        assert "\n" not in str(exc)
        return None


def check_article(art: Article) -> None:
    src = art.source
    lines = src.split("\n")
    n_lines = len(lines)

    def within(line: int, column: int) -> None:
        assert 1 <= line <= n_lines
        assert 1 <= column <= len(lines[line - 1]) + 1

    # no Liquid placeholder anywhere in what the Article reports
    assert not _PLACEHOLDER.search(art.text)
    for link in art.links:
        assert not _PLACEHOLDER.search(link.url + link.text), link
    for img in art.images:
        assert not _PLACEHOLDER.search(img.src + img.alt), img
    for h in art.headings:
        assert not _PLACEHOLDER.search(h.text), h

    # exact map for letters and digits, in source order
    prev = -1
    for i, ch in enumerate(art.text):
        if not ch.isalnum():
            continue
        off = art.source_offset(i)
        assert art.body_offset <= off < len(src), (i, ch)
        assert src[off] == ch or src[off] == "&", (i, ch, src[max(0, off - 10) : off + 10])
        assert off > prev or src[off] == "&", (i, ch, off, prev)
        prev = off

    for link in art.links:
        within(link.line, link.column)
        assert 0 <= link.start <= link.end <= len(art.text), link
        if not link.text:
            continue
        anchor = art.text[link.start : link.end]
        assert anchor.strip() == link.text, link
        # the link is reported on the line of its first visible character ...
        first = link.start + len(anchor) - len(anchor.lstrip())
        assert art.line_of(first) == link.line, link
        # ... an anchor not split across lines stands on that line, and a URL shown as
        # itself (bare, autolink) is written there verbatim
        alnum = [k for k in range(link.start, link.end) if art.text[k].isalnum()]
        if alnum and "\n" not in src[art.source_offset(first) : art.source_offset(alnum[-1])]:
            assert all(art.line_of(k) == link.line for k in alnum), link
            if link.kind in ("bare", "autolink") and link.url.endswith(link.text):
                # (NUL and private-use characters are read as U+FFFD)
                assert link.text in _UNREADABLE.sub("\ufffd", lines[link.line - 1]), link
    for img in art.images:
        within(img.line, img.column)
    for h in art.headings:
        assert 1 <= h.line <= n_lines


# --- (a) arbitrary unicode and bytes ------------------------------------------------------------

MD_CHARS = st.sampled_from(
    list("*_`[]()<>!#&;\\|{}%-=+~:\"'/ \n\t\r\x00\ufeff\ue000\U000f0000\U000f0001")
    + ["\r\n", "{{", "}}", "{%", "%}", "---\n", "&#xE000;", "&#983041;", "http://a.b/", "](", "[a]: "]
)
ANY_TEXT = st.lists(st.one_of(st.characters(), MD_CHARS, st.text(max_size=5)), max_size=80).map("".join)


@FAST
@given(ANY_TEXT)
def test_arbitrary_unicode_never_crashes_and_maps_exactly(text: str) -> None:
    art = build(text)
    if art is not None:
        check_article(art)
        # from_bytes looks for NUL and private-use characters in the bytes: same result
        if "\0" not in text and not re.search("[\ud800-\udfff]", text):
            again = Article.from_bytes(text.encode("utf-8"), "fuzz.md")
            assert (again.text, again.links, again.images) == (art.text, art.links, art.images)


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_read_or_refused_with_article_error(data: bytes) -> None:
    try:
        art = Article.from_bytes(data, "fuzz.md")
    except ArticleError as exc:
        assert str(exc).startswith("fuzz.md")
        return
    check_article(art)


# --- (b) Markdown from a grammar ----------------------------------------------------------------

WORD = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789", min_size=1, max_size=7),
    st.sampled_from(["é", "Straße", "中文", "naïve", "İstanbul", "ﬁle", "x²", "Ⅻ", "ǅ"]),
)
PHRASE = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
LIQUID = st.sampled_from(
    [
        "{{ site.baseurl }}",
        "{{page.url}}",
        "{% link _posts/a.md %}",
        "{% include x.html %}",
        "{{ a\n b }}",
        "{% raw %}{{ shown }}{% endraw %}",
        "{%- raw -%}{{{%- endraw -%}",
        "{% comment %} [hidden](https://h.example) {% endcomment %}",
    ]
)
UNCLOSED_LIQUID = st.sampled_from(["{{ open", "{% open", "{{", "{%", "}} stray %}"])
ENTITY = st.sampled_from(["&amp;", "&copy;", "&#233;", "&#x4E2D;", "&eacute;", "&bogus;", "&#0;", "&nbsp;", "&#10;"])
ESCAPE = st.sampled_from(["\\*", "\\[", "\\]", "\\\\", "\\`", "\\_", "\\<", "\\&", "\\{", "\\|", "\\a"])
STRAY = st.sampled_from(["[", "]", "*", "_", "<", ">", "&", "`", "!", "|", "![", "](", "**", "~~", "\\"])


@st.composite
def url(draw: st.DrawFn) -> str:
    host = draw(st.sampled_from(["example.org", "a.example.com", "xn--e1a.example", "localhost:8080"]))
    path = draw(st.lists(WORD, max_size=3).map("/".join))
    base = draw(st.sampled_from(["https://", "http://", "/", "", "mailto:"]))
    u = f"{base}{host}/{path}" if base != "/" else f"/{path}"
    extra = draw(st.sampled_from(["", "?q=1&r=2", "#frag", "(x)", "_(y)", "%20z", "{{ site.url }}", "{% link a.md %}"]))
    if draw(st.booleans()) and extra.startswith("{"):
        return extra + u
    return u + extra


TITLE = st.sampled_from(['', ' "a title"', " 'single'", " (paren)", ' "with \\" quote"'])


@st.composite
def inline(draw: st.DrawFn, depth: int = 0) -> str:
    leaves = [
        PHRASE,
        ENTITY,
        ESCAPE,
        STRAY,
        LIQUID,
        UNCLOSED_LIQUID,
        url(),
        st.just(" "),
        st.just("\t"),
        st.sampled_from(["  \n", "\\\n", "\n"]),
    ]
    kinds = ["leaf"] * 4 + ["em", "strong", "strike", "code", "link", "ref", "auto", "img", "html_a", "html_img", "html"]
    kind = draw(st.sampled_from(kinds if depth < 2 else ["leaf"]))
    sub = lambda: draw(st.lists(inline(depth + 1), min_size=1, max_size=3).map("".join))  # noqa: E731
    if kind == "leaf":
        return draw(st.one_of(*leaves))
    if kind == "em":
        d = draw(st.sampled_from(["*", "_"]))
        return f"{d}{sub()}{d}"
    if kind == "strong":
        return f"**{sub()}**"
    if kind == "strike":
        return f"~~{sub()}~~"
    if kind == "code":
        ticks = draw(st.sampled_from(["`", "``"]))
        body = draw(st.sampled_from(["", " "])) + draw(PHRASE) + draw(st.sampled_from(["", "\n", " ` ", "{{ x }}", "[a](b)"]))
        return f"{ticks}{body}{draw(PHRASE)}{ticks}"
    if kind == "link":
        dest = draw(url())
        if draw(st.booleans()):
            dest = f"<{dest} {draw(WORD)}>" if draw(st.booleans()) else f"<{dest}>"
        return f"[{sub()}]({dest}{draw(TITLE)})"
    if kind == "ref":
        label = draw(st.sampled_from(["r1", "R1", "r 2", "missing", "{{ l }}"]))
        form = draw(st.sampled_from(["full", "collapsed", "shortcut"]))
        if form == "full":
            return f"[{sub()}][{label}]"
        return f"[{label}][]" if form == "collapsed" else f"[{label}]"
    if kind == "auto":
        return draw(st.sampled_from(["<https://auto.example.org/p>", "<mailto:a@b.org>", "<a@b.org>", "<http://{{x}}/y>"]))
    if kind == "img":
        return f"![{sub()}]({draw(url())}{draw(TITLE)})"
    if kind == "html_a":
        q = draw(st.sampled_from(['"', "'"]))
        return f"<a href={q}{draw(url())}{q} title=\"t\">{sub()}</a>"
    if kind == "html_img":
        return f'<img src="{draw(url())}" alt="{draw(PHRASE)}">'
    return draw(
        st.sampled_from(
            ["<span>", "</span>", "<br/>", "<!-- c -->", "<!--more-->", "<em class='x'>", '<a\nhref="u">', "</a>", "[^1]"]
        )
    )


@st.composite
def paragraph(draw: st.DrawFn) -> list[str]:
    text = draw(st.lists(inline(), min_size=1, max_size=6).map("".join))
    return [ln for ln in text.split("\n")] or [""]


@st.composite
def table(draw: st.DrawFn) -> list[str]:
    cols = draw(st.integers(1, 3))
    cell = st.one_of(PHRASE, inline(1), st.sampled_from(["a \\| b", "`c|d`", ""]))
    head = "| " + " | ".join(draw(PHRASE) for _ in range(cols)) + " |"
    delim = "|" + "|".join(draw(st.sampled_from(["---", ":--", "--:", ":-:"])) for _ in range(cols)) + "|"
    rows = [
        "| " + " | ".join(draw(cell).replace("\n", " ") for _ in range(cols)) + " |"
        for _ in range(draw(st.integers(0, 3)))
    ]
    return [head, delim, *rows]


@st.composite
def html_block(draw: st.DrawFn) -> list[str]:
    a = f'<a href="{draw(url())}">{draw(PHRASE)}</a>'
    inner = draw(
        st.sampled_from(
            [
                [f"<p>{draw(PHRASE)} {a} {draw(ENTITY)} {draw(PHRASE)}</p>"],
                [f"  {draw(PHRASE)}", f"  <img src=\"{draw(url())}\" alt=\"{draw(PHRASE)}\">"],
                [f"<p>{draw(PHRASE)}", f"{a}</p>"],
                [f"{draw(LIQUID)} {draw(PHRASE)} &amp; {draw(PHRASE)}"],
            ]
        )
    )
    kind = draw(st.sampled_from(["div", "figure", "comment", "script", "table", "pre"]))
    if kind == "comment":
        return ["<!--", *inner, "-->"]
    if kind == "script":
        return ["<script>", "var x = '<a href=\"https://no.example\">no</a>';", "</script>"]
    if kind == "table":
        return ["<table><tr><td>", *inner, "</td></tr></table>"]
    return [f"<{kind} class=\"c\">", *inner, f"</{kind}>"]


@st.composite
def block(draw: st.DrawFn, depth: int = 0) -> list[str]:
    kinds = ["para", "para", "heading", "setext", "fence", "indented", "table", "html", "refdef", "hr", "liquid", "lazy"]
    if depth < 2:
        kinds += ["list", "olist", "quote"]
    kind = draw(st.sampled_from(kinds))
    if kind == "para":
        return draw(paragraph())
    if kind == "heading":
        return [f"{'#' * draw(st.integers(1, 6))} {draw(inline(1))}".replace("\n", " ") + draw(st.sampled_from(["", " ##"]))]
    if kind == "setext":
        return [*draw(paragraph()), draw(st.sampled_from(["===", "---"]))]
    if kind == "fence":
        f = draw(st.sampled_from(["```", "~~~", "````"]))
        body = [f"[in code]({draw(url())})", draw(PHRASE), "{{ x }}"]
        close = [f] if draw(st.booleans()) else []
        return [f + draw(st.sampled_from(["", "python", "{% raw %}"])), *body, *close]
    if kind == "indented":
        return ["", "    " + draw(PHRASE), "\t" + draw(PHRASE), ""]
    if kind == "table":
        return ["", *draw(table()), ""]
    if kind == "html":
        return ["", *draw(html_block()), ""]
    if kind == "refdef":
        label = draw(st.sampled_from(["r1", "R1", "r 2", "{{ l }}", "other", "^1"]))
        dest = draw(url())
        if draw(st.booleans()):
            dest = f"<{dest}>"
        title = draw(TITLE)
        return [f"[{label}]: {dest}", title.strip()] if title and draw(st.booleans()) else [f"[{label}]: {dest}{title}"]
    if kind == "hr":
        return ["", draw(st.sampled_from(["---", "***", "___", "- - -"])), ""]
    if kind == "lazy":  # a quote or list item whose paragraph goes on without its prefix
        return [draw(st.sampled_from(["> ", "- ", "1. "])) + draw(inline(1)).replace("\n", " "), draw(inline(1))]
    if kind == "liquid":
        return [draw(st.sampled_from(["{% include figure.html %}", "{% raw %}", "{% endraw %}", "{% if a %}", "{{ content }}"]))]
    children = draw(st.lists(block(depth + 1), min_size=1, max_size=3))
    lines = [ln for child in children for ln in [*child, ""]]
    if kind == "quote":
        return [(">" + (" " + ln if ln else "")) if draw(st.booleans()) or not ln else ln for ln in lines]
    marker = draw(st.sampled_from(["- ", "* ", "+ ", "-\t"])) if kind == "list" else draw(st.sampled_from(["1. ", "2) ", "10. "]))
    indent = " " * len(marker.replace("\t", "    ")) if marker != "-\t" else draw(st.sampled_from(["  ", "\t"]))
    out = [marker + lines[0]]
    out += [(indent + ln) if ln else "" for ln in lines[1:]]
    return out


FRONT_MATTER = st.sampled_from(
    [
        "",
        "---\ntitle: Generated\ntags: [a, b]\n---\n",
        "---\ntitle: 'x'\ndate: 2020-01-02\n...\n",
        "---\n---\n",
        "--- \ntitle: trailing space fence\n---  \n",
        "---\nexcerpt_separator: <!--cut-->\n---\n",
        "---\ntitle: [unclosed\n---\n",
        "---\n- a list\n---\n",
        "---\ndate: 2020-13-45\n---\n",
        "---\ndate: 2021-02-30 10:00:00\n---\n",
        "---\nn: !!int abc\n---\n",
        "---\nb: !!bool maybe\n---\n",
        "---\nf: !!float xyz\n---\n",
        "---\nt: !!timestamp nope\n---\n",
        "---\nbin: !!binary '@@@'\n---\n",
        "---\n? [a, b]\n: c\n---\n",
        "---\na: &x [1]\nb: *x\n---\n",
        "---\ntitle: {{ page.x }}\n---\n",
        "---\ntitle: x\n",
        "---\r\ntitle: crlf\r\n---\r\n",
    ]
)


@st.composite
def markdown_post(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(block(), min_size=1, max_size=6))
    seps = [draw(st.sampled_from(["\n", "\n\n"])) for _ in blocks]
    body = "".join("\n".join(b) + s for b, s in zip(blocks, seps))
    body += "\n[r1]: https://ref.example.org/one 'Ref'\n[r 2]: <https://ref.example.org/two>\n"
    text = draw(FRONT_MATTER) + body
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 4)) == 0:
        text = "\ufeff" + text
    return text


@settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(markdown_post())
def test_grammar_markdown_keeps_the_offset_map_exact(text: str) -> None:
    art = build(text)
    if art is not None:
        check_article(art)


# --- text after a link or image is found after it, not inside its destination or title ----------

TAIL = st.text(alphabet="qxzQXZ", min_size=2, max_size=5)


@st.composite
def link_then_text(draw: st.DrawFn) -> tuple[str, str, str]:
    """(post, tail word, expected kind) where the tail word also hides in the link's tail."""
    w = draw(TAIL)
    anchor = draw(st.sampled_from(["a", "*a*", "", "a `]` b", "\na", "{{ x }}"]))
    dest = draw(
        st.sampled_from(
            [f"<https://x.org/a {w}>", f"https://x.org/?a=1&amp;{w}", f"https://x.org/\\({w}\\)", "https://x.org/p"]
        )
    )
    title = draw(st.sampled_from(["", f' "{w}"', f" '{w}'", f" ({w})", f'\n"{w}"']))
    form = draw(st.sampled_from(["inline", "reference", "image", "image-ref"]))
    if form == "inline":
        md = f"[{anchor}]({dest}{title})"
    elif form == "reference":
        md = f"[{anchor or 'a'}][r {w}]"
    elif form == "image":
        md = f"![{anchor} {w}]({dest}{title})"
    else:
        md = f"![{anchor} {w}][r {w}]"
    lead = draw(st.sampled_from(["", "> ", "- "]))
    post = f"{lead}x {md} {w}\n\n[r {w}]: https://x.org/{w} \"{w}\"\n"
    return post, w, "reference" if form == "reference" else "inline"


@settings(max_examples=120 * SCALE, deadline=None)
@given(link_then_text())
def test_text_after_a_link_maps_after_it(case: tuple[str, str, str]) -> None:
    post, w, kind = case
    art = Article.from_text(post)
    check_article(art)
    first_line = post.split("\n\n")[0]
    assert art.source_offset(art.text.rindex(w)) == first_line.rindex(w)
    links = [link for link in art.links if link.kind != "bare"]
    if "!" not in first_line:
        assert [link.kind for link in links] == [kind]
    for link in links:
        assert link.url.startswith("https://x.org/")


# --- URLs with query strings come back as written ---------------------------------------------

PARAM = st.sampled_from(["section", "copy", "region", "not", "para", "times", "reg", "id", "lang", "amp", "lt"])


@settings(max_examples=60 * SCALE, deadline=None)
@given(st.lists(st.tuples(PARAM, st.sampled_from(["=1", "=x", "=", "=&"])), min_size=1, max_size=4), st.integers(0, 3))
def test_query_strings_in_links_are_not_decoded_as_entities(params: list[tuple[str, str]], form: int) -> None:
    query = "&".join(name + value for name, value in params)
    url = f"https://x.org/p?{query}"
    post = [
        f'<a href="{url}">text</a>\n',
        f'<div>\n<a href="{url}">text</a>\n</div>\n',
        f"[text]({url})\n",
        f"<img src='{url}' alt='a'>\n",
    ][form]
    art = Article.from_text(post)
    check_article(art)
    got = [link.url for link in art.links] + [img.src for img in art.images]
    assert got == [url]


# --- Liquid: raw and comment blocks, unclosed tags, many tags -----------------------------------

LIQ_WORD = st.text(alphabet="abcxyz", min_size=1, max_size=4)


@settings(max_examples=60 * SCALE, deadline=None)
@given(LIQ_WORD, LIQ_WORD, st.sampled_from(["{% raw %}", "{%- raw -%}", "{%raw%}"]), st.booleans())
def test_liquid_raw_text_is_shown_and_comments_are_not(before: str, inner: str, raw: str, dash: bool) -> None:
    end = "{%- endraw -%}" if dash else "{% endraw %}"
    post = (
        f"{before} {raw}{{{{ {inner} }}}}{end} after\n\n"
        f"{before} {{% comment %}} hidden {inner} [l](https://c.example) {{% endcomment %}} shown\n\n"
        f"{before} {{{{ unclosed {inner} {{% include x.html %}} tail\n"
    )
    art = Article.from_text(post)
    check_article(art)
    paragraphs = art.text.split("\n\n")
    assert paragraphs[0] == f"{before} {{{{ {inner} }}}} after"  # what Jekyll shows
    assert paragraphs[1].split() == [before, "shown"] and art.links == []
    assert paragraphs[2].split() == [before, "{{", "unclosed", inner, "tail"]


def test_many_liquid_tags_take_linear_time() -> None:
    import time

    # 720 kB, no "{%" at all: searching for one again after every tag took ~25 s here
    post = "word {{ x }} " * 60000
    t0 = time.process_time()
    art = Article.from_text(post)
    assert time.process_time() - t0 < 5
    assert art.text.split() == ["word"] * 60000


# --- front matter: YAML-ish noise is read or refused in one line --------------------------------

YAML_BITS = st.sampled_from(
    [": ", "- ", "[", "]", "{", "}", ", ", "&a ", "*a", "!!int ", "!!float ", "!!bool ", "!!timestamp ",
     "!!binary ", "!!set ", "!!python/object:os.system ", "!foo ", "? ", "|\n", ">\n", "'", '"', "\t", "  ",
     "\n", "title", "date", "tags", "author", "2020-13-45", "2021-02-28", "12:30:00", "1e5", "0x1F", "~",
     "null", "yes", "%YAML 1.1\n", "...\n", "# c", "\\", "é"]
)  # fmt: skip


@settings(max_examples=150 * SCALE, deadline=None)
@given(st.lists(YAML_BITS, max_size=30).map("".join), st.sampled_from(["---", "...", "--- "]))
def test_front_matter_noise_is_read_or_refused_in_one_line(yaml_text: str, close: str) -> None:
    art = build(f"---\n{yaml_text}\n{close}\nbody [x](https://x.org)\n")
    if art is None:
        return
    check_article(art)
    assert all(isinstance(k, str) for k in art.metadata)
    # the front matter fields never raise, whatever the YAML held
    assert art.title is None or isinstance(art.title, str)
    assert all(isinstance(t, str) for t in art.tags + art.authors)
    art.date  # noqa: B018


# --- the parser's shortcuts give what stock markdown-it gives -----------------------------------
# ddlens.article builds its parser with fast paths (a paragraph rule run first, plain inline
# content left untokenized, a wider text rule, a faster link-destination scan). They must not
# change a thing: the tokens, and the Article built from them, equal the stock parser's.

STOCK_MD = article_mod._md(shortcuts=False)

# lines that go near the edges of the shortcuts: setext underlines, table delimiter rows,
# list markers (a digit run followed or not by '.'/')'), indentation, trailing spaces (hard
# breaks), tabs, quotes, and the characters that make inline content special
LINE_BITS = st.sampled_from(
    ["word", "Two words", "18F", "1.", "2)", "10.", "123", "-", "- ", "--", "=", "==", "|", "| a |", ":", ":-",
     "|---|", "---", "***", "> ", ">", "#", "# ", "    ", "  ", " ", "\t", "\t\t", "   ", "*", "_", "`", "~",
     "[", "]", "!", "<", "&", "\\", "&amp;", "é", "http://x.org", "+", "<div>", "```", "{{ x }}", "* * *",
     "*\t*\t*", "___", "a | b", "--|--", "**b**", "R&D", "&#65;", "&copy", "&copy;", "&c1;", "![", "!"]
)  # fmt: skip
PLAIN_LINES = st.lists(st.lists(LINE_BITS, max_size=5).map("".join), min_size=1, max_size=8).map("\n".join)


def stock_tokens(tokens: list[Token]) -> list[tuple]:
    """The tokens as comparable tuples, plain inline content expanded as markdown-it would."""
    out = []
    for t in tokens:
        children = t.children
        meta = dict(t.meta)
        if meta.pop(article_mod._PLAIN, None):
            assert not children
            children = [
                Token(kind, "" if kind == "text" else "br", 0, content=text)
                for kind, text in article_mod._plain_pieces(t.content)
            ]
        out.append(
            (t.type, t.tag, t.nesting, t.attrs, t.map, t.level, t.content, t.markup, t.info, meta, t.block, t.hidden,
             stock_tokens(children or []))
        )  # fmt: skip
    return out


def check_shortcuts(text: str) -> None:
    for body in (text, text.replace("\r\n", "\n").replace("\r", "\n")):  # (CR and NUL: normalize's)
        assert stock_tokens(article_mod._MD.parse(body, {})) == stock_tokens(STOCK_MD.parse(body, {}))
    # and the Article built from either is the same
    try:
        got = Article.from_text(text, "fuzz.md")
    except ArticleError as exc:
        got = exc
    saved = article_mod._MD
    article_mod._MD = STOCK_MD
    try:
        want = Article.from_text(text, "fuzz.md")
    except ArticleError as exc:
        want = exc
    finally:
        article_mod._MD = saved
    if isinstance(want, ArticleError):
        assert str(got) == str(want)
        return
    assert isinstance(got, Article)
    assert (got.text, got.links, got.images, got.headings, got.has_excerpt_separator) == (
        want.text, want.links, want.images, want.headings, want.has_excerpt_separator)  # fmt: skip
    assert [got.source_offset(i) for i in range(len(got.text) + 1)] == [
        want.source_offset(i) for i in range(len(want.text) + 1)
    ]


@settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(markdown_post())
def test_parser_shortcuts_change_nothing_on_grammar_markdown(text: str) -> None:
    check_shortcuts(text)


@FAST
@given(st.one_of(PLAIN_LINES, ANY_TEXT))
@example("# a | b\n--|--\n")  # a table, though its first line looks like a heading ...
@example("- a | b\n--|--\n")  # ... or a list item
@example("1. a | b\n:-|-:\n")
@example("*\t*\t*\n")  # a thematic break, not a list item
def test_parser_shortcuts_change_nothing_on_plain_lines_and_noise(text: str) -> None:
    check_shortcuts(text)


@FAST
@given(PLAIN_LINES)
def test_paragraph_shortcut_in_lists_and_quotes(text: str) -> None:
    lines = text.split("\n")
    check_shortcuts("- " + "\n  ".join(lines) + "\n")
    check_shortcuts("> " + "\n> ".join(lines) + "\n")
    check_shortcuts("1. x\n\n   " + "\n".join(lines) + "\n")


@FAST
@given(
    st.lists(
        st.sampled_from(list("ab(<>) \t\n\\\x00\x1f\x7f\u00e9") + ["\\ ", "\\(", "%20", "&amp;", "(" * 16, ")" * 16]),
        max_size=20,
    ).map("".join),
    st.integers(0, 25),
    st.integers(0, 400),
)
@example("(" * 32 + "a" + ")" * 32, 0, 400)  # nesting: 32 parentheses deep is the most allowed
@example("(" * 33 + "a" + ")" * 33, 0, 400)
def test_link_destination_scan_matches_markdown_it(s: str, pos: int, maximum: int) -> None:
    pos, maximum = min(pos, len(s)), min(maximum, len(s))
    got = article_mod._parse_link_destination(s, pos, maximum)
    want = stock_link_destination(s, pos, maximum)
    assert got.ok == want.ok
    if want.ok:
        assert (got.pos, got.str) == (want.pos, want.str)


@FAST
@given(
    st.lists(st.one_of(LIQUID, UNCLOSED_LIQUID, PHRASE, st.sampled_from([" ", "\n", "x"])), max_size=12).map("".join),
    st.lists(st.tuples(st.integers(0, 30), st.integers(-2, 2), st.integers(0, 12)), max_size=8),
)
def test_text_builder_looks_for_placeholders_where_liquid_was_blanked(
    body: str, cuts: list[tuple[int, int, int]]
) -> None:
    # add_clean skips its search for placeholders in source text that meets none of the
    # blanked spans: the same text and map as searching everywhere
    blanked, _, spans = article_mod._blank_liquid(body)
    edges = [0, len(blanked)] + [edge for span in spans for edge in span]
    told = article_mod._TextBuilder(spans)
    everywhere = article_mod._TextBuilder([(0, len(blanked))])
    for edge, delta, length in cuts:  # pieces starting and ending near the spans' edges
        start = min(max(0, edges[edge % len(edges)] + delta), len(blanked))
        piece = blanked[start : start + length]
        told.add_clean(piece, start)
        everywhere.add_clean(piece, start)
    assert (told.parts, told.seg_text, told.seg_src, told.seg_exact) == (
        everywhere.parts, everywhere.seg_text, everywhere.seg_src, everywhere.seg_exact)  # fmt: skip

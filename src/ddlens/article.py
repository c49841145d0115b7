"""One parsed post: front matter, the Markdown body rendered to plain text with an
offset map back to source lines, and its links, images and headings.

The body is parsed with markdown-it-py (CommonMark plus tables and strikethrough).
Jekyll/Liquid tags are replaced, before parsing, by placeholders of the same length
(newlines kept), so every offset still points into the original file; placeholders are
dropped from the prose and restored in link URLs.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import html
import html.entities
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable, Union

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim as _md_trim
from markdown_it.common.utils import normalizeReference as _normalize_label
from markdown_it.common.utils import unescapeAll as _unescape_all
from markdown_it.helpers import parseLinkDestination as _parse_dest
from markdown_it.helpers import parseLinkLabel as _parse_label
from markdown_it.helpers import parseLinkTitle as _parse_title
from markdown_it.rules_block import heading as _heading_rule
from markdown_it.rules_block import list_block as _list_rule
from markdown_it.rules_block import paragraph as _paragraph_rule
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core import normalize as _stock_normalize
from markdown_it.rules_core.state_core import StateCore
from markdown_it.token import Token

from .frontmatter_io import FrontMatterError, load_yaml, split_front_matter
from .postfile import DEFAULT_MAX_BYTES, ArticleError, read_post_bytes

__all__ = ["Article", "ArticleError", "Link", "Image", "Heading", "DEFAULT_MAX_BYTES"]

_JEKYLL_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]{1,2048}")
_LIQUID_FIRST = 0xF0000  # plane-15 private use: one code point per Liquid tag (index encoded)
_LIQUID_FILL = "\ue000"
_LIQUID_CLOSE = {"{%": "%}", "{{": "}}"}
_LIQUID_BLOCK = re.compile(r"\{%-?\s*(raw|comment)\s*-?%\}")
_LIQUID_END = {
    "raw": re.compile(r"\{%-?\s*endraw\s*-?%\}"),
    "comment": re.compile(r"\{%-?\s*endcomment\s*-?%\}"),
}
_LIQUID_MARK = re.compile("[\U000f0000-\U000ffffd]")
_PLACEHOLDER_CHARS = re.compile("[\U000f0000-\U000ffffd\ue000]+")
_UNSAFE = re.compile("[\0\ue000\U000f0000-\U000ffffd]")
# the same characters in UTF-8: NUL, U+E000, and the lead byte of U+C0000..U+FFFFF
_UNSAFE_BYTES = (b"\0", b"\xee\x80\x80", b"\xf3")
_NOT_NEWLINE = re.compile("[^\n]")
_CHARREF = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][-.a-zA-Z0-9]*);?")
_BLOCK_SEP = "\n\n"
_INLINE_BLOCKS = {"paragraph_open", "heading_open", "th_open", "td_open"}


@dataclass(frozen=True)
class Link:
    text: str
    url: str
    line: int
    column: int
    start: int  # offset of the anchor text in Article.text (where it would be, if empty)
    end: int
    kind: str  # inline | reference | autolink | bare | html


@dataclass(frozen=True)
class Image:
    alt: str
    src: str
    line: int
    column: int


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


def _skip_space(s: str, pos: int, end: int) -> int:
    """Past spaces and line ends, and a quote's '>' at the start of a line."""
    line_start = False
    while pos < end:
        c = s[pos]
        if c == "\n":
            line_start = True
        elif not (c in " \t" or c == ">" and line_start):
            break
        pos += 1
    return pos


# -- the Markdown parser ------------------------------------------------------------------
# markdown-it-py is pure Python and most of an Article's cost. The shortcuts below give the
# very tokens the stock rules give (tests/test_article_fuzz.py checks them against a parser
# without them); they only skip work that cannot change the result.

# First characters of a line that a block rule other than paragraph may start on (code is
# told by indentation), and what else it takes for some of them.
_BLOCK_STARTS = frozenset("`~>*-_+[<#0123456789")
_BULLET_MARKER = re.compile(r"[-*+](?:[ \t]|$)")  # matched up to the line end: a list item
_ORDERED_MARKER = re.compile(r"[0-9]+[.)](?:[ \t]|$)")
# lines made of these characters only (a little more than the rules need) may be a thematic
# break ('* * *'), a setext underline ('=== ') or a table's delimiter row ('|--|:-:|')
_MAYBE_HR = re.compile(r"[-*_][-*_ \t]*")
_MAYBE_UNDERLINE = re.compile(r"[-=][-= \t]*")
_MAYBE_DELIMITER_ROW = re.compile(r"[-|:][-|: \t]*")


def _paragraph_text_only(src: str, pos: int, end: int) -> bool:
    """Whether a line whose text (indentation skipped) is ``src[pos:end]`` can start no block
    but a paragraph: neither a fence, quote, list item, thematic break, reference, HTML
    block nor heading. (Indented code, setext underlines and tables are the caller's.)"""
    c = src[pos]
    if c not in _BLOCK_STARTS:
        return True
    if c in "*-_+":  # a list marker needs a space or the line end after it
        return not (_BULLET_MARKER.match(src, pos, end) or _MAYBE_HR.fullmatch(src, pos, end))
    if "0" <= c <= "9":
        return not _ORDERED_MARKER.match(src, pos, end)
    return False


def _plain_paragraph(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """Run first, before the stock block rules: when only one of them can match a line, run
    just that one, sparing the calls to the others (a Python call each, per block; lheading
    scans a whole paragraph once more). False (let the stock rules run) when unsure.

    Which rule can match is told by the first character of the line (_paragraph_text_only;
    indentation of 4+ is code), but for lheading, which needs a setext underline before the
    next blank line, and table, which needs the next line to be a delimiter row.
    A paragraph is pushed here, as the paragraph rule pushes it, when none of its further
    lines could start a block either: then the terminator rules the paragraph rule would try
    on each of them cannot match, and it runs to the next blank line."""
    src = state.src
    bMarks, tShift, eMarks = state.bMarks, state.tShift, state.eMarks
    if state.sCount[startLine] - state.blkIndent >= 4:
        return False
    pos = bMarks[startLine] + tShift[startLine]
    if pos >= eMarks[startLine]:
        return False
    end = state.lineMax  # >= endLine; the paragraph rule looks that far
    line = startLine + 1
    if line < end:
        p = bMarks[line] + tShift[line]
        if p < eMarks[line] and _MAYBE_DELIMITER_ROW.fullmatch(src, p, eMarks[line]):
            return False  # table may take it
    if not _paragraph_text_only(src, pos, eMarks[startLine]):
        c = src[pos]
        if c == "#":
            return _heading_rule(state, startLine, endLine, silent)
        if (c in "*-+" or "0" <= c <= "9") and not _MAYBE_HR.fullmatch(src, pos, eMarks[startLine]):
            return _list_rule(state, startLine, endLine, silent)
        return False
    plain = True  # no further line can start a block
    while line < end:
        pos = bMarks[line] + tShift[line]
        eol = eMarks[line]
        if pos >= eol:  # a blank line ends the paragraph
            break
        if src[pos] in "-=|:" and (
            _MAYBE_UNDERLINE.fullmatch(src, pos, eol) or _MAYBE_DELIMITER_ROW.fullmatch(src, pos, eol)
        ):
            return False  # lheading or (interrupting the paragraph) table may take it
        if plain and not _paragraph_text_only(src, pos, eol):
            plain = False
        line += 1
    if not plain:
        return _paragraph_rule(state, startLine, endLine, silent)
    if silent:  # (never: this rule is no terminator of others)
        return True
    token = state.push("paragraph_open", "p", 1)
    token.map = [startLine, line]
    token = state.push("inline", "", 0)
    token.content = _md_trim(state.getLines(startLine, line, state.blkIndent, False))
    token.map = [startLine, line]
    token.children = []
    state.push("paragraph_close", "p", -1)
    state.line = line
    return True


# Characters an enabled inline rule can start on: newline, escape, backticks, strikethrough,
# emphasis, link, image, autolink/html_inline, entity. "]" too: a link label is scanned
# token by token and must stop on it. Elsewhere every rule fails and the character joins
# the pending text, as it would if the text rule had taken it.
_INLINE_TERMINATORS = re.compile(r"[\n\\`~*_\[\]!<&]")
# Inline content without any of these, line ends aside, is plain text (see _plain_pieces).
# ('!' starts an image only before '[', found anyway; '&' an entity only as '&#' or '&name;'.)
_INLINE_SPECIAL_CHARS = "\\`~*_[<"
_ENTITY_START = re.compile(r"&(?:#|[A-Za-z][A-Za-z0-9]*;)")


def _is_plain_inline(content: str) -> bool:
    """No _INLINE_SPECIAL_CHARS and no entity in ``content`` (``in`` scans several times
    faster than one regex with a character class)."""
    for c in _INLINE_SPECIAL_CHARS:
        if c in content:
            return False
    return "&" not in content or not _ENTITY_START.search(content)


_PLAIN = "ddlens_plain"  # meta key of an inline token whose content was left to _plain_pieces


def _plain_pieces(content: str) -> list[tuple[str, str]]:
    """The inline tokens markdown-it makes of ``content`` when it is plain (_is_plain_inline),
    as (type, text) pairs: its lines as "text", each line end a "softbreak", or a
    "hardbreak" after two or more spaces (trailing spaces dropped: one for a softbreak, all
    for a hardbreak, as the newline rule does); the spaces and tabs that start a
    continuation line are skipped, and an empty line gives no text."""
    if "\n" not in content:
        return [("text", content)] if content else []
    pieces: list[tuple[str, str]] = []
    lines = content.split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if i:
            line = line.lstrip(" \t")
        brk = ""
        if i < last:
            brk = "softbreak"
            if line.endswith(" "):
                if line.endswith("  "):
                    line, brk = line.rstrip(" "), "hardbreak"
                else:
                    line = line[:-1]
        if line:
            pieces.append(("text", line))
        if brk:
            pieces.append((brk, ""))
    return pieces


def _core_normalize(state: StateCore) -> None:
    """markdown-it's core 'normalize' rule (line ends to '\\n', NUL to U+FFFD), without its two
    regex passes over the whole text when there is neither: every '\\n' was replaced by
    itself (Article hands over text without either)."""
    if "\r" in state.src or "\0" in state.src:
        _stock_normalize(state)


def _core_inline(state: StateCore) -> None:
    """markdown-it's core 'inline' rule, but plain content (_is_plain_inline) is not
    tokenized: the token is marked meta[_PLAIN] and keeps no children; the renderer reads
    its pieces (_plain_pieces), sparing a Token per line and the inline rule machinery."""
    md = state.md
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            if _is_plain_inline(token.content):
                token.meta[_PLAIN] = True
            else:
                md.inline.parse(token.content, md, state.env, token.children)


class _Dest:
    """A parsed link destination, as markdown-it's helpers return it (ok, pos, str)."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self, ok: bool = False, pos: int = 0, string: str = "") -> None:
        self.ok, self.pos, self.str = ok, pos, string


# what a bare destination's scan passes over without looking: all but space, control
# characters, backslash and parentheses
_DEST_RUN = re.compile(r"[^\x00-\x20\x7f\\()]*")


def _parse_link_destination(string: str, pos: int, maximum: int) -> Any:
    """markdown-it's parseLinkDestination (the stock one scans character by character in
    Python): the same stops, with runs of ordinary characters skipped by one regex match."""
    if string.startswith("<", pos):
        return _parse_dest(string, pos, maximum)
    start = pos
    level = 0
    while pos < maximum:
        pos = _DEST_RUN.match(string, pos, maximum).end()  # type: ignore[union-attr]  # (matches: '*')
        if pos >= maximum:
            break
        c = string[pos]
        if c == "\\":
            if pos + 1 < maximum:
                if string[pos + 1] == " ":
                    break
                pos += 2
                continue
        elif c == "(":
            level += 1
            if level > 32:
                return _Dest()
        elif c == ")":
            if level == 0:
                break
            level -= 1
        else:  # space or a control character
            break
        pos += 1
    if pos == start or level:
        return _Dest()
    return _Dest(True, pos, _unescape_all(string[start:pos]))


def _md(shortcuts: bool = True) -> MarkdownIt:
    """The parser. ``shortcuts=False``: without the fast paths above (the reference for tests)."""
    # store_labels: a reference link's link_open carries meta["label"], telling it from an inline one
    md = MarkdownIt("commonmark", {"html": True, "store_labels": True}).enable(["table", "strikethrough"])
    md.disable("text_join")  # keep escapes and entities apart so they can be located
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]  # keep URLs as written
    md.normalizeLinkText = lambda url: url  # type: ignore[method-assign]
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    if shortcuts:
        md.block.ruler.before("table", "ddlens_plain_paragraph", _plain_paragraph)
        md.core.ruler.at("normalize", _core_normalize)
        md.core.ruler.at("inline", _core_inline)
        md.inline.terminator_re = _INLINE_TERMINATORS
        md.helpers = SimpleNamespace(  # type: ignore[assignment]
            parseLinkDestination=_parse_link_destination, parseLinkLabel=_parse_label, parseLinkTitle=_parse_title
        )
    return md


_MD = _md()


def _blank_tag(tag: str, marker: str) -> str:
    """The placeholder of one Liquid tag: its marker, then fill characters, newlines kept."""
    if "\n" not in tag:
        return marker + _LIQUID_FILL * (len(tag) - 1)
    return marker + _NOT_NEWLINE.sub(_LIQUID_FILL, tag[1:])  # a tag never starts with a newline


def _blank_liquid(body: str) -> tuple[str, list[str], list[tuple[int, int]]]:
    """Replace ``{% … %}`` and ``{{ … }}`` by same-length placeholders (newlines kept).
    Returns the blanked body, the tags, and the (start, end) of each placeholder.
    Linear in the body: the next opener of each kind is remembered, not searched again."""
    if "{%" not in body and "{{" not in body:
        return body, [], []
    tags: list[str] = []
    spans: list[tuple[int, int]] = []
    out: list[str] = []
    pos = 0
    nxt = {"{%": body.find("{%"), "{{": body.find("{{")}

    def blank(start: int, end: int) -> None:
        marker = chr(_LIQUID_FIRST + len(tags))
        tags.append(body[start:end])
        spans.append((start, end))
        out.append(body[pos:start])
        out.append(_blank_tag(tags[-1], marker))

    while len(tags) < 0xFFFD:
        for opener, at in nxt.items():
            if 0 <= at < pos:
                nxt[opener] = body.find(opener, pos)
        cands = [at for at in nxt.values() if at >= 0]
        if not cands:
            break
        start = min(cands)
        opener = body[start : start + 2]
        end = body.find(_LIQUID_CLOSE[opener], start + 2)
        if end < 0:  # nothing closes it, nor any later opener of its kind: leave them as text
            nxt[opener] = -1
            continue
        end += 2
        block = _LIQUID_BLOCK.match(body, start, end) if opener == "{%" else None
        if block and block.end() == end and (close := _LIQUID_END[block.group(1)].search(body, end)):
            if block.group(1) == "comment":  # never rendered: one placeholder for all of it
                blank(start, close.end())
            else:  # raw: what stands between the tags is shown as written, Liquid or not
                blank(start, end)
                pos = end
                if len(tags) < 0xFFFD:
                    out.append(body[end : close.start()])
                    pos = close.start()
                    blank(close.start(), close.end())
            pos = close.end()
            continue
        blank(start, end)
        pos = end
    out.append(body[pos:])
    return "".join(out), tags, spans


class _TextBuilder:
    """Accumulates plain text and a segment map (text offset -> source offset)."""

    def __init__(self, placeholders: list[tuple[int, int]] | None = None) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.seg_text: list[int] = []
        self.seg_src: list[int] = []
        self.seg_exact: list[bool] = []
        # where the source holds Liquid placeholders (in order; the post's own characters of
        # that kind were replaced), so add_clean need look for them only in text that meets one
        self.ph_starts = [start for start, _ in placeholders or ()]
        self.ph_ends = [end for _, end in placeholders or ()]

    def add(self, s: str, src: int, exact: bool = True) -> None:
        if not s:
            return
        self.seg_text.append(self.length)
        self.seg_src.append(src)
        self.seg_exact.append(exact)
        self.parts.append(s)
        self.length += len(s)

    def add_clean(self, s: str, src: int) -> None:
        """Add source text ``s``, standing at offset ``src`` of the source (as every caller's
        text does: found there), dropping Liquid placeholders but keeping exact offsets."""
        i = bisect.bisect_left(self.ph_starts, src + len(s))  # placeholders starting before its end
        if not i or self.ph_ends[i - 1] <= src or not _PLACEHOLDER_CHARS.search(s):
            self.add(s, src)
            return
        pos = 0
        for m in _PLACEHOLDER_CHARS.finditer(s):
            self.add(s[pos : m.start()], src + pos)
            pos = m.end()
        self.add(s[pos:], src + pos)

    def text_since(self, start: int) -> str:
        """The text added since offset ``start`` (cheap: walks back over recent parts)."""
        if start >= self.length:
            return ""
        acc: list[str] = []
        pos = self.length
        for part in reversed(self.parts):
            pos -= len(part)
            if pos <= start:
                acc.append(part[start - pos :])
                break
            acc.append(part)
        return "".join(reversed(acc))

    def separate(self, src: int) -> None:
        if self.length and not self.parts[-1].endswith(_BLOCK_SEP):
            self.add(_BLOCK_SEP, src, exact=False)

    def text(self) -> str:
        return "".join(self.parts)


_ATTR_REF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[a-zA-Z][a-zA-Z0-9]*;?)")
_LEGACY_REFS = frozenset(k for k in html.entities.html5 if not k.endswith(";"))


def _unescape_attr(value: str) -> str:
    """Decode character references in an attribute value as a browser does: a named one
    without ';' (``&copy``) is kept as written when a letter, digit or '=' follows it."""

    def one(m: re.Match[str]) -> str:
        ref = m.group()
        if ref.endswith(";") or ref[1] == "#":
            return html.unescape(ref)
        if ref[1:] in _LEGACY_REFS and value[m.end() : m.end() + 1] != "=":
            return html.unescape(ref)
        return ref

    return _ATTR_REF.sub(one, value)


class _HTMLText(HTMLParser):
    """Text, links and images of an HTML fragment, with (line, col) of each data run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # references come apart from the text: exact offsets
        self.items: list[tuple[str, Any, tuple[int, int]]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag in ("a", "img") and "&" in (raw := self.get_starttag_text() or ""):
            # HTMLParser decodes "&sect" in "?a=1&section=2" to "§ion"; browsers do not
            for k in ("href", "src", "alt"):
                m = re.search(rf"\s{k}\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", raw, re.I)
                if m and k in a:
                    a[k] = _unescape_attr(next(g for g in m.groups() if g is not None))
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "a" and "href" in a:
            self.items.append(("a_open", a["href"], self.getpos()))
        elif tag == "img":
            self.items.append(("img", (a.get("alt", ""), a.get("src", "")), self.getpos()))
        elif tag in ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote"):
            self.items.append(("break", None, self.getpos()))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a":
            self.items.append(("a_close", None, self.getpos()))

    def handle_data(self, data: str) -> None:
        if not self._skip and data:
            self.items.append(("data", data, self.getpos()))

    def handle_entityref(self, name: str) -> None:
        if not self._skip:
            self.items.append(("ref", None, self.getpos()))

    handle_charref = handle_entityref


class _Renderer:
    """Walks markdown-it tokens and fills text, map, links, images and headings."""

    def __init__(
        self, src: str, body_offset: int, liquid: list[str], liquid_spans: list[tuple[int, int]], excerpt_separator: str
    ) -> None:
        self.src = src  # the whole file text (BOM removed, Liquid blanked)
        self.body_offset = body_offset
        self.liquid = liquid
        self.excerpt_separator = excerpt_separator
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", src)]
        self.body_first_line = bisect.bisect_right(self.line_starts, body_offset) - 1  # 0-based
        self.out = _TextBuilder([(start + body_offset, end + body_offset) for start, end in liquid_spans])
        self.links: list[Link] = []
        self.images: list[Image] = []
        self.headings: list[Heading] = []
        self.has_excerpt = False

    # -- positions -------------------------------------------------------------------
    def line_col(self, src_offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.line_starts, src_offset) - 1
        return i + 1, src_offset - self.line_starts[i] + 1

    def block_span(self, tok: Token) -> tuple[int, int]:
        if not tok.map:
            return self.body_offset, len(self.src)
        first = self.body_first_line + tok.map[0]
        last = self.body_first_line + tok.map[1]
        start = self.line_starts[first] if first < len(self.line_starts) else len(self.src)
        end = self.line_starts[last] if last < len(self.line_starts) else len(self.src)
        return start, end

    def restore(self, url: str) -> str:
        """``url`` with its Liquid placeholders turned back into the tags (anything else
        that looks like one, e.g. decoded from ``&#xE000;``, becomes U+FFFD)."""
        if not _PLACEHOLDER_CHARS.search(url):
            return url
        out: list[str] = []
        pos = 0
        for m in _LIQUID_MARK.finditer(url):
            i = ord(m.group()) - _LIQUID_FIRST
            if m.start() < pos or i >= len(self.liquid):
                continue
            tag = self.liquid[i]
            if url.startswith(_blank_tag(tag, m.group()), m.start()):
                out += (url[pos : m.start()], tag)
                pos = m.start() + len(tag)
        out.append(url[pos:])
        return _PLACEHOLDER_CHARS.sub("\ufffd", "".join(out))

    @staticmethod
    def prose(s: str) -> str:
        """Text with Liquid placeholders dropped, as in the plain text."""
        return _PLACEHOLDER_CHARS.sub("", s) if s else s

    # -- walking ----------------------------------------------------------------------
    def render(self, tokens: list[Token]) -> None:
        heading_level = 0
        row_cursor = -1  # cells of a table row share its source line: search each after the last
        for i, tok in enumerate(tokens):
            t = tok.type
            if t == "inline":
                start, end = self.block_span(tok)
                if i and tokens[i - 1].type in ("th_open", "td_open"):
                    row_cursor = self.inline_token(tok, max(start, row_cursor), end)
                elif heading_level:
                    text_start = self.out.length
                    self.inline_token(tok, start, end)
                    text = self.out.text_since(text_start).strip()
                    self.headings.append(Heading(heading_level, text, self.line_col(start)[0]))
                else:
                    self.inline_token(tok, start, end)
            elif t == "heading_open":
                self.out.separate(self.block_span(tok)[0])
                heading_level = int(tok.tag[1:])
            elif t == "heading_close":
                heading_level = 0
                self.out.separate(self.block_span(tok)[0])
            elif t in ("paragraph_open", "tr_open", "blockquote_open", "list_item_open"):
                self.out.separate(self.block_span(tok)[0])
                row_cursor = -1
            elif t in ("th_open", "td_open"):
                if tokens[i - 1].type not in ("tr_open",):
                    self.out.add(" | ", self.out.seg_src[-1] if self.out.seg_src else self.body_offset, exact=False)
            elif t == "html_block":
                self.html(tok)
            elif t in ("fence", "code_block", "hr"):
                self.out.separate(self.block_span(tok)[0])

    def _find(self, needle: str, cursor: int, end: int) -> int:
        if not needle:
            return -1
        return self.src.find(needle, cursor, end)

    def inline_token(self, tok: Token, start: int, end: int) -> int:
        """Render one inline token; returns the source offset reached."""
        if tok.meta.get(_PLAIN):  # plain text, not tokenized: what inline() does with its pieces
            content = tok.content
            if "\n" not in content:
                return self.text(content, start, end, True) if content else start
            if " \n" not in content and "\n " not in content and "\n\t" not in content:
                # no space dropped around a line end: the pieces join up to the content. When
                # it stands in the source where its first line is first found, so does each
                # piece in turn, right after the one before: one run of text maps the same.
                first = self.src.find(content[: content.index("\n")], start, end)
                if first >= 0 and self.src.startswith(content, first):
                    return self.text(content, start, end, True)
            cursor = start
            for kind, piece in _plain_pieces(content):
                cursor = self.text(piece, cursor, end, True) if kind == "text" else self.line_break(cursor, end)
            return cursor
        return self.inline(tok.children or [], start, end)

    def text(self, content: str, cursor: int, end: int, bare_urls: bool) -> int:
        """Add a text token's content (found from ``cursor``); returns the offset after it."""
        pos = self.src.find(content, cursor, end)
        if pos < 0:  # rewritten by markdown-it: a table cell's "\|"
            return self.add_aligned(content, cursor, end)
        text_start = self.out.length
        self.out.add_clean(content, pos)
        if bare_urls and "http" in content:
            self.bare_urls(content, pos, text_start)
        return pos + len(content)

    def line_break(self, cursor: int, end: int) -> int:
        """Add a soft or hard line break: the next line end in the source."""
        nl = self.src.find("\n", cursor, end)
        if nl >= 0:
            self.out.add("\n", nl)
            return nl + 1
        self.out.add("\n", cursor, exact=False)
        return cursor

    def inline(self, children: list[Token], start: int, end: int) -> int:
        """Render one inline token's children; returns the source offset reached."""
        cursor = start
        link_stack: list[dict[str, Any]] = []
        for tok in children:
            t = tok.type
            if t == "text":
                if tok.content:
                    cursor = self.text(tok.content, cursor, end, not link_stack)
            elif t == "code_inline":
                # the code starts right after its opening backticks (one space or line end may be
                # stripped); line ends inside it are read as spaces. Searching for the code text
                # alone could find a copy of it further on.
                content = tok.content
                tick = self._find(tok.markup, cursor, end)
                if tick < 0:
                    cursor = self.add_aligned(content, cursor, end)
                    continue
                body = tick + len(tok.markup)
                if content and self.src.startswith(content, body):
                    self.out.add_clean(content, body)
                    cursor = body + len(content)
                elif content and self.src.startswith(content, body + 1):
                    self.out.add_clean(content, body + 1)
                    cursor = body + 1 + len(content)
                else:
                    cursor = self.add_aligned(content, body, end)
                close = self._find(tok.markup, cursor, end)
                cursor = close + len(tok.markup) if close >= 0 else cursor
            elif t == "text_special":
                pos = self._find(tok.markup, cursor, end)
                if pos < 0:
                    self.out.add(tok.content, cursor, exact=False)
                    continue
                exact = len(tok.markup) == len(tok.content)
                if tok.info == "escape":  # "\\*" -> "*", but "\\a" stays "\\a": content ends the markup
                    self.out.add_clean(tok.content, pos + len(tok.markup) - len(tok.content))
                elif _PLACEHOLDER_CHARS.match(tok.content):  # &#xE000; must not pass for Liquid
                    self.out.add("\ufffd", pos, exact=False)
                else:
                    self.out.add(tok.content, pos, exact=exact)
                cursor = pos + len(tok.markup)
            elif t in ("softbreak", "hardbreak"):
                cursor = self.line_break(cursor, end)
            elif t == "link_open":
                href = tok.attrGet("href") or ""
                kind = "autolink" if tok.markup == "autolink" else "reference" if tok.meta.get("label") else "inline"
                info = {"href": str(href), "text_start": self.out.length, "src": cursor, "kind": kind}
                link_stack.append({**info, "label": tok.meta.get("label")})
            elif t == "link_close":
                if not link_stack:
                    continue
                info = link_stack.pop()
                href = info["href"]
                text_start = info["text_start"]
                text, anchor_src = self.anchor(text_start)
                if anchor_src is None:
                    anchor_src = info["src"]
                    bracket = self.src.rfind("[", start, cursor + 1)
                    if bracket >= info["src"] - 1 and bracket >= 0:
                        anchor_src = bracket
                kind = info["kind"]
                if kind != "autolink":  # pass over '](dest "title")' or '][label]'
                    close = self.src.find("]", cursor, end)
                    if close >= 0:
                        cursor = self.tail_end(close, end, href, info.get("label"))
                line, col = self.line_col(anchor_src)
                self.links.append(
                    Link(
                        text=text,
                        url=self.restore(href),
                        line=line,
                        column=col,
                        start=text_start,
                        end=self.out.length,
                        kind=kind,
                    )
                )
            elif t == "image":
                src_attr = str(tok.attrGet("src") or "")
                bang = self.src.find("![", cursor, end)
                pos = bang if bang >= 0 else cursor
                line, col = self.line_col(pos)
                alt = self.prose(tok.content)
                self.images.append(Image(alt=alt, src=self.restore(src_attr), line=line, column=col))
                close = self.alt_end(tok.children or [], bang + 2, end) if bang >= 0 else -1
                cursor = self.tail_end(close, end, src_attr) if close >= 0 else max(cursor, pos + 2)
            elif t == "html_inline":
                self.html_inline(tok, cursor, end, link_stack)
                pos = self._find(tok.content, cursor, end)
                if pos >= 0:
                    cursor = pos + len(tok.content)
        return cursor

    def add_aligned(self, content: str, cursor: int, end: int) -> int:
        """Add text that is not verbatim in the source, each character mapped to where it
        stands: skipped markup (a backslash, a quote prefix, indentation) is passed over;
        white space that is not verbatim (a line end read as a space, a tab expanded to
        spaces) stays where it is. Returns the source offset reached."""
        src = self.src
        for c in content:
            if cursor < end and src[cursor] == c:
                q = cursor
            elif c in " \t\n":
                q = -1
            else:
                q = src.find(c, cursor, min(end, cursor + 40))
            if q < 0:
                self.out.add(self.prose(c), cursor, exact=False)
            else:
                self.out.add(self.prose(c), q)
                cursor = q + 1
        return cursor

    def alt_end(self, children: list[Token], pos: int, end: int) -> int:
        """Offset of the ']' ending an image's alt text that starts at ``pos``: its pieces are
        passed over first, so a ']' inside a code span or escape is not taken for it."""
        for ch in children:
            needle = ch.markup if ch.type == "text_special" else ""
            needle = ch.content if ch.type in ("text", "code_inline") else needle
            q = self._find(needle, pos, end)
            if q >= 0:
                pos = q + len(needle)
        return self.src.find("]", pos, end)

    def label_end(self, open_bracket: int, end: int) -> int:
        """Offset of the ']' closing the link label opened at ``open_bracket`` (a label holds
        no unescaped brackets; a code span in it is passed over, as markdown-it does)."""
        src = self.src
        p = open_bracket + 1
        while p < end:
            c = src[p]
            if c == "]":
                return p
            if c == "[":
                return -1
            if c == "`":
                run = p
                while run < end and src[run] == "`":
                    run += 1
                ticks = src[p:run]
                q = src.find(ticks, run, end)
                while q >= 0 and src.startswith("`", q + len(ticks)):  # a longer run does not close it
                    q = src.find(ticks, q + len(ticks) + 1, end)
                p = q + len(ticks) if q >= 0 else run
                continue
            p += 2 if c == "\\" else 1
        return -1

    def tail_end(self, close: int, end: int, href: str = "", label: str | None = None) -> int:
        """Given the ']' ending a link or image label, the offset after its inline tail
        ``(dest "title")`` or its ``[label]``, parsed as markdown-it does; else after the ']'.
        ``label``: a reference link's normalised label, from markdown-it (None: not known)."""
        src = self.src
        p = close + 1
        if label is not None:  # a reference link: '[label]', '[]' or nothing (shortcut)
            if src.startswith("[]", p):
                return p + 2
            q = self.label_end(p, end) if src.startswith("[", p) else -1
            return q + 1 if q >= 0 and _normalize_label(src[p + 1 : q]) == label else p
        if href and src.startswith(href, p + 1) and src.startswith("(", p) and src.startswith(")", p + 1 + len(href)):
            return p + len(href) + 2  # the common '(dest)', written as decoded
        if p < end and src[p] == "(":
            q = _skip_space(src, p + 1, end)
            res = _parse_dest(src, q, end)
            if res.ok:
                q = _skip_space(src, res.pos, end)
                if q != res.pos:
                    title = _parse_title(src, q, end)
                    if title.ok:
                        q = _skip_space(src, title.pos, end)
            if q < end and src[q] == ")":
                return q + 1
        if p < end and src[p] == "[":
            q = self.label_end(p, end)
            if q >= 0:
                return q + 1
        return p

    def anchor(self, text_start: int) -> tuple[str, int | None]:
        """A link's text (added since ``text_start``, stripped) and the source offset of its
        first character (None when it has no text)."""
        raw = self.out.text_since(text_start)
        text = raw.strip()
        if not text:
            return "", None
        return text, self.first_src_at(text_start + len(raw) - len(raw.lstrip()))

    def first_src_at(self, text_offset: int) -> int | None:
        i = bisect.bisect_right(self.out.seg_text, text_offset) - 1
        if i < 0:
            return None
        if self.out.seg_exact[i]:
            return self.out.seg_src[i] + (text_offset - self.out.seg_text[i])
        return self.out.seg_src[i]

    def bare_urls(self, content: str, src_pos: int, text_start: int) -> None:
        if "http" not in content:
            return
        for m in _URL.finditer(content):
            url = m.group().rstrip(".,;:!?*_~'\"")
            while url.endswith(")") and url.count(")") > url.count("("):
                url = url[:-1]
            if len(url) <= len("https://"):
                continue
            line, col = self.line_col(src_pos + m.start())
            start, stop = m.start(), m.start() + len(url)
            text = url
            if _PLACEHOLDER_CHARS.search(content, 0, stop):  # Liquid: kept in the URL, not in the text
                text = self.prose(url)
                start -= sum(len(p) for p in _PLACEHOLDER_CHARS.findall(content, 0, start))  # dropped before it
                stop = start + len(text)
                url = self.restore(url)
            self.links.append(Link(text, url, line, col, text_start + start, text_start + stop, "bare"))

    def html_inline(self, tok: Token, cursor: int, end: int, link_stack: list[dict[str, Any]]) -> None:
        content = tok.content.strip()
        if content == self.excerpt_separator:
            self.has_excerpt = True
            return
        low = content[:3].lower()
        if low == "</a":
            if link_stack and link_stack[-1]["kind"] == "html":
                # link_close handling expects link_open info; reuse it
                info = link_stack.pop()
                text_start = info["text_start"]
                text, anchor = self.anchor(text_start)
                line, col = self.line_col(anchor if anchor is not None else info["src"])
                self.links.append(
                    Link(
                        text,
                        self.restore(info["href"]),
                        line,
                        col,
                        text_start,
                        self.out.length,
                        "html",
                    )
                )
            return
        if low.startswith("<a") or low.startswith("<im"):
            p = _HTMLText()
            try:
                p.feed(content)
                p.close()
            except Exception:  # malformed HTML is just text we skip
                return
            pos = self._find(tok.content, cursor, end)
            pos = pos if pos >= 0 else cursor
            for kind, value, _ in p.items:
                if kind == "a_open":
                    link_stack.append({"href": value, "text_start": self.out.length, "src": pos, "kind": "html"})
                elif kind == "img":
                    line, col = self.line_col(pos)
                    self.images.append(Image(self.prose(value[0]), self.restore(value[1]), line, col))

    def content_line_offsets(self, tok: Token, content: str) -> list[int]:
        """Source offset of column 0 of each line of a block token's content. In a list item
        or a quote markdown-it strips the indentation or '>' prefix: each content line ends
        its source line. (Where a tab was expanded, column 0 may fall before the line.)"""
        first = self.body_first_line + (tok.map[0] if tok.map else 0)
        offs = []
        for k, cline in enumerate(content.split("\n")):
            i = first + k
            if i >= len(self.line_starts):
                offs.append(len(self.src))
                continue
            ls = self.line_starts[i]
            le = self.line_starts[i + 1] - 1 if i + 1 < len(self.line_starts) else len(self.src)
            if self.src.endswith(cline, ls, le):
                offs.append(le - len(cline))
            else:  # a tab expanded in the indentation: line up the text after it
                body = cline.lstrip(" ")
                j = self.src.find(body, ls, le) if body else -1
                offs.append(j - (len(cline) - len(body)) if j >= 0 else ls)
        return offs

    def html(self, tok: Token) -> None:
        start, end = self.block_span(tok)
        content = tok.content
        stripped = content.strip()
        if stripped == self.excerpt_separator or self.excerpt_separator in stripped.splitlines():
            self.has_excerpt = True
        if stripped.startswith("<!--") and stripped.endswith("-->"):
            return
        p = _HTMLText()
        try:
            p.feed(content)
            p.close()
        except Exception:
            return
        line_offs = self.content_line_offsets(tok, content)
        self.out.separate(start)
        open_links: list[tuple[str, int, int]] = []
        for kind, value, (ln, col) in p.items:
            off = max(start, line_offs[min(ln - 1, len(line_offs) - 1)] + col)
            if kind == "data":
                if self.src.startswith(value, off):
                    self.out.add_clean(value, off)
                else:  # across lines of a list item or quote, or after an expanded tab
                    self.add_aligned(value, off, end)
            elif kind == "ref":
                m = _CHARREF.match(self.src, off)
                if m:
                    text = html.unescape(m.group())
                    self.out.add(_PLACEHOLDER_CHARS.sub("\ufffd", text), off, exact=text == m.group())
            elif kind == "break":
                if self.out.length and not self.out.parts[-1].endswith("\n"):
                    self.out.add("\n", off, exact=False)
            elif kind == "a_open":
                open_links.append((value, self.out.length, off))
            elif kind == "a_close" and open_links:
                href, text_start, a_off = open_links.pop()
                text, anchor = self.anchor(text_start)
                line, c = self.line_col(anchor if anchor is not None else a_off)
                self.links.append(Link(text, self.restore(href), line, c, text_start, self.out.length, "html"))
            elif kind == "img":
                line, c = self.line_col(off)
                self.images.append(Image(self.prose(value[0]), self.restore(value[1]), line, c))
        self.out.separate(start)


PostLike = Union["Article", str, os.PathLike, Any]


def _coerce_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float, bool, _dt.date)):
        return str(value)
    return None


def _str_list(value: Any, limit: int = 200) -> list[str]:
    """Strings from a YAML list or a comma-separated string; odd types coerced, nesting skipped."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[Any] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = value[:limit]
    else:
        items = [value]
    out: list[str] = []
    for item in items:
        s = _coerce_str(item)
        if s and s not in out:
            out.append(s)
    return out[:limit]


def _parse_date(value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        m = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", value)
        if m:
            try:
                return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


def date_from_filename(name: str) -> _dt.date | None:
    m = _JEKYLL_NAME.match(name)
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass
class Article:
    """A parsed post. Build it with :meth:`from_path`, :meth:`from_text` or :meth:`from_post`."""

    path: str | None
    source: str  # the file text, BOM removed
    metadata: dict[str, Any]
    body_offset: int
    text: str  # the body rendered to plain text
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    has_excerpt_separator: bool = False
    has_bom: bool = False
    _seg_text: list[int] = field(default_factory=list, repr=False)
    _seg_src: list[int] = field(default_factory=list, repr=False)
    _seg_exact: list[bool] = field(default_factory=list, repr=False)
    _line_starts: list[int] = field(default_factory=list, repr=False)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_path(cls, path: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES) -> "Article":
        return cls.from_bytes(read_post_bytes(path, max_bytes), str(path))

    @classmethod
    def from_bytes(cls, data: bytes, path: str | None = None) -> "Article":
        if b"\x00" in data[:8192]:
            raise ArticleError(path, "binary file, not Markdown text (NUL byte found)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ArticleError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line) from None
        # looking for unsafe characters in the bytes is several times cheaper than in the text
        return cls._from_text(text, path, None, any(b in data for b in _UNSAFE_BYTES))

    @classmethod
    def from_post(cls, post: Any, path: str | None = None) -> "Article":
        """From a ``frontmatter.Post``: its metadata and content (re-serialised as a post)."""
        import frontmatter

        text = frontmatter.dumps(post) if post.metadata else post.content
        return cls.from_text(text, path)

    @classmethod
    def from_text(cls, text: str, path: str | None = None, excerpt_separator: str | None = None) -> "Article":
        return cls._from_text(text, path, excerpt_separator, True)

    @classmethod
    def _from_text(cls, text: str, path: str | None, excerpt_separator: str | None, may_be_unsafe: bool) -> "Article":
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")  # offsets: one char per line end
        try:
            split = split_front_matter(text)
            metadata = load_yaml(split.fm_text, split.fm_start_line) if split.fm_text is not None else {}
        except FrontMatterError as exc:
            raise ArticleError(path, exc.message, exc.line) from None
        src = text[1:] if split.has_bom else text
        sep = excerpt_separator or _coerce_str(metadata.get("excerpt_separator")) or "<!--more-->"
        body = src[split.body_offset :]
        if may_be_unsafe and _UNSAFE.search(body):
            # markdown-it reads NUL as U+FFFD: do the same so text is found in place; and
            # private-use characters we use as Liquid placeholders must not come from the post.
            body = _UNSAFE.sub("\ufffd", body)
        blanked, liquid, liquid_spans = _blank_liquid(body)
        full = src[: split.body_offset] + blanked
        r = _Renderer(full, split.body_offset, liquid, liquid_spans, sep)
        try:
            env: dict[str, Any] = {}
            tokens = _MD.parse(blanked, env)
        except RecursionError:
            raise ArticleError(path, "Markdown is nested too deeply to parse") from None
        r.render(tokens)
        if not r.has_excerpt and sep in body and sep != "<!--more-->":
            r.has_excerpt = True
        article = cls(
            path=path,
            source=src,
            metadata=metadata,
            body_offset=split.body_offset,
            text=r.out.text(),
            links=r.links,
            images=r.images,
            headings=r.headings,
            has_excerpt_separator=r.has_excerpt,
            has_bom=split.has_bom,
            _seg_text=r.out.seg_text,
            _seg_src=r.out.seg_src,
            _seg_exact=r.out.seg_exact,
            _line_starts=r.line_starts,
        )
        return article

    @classmethod
    def coerce(cls, x: PostLike, max_bytes: int = DEFAULT_MAX_BYTES) -> "Article":
        """An Article from an Article, a path (``os.PathLike``), Markdown text (``str``) or a Post."""
        if isinstance(x, Article):
            return x
        if isinstance(x, os.PathLike):
            return cls.from_path(x, max_bytes=max_bytes)
        if isinstance(x, str):
            return cls.from_text(x)
        if isinstance(x, bytes):
            return cls.from_bytes(x)
        if hasattr(x, "metadata") and hasattr(x, "content"):
            return cls.from_post(x)
        raise TypeError(f"cannot make an Article from {type(x).__name__}")

    # -- front matter fields --------------------------------------------------------------
    @property
    def title(self) -> str | None:
        return _coerce_str(self.metadata.get("title"))

    @property
    def date(self) -> _dt.date | None:
        d = _parse_date(self.metadata.get("date"))
        if d is None and self.path:
            d = date_from_filename(os.path.basename(self.path))
        return d

    @property
    def authors(self) -> list[str]:
        for key in ("authors", "author", "Author", "Authors"):
            if key in self.metadata:
                got = self.metadata[key]
                if isinstance(got, str):
                    return [got.strip()] if got.strip() else []
                return _str_list(got)
        return []

    @property
    def tags(self) -> list[str]:
        out = _str_list(self.metadata.get("tags"))
        for c in _str_list(self.metadata.get("categories")):
            if c not in out:
                out.append(c)
        return out

    # -- offset map -----------------------------------------------------------------------
    def source_offset(self, text_offset: int) -> int:
        """Character offset in :attr:`source` of a character of :attr:`text`."""
        if not self._seg_text:
            return self.body_offset
        i = bisect.bisect_right(self._seg_text, text_offset) - 1
        if i < 0:
            return self._seg_src[0]
        if self._seg_exact[i]:
            return self._seg_src[i] + (text_offset - self._seg_text[i])
        return self._seg_src[i]

    def line_col(self, text_offset: int) -> tuple[int, int]:
        """1-based (line, column) in the source file of a character of :attr:`text`."""
        off = self.source_offset(text_offset)
        i = bisect.bisect_right(self._line_starts, off) - 1
        return i + 1, off - self._line_starts[i] + 1

    def line_of(self, text_offset: int) -> int:
        return self.line_col(text_offset)[0]

    @property
    def body(self) -> str:
        return self.source[self.body_offset :]

    @property
    def slug(self) -> str | None:
        if not self.path:
            return None
        stem = Path(self.path).stem
        m = _JEKYLL_NAME.match(stem)
        return stem[m.end() :] if m else stem

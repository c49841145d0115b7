"""Front-matter rules: the post's title, date, tags and required keys."""

from __future__ import annotations

import datetime as _dt
import difflib
import os
import re
from typing import Any, Iterator

from ..article import date_from_filename
from .context import PostContext
from .model import Finding, Severity, rule

TAG_KEYS = ("tags", "categories")


@rule(
    "DDL001",
    "unparsable-post",
    Severity.ERROR,
    family="frontmatter",
    scope="meta",
    summary="The post cannot be read: its front matter does not parse, or it is not UTF-8 text.",
    doc="""
Why: a post whose YAML front matter is broken is skipped or mangled by the site
generator, and no other rule can look at it. The message names the line where the YAML
parser gave up, or why the file could not be read (not UTF-8, binary, too large).

Fix: correct the YAML at that line. Common causes are an unquoted value with a colon
(`title: Mobile money: the next decade` needs quotes), a tab used for indentation, a
missing closing `---`, or an impossible date (`date: 2019-02-30`).

    ---
    title: "Mobile money: the next decade"   # quoted because of the colon
    date: 2019-02-28
    ---

This rule is always an error: it cannot be ignored, re-graded or suppressed, because a
post no rule could read would otherwise pass silently.
""",
)
def unparsable_post(ctx: PostContext) -> Iterator[Finding]:  # emitted by the runner
    return iter(())


@rule(
    "DDL002",
    "missing-title",
    Severity.ERROR,
    family="frontmatter",
    summary="The front matter has no title, or an empty one.",
    doc="""
Why: the title is the post's headline, its page <title> and its link text in feeds and
listings; a post without one shows up as a blank entry.

Fix: add a non-empty `title:` to the front matter.

    ---
    title: Tracking mobile-money agents in Malawi
    date: 2019-01-15
    ---
""",
)
def missing_title(ctx: PostContext) -> Iterator[Finding]:
    md = ctx.article.metadata
    if not ctx.fm.has_front_matter:
        yield ctx.at(1, 1, "post has no front matter; start it with a '---' block holding at least title and date")
        return
    if "title" not in md:
        yield ctx.at(ctx.fm.open_line, 1, "front matter has no title; add 'title: ...'")
        return
    value = md["title"]
    if value is None or (isinstance(value, str) and not value.strip()):
        yield ctx.at_key("title", "title is empty; write the post's headline after 'title:'")
    elif not isinstance(value, (str, int, float)):
        yield ctx.at_key("title", f"title is a YAML {type(value).__name__}, not text; quote it or write it on one line")


_DATE_STR = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$"
)


def parse_front_matter_date(value: Any) -> tuple[_dt.date | None, str | None]:
    """(date as written, None) or (None, why it is not a date)."""
    if isinstance(value, _dt.datetime):
        return value.date(), None
    if isinstance(value, _dt.date):
        return value, None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "date is empty"
    if not isinstance(value, str):
        return None, f"date {value!r} is not a date"
    m = _DATE_STR.match(value.strip())
    if not m:
        return None, f"date {value.strip()!r} is not a date in the form YYYY-MM-DD (optionally with HH:MM:SS and a time zone)"
    try:
        d = _dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m["H"] is not None:
            _dt.time(int(m["H"]), int(m["M"]), int(m["S"] or 0))
    except ValueError as exc:
        return None, f"date {value.strip()!r} is not a real date ({exc})"
    return d, None


@rule(
    "DDL003",
    "invalid-date",
    Severity.ERROR,
    family="frontmatter",
    summary="The date is missing (no front-matter date and no YYYY-MM-DD- file name) or is not a real date.",
    doc="""
Why: the date orders the blog, builds post URLs and archive pages; Jekyll refuses posts
it cannot date.

A post is dated by its front-matter `date:` or, without one, by a `YYYY-MM-DD-` prefix of
its file name. This rule fires when neither is there, when `date:` is empty, or when it is
not a real date in the form `YYYY-MM-DD` (optionally `YYYY-MM-DD HH:MM:SS +/-HH:MM`).

Fix:

    date: 2019-03-12              # or 2019-03-12 09:30:00 +03:00
""",
)
def invalid_date(ctx: PostContext) -> Iterator[Finding]:
    md = ctx.article.metadata
    name = os.path.basename(str(ctx.path))
    if "date" not in md:
        if date_from_filename(name) is None:
            line = ctx.fm.open_line
            yield ctx.at(
                line, 1, "post has no date; add 'date: YYYY-MM-DD' to the front matter or name the file YYYY-MM-DD-slug.md"
            )
        return
    _, why = parse_front_matter_date(md["date"])
    if why:
        yield ctx.at_key("date", why + "; write it as YYYY-MM-DD", value=True)


@rule(
    "DDL004",
    "date-filename-mismatch",
    Severity.WARNING,
    family="frontmatter",
    summary="The front-matter date differs from the date in the YYYY-MM-DD- file name.",
    doc="""
Why: Jekyll takes the post's date (and so its URL and its place in the archive) from the
front matter, but people and scripts read the file name; when they disagree one of them
is wrong, usually because a draft was renamed or re-dated by hand.

The date is compared as written (a time and time zone in the front matter are ignored).

Fix: rename the file or correct `date:` so that they agree.

    _posts/2019-03-12-kanban-for-grant-reporting.md
    ---
    date: 2019-03-12 09:30:00 +03:00
    ---
""",
)
def date_filename_mismatch(ctx: PostContext) -> Iterator[Finding]:
    fname = date_from_filename(os.path.basename(str(ctx.path)))
    if fname is None or "date" not in ctx.article.metadata:
        return
    d, _ = parse_front_matter_date(ctx.article.metadata["date"])
    if d is not None and d != fname:
        yield ctx.at_key(
            "date",
            f"date {d.isoformat()} differs from the file name's {fname.isoformat()}; rename the file or correct the date",
            value=True,
        )


def raw_tags(metadata: dict[str, Any], key: str) -> list[str]:
    """The tags under ``key`` as written, in order, duplicates kept."""
    value = metadata.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    out = []
    for item in items:
        if isinstance(item, (dict, list, tuple)) or item is None:
            continue
        s = str(item).strip()
        if s:
            out.append(s)
    return out


def tag_positions(ctx: PostContext, key: str) -> list[tuple[str, int, int]]:
    """(tag, line, column) for each tag under ``key``, placed on its own line when found."""
    tags = raw_tags(ctx.article.metadata, key)
    items = list(ctx.fm.items.get(key, []))
    used = [False] * len(items)
    out = []
    key_line = ctx.fm.line_of(key)
    for t in tags:
        spot = (key_line, ctx.fm.col_of(key))
        for i, it in enumerate(items):
            if not used[i] and it.value.strip() == t:
                used[i] = True
                spot = (it.line, it.column)
                break
        out.append((t, spot[0], spot[1]))
    return out


@rule(
    "DDL005",
    "missing-tags",
    Severity.WARNING,
    family="frontmatter",
    summary="The post has no tags (nor categories).",
    options={"keys": list(TAG_KEYS)},
    doc="""
Why: tags are how readers (and ddlens) find related posts; an untagged post drops out of
every tag page and topic feed.

Fix: add one or more tags from the blog's vocabulary.

    tags:
      - mobile money
      - financial inclusion

Option `keys`: the front-matter keys that hold tags (default: tags and categories; the
post passes when any of them has a value).
""",
)
def missing_tags(ctx: PostContext) -> Iterator[Finding]:
    keys = ctx.option("keys")
    if any(raw_tags(ctx.article.metadata, k) for k in keys):
        return
    present = [k for k in keys if k in ctx.article.metadata]
    if present:
        yield ctx.at_key(present[0], f"'{present[0]}' is empty; add at least one tag")
    else:
        yield ctx.at(ctx.fm.open_line, 1, f"post has no {' or '.join(keys)}; add at least one tag")


@rule(
    "DDL006",
    "unknown-tag",
    Severity.WARNING,
    family="frontmatter",
    summary="A tag is not in the configured vocabulary, nor learned from the blog's other posts.",
    options={"keys": list(TAG_KEYS), "min_count": 1},
    inert_without="vocabulary, vocabulary-file or vocabulary-from (--vocabulary-from DIR)",
    doc="""
Why: a tag spelt a new way ("M-Pesa" beside "mpesa", "Health" beside "health") splits one
topic over two tag pages. A controlled vocabulary keeps them together.

The vocabulary is the union of `vocabulary` (a list), `vocabulary-file` (one tag a line,
or a YAML/JSON list such as a Jekyll `_data/tags.yml`) and the tags learned from the
posts in `vocabulary-from` folders (`--vocabulary-from DIR` on the command line). Learned
tags come from the *other* posts: a post does not vouch for its own tags, so a tag no
other post uses is reported (two new posts that share a new tag vouch for each other).
Option `min-count` raises how many other posts must use a tag before it is learned.

Fix: use the existing spelling the message suggests, or add the new tag to the vocabulary.
""",
)
def unknown_tag(ctx: PostContext) -> Iterator[Finding]:
    vocabulary = ctx.corpus.vocabulary_for(ctx.config, ctx.option("keys"))
    if vocabulary is None:
        return
    vocab = vocabulary.tags_for(ctx.path, ctx.option("min_count"))
    folded: dict[str, str] = {}
    for v in sorted(vocab):
        folded.setdefault(v.casefold(), v)
    for key in ctx.option("keys"):
        for tag, line, col in tag_positions(ctx, key):
            if tag in vocab:
                continue
            near = folded.get(tag.casefold())
            if near is None:
                close = difflib.get_close_matches(tag.casefold(), list(folded), n=1, cutoff=0.85)
                near = folded[close[0]] if close else None
            hint = f"; did you mean '{near}'?" if near else "; use an existing tag or add it to the vocabulary"
            yield ctx.at(line, col, f"tag '{tag}' is not in the vocabulary ({len(vocab)} tags){hint}")


@rule(
    "DDL012",
    "duplicate-tag",
    Severity.WARNING,
    family="frontmatter",
    summary="The same tag is listed twice (ignoring case) under one key.",
    options={"keys": list(TAG_KEYS)},
    doc="""
Why: a repeated tag is noise at best; when the two differ in case ("Data" and "data") the
site may build two tag pages for one topic.

Fix: keep one of them.

    tags: [data, health]          # not [data, health, Data]
""",
)
def duplicate_tag(ctx: PostContext) -> Iterator[Finding]:
    for key in ctx.option("keys"):
        seen: dict[str, tuple[str, int]] = {}
        for tag, line, col in tag_positions(ctx, key):
            k = tag.casefold()
            if k in seen:
                first, first_line = seen[k]
                where = f"line {first_line}" if first_line != line else "this line"
                same = "" if first == tag else f" as '{first}'"
                yield ctx.at(line, col, f"tag '{tag}' is already listed{same} ({where}); remove the duplicate")
            else:
                seen[k] = (tag, line)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple)) and not (value.strip() if isinstance(value, str) else value))


@rule(
    "DDL019",
    "missing-required-key",
    Severity.ERROR,
    family="frontmatter",
    inert_without="required-keys",
    summary="A front-matter key the configuration requires is missing or empty.",
    doc="""
Why: themes and feeds often need more than a title and a date: an author, an excerpt, a
thumbnail. `required-keys` in the configuration lists them.

    [tool.ddlens]
    required-keys = ["author", "excerpt"]

Fix: add the key with a value.
""",
)
def missing_required_key(ctx: PostContext) -> Iterator[Finding]:
    md = ctx.article.metadata
    for key in ctx.config.required_keys:
        if key not in md:
            yield ctx.at(ctx.fm.open_line, 1, f"required front-matter key '{key}' is missing; add '{key}: ...'")
        elif _empty(md[key]):
            yield ctx.at_key(key, f"required front-matter key '{key}' is empty; give it a value")

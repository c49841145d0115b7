"""Corpus rules: problems visible only across posts (duplicate slugs and titles).

They compare each checked post with every other post in the checked folders, including
posts that are not being checked themselves (with ``--changed-since``, a new post is still
compared with the old ones), using only the other posts' front matter.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator, Sequence

from .context import PostContext
from .model import Finding, Severity, rule

if TYPE_CHECKING:  # pragma: no cover
    from .runner import PostSummary


def title_key(title: object) -> str | None:
    if not isinstance(title, str):
        return None
    t = " ".join(title.split()).strip(" \"'“”‘’").casefold()
    t = re.sub(r"[\s.!?:;,]+$", "", t)
    return t or None


def slug_key(summary: "PostSummary") -> str | None:
    return summary.slug.casefold() if summary.slug else None


def _others(ctx: PostContext, key: str | None, index: dict[str, Sequence["PostSummary"]]) -> list["PostSummary"]:
    if key is None:
        return []
    me = ctx.corpus.summary(ctx.path)
    return [s for s in index.get(key, ()) if s is not me and s.key != me.key]


def _names(others: list["PostSummary"], n: int = 3) -> str:
    shown = ", ".join(o.display for o in others[:n])
    return shown + (f" and {len(others) - n} more" if len(others) > n else "")


@rule(
    "DDL013",
    "duplicate-slug",
    Severity.WARNING,
    family="corpus",
    scope="corpus",
    summary="Another post in the checked folders has the same slug.",
    doc="""
Why: the slug is the last part of a post's URL. With a permalink pattern such as
`/:title/` (or `/blog/:slug/`) two posts with the same slug overwrite each other; with a
dated pattern they still compete in search results and confuse editors.

The slug is the front-matter `slug:` when present, else the file name without its
`YYYY-MM-DD-` prefix and extension. Compared ignoring case, with every other post in the
checked folders.

Fix: give one of the posts a distinct file name (or `slug:`).
""",
)
def duplicate_slug(ctx: PostContext) -> Iterator[Finding]:
    me = ctx.corpus.summary(ctx.path)
    others = _others(ctx, slug_key(me), ctx.corpus.by_slug)
    if others:
        where = ctx.fm.line_of("slug") if "slug" in ctx.article.metadata else 1
        yield ctx.at(where, 1, f"slug '{me.slug}' is also used by {_names(others)}; give this post a distinct slug")


@rule(
    "DDL014",
    "duplicate-title",
    Severity.WARNING,
    family="corpus",
    scope="corpus",
    summary="Another post in the checked folders has the same title (ignoring case and spacing).",
    doc="""
Why: two posts with one title are indistinguishable in listings, feeds and search
results; often the second is an accidental copy of the first.

Fix: retitle one of them (or delete the copy).
""",
)
def duplicate_title(ctx: PostContext) -> Iterator[Finding]:
    me = ctx.corpus.summary(ctx.path)
    others = _others(ctx, title_key(me.title), ctx.corpus.by_title)
    if others:
        yield ctx.at_key("title", f"title is also used by {_names(others)}; give this post a distinct title", value=True)

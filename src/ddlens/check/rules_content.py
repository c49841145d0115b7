"""Content rules: framework names, length, sources and pillars.

DDL011 and DDL016 read the Article only. DDL017 and DDL018 need the ddlens NLP pipeline;
the runner loads it (importing spaCy) only when one of them is enabled for some post, and
passes each post's :class:`~ddlens.Analysis` to them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .context import PostContext
from .model import Finding, Severity, rule

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import Analysis

_WORD = re.compile(r"[^\W_](?:[\w'’\-.]*[^\W_])?", re.UNICODE)


@dataclass(frozen=True)
class FrameworkNames:
    pattern: re.Pattern[str] | None
    forms: dict[str, tuple[str, frozenset[str]]]  # casefolded form -> (canonical name, accepted spellings)
    excludes: dict[str, tuple[str, ...]]  # canonical name -> casefolded phrases that are not mentions


def _frameworks_file(option: str) -> Path | None:
    if option:
        return Path(option)
    try:
        from ..resources import models_dir

        p = models_dir() / "frameworks.jsonl"
    except FileNotFoundError:
        return None
    return p if p.is_file() else None


def _alias(a: object) -> tuple[str, bool, bool] | None:
    """(text, case-insensitive, unconstrained) of an alias entry (a string or an object)."""
    if isinstance(a, str):
        return a, True, True
    if isinstance(a, dict) and isinstance(a.get("text"), str):
        insensitive = a.get("case", "insensitive") == "insensitive"
        free = not any(a.get(k) for k in ("heads", "not_before", "not_after"))
        return a["text"], insensitive, free
    return None


@lru_cache(maxsize=8)
def load_framework_names(path: str, min_length: int) -> FrameworkNames:
    """Names and aliases from a frameworks JSONL file.

    Each line: ``{"name": ..., "aliases": [...], "exclude": [...]}``; an alias is a string
    or ``{"text": ..., "case": "sensitive"|"insensitive", "heads"/"not_before"/...}``.
    Every spelling listed is accepted as written. Mentions are searched for with the
    case-insensitive aliases that carry no context condition (those are the framework in
    any case, so a different case is a misspelling); case-sensitive aliases ("Agile",
    "AGILE", "lean") are exact forms whose other casings are ordinary words.
    """
    accepted: dict[str, tuple[str, set[str]]] = {}
    scanned: set[str] = set()
    excludes: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                raise ValueError(f"{path}:{lineno}: not a JSON object") from None
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            name = entry["name"]
            aliases = [x for x in (_alias(a) for a in entry.get("aliases", []) or []) if x is not None]
            if not aliases:
                aliases = [(name, True, True)]
            spellings = [(name, False, False)] + aliases
            for text, insensitive, free in spellings:
                if not re.search(r"[A-Za-z]", text):
                    continue
                key = text.casefold()
                got = accepted.setdefault(key, (name, set()))
                if got[0] != name:
                    continue  # the same words name two frameworks: leave them alone
                got[1].add(text)
                if insensitive and free and len(text) >= min_length:
                    scanned.add(key)
            ex = tuple(e.casefold() for e in entry.get("exclude", []) or [] if isinstance(e, str))
            if ex:
                excludes[name] = ex
    keys = sorted(scanned, key=len, reverse=True)
    if not keys:
        return FrameworkNames(None, {}, {})
    pattern = re.compile(r"(?<![\w/.@#-])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w@]|[-/.]\w)", re.IGNORECASE)
    return FrameworkNames(pattern, {k: (v[0], frozenset(v[1])) for k, v in accepted.items()}, excludes)


_WORD_SPLIT = re.compile(r"[\s\-‐‑–/]+")


def _words(s: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(s) if w]


def is_miscased(found: str, accepted: frozenset[str], canonical: str) -> str | None:
    """The spelling to use when ``found`` mis-cases a name, or None when its case is fine.

    Only case *inside* words counts ('SCRUM', 'Devops', 'prince2'); the first letter of each
    word may differ (sentence case, 'design thinking', 'Theory Of Change' are not reported).
    ``accepted`` are the accepted spellings that equal ``found`` ignoring case.
    """
    if found in accepted:
        return None
    words = _words(found)
    for form in accepted:
        fw = _words(form)
        if len(fw) == len(words) and all(a[1:] == b[1:] for a, b in zip(words, fw)):
            return None
    same_shape = [f for f in accepted if len(f) == len(found)]
    if not same_shape:
        return canonical if canonical in accepted else sorted(accepted)[0]
    # the accepted spelling with the fewest letters in another case (the canonical on ties)
    return min(same_shape, key=lambda f: (sum(a != b for a, b in zip(f, found)), f != canonical, f))


def _shouting(text: str, start: int, end: int) -> bool:
    """True when the words around a match are in capitals too (a shouted heading or banner)."""
    left = text.rfind("\n", 0, start) + 1
    right = text.find("\n", end)
    right = len(text) if right < 0 else right
    context = text[left:start] + text[end:right]
    letters = [c for c in context if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.6


@rule(
    "DDL011",
    "framework-case",
    Severity.WARNING,
    family="content",
    summary="A framework name is written in a case its canonical form does not use ('SCRUM' for 'Scrum').",
    options={"frameworks": "", "min_length": 4},
    doc="""
Why: framework names are proper names; "SCRUM", "Devops" or "prince2" look careless, and
inconsistent spellings split searches and tag pages.

The names and aliases come from the shipped `models/frameworks.jsonl` (option
`frameworks` names another file; without any file the rule does nothing). A mention is
reported when its case differs from every accepted spelling *inside a word*: "SCRUM",
"KanBan", "Devops", "prince2". The first letter of each word is free, so sentence case
and lower-case generic uses ("design thinking", "an agile team") are not reported, nor
are mentions in all-capital headings, URLs, e-mail addresses or hashtags. Names shorter
than `min-length` characters (acronyms such as "CLA") are not checked. The title is
checked too.

Fix: write the canonical form the message gives.
""",
)
def framework_case(ctx: PostContext) -> Iterator[Finding]:
    path = _frameworks_file(ctx.option("frameworks"))
    if path is None:
        return
    names = load_framework_names(str(path), ctx.option("min_length"))
    if names.pattern is None:
        return
    text = ctx.article.text
    for m in names.pattern.finditer(text):
        hit = _check_hit(names, m.group(), text, m.start(), m.end())
        if hit:
            yield ctx.at_text(m.start(), hit)
    title = ctx.article.metadata.get("title")
    if isinstance(title, str) and "title" in ctx.fm.keys:
        line = ctx.fm.line_of("title")
        raw = ctx.source_lines[line - 1] if line <= len(ctx.source_lines) else ""
        for m in names.pattern.finditer(title):
            hit = _check_hit(names, m.group(), title, m.start(), m.end())
            if hit:
                at = raw.find(m.group(), ctx.fm.col_of("title") - 1)
                yield ctx.at(line, at + 1 if at >= 0 else ctx.fm.col_of("title"), "in the title, " + hit)


def _check_hit(names: FrameworkNames, found: str, text: str, start: int, end: int) -> str | None:
    canonical, accepted = names.forms[found.casefold()]
    right = is_miscased(found, accepted, canonical)
    if right is None or _shouting(text, start, end):
        return None
    for phrase in names.excludes.get(canonical, ()):
        lo = max(0, start - len(phrase))
        window = text[lo : end + len(phrase)].casefold()
        at = window.find(phrase)
        while at >= 0:
            if lo + at <= start and lo + at + len(phrase) >= end:
                return None
            at = window.find(phrase, at + 1)
    name = f" ({canonical})" if right != canonical else ""
    return f"framework name '{found}' is spelt '{right}'{name}; fix its capitals"


def count_words(text: str) -> int:
    """Words in plain text (letters/digits runs, with inner apostrophes, hyphens and dots)."""
    return sum(1 for _ in _WORD.finditer(text))


@rule(
    "DDL016",
    "too-few-words",
    Severity.OFF,
    family="content",
    summary="The post is shorter than the configured minimum word count.",
    options={"min_words": 300},
    doc="""
Why: some blogs hold posts to a minimum length (announcements aside); a stub that was
published by mistake is caught here.

Words are counted in the rendered text (front matter, Markdown syntax, URLs of links and
HTML tags excluded). Off by default; enable and set the minimum:

    [tool.ddlens.rules]
    too-few-words = { severity = "warning", min-words = 400 }
""",
)
def too_few_words(ctx: PostContext) -> Iterator[Finding]:
    n = count_words(ctx.article.text)
    need = ctx.option("min_words")
    if n < need:
        yield ctx.at(ctx.body_line, 1, f"post has {n} words, fewer than the minimum {need}; expand it or mark it as a short post")


@rule(
    "DDL017",
    "too-few-sources",
    Severity.OFF,
    family="content",
    scope="analysis",
    needs="ddlens_sources",
    summary="The post cites fewer sources (links and attributions) than the configured minimum.",
    options={"min_sources": 1},
    doc="""
Why: development blogs make claims about programmes, money and people; a post that cites
nothing asks readers to take it on trust.

Sources are what `ddlens analyze` reports: every hyperlink except in-page anchors, and
prose attributions ("according to a 2019 GSMA report"). Runs the ddlens pipeline, so it
is slower than the other rules (spaCy is loaded once per run). Off by default:

    [tool.ddlens.rules]
    too-few-sources = { severity = "warning", min-sources = 2 }
""",
)
def too_few_sources(ctx: PostContext, analysis: "Analysis") -> Iterator[Finding]:
    n = len(analysis.sources)
    need = ctx.option("min_sources")
    if n < need:
        yield ctx.at(ctx.body_line, 1, f"post cites {n} source{'s' if n != 1 else ''}, fewer than {need}; link or name what it relies on")


@rule(
    "DDL018",
    "no-pillar",
    Severity.OFF,
    family="content",
    scope="analysis",
    needs="ddlens_pillars",
    summary="No transformation pillar (leadership, learning-by-doing, skills) is assigned to the post.",
    doc="""
Why: a blog about digital transformation may want each post to speak to at least one of
its pillars; ddlens assigns them from the text (see `ddlens analyze`).

Runs the ddlens pipeline up to the pillar classifier (spaCy is loaded once per run). Off
by default; enable it with `extend-select = ["DDL018"]`.

Fix: make the post's point about leadership, learning by doing or skills explicit, or
suppress the rule for posts that are not about transformation
(`<!-- ddlens: disable=DDL018 -->`).
""",
)
def no_pillar(ctx: PostContext, analysis: "Analysis") -> Iterator[Finding]:
    if any(p.assigned for p in analysis.pillars):
        return
    scored = sorted(analysis.pillars, key=lambda p: -p.score)
    near = f" (closest: {scored[0].id}, score {scored[0].score:.2f})" if scored else ""
    yield ctx.at(ctx.body_line, 1, f"no transformation pillar is assigned to this post{near}")

"""``ddlens_frameworks``: the named frameworks a post invokes, and candidates for unlisted ones.

The list of frameworks is data (``models/frameworks.jsonl``, one entry per line; users add
their own files with the same format). Each alias carries its own case rule: names match
case-insensitively, short ambiguous abbreviations ("CLA", "ToC", "DPI") case-sensitively.
Two ``PhraseMatcher`` objects (one on ``LOWER``, one on ``ORTH``) find every alias in one
pass each; a few context rules, applied only to the matches, then decide:

- ``use: "noun"`` aliases are also ordinary adjectives ("agile organisations", "a lean
  budget"); they count when a methodology noun follows ("agile project management", "the
  Agile movement") or when they stand as a noun ("we moved to Scrum and Agile"), never after
  a copula or degree word ("be agile", "more agile").
- ``use: "head"`` aliases count only before one of their ``heads`` ("most significant change
  technique").
- ``use: "context"`` aliases (the nine Principles for Digital Development, which are also
  everyday phrases) count when written with a capital or when "principle(s)" is in the
  same sentence.

Overlapping mentions resolve to the most specific entry: the longest span wins, and on equal
spans a child entry beats its parent. ``exclude`` phrases of an entry block it
("Digital Public Goods Alliance" is an organisation, not the framework).

Unlisted frameworks are discovered as a capitalised multi-word name before a head noun
("the Lean Research Framework", "the Four Rs approach"), reported with category
``"candidate"``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from spacy.language import Language
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from ..analysis import Evidence, Framework
from ..extensions import line_of, register_extensions
from ..resources import model_path
from ..textutil import clean_sentence
from .base import StatelessComponent

__all__ = [
    "CATEGORIES",
    "Alias",
    "Entry",
    "PatternsError",
    "FrameworkFinder",
    "load_patterns",
    "merge_entries",
    "candidate_record",
    "slugify",
]

CATEGORIES = ("methodology", "principles", "standard", "regulation", "strategy", "model", "evaluation")
CANDIDATE = "candidate"
USES = ("name", "noun", "head", "context", "cooccur")
CASES = ("insensitive", "sensitive")
_ENTRY_KEYS = {"id", "name", "category", "parent", "aliases", "exclude", "mentions", "posts", "example", "note"}
_ALIAS_KEYS = {"text", "case", "use", "heads", "context", "not_before", "not_after"}
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class PatternsError(ValueError):
    """A bad frameworks patterns file. ``str()`` is one line: ``path:line: reason``."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Alias:
    text: str
    sensitive: bool
    use: str = "name"
    heads: tuple[tuple[str, ...], ...] = ()
    context: tuple[str, ...] = ()
    not_before: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "case": "sensitive" if self.sensitive else "insensitive"}
        if self.use != "name":
            d["use"] = self.use
        if self.heads:
            d["heads"] = [" ".join(h) for h in self.heads]
        if self.context:
            d["context"] = list(self.context)
        if self.not_before:
            d["not_before"] = sorted(self.not_before)
        if self.not_after:
            d["not_after"] = sorted(self.not_after)
        return d


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    category: str
    aliases: tuple[Alias, ...]
    parent: str | None = None
    exclude: tuple[str, ...] = ()
    origin: str = field(default="", compare=False)  # "path:line", for messages


def slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "").replace("’", "")).strip("-")
    return s or "framework"


# -- loading ----------------------------------------------------------------------------------
def _str_list(value: Any, what: str, path: str, line: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise PatternsError(path, f"{what} must be a list of non-empty strings", line)
    return [x.strip() for x in value]


def _alias(raw: Any, path: str, line: int, default_case: str) -> Alias:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise PatternsError(path, "each alias must be a string or an object with \"text\"", line)
    unknown = set(raw) - _ALIAS_KEYS
    if unknown:
        raise PatternsError(path, f"unknown alias key(s): {', '.join(sorted(unknown))}", line)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise PatternsError(path, "alias \"text\" must be a non-empty string", line)
    case = raw.get("case", default_case)
    if case not in CASES:
        raise PatternsError(path, f"alias {text!r}: case must be one of {', '.join(CASES)}, not {case!r}", line)
    use = raw.get("use", "name")
    if use not in USES:
        raise PatternsError(path, f"alias {text!r}: use must be one of {', '.join(USES)}, not {use!r}", line)
    heads = tuple(tuple(h.lower().split()) for h in _str_list(raw.get("heads"), "heads", path, line))
    context = tuple(_str_list(raw.get("context"), "context", path, line))
    if use == "cooccur" and not context:
        raise PatternsError(path, f"alias {text!r}: use \"cooccur\" needs a \"context\" list", line)
    return Alias(
        context=context,
        text=" ".join(text.split()),
        sensitive=case == "sensitive",
        use=use,
        heads=heads,
        not_before=frozenset(_str_list(raw.get("not_before"), "not_before", path, line)),
        not_after=frozenset(_str_list(raw.get("not_after"), "not_after", path, line)),
    )


def _entry(obj: Any, path: str, line: int) -> Entry:
    if not isinstance(obj, dict):
        raise PatternsError(path, "each line must be a JSON object", line)
    unknown = set(obj) - _ENTRY_KEYS
    if unknown:
        raise PatternsError(path, f"unknown key(s): {', '.join(sorted(unknown))}", line)
    name = obj.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PatternsError(path, "\"name\" must be a non-empty string", line)
    fid = obj.get("id", slugify(name))
    if not isinstance(fid, str) or not _ID.match(fid):
        raise PatternsError(path, f"\"id\" must be lowercase letters, digits, '.', '_' or '-', not {fid!r}", line)
    category = obj.get("category")
    if category not in CATEGORIES + (CANDIDATE,):
        raise PatternsError(path, f"\"category\" must be one of {', '.join(CATEGORIES + (CANDIDATE,))}, not {category!r}", line)
    parent = obj.get("parent")
    if parent is not None and not isinstance(parent, str):
        raise PatternsError(path, "\"parent\" must be an id (a string)", line)
    raw_aliases = obj.get("aliases")
    if raw_aliases is None:
        raw_aliases = [{"text": name}]
    if not isinstance(raw_aliases, list) or not raw_aliases:
        raise PatternsError(path, "\"aliases\" must be a non-empty list", line)
    aliases = tuple(_alias(a, path, line, "insensitive") for a in raw_aliases)
    return Entry(
        id=fid,
        name=" ".join(name.split()),
        category=category,
        aliases=aliases,
        parent=parent,
        exclude=tuple(_str_list(obj.get("exclude"), "exclude", path, line)),
        origin=f"{path}:{line}",
    )


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, size: int) -> tuple[Entry, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except UnicodeDecodeError:
        raise PatternsError(path, "not UTF-8 text") from None
    out: list[Entry] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s.startswith("#") or s.startswith("//"):
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise PatternsError(path, f"invalid JSON: {exc.msg} (column {exc.colno})", n) from None
        entry = _entry(obj, path, n)
        if entry.id in seen:
            raise PatternsError(path, f"duplicate id {entry.id!r} (first on line {seen[entry.id]})", n)
        seen[entry.id] = n
        out.append(entry)
    return tuple(out)


def load_patterns(path: str | os.PathLike[str]) -> tuple[Entry, ...]:
    """The entries of one patterns file (JSONL). Raises :class:`PatternsError` (one line)."""
    p = str(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise PatternsError(p, exc.strerror or "cannot read file") from None
    if os.path.isdir(p):
        raise PatternsError(p, "is a folder, not a patterns file")
    try:
        return _load_cached(p, st.st_mtime_ns, st.st_size)
    except OSError as exc:
        raise PatternsError(p, exc.strerror or "cannot read file") from None


def merge_entries(groups: Iterable[Sequence[Entry]]) -> list[Entry]:
    """Entries of several files in order; a later entry with the same id replaces an earlier
    one. Every parent must name an entry."""
    by_id: dict[str, Entry] = {}
    for group in groups:
        for e in group:
            by_id[e.id] = e
    for e in by_id.values():
        if e.parent is not None and e.parent not in by_id:
            path, _, line = e.origin.rpartition(":")
            raise PatternsError(path or e.origin, f"{e.id}: unknown parent {e.parent!r}", int(line) if line.isdigit() else None)
        seen = {e.id}
        p = e.parent
        while p is not None:
            if p in seen:
                path, _, line = e.origin.rpartition(":")
                raise PatternsError(path, f"{e.id}: parent chain loops back to {p!r}", int(line) if line.isdigit() else None)
            seen.add(p)
            p = by_id[p].parent
    return list(by_id.values())


@lru_cache(maxsize=4)
def _rules(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    out: dict[str, Any] = {}
    for key in ("noun_heads",):
        out[key] = tuple(sorted({tuple(h.split()) for h in raw[key]}, key=lambda t: (-len(t), t)))
    out["noun_head_set"] = frozenset(out["noun_heads"])
    for key in ("modified_nouns", "not_noun_before", "copulas", "function_after", "context_words", "candidate_heads",
                "candidate_connectors", "candidate_skip"):
        out[key] = frozenset(raw[key])
    return out


def _variants(text: str, sensitive: bool) -> list[str]:
    """Spelling variants matched as the same alias: straight/curly apostrophe; for
    case-insensitive aliases also hyphen/space and with/without the Oxford comma."""
    out = {text}
    for t in list(out):
        out.add(t.replace("'", "’"))
        out.add(t.replace("’", "'"))
    if not sensitive:
        for t in list(out):
            if t.count("-") == 1:  # "human-centered design"; not "do-no-harm" (its spaced form is everyday English)
                out.add(re.sub(r"(?<=\w)-(?=\w)", " ", t))
            if ", and " in t:
                out.add(t.replace(", and ", " and "))
            elif " and " in t and "," in t:
                out.add(t.replace(" and ", ", and "))
    return sorted(out)


# -- matching ---------------------------------------------------------------------------------
@dataclass
class _Rule:
    entry: Entry | None  # None for candidate heads
    alias: Alias | None
    kind: str  # "alias" | "exclude" | "head"
    depth: int = 0


@dataclass
class _Mention:
    start: int
    end: int
    entry: Entry
    depth: int


def _has_word(text: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text) is not None


def _is_cap(text: str) -> bool:
    return text[:1].isupper()


def _doc_text(doc: Doc) -> str:
    """The Doc's text: its Article's (the text it was made from) when it has one, as
    ``Doc.text`` is rebuilt token by token."""
    article = doc._.article
    return article.text if article is not None else doc.text


class FrameworkFinder(StatelessComponent):
    """Finds named frameworks (and candidates) in a Doc; sets ``doc._.frameworks`` and
    ``doc._.framework_spans``."""

    def __init__(
        self,
        nlp: Language,
        name: str = "ddlens_frameworks",
        patterns: Sequence[str] = (),
        include_default: bool = True,
        candidates: bool = True,
        max_evidence: int = 3,
        rules: str | None = None,
    ) -> None:
        register_extensions()
        self.name = name
        self.candidates = candidates
        self.max_evidence = max(1, int(max_evidence))
        groups: list[Sequence[Entry]] = []
        if include_default:
            groups.append(load_patterns(model_path("frameworks.jsonl")))
        for p in patterns or ():
            groups.append(load_patterns(p))
        self.entries = merge_entries(groups)
        self.by_id = {e.id: e for e in self.entries}
        self.rules = _rules(str(rules or model_path("framework_rules.json")))
        self.tokenizer = nlp.tokenizer
        self._build(nlp)

    def _depth(self, e: Entry) -> int:
        d, p = 0, e.parent
        while p is not None:
            d += 1
            p = self.by_id[p].parent
        return d

    def _build(self, nlp: Language) -> None:
        # One PhraseMatcher on LOWER finds every alias, case-sensitive ones too: a match of a
        # case-sensitive alias counts only if its tokens' ORTH is one of the alias's spellings,
        # which is exactly what a second matcher on ORTH would find, for one pass over the Doc.
        vocab = nlp.vocab
        self.lower = PhraseMatcher(vocab, attr="LOWER")
        self.cased: dict[int, frozenset[tuple[int, ...]]] = {}  # key -> ORTH sequences it must match
        self.keys: dict[int, _Rule] = {}
        lower_pats: dict[str, list[str]] = {}
        orth_pats: dict[str, list[str]] = {}
        for e in self.entries:
            depth = self._depth(e)
            for i, a in enumerate(e.aliases):
                key = f"ddlens_fw:{e.id}:{i}"
                self.keys[vocab.strings.add(key)] = _Rule(e, a, "alias", depth)
                (orth_pats if a.sensitive else lower_pats)[key] = _variants(a.text, a.sensitive)
            for i, x in enumerate(e.exclude):
                key = f"ddlens_fw_x:{e.id}:{i}"
                self.keys[vocab.strings.add(key)] = _Rule(e, None, "exclude", depth)
                lower_pats[key] = _variants(x, False)
        if self.candidates:
            key = "ddlens_fw_head"
            self.keys[vocab.strings.add(key)] = _Rule(None, None, "head")
            lower_pats[key] = sorted(self.rules["candidate_heads"])
        for pats, cased in ((lower_pats, False), (orth_pats, True)):
            keys = list(pats)
            texts = [t for k in keys for t in pats[k]]
            docs = list(nlp.tokenizer.pipe(texts))
            pos = 0
            for k in keys:
                n = len(pats[k])
                self.lower.add(k, docs[pos : pos + n])
                if cased:
                    self.cased[vocab.strings[k]] = frozenset(tuple(t.orth for t in d) for d in docs[pos : pos + n])
                pos += n

    # -- context rules -------------------------------------------------------------------------
    @staticmethod
    def _sent_start(doc: Doc, i: int) -> bool:
        if i == 0:
            return True
        flag = doc[i].is_sent_start
        if flag is not None:
            return bool(flag)
        prev = doc[i - 1]
        return prev.is_space or prev.text in {".", "!", "?", ":"} or "\n" in prev.whitespace_

    @staticmethod
    def _heads_follow(doc: Doc, end: int, heads: Sequence[tuple[str, ...]] | frozenset[tuple[str, ...]]) -> bool:
        """One of ``heads`` (word tuples; a list, or a set for many) follows ``end``."""
        if end >= len(doc):
            return False
        following = [t.lower_ for t in doc[end : min(len(doc), end + 4)]]
        if following and following[0] in ("'s", "’s"):
            following = following[1:]  # "Kirkpatrick's framework"
        if isinstance(heads, frozenset):  # the same test: is some prefix of `following` a head?
            return any(tuple(following[:n]) in heads for n in range(len(following) + 1))
        return any(tuple(following[: len(h)]) == h for h in heads)

    def _caps_follow(self, doc: Doc, end: int, n: int) -> bool:
        """The next ``n`` tokens are capitalised words on the same line (a name goes on)."""
        if end + n > len(doc):
            return False
        for j in range(end, end + n):
            t = doc[j]
            if not (t.is_alpha and _is_cap(t.text)) or "\n" in doc[j - 1].whitespace_ or self._sent_start(doc, j):
                return False
            if t.lower_ in self.rules["function_after"]:
                return False
        return True

    def _prev_word(self, doc: Doc, start: int) -> str | None:
        if start == 0 or self._sent_start(doc, start):
            return None
        t = doc[start - 1]
        return None if t.is_space else t.text

    def _sentence_has(self, doc: Doc, start: int, words: frozenset[str]) -> bool:
        if doc.has_annotation("SENT_START"):
            sent = doc[start].sent
            return any(t.lower_ in words for t in sent)
        lo, hi = max(0, start - 40), min(len(doc), start + 40)
        return any(t.lower_ in words for t in doc[lo:hi])

    def _accept(self, doc: Doc, start: int, end: int, a: Alias) -> bool:
        prev = self._prev_word(doc, start)
        if a.not_after and prev is not None and prev in a.not_after:
            return False
        nxt = doc[end] if end < len(doc) else None
        if a.not_before and nxt is not None and nxt.text in a.not_before:
            return False
        if a.use == "name":
            return True
        R = self.rules
        if a.use == "cooccur":
            # "the Digital Strategy" in a post about USAID; not "DFID's Digital Strategy",
            # not "a Digital Strategy Support Specialist"
            if self._caps_follow(doc, end, 1):
                return False
            if prev in ("'s", "’s") and start >= 2 and doc[start - 2].text not in a.context:
                return False
            text = _doc_text(doc)
            return any(_has_word(text, w) for w in a.context)
        if a.use == "noun" and self._caps_follow(doc, end, 2):
            return False  # inside a longer name ("Agile Development Group")
        heads = a.heads or R["noun_head_set"]
        if self._heads_follow(doc, end, heads):
            return True
        if a.use == "head":
            return False
        if a.use == "context":
            words = frozenset(w.lower() for w in a.context) if a.context else R["context_words"]
            return _is_cap(doc[start].text) or self._sentence_has(doc, start, words)
        # use == "noun": an ordinary adjective unless it stands as a name
        nxt_word = nxt is not None and not nxt.is_punct and not nxt.is_space and "\n" not in doc[end - 1].whitespace_
        if nxt_word and nxt is not None:
            if nxt.lower_ in R["modified_nouns"]:
                return False
            if _is_cap(nxt.text) and nxt.lower_ not in R["function_after"]:
                return False  # part of a longer name ("Lean Research", "Lean HCD")
        if _is_cap(doc[start].text) and not self._sent_start(doc, start):
            # a capital mid-sentence marks a name ("an Agile contract"), but not after a copula
            return prev is None or prev.lower() not in R["copulas"]
        if prev is not None and prev.lower() in R["not_noun_before"]:
            return False
        if not nxt_word or (nxt is not None and nxt.lower_ in R["function_after"]):
            return True
        return False

    # -- candidates ------------------------------------------------------------------------------
    def _candidate(self, doc: Doc, h: int, taken: bytearray) -> tuple[int, int] | None:
        """The span of a capitalised name ending with (or just before) the head noun at ``h``."""
        R = self.rules
        conn = R["candidate_connectors"]
        i = h
        while i > 0 and not self._sent_start(doc, i):
            t = doc[i - 1]
            if "\n" in t.whitespace_ or t.is_space:
                break
            tx = t.text
            if (_is_cap(tx) and any(c.isalpha() for c in tx)) or t.like_num:
                i -= 1
            elif tx.lower() in conn and i - 1 > 0 and (_is_cap(doc[i - 2].text) or doc[i - 2].like_num):
                i -= 1
            else:
                break
        left = i
        # a sentence-initial verb or preposition before a connector is not part of the name
        # ("Modifying the Boot Camp Model", "Sharing Business Model")
        if left < h and self._sent_start(doc, left) and (
            (left + 1 < h and doc[left + 1].lower_ in conn) or doc[left].lower_.endswith("ing")
        ):
            left += 1
        # trim determiners, stop words (not number words: "Four Rs") and generic words at the left edge
        while left < h and (
            (doc[left].lower_ in STOP_WORDS and not doc[left].like_num)
            or doc[left].lower_ in R["candidate_skip"]
            or doc[left].lower_ in conn
        ):
            left += 1
        if left >= h:
            return None
        # the head is not the end of the name ("National Institute of Standards and Technology")
        nxt = h + 1
        if nxt < len(doc) and doc[nxt].lower_ in conn and doc[nxt].text != "-" and nxt + 1 < len(doc):
            nxt += 1
        if nxt < len(doc) and _is_cap(doc[nxt].text) and doc[nxt].is_alpha and "\n" not in doc[h].whitespace_:
            return None
        head_cap = _is_cap(doc[h].text)
        caps = sum(
            1
            for j in range(left, h)
            if (_is_cap(doc[j].text) or doc[j].like_num) and doc[j].lower_ not in conn and not (j == left and self._sent_start(doc, j))
        )
        if caps + (1 if head_cap else 0) < 2:
            return None
        if any(taken[j] for j in range(left, h + 1)):
            return None
        # headings in title case capitalise every word: not evidence of a name
        lo, hi = self._sentence_bounds(doc, h)
        if self._is_heading(doc, lo, hi):
            words = [t for t in doc[lo:hi] if t.is_alpha and t.lower_ not in STOP_WORDS]
            if len(words) >= 3 and sum(_is_cap(t.text) for t in words) >= 0.8 * len(words):
                return None
        return left, h + 1

    @staticmethod
    def _is_heading(doc: Doc, lo: int, hi: int) -> bool:
        """A Markdown heading of the post's Article; without one, a block with no final stop."""
        article = doc._.article
        if article is not None and getattr(article, "headings", None) is not None:
            line = line_of(doc, doc[lo].idx)
            return any(hd.line == line for hd in article.headings)
        last = next((t for t in reversed(doc[lo:hi]) if not t.is_space), None)
        return last is not None and last.text not in (".", "!", "?", ":", ";")

    def _sentence_bounds(self, doc: Doc, i: int) -> tuple[int, int]:
        if doc.has_annotation("SENT_START"):
            sent = doc[i].sent
            return sent.start, sent.end
        lo = i
        while lo > 0 and not self._sent_start(doc, lo):
            lo -= 1
        hi = i + 1
        while hi < len(doc) and not self._sent_start(doc, hi):
            hi += 1
        return lo, hi

    # -- the component ---------------------------------------------------------------------------
    def find(self, doc: Doc, candidates: bool = True) -> tuple[list[_Mention], list[tuple[int, int]]]:
        """Accepted mentions (non-overlapping) and candidate spans."""
        items: list[tuple[int, int, int, Entry]] = []  # (start, end, depth, entry)
        blocks: list[tuple[int, int, str]] = []  # an entry's exclude phrases block that entry only
        heads: list[int] = []
        cased = self.cased
        for key, start, end in self.lower(doc):
            spellings = cased.get(key)
            if spellings is not None and tuple(doc[i].orth for i in range(start, end)) not in spellings:
                continue  # a case-sensitive alias written in another case
            rule = self.keys[key]
            if rule.kind == "head":
                heads.append(start)
            elif rule.kind == "exclude":
                assert rule.entry is not None
                blocks.append((start, end, rule.entry.id))
            else:
                assert rule.entry is not None and rule.alias is not None
                if self._accept(doc, start, end, rule.alias):
                    items.append((start, end, rule.depth, rule.entry))
        if blocks:
            items = [
                it for it in items if not any(b[2] == it[3].id and b[0] < it[1] and it[0] < b[1] for b in blocks)
            ]
        # longest first; on equal spans the deeper (more specific) entry
        items.sort(key=lambda x: (-(x[1] - x[0]), -x[2], x[0], x[3].id))
        taken = bytearray(len(doc) + 1)
        mentions: list[_Mention] = []
        for start, end, depth, entry in items:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            mentions.append(_Mention(start, end, entry, depth))
        for start, end, _ in blocks:  # excluded names are not candidates either
            taken[start:end] = b"\x01" * (end - start)
        mentions.sort(key=lambda m: m.start)
        mentions = self._merge_parenthetical(doc, mentions)
        cands: list[tuple[int, int]] = []
        if self.candidates and candidates:
            for h in sorted(set(heads)):
                if taken[h]:
                    continue
                span = self._candidate(doc, h, taken)
                if span is not None:
                    cands.append(span)
        return mentions, cands

    @staticmethod
    def _merge_parenthetical(doc: Doc, mentions: list[_Mention]) -> list[_Mention]:
        """"Problem-Driven Iterative Adaptation (PDIA)" is one mention, not two."""
        out: list[_Mention] = []
        for m in mentions:
            if out:
                p = out[-1]
                if (
                    p.entry.id == m.entry.id
                    and m.start == p.end + 1
                    and doc[p.end].text in ("(", "[")
                    and m.end < len(doc)
                    and doc[m.end].text in (")", "]")
                ):
                    continue
            out.append(m)
        return out

    def _evidence(self, doc: Doc, spans: list[tuple[int, int]], full: str | None = None) -> tuple[Evidence, ...]:
        """Up to ``max_evidence`` sentences (or lines) with a mention. ``full``: the Doc's
        text, if at hand (``Doc.text`` and ``Span.text`` are rebuilt token by token; slicing
        the text at the span's characters gives the same string)."""
        out: list[Evidence] = []
        seen: set[int] = set()
        has_sents = doc.has_annotation("SENT_START")
        if full is None:
            full = _doc_text(doc)
        for start, end in spans:
            if has_sents:
                sent = doc[start].sent
                key, text = sent.start, full[sent.start_char : sent.end_char]
            else:
                idx = doc[start].idx
                lo = full.rfind("\n", 0, idx) + 1
                hi = full.find("\n", idx)
                key, text = lo, full[lo : hi if hi >= 0 else len(full)]
            if key in seen:
                continue
            seen.add(key)
            out.append(Evidence(text=clean_sentence(text), line=line_of(doc, doc[start].idx)))
            if len(out) >= self.max_evidence:
                break
        return tuple(out)

    def _title_mentions(self, doc: Doc) -> tuple[dict[str, int], Evidence | None]:
        """Mentions in the post's title (front matter), which is not part of ``doc.text``."""
        article = doc._.article
        title = getattr(article, "title", None) if article is not None else None
        if not title:
            return {}, None
        tdoc = self.tokenizer(" ".join(title.split()))
        counts: dict[str, int] = {}
        for m in self.find(tdoc, candidates=False)[0]:
            counts[m.entry.id] = counts.get(m.entry.id, 0) + 1
        if not counts:
            return {}, None
        return counts, Evidence(text=clean_sentence(tdoc.text), line=_title_line(article))

    def __call__(self, doc: Doc) -> Doc:
        mentions, cands = self.find(doc)
        title_counts, title_ev = self._title_mentions(doc)
        groups: dict[str, list[tuple[int, int]]] = {fid: [] for fid in title_counts}
        for m in mentions:
            groups.setdefault(m.entry.id, []).append((m.start, m.end))
        found: list[Framework] = []
        full = _doc_text(doc) if groups or cands else ""
        for fid, spans in groups.items():
            e = self.by_id[fid]
            evidence = self._evidence(doc, spans, full)
            n_title = title_counts.get(fid, 0)
            if n_title and title_ev is not None:
                evidence = ((title_ev,) + evidence)[: self.max_evidence]
            found.append(Framework(name=e.name, category=e.category, mentions=len(spans) + n_title, evidence=evidence))
        spans_out: list[Span] = [Span(doc, m.start, m.end, label=m.entry.id) for m in mentions]
        if cands:
            cgroups: dict[str, list[tuple[int, int]]] = {}
            names: dict[str, list[str]] = {}
            for start, end in cands:
                text = " ".join(doc[start:end].text.split())
                key = candidate_key(text)
                cgroups.setdefault(key, []).append((start, end))
                names.setdefault(key, []).append(text)
                spans_out.append(Span(doc, start, end, label=f"candidate:{slugify(key)}"))
            for key, spans in cgroups.items():
                found.append(
                    Framework(name=_most_common(names[key]), category=CANDIDATE, mentions=len(spans), evidence=self._evidence(doc, spans, full))
                )
        found.sort(key=lambda f: (f.category == CANDIDATE, -f.mentions, f.name.lower(), f.name))
        spans_out.sort(key=lambda s: (s.start, s.end))
        doc._.frameworks = found
        doc._.framework_spans = spans_out
        return doc



_TITLE_KEY = re.compile(r"^title\s*:", re.M)


def _title_line(article: Any) -> int:
    """1-based line of the ``title:`` key in the front matter (1 when it cannot be found)."""
    source = getattr(article, "source", "") or ""
    m = _TITLE_KEY.search(source, 0, getattr(article, "body_offset", len(source)) or len(source))
    return source.count("\n", 0, m.start()) + 1 if m else 1


def _most_common(names: list[str]) -> str:
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return sorted(counts, key=lambda n: (-counts[n], names.index(n)))[0]


def candidate_key(name: str) -> str:
    """Grouping key of a candidate name: lowercase, curly quotes straightened, last word singular."""
    words = name.lower().replace("’", "'").split()
    if words:
        w = words[-1]
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith(("ches", "shes", "sses", "xes")):
            w = w[:-2]
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
            w = w[:-1]
        words[-1] = w
    return " ".join(words)


def candidate_record(name: str, mentions: int, posts: int) -> dict[str, Any]:
    """A candidate as one line of a patterns file (plus its counts), ready to edit and reuse."""
    return {
        "id": slugify(name),
        "name": name,
        "category": CANDIDATE,
        "aliases": [{"text": name, "case": "insensitive"}],
        "mentions": mentions,
        "posts": posts,
    }


@Language.factory(
    "ddlens_frameworks",
    default_config={"patterns": [], "include_default": True, "candidates": True, "max_evidence": 3},
)
def make_frameworks(
    nlp: Language,
    name: str,
    patterns: list[str],
    include_default: bool,
    candidates: bool,
    max_evidence: int,
) -> FrameworkFinder:
    return FrameworkFinder(
        nlp,
        name,
        patterns=[str(Path(p)) for p in patterns],
        include_default=include_default,
        candidates=candidates,
        max_evidence=max_evidence,
    )

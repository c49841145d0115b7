"""``ddlens_sources``: the sources a post cites, as one list.

Two kinds of evidence, merged:

- **links**: every hyperlink of the post's Article (not images, not ``#anchors``), typed by
  :class:`ddlens.domains.DomainTable` (registered domain and ``source_type`` from data in
  ``models/``; relative URLs and configured site domains are ``internal``);
- **attributions**: prose cues ("according to X", "as X wrote", "a 2019 GSMA report",
  "in his book, *Title*, X", "“…,” said X" …) from ``models/attribution-patterns.yaml``.
  The cue words are spaCy Matcher patterns, run by :class:`ddlens.tokenpatterns.TokenPatterns`
  (vectorised, equal to spaCy's Matcher, ~100x faster); names and titles are read by a bounded,
  linear scanner from capitalisation and punctuation, from a link anchored exactly on the
  name, or — when the pipeline has an entity recogniser (``--spacy-model``) — from its
  PERSON / ORG / WORK_OF_ART entities. Nothing can backtrack: each cue costs at most
  ``max_name_tokens`` steps.

An attribution and a link anchored on the same phrase (else the nearest one in the same
sentence) become one source, ``kind: "attribution"``, with both a name and a URL.

Config (``ddlens.load(config={"ddlens_sources": {...}})``):
``site_domains`` (hosts whose links are internal), ``patterns`` / ``domains`` (paths to
your own data files), ``entity_labels``, ``max_name_tokens``.
"""

from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import yaml
from spacy.attrs import IDS
from spacy.language import Language
from spacy.strings import hash_string
from spacy.tokens import Doc, Span

from ..analysis import Source
from ..domains import DomainTable, LinkInfo, normalise_site_domain
from ..extensions import register_extensions
from ..resources import model_path
from ..textutil import doc_text
from ..tokenpatterns import HashIndex, PatternError, TokenPatterns
from .base import BatchComponent

__all__ = ["SourceFinder", "AttributionPatterns", "Pattern", "make_sources"]

DEFAULT_ENTITY_LABELS = ("PERSON", "ORG", "WORK_OF_ART")
# entity labels that say a capitalised run is not a source (a place, a date, a number …)
_NOT_SOURCE_LABELS = frozenset({"GPE", "LOC", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"})
_CONFIRMS = frozenset({"quote", "year", "link", "link_sentence", "verb_after", "multiword"})
_SLOTS = frozenset({"name", "title", "marked_title"})
_QUOTE_CHARS = '"“”«»'
_OPEN_QUOTES = {"“": "”", '"': '"', "‘": "’", "«": "»", "'": "'"}
_EMPHASIS = "*_"
_STRIP = " \t\n,.;:!?()[]“”\"'‘’*_"
_TITLE_SMALL = frozenset("a an the of in on for to and by with at from is are or vs versus".split())
_TITLE_LEADS = frozenset({",", ":", "the", "titled", "entitled", "called", "—", "-", "it", "in"})
_MAX_TITLE_TOKENS = 40
_MAX_APPOSITIVE = 18
_APPOSITIVE_STOP = frozenset({".", ";", ":", "!", "?", "“", "”", '"'})
# a left-scan name right after one of these is an object or a place, not who is speaking
_NOT_SUBJECT_BEFORE = frozenset("in at from near to for with on across around outside inside within into".split())
_POSSESSIVES = frozenset({"'s", "’s", "'", "’"})
_LONG_SENTENCE = 1000
_YEAR_MIN, _YEAR_MAX = 1800, 2099
_ABBREV_END = re.compile(r"(?:^|[\s.])(?:[A-Z]\.)+$|(?:Jr|Sr|Inc|Ltd|Co|Corp|St)\.$")
_CLASSIFIED_MAX = 20_000
_WORK_NOUNS = frozenset("essay article book paper guide review study report piece post blog chapter".split())


# -- the pattern data ----------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    id: str
    order: int
    left: tuple[dict[str, Any], ...]
    right: tuple[dict[str, Any], ...]
    slots: tuple[str, ...] = ("name",)
    confirm: frozenset[str] = frozenset()
    reject_places: bool = False
    title_after: str | None = None  # None | "marked" | "plain"
    requires_title: bool = False
    title_before: str | None = None  # None | "required" | "optional"
    appositive: bool = False
    lowercase_anchor: bool = False
    object_ok: bool = False  # a left-scan name may follow a preposition ("from IDEO.org's …")
    venue: bool = False  # the name is where a work appeared ("a piece in the Harvard Business Review")
    not_after: frozenset[str] = frozenset()  # words that may not precede the cue ("such as")
    skip_bylines: bool = False  # "This guest post was written by …" credits the post, cites nothing


@dataclass(frozen=True)
class AttributionPatterns:
    """The contents of ``attribution-patterns.yaml``: patterns and the word lists they use."""

    patterns: tuple[Pattern, ...]
    verbs: frozenset[str]
    not_names: frozenset[str]
    connectors: frozenset[str]
    places: frozenset[str]
    title_words: frozenset[str] = frozenset()
    modifier_heads: frozenset[str] = frozenset()
    name_heads: frozenset[str] = frozenset()
    name_leads: frozenset[str] = frozenset()
    group_nouns: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: str | Path | None = None) -> "AttributionPatterns":
        return _load_patterns(str(path or model_path("attribution-patterns.yaml")))


def _lower_set(items: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(x).lower() for x in items)


_PATTERN_KEYS = frozenset(
    "id doc left right slots confirm reject_places title_after requires_title title_before appositive "
    "lowercase_anchor object_ok venue not_after skip_bylines".split()
)


def _title_before_mode(value: Any, where: str) -> str | None:
    if value in (None, False):
        return None
    if value is True or value == "required":
        return "required"
    if value == "optional":
        return "optional"
    raise ValueError(f"{where}: title_before must be required or optional")


@lru_cache(maxsize=8)
def _load_patterns(path: str) -> AttributionPatterns:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    vocab = data.get("vocab") or {}
    out: list[Pattern] = []
    seen: set[str] = set()
    for order, raw in enumerate(data.get("patterns") or []):
        where = f"{path}: patterns[{order}]"
        if not isinstance(raw, dict) or not raw.get("id"):
            raise ValueError(f"{where}: each pattern needs an id")
        pid = str(raw["id"])
        where = f"{where} ({pid})"
        if pid in seen:
            raise ValueError(f"{where}: duplicate pattern id")
        seen.add(pid)
        unknown = set(raw) - _PATTERN_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}")
        left = tuple(raw.get("left") or ())
        right = tuple(raw.get("right") or ())
        slots = tuple(raw.get("slots") or ("name",))
        confirm = frozenset(raw.get("confirm") or ())
        title_after = raw.get("title_after")
        if title_after is True:
            title_after = "marked"
        if not left and not right:
            raise ValueError(f"{where}: needs a left or a right part")
        if set(slots) - _SLOTS:
            raise ValueError(f"{where}: unknown slot(s) {sorted(set(slots) - _SLOTS)}")
        if not left and slots != ("name",):
            raise ValueError(f"{where}: without a left part the only slot can be a name")
        if confirm - _CONFIRMS:
            raise ValueError(f"{where}: unknown confirm value(s) {sorted(confirm - _CONFIRMS)}")
        if title_after not in (None, False, "marked", "plain"):
            raise ValueError(f"{where}: title_after must be marked or plain")
        for tok in left + right:
            if not isinstance(tok, dict) or not tok:
                raise ValueError(f"{where}: each token pattern must be a non-empty mapping")
            if str(tok.get("OP", "?")) not in ("?", "!", "1"):
                # unbounded operators (*, +, {n,}) are what lets a pattern run away on long input
                raise ValueError(f"{where}: only the '?' and '!' operators are allowed")
        out.append(
            Pattern(
                id=pid,
                order=order,
                left=left,
                right=right,
                slots=slots,
                confirm=confirm,
                reject_places=bool(raw.get("reject_places", False)),
                title_after=title_after or None,
                requires_title=bool(raw.get("requires_title", False)),
                title_before=_title_before_mode(raw.get("title_before"), where),
                appositive=bool(raw.get("appositive", False)),
                lowercase_anchor=bool(raw.get("lowercase_anchor", False)),
                object_ok=bool(raw.get("object_ok", False)),
                venue=bool(raw.get("venue", False)),
                not_after=_lower_set(raw.get("not_after") or ()),
                skip_bylines=bool(raw.get("skip_bylines", False)),
            )
        )
    return AttributionPatterns(
        patterns=tuple(out),
        verbs=_lower_set(vocab.get("verbs") or ()),
        not_names=frozenset(str(x) for x in data.get("not_names") or ()),
        connectors=_lower_set(data.get("connectors") or ()),
        places=frozenset(str(x) for x in data.get("places") or ()),
        title_words=_lower_set(data.get("title_words") or ()),
        modifier_heads=_lower_set(data.get("modifier_heads") or ()),
        name_heads=_lower_set(data.get("name_heads") or ()),
        name_leads=_lower_set(data.get("name_leads") or ()),
        group_nouns=_lower_set(data.get("group_nouns") or ()),
    )


# -- per-document helpers ------------------------------------------------------------------

@dataclass
class _Cues:
    """One pattern's cues in a batch of docs, in the docs' own token indices: doc ``i``'s
    left parts are items ``l_cut[i]`` to ``l_cut[i + 1]`` of ``left_ends`` / ``left_starts``
    (``l_cut`` None: the pattern has no left part), its right parts (per start, the longest)
    items ``r_cut[i]`` to ``r_cut[i + 1]`` of ``right_starts`` / ``right_ends``.

    A few lists of ints per batch, sliced when a doc is read: the objects made per doc and
    pattern, all alive for the whole batch, got promoted to the oldest generation of
    Python's garbage collector and made its full collections (of everything the process
    holds, ~0.1 s in ddlens' pipeline) come more often."""

    pattern: Pattern
    l_cut: list[int] | None
    left_ends: list[int]
    left_starts: list[int]
    r_cut: list[int]
    right_starts: list[int]
    right_ends: list[int]


@dataclass
class _NameHit:
    start: int  # token span of the name
    end: int
    text: str
    quality: int  # 3 entity, 2 capitalised / capitalised link anchor, 1 lower-case link anchor


@dataclass
class _Candidate:
    pattern: Pattern
    start: int  # token span of the whole cue
    end: int
    name: _NameHit
    title: str | None = None
    year: int | None = None
    work_only: bool = False  # the "name" is the work itself (no author found on the cue)
    venue: bool = False  # the "name" is where a work appeared (dropped if the sentence names an author)
    year_skip: tuple[int, int] | None = None  # a descriptive appositive ("who directed it until 2019")

    @property
    def rank(self) -> tuple[int, int, int, int]:
        return (not self.work_only, self.name.quality, self.end - self.start, -self.pattern.order)


@dataclass
class _LinkRef:
    index: int
    start_char: int
    end_char: int
    tok_start: int
    tok_end: int
    text: str
    line: int
    info: LinkInfo
    used: bool = False


class _TokenTexts(dict):
    """Token texts by index, each made on first use (most tokens are never read: a list of
    them all cost more than the whole cue search). With a ``source``, the lower case of its
    texts (lowered one token at a time: far fewer are read than the text has)."""

    __slots__ = ("_text", "_idx", "_ends", "_source")

    def __init__(
        self, text: str, idx: Sequence[int], ends: Sequence[int], source: "_TokenTexts | None" = None
    ) -> None:
        super().__init__()
        self._text, self._idx, self._ends, self._source = text, idx, ends, source

    def __missing__(self, k: int) -> str:
        w = self._source[k].lower() if self._source is not None else self._text[self._idx[k] : self._ends[k]]
        self[k] = w
        return w

    def span(self, start: int, end: int) -> list[str]:
        """The texts of tokens ``start`` to ``end`` (exclusive), like a list slice."""
        if start < 0 or end < 0:
            return [self[k] for k in range(*slice(start, end).indices(len(self._idx)))]
        return [self[k] for k in range(start, min(end, len(self._idx)))]


# the token attributes the component reads, besides the matcher's columns: all of them come
# from one ``doc.to_array`` call per doc
_STATE_ATTRS = ("IDX", "LENGTH", "SENT_START", "ORTH", "LOWER", "IS_LOWER", "SHAPE")


def _hashes(words: Iterable[str]) -> np.ndarray:
    """The StringStore hashes of ``words`` (as spaCy's LOWER / ORTH columns hold them)."""
    return np.array(sorted(hash_string(w) for w in words), dtype=np.uint64)


def _int_array(values: np.ndarray) -> "array[int]":
    """``values`` as a compact sequence of Python ints: one copy of the bytes, where
    ``tolist()`` would make an int object per token (most are never read)."""
    out = array("q")
    out.frombytes(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    return out


@dataclass
class _DocState:
    """What the scanners need to know about one Doc, computed once: first what the batch's
    cue filters read (:meth:`SourceFinder._state`), the rest when the doc is read
    (:meth:`SourceFinder._read`). So the batch's docs do not all hold their objects (links,
    token texts) at once: fewer objects outlive Python's young garbage collections, and the
    full collections they lead to (of everything the process holds) come less often."""

    doc: Doc
    text: str  # doc.text, once: spaCy rebuilds it from the tokens on every access
    arr: np.ndarray  # doc.to_array(SourceFinder.attrs)
    col: dict[str, int]  # column of each attribute in ``arr``
    sent_starts: list[int] = field(default_factory=list)
    link_spans: list[tuple[int, int, int]] = field(default_factory=list)  # (link index, token start, end)
    links: list[_LinkRef] = field(default_factory=list)
    link_at_start: dict[int, _LinkRef] = field(default_factory=dict)
    link_at_end: dict[int, _LinkRef] = field(default_factory=dict)
    ent_at_start: dict[int, Span] = field(default_factory=dict)
    ent_at_end: dict[int, Span] = field(default_factory=dict)
    other_ents: dict[tuple[int, int], str] = field(default_factory=dict)
    quote_cache: dict[int, bool] = field(default_factory=dict)
    sentence_texts: dict[int, str] = field(default_factory=dict)  # by first token
    lower_words: np.ndarray | None = None  # ORTH of the lower-case tokens
    idx: Sequence[int] = field(default_factory=list)  # char offset of each token
    ends: Sequence[int] = field(default_factory=list)  # char offset just after each token
    # token texts and their lower case, by index (no spaCy Token objects: they cost ~1 µs each)
    words: _TokenTexts = field(default_factory=lambda: _TokenTexts("", [], []))
    lowers: _TokenTexts = field(default_factory=lambda: _TokenTexts("", [], []))
    _years: list[int] | None = None
    article: Any = None

    def __post_init__(self) -> None:
        self.article = self.doc._.article
        self.sent_starts = _sentence_starts(self.doc, self.arr[:, self.col["SENT_START"]])
        if len(self.arr):
            idx = self.arr[:, self.col["IDX"]].astype(np.int64)
            self.idx = _int_array(idx)
            self.ends = _int_array(idx + self.arr[:, self.col["LENGTH"]].astype(np.int64))

    def year_positions(self) -> list[int]:
        """Indices of the tokens that are years (1800-2099), computed once."""
        if self._years is None:
            # four decimal digits (of any script: int("٢٠١٩") == 2019) have the shape "dddd"
            # (spaCy's word_shape: a digit is "d", never a letter), so only those are read
            dddd = np.flatnonzero(self.arr[:, self.col["SHAPE"]] == _DDDD).tolist()
            self._years = [i for i in dddd if _is_year(self.words[i])]
        return self._years

    def line_of(self, char: int) -> int:
        """``extensions.line_of(doc, char)`` without going through ``doc._`` each time."""
        if self.article is not None:
            return self.article.line_of(char)
        return self.text.count("\n", 0, char) + 1

    def span_text(self, start: int, end: int) -> str:
        return self.text[self.idx[start] : self.ends[end - 1]] if end > start else ""

    def char_end(self, tok_end: int) -> int:
        return self.ends[tok_end - 1] if tok_end > 0 else 0

    def sentence_index(self, i: int) -> int:
        return bisect.bisect_right(self.sent_starts, i) - 1

    def sentence_bounds(self, i: int) -> tuple[int, int]:
        k = self.sentence_index(i)
        end = self.sent_starts[k + 1] if k + 1 < len(self.sent_starts) else len(self.doc)
        return self.sent_starts[k], end

    def has_quote(self, i: int) -> bool:
        k = self.sentence_index(i)
        got = self.quote_cache.get(k)
        if got is None:
            s, e = self.sentence_bounds(i)
            text = self.text[self.idx[s] : self.char_end(e)]
            got = any(q in text for q in _QUOTE_CHARS)
            self.quote_cache[k] = got
        return got

    def used_lowercase(self, word: str) -> bool:
        """Whether ``word`` occurs in lower case somewhere in the doc (so it is a common word)."""
        if self.lower_words is None:
            self.lower_words = self.arr[self.arr[:, self.col["IS_LOWER"]] != 0, self.col["ORTH"]]
        # a hash, not a lookup: no new string in the shared StringStore
        return bool((self.lower_words == np.uint64(hash_string(word.lower()))).any())


def _is_year(w: str) -> bool:
    return len(w) == 4 and w.isdecimal() and _YEAR_MIN <= int(w) <= _YEAR_MAX


_DDDD = np.uint64(hash_string("dddd"))  # the SHAPE of a year


def _sentence_starts(doc: Doc, sent_start: np.ndarray) -> list[int]:
    """``sent_start``: the doc's SENT_START column."""
    if not len(doc) or not doc.has_annotation("SENT_START"):
        return [0]
    starts = np.flatnonzero(sent_start == 1).tolist()
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return starts


def _tidy(text: str) -> str:
    """One line, without edge punctuation, but keeping an abbreviation's full stop (U.S., Jr.)."""
    t = " ".join(text.split()).strip(_STRIP.replace(".", ""))
    while t.endswith(".") and not _ABBREV_END.search(t):
        t = t[:-1].rstrip(_STRIP.replace(".", ""))
    return t


def _like_ordinal_or_year(w: str) -> bool:
    return w.isdigit() or (w[:-2].isdigit() and w[-2:].lower() in ("st", "nd", "rd", "th"))


def _is_cap(text: str) -> bool:
    if not text:
        return False
    c = text[0]
    if c.isupper():
        return True
    if c.isdigit():
        return any(ch.isupper() for ch in text) and any(ch.isalpha() for ch in text)  # 18F
    if c.islower():
        # iHub, mySociety; a word islower() (most words) has no upper-case letter at all
        return not text.islower() and text.isalnum() and any(ch.isupper() for ch in text[1:])
    return False


def _year_of(st: "_DocState", start: int, end: int) -> int | None:
    """The first year (1800-2099) among tokens ``start`` to ``end``."""
    years = st.year_positions()
    i = bisect.bisect_left(years, start)
    return int(st.words[years[i]]) if i < len(years) and years[i] < end else None


class _Batch:
    """A batch of docs laid end to end (:meth:`TokenPatterns.lay_out`: a gap row after each
    doc), and what the cue filters ask about it, in batch positions."""

    def __init__(self, states: Sequence[_DocState], col: dict[str, int]) -> None:
        self.table, self.offsets = TokenPatterns.lay_out([st.arr for st in states])
        self.doc_starts = self.offsets[:-1]
        self.is_lower = self.table[:, col["IS_LOWER"]] != 0  # gap rows: 0
        self.lower = self.table[:, col["LOWER"]]
        self.orth = self.table[:, col["ORTH"]]
        starts = self.doc_starts.tolist()
        # every sentence start and every doc's end: the first of these after a token is the
        # end of its sentence, the last one at or before it its start
        self.bounds = np.concatenate(
            [np.asarray(st.sent_starts + [len(st.arr)], dtype=np.int64) + o for st, o in zip(states, starts)]
        )
        # where a link (of more than no token) or an entity, a name whatever its case, starts
        # and ends
        self.anchor_starts = np.array(
            [o + ts for st, o in zip(states, starts) for _, ts, te in st.link_spans if ts < te]
            + [o + k for st, o in zip(states, starts) for k in st.ent_at_start],
            dtype=np.int64,
        )
        self.anchor_ends = np.array(
            [o + te for st, o in zip(states, starts) for _, ts, te in st.link_spans if ts < te]
            + [o + k for st, o in zip(states, starts) for k in st.ent_at_end],
            dtype=np.int64,
        )
        self._positions: dict[str, np.ndarray] = {}

    def sentence_end(self, pos: np.ndarray) -> np.ndarray:
        return self.bounds[np.searchsorted(self.bounds, pos, side="right")]

    def sentence_start(self, pos: np.ndarray) -> np.ndarray:
        return self.bounds[np.searchsorted(self.bounds, pos, side="right") - 1]

    def positions(self, name: str, index: HashIndex, column: np.ndarray) -> np.ndarray:
        """The sorted positions whose ``column`` value is one of ``index``'s keys (made once)."""
        got = self._positions.get(name)
        if got is None:
            got = self._positions[name] = np.flatnonzero(index.contains(column))
        return got

    def local(self, x: np.ndarray, cut: list[int] | None = None) -> tuple[list[int], list[int]]:
        """``x`` (sorted batch positions, or values beside them given their ``cut``) in their
        docs' own indices, and where each doc's part starts (doc i's: ``[cut[i], cut[i + 1])``)."""
        if cut is None:
            cut = np.searchsorted(x, self.offsets).tolist()
        return (x - np.repeat(self.doc_starts, np.diff(cut))).tolist(), cut


# -- the component ----------------------------------------------------------------------------


class SourceFinder(BatchComponent):
    """The ``ddlens_sources`` pipe: sets ``doc._.sources`` (a list of :class:`Source`)."""

    # drop, before the Python scanners, the cues that cannot match: a name slot on a
    # lower-case token, no reporting verb for a pattern only a verb confirms (see _cues);
    # False reads every cue, as the tests' reference
    skip_impossible_cues = True

    def __init__(
        self,
        nlp: Language,
        name: str = "ddlens_sources",
        site_domains: Sequence[str] = (),
        patterns: str | None = None,
        domains: str | None = None,
        entity_labels: Sequence[str] = DEFAULT_ENTITY_LABELS,
        max_name_tokens: int = 16,
    ) -> None:
        self.name = name
        register_extensions()
        self.site_domains = tuple(d for d in (normalise_site_domain(s) for s in site_domains) if d)
        self.table = DomainTable.load(domains) if domains else DomainTable.load()
        self.patterns = AttributionPatterns.load(patterns)
        self.entity_labels = frozenset(entity_labels)
        self._classified: dict[str, LinkInfo] = {}
        self.max_name_tokens = max(1, int(max_name_tokens))
        specs: dict[str, Sequence[dict[str, Any]]] = {}
        self._by_key: dict[str, tuple[Pattern, str]] = {}
        for p in self.patterns.patterns:
            for side, toks in (("L", p.left), ("R", p.right)):
                if toks:
                    key = f"{p.id}|{side}"
                    specs[key] = toks
                    self._by_key[key] = (p, side)
        try:
            self.matcher = TokenPatterns(nlp.vocab, specs)
        except PatternError as exc:
            raise ValueError(f"attribution patterns: {exc}") from None
        # one doc.to_array per doc: the matcher's columns first, then what _DocState reads
        self.attrs = list(self.matcher.columns) + [a for a in _STATE_ATTRS if a not in self.matcher.columns]
        self._attr_ids = [IDS[a] for a in self.attrs]
        self._col = {a: i for i, a in enumerate(self.attrs)}
        # the lower-case words name_right looks past ("the", "journal", "researchers at …")
        # and the one name_left looks past ("the US government's"): see _cues
        pats = self.patterns
        self._name_openers = _hashes({"the"} | pats.name_leads | pats.group_nouns)
        self._name_closers = _hashes(pats.name_heads)
        self._verbs = HashIndex(_hashes(pats.verbs))
        self._title_words = HashIndex(_hashes(pats.title_words))
        self._possessives = HashIndex(_hashes(_POSSESSIVES))

    # -- links ------------------------------------------------------------------------------
    def _classify(self, url: str) -> LinkInfo:
        """``DomainTable.classify`` (a pure function of the URL), remembered: posts link the
        same pages again and again. Bounded: cleared when it holds ``_CLASSIFIED_MAX`` URLs."""
        info = self._classified.get(url)
        if info is None:
            if len(self._classified) >= _CLASSIFIED_MAX:
                self._classified.clear()
            info = self._classified[url] = self.table.classify(url, self.site_domains)
        return info

    def _link_spans(self, article: Any, starts: Sequence[int]) -> list[tuple[int, int, int]]:
        """(index, token start, token end) of each link that may cite something."""
        if article is None:
            return []
        out: list[tuple[int, int, int]] = []
        for i, link in enumerate(article.links):
            if link.url.strip().startswith("#") or not link.url.strip():
                continue  # in-page anchors cite nothing
            out.append((i, bisect.bisect_left(starts, link.start), bisect.bisect_left(starts, link.end)))
        return out

    def _arrays(self, doc: Doc) -> np.ndarray:
        n = len(doc)
        if not n:
            return np.zeros((0, len(self.attrs)), dtype=np.uint64)
        return doc.to_array(self._attr_ids).reshape(n, len(self.attrs))

    def _state(self, doc: Doc, arr: np.ndarray | None = None) -> _DocState:
        """What the batch's cue filters read of a doc (see :class:`_DocState`)."""
        arr = self._arrays(doc) if arr is None else arr
        st = _DocState(doc=doc, text=doc_text(doc), arr=arr, col=self._col)
        st.link_spans = self._link_spans(st.article, st.idx)
        for ent in doc.ents:
            if ent.label_ in self.entity_labels:
                st.ent_at_start.setdefault(ent.start, ent)
                st.ent_at_end.setdefault(ent.end, ent)
            elif ent.label_ in _NOT_SOURCE_LABELS:
                st.other_ents[(ent.start, ent.end)] = ent.label_
        return st

    def _read(self, st: _DocState) -> None:
        """The rest of a doc's state, made when the doc is read: its links, typed, and the
        token texts."""
        links = st.article.links if st.article is not None else []
        for i, ts, te in st.link_spans:
            link = links[i]
            ref = _LinkRef(i, link.start, link.end, ts, te, link.text, link.line, self._classify(link.url))
            st.links.append(ref)
            if ts < te:
                st.link_at_start.setdefault(ts, ref)
                st.link_at_end.setdefault(te, ref)
        if len(st.arr):
            st.words = _TokenTexts(st.text, st.idx, st.ends)
            st.lowers = _TokenTexts(st.text, st.idx, st.ends, source=st.words)

    # -- names ------------------------------------------------------------------------------
    def _anchor_name(self, st: _DocState, ref: _LinkRef, start: int, end: int, lowercase_ok: bool) -> _NameHit | None:
        while start < end and (st.lowers[start] in ("the", "a", "an") or _like_ordinal_or_year(st.words[start])):
            start += 1  # "[2021 World Bank brief](…)": the year is not part of the name
        while end > start and not st.words[end - 1].strip(_STRIP):
            end -= 1
        if start >= end or end - start > 2 * self.max_name_tokens:
            return None
        text = st.span_text(start, end).strip(_STRIP)
        if not text or text in self.patterns.not_names:
            return None
        capitalised = _is_cap(text.lstrip("([{"))
        if not capitalised and not lowercase_ok:
            return None
        return _NameHit(start, end, text, 2 if capitalised else 1)

    def _name_token(self, st: _DocState, k: int) -> bool:
        return _is_cap(st.words[k])

    def _trim(self, st: _DocState, start: int, end: int, left_scan: bool) -> tuple[int, int]:
        conn = self.patterns.connectors
        not_names = self.patterns.not_names
        while start < end:
            t = st.words[start]
            if t in not_names or t.lower() in conn:
                start += 1
                continue
            # a capitalised word opening a sentence may be a common word ("Governments argue")
            if left_scan and start == st.sentence_bounds(start)[0] and end - start > 0 and st.used_lowercase(t):
                start += 1
                continue
            break
        while end > start and st.words[end - 1].lower() in conn:
            end -= 1
        return start, end

    def _cap_name(self, st: _DocState, start: int, end: int) -> _NameHit | None:
        if start >= end:
            return None
        not_names = self.patterns.not_names
        if all(st.words[k] in not_names for k in range(start, end)):
            return None
        if (start, end) in st.other_ents:
            return None  # the entity recogniser says: a place, a date, a number
        return _NameHit(start, end, st.span_text(start, end), 2)

    def _run_right(self, st: _DocState, j: int, limit: int) -> int | None:
        """End of the capitalised run (with connectors) that starts at ``j``; None if there is
        none or it is longer than any name (Title Case text, a 100 KB run …)."""
        conn = self.patterns.connectors
        k = j
        last = -1
        while k < limit:
            t = st.words[k]
            if self._name_token(st, k):
                last = k
            elif t == "-" and last == k - 1 and k + 1 < limit and st.words[k + 1].isalnum():
                last = k + 1  # Mensah-Bonsu, High-level
                k += 1
            elif not (k > j and t.lower() in conn):
                break
            k += 1
            if k - j > self.max_name_tokens:
                return None
        return last + 1 if last >= j else None

    def _run_left(self, st: _DocState, r: int, floor: int) -> int | None:
        """Start of the capitalised run (with connectors) that ends just before ``r``."""
        conn = self.patterns.connectors
        if r <= floor or not self._name_token(st, r - 1):
            return None
        k = r - 1  # doc[k] is part of the name
        first = r - 1
        while k - 1 >= floor:
            t = st.words[k - 1]
            if self._name_token(st, k - 1):
                first = k - 1
            elif t.lower() not in conn and not (t == "-" and k - 2 >= floor and st.words[k - 2].isalnum()):
                break
            k -= 1
            if r - k > self.max_name_tokens:
                return None
        return first

    def _list_segment(self, st: _DocState, a: int, b: int) -> bool:
        """Whether tokens a..b look like one person or organisation in a list ("Lant Pritchett
        and Michael Woolcock"), not a role ("Deputy Director and Policy Lead at the …")."""
        if b - a > 7:
            return False
        return all(self._name_token(st, k) or st.lowers[k] in ("and", "&", "-") for k in range(a, b))

    def name_right(self, st: _DocState, i: int, limit: int, lowercase_ok: bool = True) -> _NameHit | None:
        """The name that starts at token ``i`` (a leading "the" skipped), within ``limit``."""
        if i >= limit:
            return None
        ref = st.link_at_start.get(i)
        j = i
        if ref is None and st.lowers[i] == "the" and i + 1 < limit:
            j = i + 1
            ref = st.link_at_start.get(j)
        if ref is None and j + 1 < limit and st.lowers[j] in self.patterns.name_leads:
            j += 1  # "in the journal *Evaluation and Program Planning*"
        if ref is not None:
            return self._anchor_name(st, ref, ref.tok_start, min(ref.tok_end, limit), lowercase_ok)
        if (
            j + 2 < limit
            and st.lowers[j] in self.patterns.group_nouns
            and st.lowers[j + 1] in ("at", "from")
            and self._name_token(st, j + 2)
        ):
            # "a review by researchers at UC Berkeley": the group, named by its institution
            e = self._run_right(st, j + 2, limit)
            if e is not None:
                return _NameHit(j, e, st.span_text(j, e), 2)
        ent = st.ent_at_start.get(j)
        if ent is not None and ent.end <= limit:
            return _NameHit(ent.start, ent.end, ent.text, 3)
        e = self._run_right(st, j, limit)
        if e is None:
            return None
        # a list: "Matt Andrews, Lant Pritchett and Michael Woolcock"
        k = e
        for _ in range(6):
            if not (k + 1 < limit and st.words[k] == "," and self._name_token(st, k + 1)):
                break
            e2 = self._run_right(st, k + 1, limit)
            if e2 is None or not self._list_segment(st, k + 1, e2):
                break
            if "and" in st.lowers.span(k + 1, e2):
                e = e2
                break
            k = e2
        if e < limit and st.lowers[e] in self.patterns.modifier_heads:
            return None  # "the MEL officer": a modifier, not a name
        if e < limit and st.lowers[e] in self.patterns.name_heads:
            e += 1  # "the Doing Development Differently community"
        s, e = self._trim(st, j, e, left_scan=False)
        return self._cap_name(st, s, e)

    def name_left(self, st: _DocState, r: int, floor: int, lowercase_ok: bool = False) -> _NameHit | None:
        """The name that ends just before token ``r``, not before ``floor``."""
        if r <= floor:
            return None
        ref = st.link_at_end.get(r)
        if ref is not None and ref.tok_start >= floor:
            return self._anchor_name(st, ref, ref.tok_start, r, lowercase_ok)
        ent = st.ent_at_end.get(r)
        if ent is not None and ent.start >= floor:
            return _NameHit(ent.start, ent.end, ent.text, 3)
        end = r
        if st.lowers[r - 1] in self.patterns.name_heads and r - 2 >= floor and self._name_token(st, r - 2):
            end = r - 1  # "The US government's …"
        s = self._run_left(st, end, floor)
        if s is None:
            return None
        # a list: "Mohanty, Hughes and Salathé"
        if "and" in st.lowers.span(s, end):
            for _ in range(6):
                if not (s - 2 >= floor and st.words[s - 1] == "," and self._name_token(st, s - 2)):
                    break
                s2 = self._run_left(st, s - 1, floor)
                if s2 is None or not self._list_segment(st, s2, s - 1):
                    break
                s = s2
        s, e = self._trim(st, s, r, left_scan=True)
        return self._cap_name(st, s, e)

    # -- titles -----------------------------------------------------------------------------
    def _source_char_before(self, st: _DocState, p: int) -> str:
        article = st.article
        if article is None:
            return ""
        src = article.source
        k = article.source_offset(st.idx[p]) - 1
        while k >= 0 and src[k] == "[":
            k -= 1
        return src[k] if k >= 0 else ""

    def _source_char_after(self, st: _DocState, q: int) -> str:
        article = st.article
        if article is None:
            return ""
        src = article.source
        end = article.source_offset(st.ends[q] - 1) + 1
        if src.startswith("](", end):  # skip a link's "](url)"
            close = src.find(")", end, end + 2100)
            end = close + 1 if close > 0 else end
        elif src.startswith("][", end):  # a reference link "][ref]"
            close = src.find("]", end + 2, end + 200)
            end = close + 1 if close > 0 else end
        return src[end] if end < len(src) else ""

    def _emphasis_end(self, st: _DocState, p: int, limit: int) -> int | None:
        """If token ``p`` opens an emphasised (``*x*`` / ``_x_``) run, the token after it closes."""
        delim = self._source_char_before(st, p)
        if not delim or delim not in _EMPHASIS:
            return None
        for q in range(p, min(limit, p + _MAX_TITLE_TOKENS)):
            if self._source_char_after(st, q) == delim:
                return q + 1
        return None

    def title_at(
        self, st: _DocState, p: int, limit: int, marked: bool, quotes: bool = True
    ) -> tuple[int, int, str] | None:
        """A title that starts at token ``p``: quoted (if ``quotes``), italic or a link anchor
        starting with a capital, or (unless ``marked``) a Title Case run. Returns (start, end, text)."""
        if p >= limit:
            return None
        first = st.words[p]
        close = _OPEN_QUOTES.get(first) if quotes else None
        if close is not None:
            for q in range(p + 1, min(limit, p + _MAX_TITLE_TOKENS)):
                if st.words[q] == close:
                    text = st.span_text(p + 1, q).strip(_STRIP)
                    return (p, q + 1, text) if text else None
            return None
        ref = st.link_at_start.get(p)
        if ref is not None and _is_cap(first.lstrip("([")) and ref.tok_end <= limit:
            text = st.span_text(p, ref.tok_end).strip(_STRIP)
            if text:
                return (p, ref.tok_end, text)
        em = self._emphasis_end(st, p, limit)
        if em is not None:
            text = st.span_text(p, em).strip(_STRIP)
            return (p, em, text) if text and _is_cap(text.lstrip("([")) else None
        if marked or not _is_cap(first) or first in self.patterns.not_names:
            return None  # "In this article, I'll describe …": "I" is no title
        q = p
        last = -1
        while q < limit and q - p < _MAX_TITLE_TOKENS:
            t = st.words[q]
            if _is_cap(t) or t.isdigit():
                last = q
            elif t.lower() not in _TITLE_SMALL and t not in (":", "-", "'s", "’s"):
                break
            q += 1
        if last < p:
            return None
        return (p, last + 1, st.span_text(p, last + 1))

    def title_before(self, st: _DocState, s: int, floor: int) -> tuple[int, int, str] | None:
        """A marked title (quoted, italic, a link anchor) that ends just before token ``s``."""
        k = s - 1
        if k > floor and st.words[k] == ",":
            k -= 1
        if k < floor:
            return None
        ref = st.link_at_end.get(k + 1)
        if ref is not None and ref.tok_start >= floor:
            text = st.span_text(ref.tok_start, k + 1).strip(_STRIP)
            if text and _is_cap(text):
                return (ref.tok_start, k + 1, text)
        opener = {v: o for o, v in _OPEN_QUOTES.items()}.get(st.words[k])
        if opener is not None:
            for q in range(k - 1, max(floor - 1, k - _MAX_TITLE_TOKENS), -1):
                if st.words[q] == opener:
                    text = st.span_text(q + 1, k).strip(_STRIP)
                    return (q, k + 1, text) if text else None
            return None
        delim = self._source_char_after(st, k)
        if delim and delim in _EMPHASIS:
            for q in range(k, max(floor - 1, k - _MAX_TITLE_TOKENS), -1):
                if self._source_char_before(st, q) == delim:
                    text = st.span_text(q, k + 1).strip(_STRIP)
                    return (q, k + 1, text) if text else None
        return None

    def _title_run_back(self, st: _DocState, k: int, floor: int) -> tuple[int, int, str] | None:
        """The Title Case run that ends with token ``k`` and names a kind of work
        ("the CLA Framework published by …", "The Small Charity Guide from …")."""
        if k < floor or not _is_cap(st.words[k]):
            return None
        q = k
        first = k
        while q - 1 >= floor and k - q < _MAX_TITLE_TOKENS:
            t = st.words[q - 1]
            if _is_cap(t) or t.isdigit():
                first = q - 1
            elif t.lower() not in _TITLE_SMALL - {"the", "a", "an"} and t not in ("-", "'s", "’s"):
                break
            q -= 1
        words = set(st.lowers.span(first, k + 1))
        if not words & self.patterns.title_words:
            return None
        while first <= k and st.words[first] in self.patterns.not_names:
            first += 1
        return (first, k + 1, st.span_text(first, k + 1)) if first <= k else None

    def _title_before_cue(self, st: _DocState, s: int, floor: int) -> tuple[int, int, str] | None:
        """A title just before a cue: marked, or a Title Case run that names a kind of work."""
        tb = self.title_before(st, s, floor)
        if tb is None and s - 1 >= floor:
            tb = self._title_run_back(st, s - 1, floor)
        return tb

    def title_after(self, st: _DocState, end: int, limit: int, mode: str) -> tuple[int, int, str] | None:
        """A title right after a cue: "a 2019 report, *Title*, found …" (``mode`` "marked"),
        or "GSMA's Mobile Gender Gap Report 2019" (``mode`` "plain": a Title Case run that
        names a kind of work)."""
        if mode == "plain":
            t = self.title_at(st, end, limit, marked=False)
            if t is None:
                return None
            words = set(st.lowers.span(t[0], t[1]))
            return t if words & self.patterns.title_words else None
        p = end
        while p < limit and p - end < 3 and st.lowers[p] in _TITLE_LEADS:
            p += 1
        if p >= limit:
            return None
        # a quotation after "as X put it," is what they said; after "a report," it is a title
        quotes = end > 0 and (st.lowers[end - 1] in self.patterns.title_words or st.lowers[end - 1] in _WORK_NOUNS)
        return self.title_at(st, p, limit, marked=True, quotes=quotes)

    # -- attributions -------------------------------------------------------------------------
    def _confirmed(self, st: _DocState, c: _Candidate, limit: int) -> bool:
        conf = c.pattern.confirm
        if not conf:
            return True
        doc = st.doc
        if "year" in conf and c.year is not None:
            return True
        if "multiword" in conf and len(c.name.text.split()) >= 2:
            return True
        if "quote" in conf and st.has_quote(c.start):
            return True
        if "link" in conf:
            cs, ce = st.idx[c.start], st.char_end(c.end)
            if any(r.start_char < ce and r.end_char > cs for r in st.links):
                return True
        if "link_sentence" in conf:
            k = st.sentence_index(c.start)
            if any(r.tok_start < len(doc) and st.sentence_index(r.tok_start) == k for r in st.links):
                return True
        if "verb_after" in conf:
            verbs = self.patterns.verbs
            if any(st.lowers[q] in verbs for q in range(c.end, min(limit, c.end + 4))):
                return True
        return False

    def _is_place(self, name: str) -> bool:
        n = name[4:] if name[:4] in ("the ", "The ") else name
        return n in self.patterns.places

    def _cues(self, states: Sequence[_DocState]) -> list[_Cues]:
        """The cues worth reading in a batch of docs: for each pattern (in order) that may
        match there, its :class:`_Cues`.

        The matcher and the numpy filters below run once over the whole batch (docs laid
        end to end, see :class:`_Batch`): per doc they cost more in numpy calls than in
        work."""
        out: list[_Cues] = []
        b = _Batch(states, self._col)
        spans = self.matcher.spans_laid_out(b.table, b.offsets)  # the matcher's columns come first
        if not spans:
            return out
        for p in self.patterns.patterns:
            left = spans.get(f"{p.id}|L")
            right = spans.get(f"{p.id}|R")
            if (p.left and left is None) or (p.right and right is None):
                continue
            rs = re_ = np.zeros(0, dtype=np.int64)
            if right is not None:
                # per right start, the longest right end (spans are sorted by start, then end)
                rs, re_ = right
                last = np.r_[rs[1:] != rs[:-1], True]
                rs, re_ = rs[last], re_[last]
            if not p.left:
                if self.skip_impossible_cues:
                    ok = self._right_cue_may_match(b, p, rs, re_)
                    rs, re_ = rs[ok], re_[ok]
                if len(rs):
                    rs_l, r_cut = b.local(rs)
                    out.append(_Cues(p, None, [], [], r_cut, rs_l, b.local(re_, r_cut)[0]))
                continue
            ls, le = left  # type: ignore[misc]
            # per left end, the earliest left start
            order = np.lexsort((ls, le))
            ls, le = ls[order], le[order]
            first = np.r_[True, le[1:] != le[:-1]]
            ls, le = ls[first], le[first]
            if right is not None:
                # a right part must start within reach of the left end: skip the rest unread
                reach = self.max_name_tokens + _MAX_TITLE_TOKENS + 2
                if p.appositive:
                    reach += _MAX_APPOSITIVE + 2
                rstarts = rs  # unique and sorted
                nxt = np.searchsorted(rstarts, le, side="left")
                ok = nxt < len(rstarts)
                ok[ok] = rstarts[nxt[ok]] - le[ok] <= reach
                ls, le = ls[ok], le[ok]
                # and every way of filling the slots ends in the left start's sentence,
                # after the left end: without a right start in (end, sentence end] the
                # cue cannot match, so it is not read. (A right start in a later doc is
                # past the gap after this doc's end, so never within its sentence.)
                sent_end = b.sentence_end(ls)
                nxt = np.searchsorted(rstarts, le, side="right")
                ok = nxt < len(rstarts)
                ok[ok] = rstarts[nxt[ok]] <= sent_end[ok]
                ls, le = ls[ok], le[ok]
            if self.skip_impossible_cues:
                ok = self._left_cue_may_match(b, p, ls, le)
                ls, le = ls[ok], le[ok]
            if not len(le):
                continue
            le_l, l_cut = b.local(le)
            rs_l, r_cut = b.local(rs)
            out.append(_Cues(p, l_cut, le_l, b.local(ls, l_cut)[0], r_cut, rs_l, b.local(re_, r_cut)[0]))
        return out

    # Cues that cannot match are not read: each test below is False only where the scanner
    # (_fill_right, _fill_left) would return None, for a reason given beside it. A name
    # (name_right, name_left) is a link anchor, an entity, or starts / ends with a
    # capitalised token, and a token spaCy calls IS_LOWER (str.islower) has no upper-case
    # letter, so is never capitalised (_is_cap).

    def _left_cue_may_match(self, b: "_Batch", p: Pattern, ls: np.ndarray, le: np.ndarray) -> np.ndarray:
        """Whether each cue with left part ``ls``..``le`` (batch positions) may match."""
        ok = np.ones(len(le), dtype=bool)
        if p.slots[0] == "name" and not p.appositive:
            # the first slot's name starts where the left part ends (with ``appositive`` it
            # could also be after a comma further on): not at a lower-case token, unless a
            # link or an entity starts there or it is a word name_right looks past
            ok &= ~(b.is_lower[le] & ~np.isin(b.lower[le], self._name_openers) & ~np.isin(le, b.anchor_starts))
        if p.confirm == {"verb_after"}:
            # _confirmed wants a reporting verb after the cue's end, within the left start's
            # sentence, and the cue's end is at or after the left end
            verbs = b.positions("verbs", self._verbs, b.lower)
            nxt = np.searchsorted(verbs, le)
            has = nxt < len(verbs)
            has[has] = verbs[nxt[has]] < b.sentence_end(ls[has])
            ok &= has
        return ok

    def _right_cue_may_match(self, b: "_Batch", p: Pattern, rs: np.ndarray, re_: np.ndarray) -> np.ndarray:
        """Whether each cue of a pattern without a left part, right part ``rs``..``re_``
        (batch positions), may match."""
        # the name ends where the right part starts (or, with ``appositive``, before a comma
        # there, which is not lower case): not after a lower-case token, unless a link or an
        # entity ends there or it is one of name_heads. (At a doc's first token, rs - 1 is
        # the gap row before it, or the last one: never lower case.)
        before = rs - 1
        ok = ~(b.is_lower[before] & ~np.isin(b.lower[before], self._name_closers) & ~np.isin(rs, b.anchor_ends))
        if p.requires_title and p.title_after == "plain" and not p.title_before and not p.appositive:
            # the title can only be a Title Case run after the right end, within the right
            # start's sentence, holding one of title_words (title_after); or the name itself
            # when a possessive owns it ("Verizon's 2019 Report's …", _possessed), so with a
            # possessive in the sentence before the right start's previous token
            words = b.positions("title_words", self._title_words, b.lower)
            nxt = np.searchsorted(words, re_)
            titled = nxt < len(words)
            titled[titled] = words[nxt[titled]] < b.sentence_end(rs[titled])
            owners = b.positions("possessives", self._possessives, b.orth)
            prv = np.searchsorted(owners, before) - 1  # the last one before rs - 1
            owned = prv >= 0
            owned[owned] = owners[prv[owned]] >= b.sentence_start(rs[owned])
            ok &= titled | owned
        return ok

    def candidates(self, st: _DocState, cues: Sequence[_Cues], i: int) -> list[_Candidate]:
        """Every pattern's candidates in one doc, the ``i``-th of the batch of :meth:`_cues`."""
        out: list[_Candidate] = []
        for pc in cues:
            p = pc.pattern
            ra, rb = pc.r_cut[i], pc.r_cut[i + 1]
            if pc.l_cut is None:
                for r, e in zip(pc.right_starts[ra:rb], pc.right_ends[ra:rb]):
                    c = self._fill_left(st, p, r, e)
                    if c is not None:
                        out.append(c)
                continue
            la, lb = pc.l_cut[i], pc.l_cut[i + 1]
            if la == lb:
                continue
            rights = dict(zip(pc.right_starts[ra:rb], pc.right_ends[ra:rb]))
            for e, s in zip(pc.left_ends[la:lb], pc.left_starts[la:lb]):
                c = self._fill_right(st, p, s, e, rights)
                if c is not None:
                    out.append(c)
        return out

    def _next_comma(self, st: _DocState, i: int, limit: int) -> int | None:
        for q in range(i, min(limit, i + _MAX_APPOSITIVE)):
            t = st.words[q]
            if t == ",":
                return q
            if t in _APPOSITIVE_STOP:
                return None
        return None

    def _prev_comma(self, st: _DocState, i: int, floor: int) -> int | None:
        for q in range(i, max(floor - 1, i - _MAX_APPOSITIVE), -1):
            t = st.words[q]
            if t == ",":
                return q
            if t in _APPOSITIVE_STOP:
                return None
        return None

    def _fill_left(self, st: _DocState, p: Pattern, r: int, e: int) -> _Candidate | None:
        """A pattern without a left part: the name ends where its right part starts (or, with
        ``appositive``, before ", who …," or is the "X" in "our chair, X, said")."""
        sent_start, sent_end = st.sentence_bounds(r)
        name = self.name_left(st, r, sent_start, p.lowercase_anchor)
        title: tuple[int, int, str] | None = None
        year_skip: tuple[int, int] | None = None
        if name is None and p.appositive and r - 1 > sent_start and st.words[r - 1] == ",":
            c1 = self._prev_comma(st, r - 2, sent_start)
            if c1 is not None and st.lowers[c1 + 1] not in ("and", "or", "but", "nor"):
                name = self.name_left(st, c1, sent_start, p.lowercase_anchor)  # X, who …, said
                if name is not None and st.lowers[c1 + 1] == "in":
                    title = self.title_at(st, c1 + 2, r - 1, marked=False)  # X, in *Title* (2011), argues
                elif name is not None:
                    year_skip = (c1, r)
                if name is None:
                    inner = self.name_left(st, r - 1, c1 + 1, p.lowercase_anchor)  # our chair, X, said
                    if inner is not None and inner.start == c1 + 1:
                        name = inner
        if name is None:
            return None
        start = name.start
        if p.title_before:
            tb = self._title_before_cue(st, start, sent_start)
            if tb is not None:
                title, start = tb, tb[0]
            elif p.title_before == "required":
                return None
        c = _Candidate(p, start, e, name, title=title[2] if title else None, venue=p.venue, year_skip=year_skip)
        before = st.lowers[name.start - 1] if name.start > sent_start else None
        if before is not None and before in _NOT_SUBJECT_BEFORE and not p.object_ok:
            if not (p.id.startswith("name-year") and before == "in"):
                return None  # "a partner in Mosul put it": Mosul is not the speaker
            # "a paper … in Remote Sensing (2020) reported": the name is where it was published
            c.venue = True
        elif before is not None and self._possessed(st, name.start, sent_start) is not None:
            # "Verizon's 2019 Data Breach Investigations Report found": the run is the work,
            # its owner the source
            owner = self.name_left(st, self._possessed(st, name.start, sent_start), sent_start)  # type: ignore[arg-type]
            if owner is None:
                return None
            c = _Candidate(p, owner.start, e, owner, title=name.text, venue=p.venue, year_skip=year_skip)
        return c if self._finish(st, c, sent_end) else None

    def _possessed(self, st: _DocState, start: int, floor: int) -> int | None:
        """If the run at ``start`` is owned ("Verizon's 2019 …"), the index of the "'s"."""
        k = start - 1
        if k >= floor and (_like_ordinal_or_year(st.words[k]) or st.lowers[k] in ("new", "latest", "annual")):
            k -= 1
        return k if k >= floor and st.words[k] in _POSSESSIVES else None

    def _fill_right(self, st: _DocState, p: Pattern, s: int, e: int, rights: dict[int, int]) -> _Candidate | None:
        sent_start, sent_end = st.sentence_bounds(s)
        if p.not_after and s > sent_start and st.lowers[s - 1] in p.not_after:
            return None  # "companies such as Napify showed …"
        if p.skip_bylines and st.lowers[sent_start] == "this" and sent_end - sent_start <= 25:
            return None  # "This guest post was written by …"
        pos = e
        title: tuple[int, int, str] | None = None
        name: _NameHit | None = None
        end = e
        work_only = False
        right_at: int | None = None
        for slot in p.slots:
            if slot == "name":
                name = self.name_right(st, pos, sent_end, p.lowercase_anchor)
                if name is None and p.appositive:
                    c1 = self._next_comma(st, pos, sent_end)  # as our head of programmes, X, put it
                    if c1 is not None:
                        inner = self.name_right(st, c1 + 1, sent_end, p.lowercase_anchor)
                        if inner is not None and inner.end < sent_end and st.words[inner.end] == ",":
                            name, right_at = inner, inner.end + 1
                if name is None:
                    if title is None:
                        return None
                    break
                pos = end = name.end
            else:
                title = self.title_at(st, pos, sent_end, marked=(slot == "marked_title"))
                if title is None:
                    return None
                pos = end = title[1]
                while pos < sent_end and st.words[pos] in (",", ":"):
                    pos += 1
        if name is None:
            if title is None:
                return None
            name = _NameHit(title[0], title[1], title[2], 2)  # the work itself is the source
            work_only = True
        if p.right:
            r_end = rights.get(right_at if right_at is not None else end)
            if r_end is None and name.quality < 3 and st.link_at_start.get(name.start) is not None:
                # "a widely shared [New York Times piece](…)": the anchor holds the right part
                for r in range(name.start + 1, name.end):
                    if rights.get(r, -1) >= name.end:
                        name = _NameHit(name.start, r, st.span_text(name.start, r), name.quality)
                        r_end = rights[r]
                        break
            if r_end is None and p.appositive and right_at is None and end < sent_end and st.words[end] == ",":
                c2 = self._next_comma(st, end + 1, sent_end)  # as X, who …, put it
                if c2 is not None and st.lowers[end + 1] not in ("and", "or", "but", "nor"):
                    r_end = rights.get(c2 + 1)
            if r_end is None:
                return None
            end = r_end
        if p.title_before:
            tb = self._title_before_cue(st, s, sent_start)
            if tb is not None:
                title, s = tb, tb[0]
            elif p.title_before == "required":
                return None
        if title is None and p.left:
            # a capitalised work noun in the cue: "The [Small Charity Guide](…) from the NCSC"
            for q in range(e - 1, s - 1, -1):
                if st.lowers[q] in self.patterns.title_words and _is_cap(st.words[q]):
                    tr = self._title_run_back(st, q, sent_start)
                    if tr is not None:
                        title, s = tr, min(s, tr[0])
                    break
        c = _Candidate(p, s, end, name, title=title[2] if title else None, work_only=work_only, venue=p.venue)
        return c if self._finish(st, c, sent_end) else None

    def _finish(self, st: _DocState, c: _Candidate, sent_end: int) -> bool:
        if c.pattern.reject_places and self._is_place(c.name.text):
            return False
        if c.title is None and c.pattern.title_after:
            t = self.title_after(st, c.end, sent_end, c.pattern.title_after)
            if t is not None:
                c.title = t[2]
                c.end = max(c.end, t[1])
        if c.pattern.requires_title and c.title is None:
            return False
        if c.end < sent_end and st.lowers[c.end] in self.patterns.modifier_heads:
            return False  # "the Court's evaluation team", "Avdi's story steps": a compound noun
        if c.year_skip is not None:
            c.year = _year_of(st, c.start, c.year_skip[0]) or _year_of(st, c.year_skip[1], c.end)
        else:
            c.year = _year_of(st, c.start, c.end)
        if c.year is None and c.end + 1 < sent_end:
            nxt = st.words[c.end]
            if nxt in ("in", "from", "("):
                c.year = _year_of(st, c.end + 1, c.end + 2)  # "as researchers wrote in 2013", "Sprint (2016)"
        if not self._confirmed(st, c, sent_end):
            return False
        if c.title is None:
            self._split_known_org(st, c)
        if c.year is None:
            c.year = self._work_year_near(st, c, sent_end)
        return True

    def _split_known_org(self, st: _DocState, c: _Candidate) -> None:
        """ "[GSMA Mobile Gender Gap Report 2020]" -> name GSMA, title Mobile Gender Gap Report 2020
        (when the name starts with a known organisation and the rest names a kind of work)."""
        n = c.name
        if n.end - n.start < 2:
            return
        for k in range(n.start + 1, n.end):
            if st.words[k] in _POSSESSIVES:
                q = k + 1
                while q < n.end and _like_ordinal_or_year(st.words[q]):
                    q += 1
                if q < n.end and _is_cap(st.words[q]):
                    return  # "[Women's Entrepreneurship Report]": a title as a whole
                # "According to [NetHope's 2020 digital transformation report](…)"
                c.name = _NameHit(n.start, k, st.span_text(n.start, k), n.quality)
                tr = self.title_at(st, k + 1, n.end, marked=False)
                if tr is not None and set(st.lowers.span(tr[0], tr[1])) & self.patterns.title_words:
                    c.title = tr[2]
                return
        words = st.lowers.span(n.start, n.end)
        if not set(words) & self.patterns.title_words or n.text in self.table.names:
            return  # no work in it, or a known name as a whole ("Harvard Business Review")
        for k in range(n.end - 1, n.start, -1):
            head = st.span_text(n.start, k)
            if head in self.table.names:
                if _is_cap(st.words[k]) and set(st.lowers.span(k, n.end)) & self.patterns.title_words:
                    c.name = _NameHit(n.start, k, head, n.quality)
                    c.title = st.span_text(k, n.end).strip(_STRIP)
                return

    def _work_year_near(self, st: _DocState, c: _Candidate, sent_end: int) -> int | None:
        """The year of a "<year> <work>" phrase near the cue in its sentence ("in her 2012
        review of …, Isabel Vogel found", "note in their [2005 guide]")."""
        words, lowers = st.words, st.lowers
        sent_start = st.sentence_bounds(c.start)[0]
        if c.start - sent_start <= 4 and sent_start + 2 < sent_end and lowers[sent_start] == "in" and words[sent_start + 2] == ",":
            y = _year_of(st, sent_start + 1, sent_start + 2)  # "In 2016, Jean and colleagues showed …"
            if y is not None:
                return y
        lo, hi = max(sent_start, c.start - 25), min(sent_end, c.end + 12)
        work = self.patterns.title_words
        years = st.year_positions()
        for q in years[bisect.bisect_left(years, lo) : bisect.bisect_left(years, hi - 1)]:
            nxt = lowers[q + 1]
            nxt2 = lowers[q + 2] if q + 2 < hi else ""
            if nxt in work or nxt in _WORK_NOUNS or nxt2 in work or nxt2 in _WORK_NOUNS:
                return int(words[q])
        return None

    @staticmethod
    def resolve(cands: list[_Candidate], sentence_index: Any = None) -> list[_Candidate]:
        """One candidate per group of overlapping ones (the best name, then the longest cue; a
        missing title or year is taken from the others in the group); then a cue that names
        only a work ("in their book *Sprint* (2016)") lends its title and year to the named
        source of the same sentence."""
        cands = sorted(cands, key=lambda c: (c.start, -c.end))
        out: list[_Candidate] = []
        group: list[_Candidate] = []
        group_end = -1
        for c in cands + [None]:  # type: ignore[list-item]
            if c is not None and group and c.start < group_end:
                group.append(c)
                group_end = max(group_end, c.end)
                continue
            if group:
                best = max(group, key=lambda x: x.rank)
                for other in group:
                    if best.title is None and other.title is not None:
                        best.title = other.title
                    if best.year is None and other.year is not None:
                        best.year = other.year
                out.append(best)
            if c is not None:
                group = [c]
                group_end = c.end
        if sentence_index is None:
            return out
        named: dict[int, list[_Candidate]] = {}
        for c in out:
            if not c.work_only and not c.venue:
                named.setdefault(sentence_index(c.start), []).append(c)  # in start order
        named_starts = {k: [h.start for h in v] for k, v in named.items()}

        def nearest(c: _Candidate, need_no_title: bool) -> _Candidate | None:
            k = sentence_index(c.start)
            hosts = named.get(k)
            if not hosts:
                return None
            i = bisect.bisect_left(named_starts[k], c.start)
            best: _Candidate | None = None
            # look outwards from the cue's position, a few hosts each way (bounded work)
            for j in range(max(0, i - 4), min(len(hosts), i + 4)):
                h = hosts[j]
                if h is c or (need_no_title and h.title is not None):
                    continue
                if best is None or abs(h.start - c.start) < abs(best.start - c.start):
                    best = h
            return best

        kept: list[_Candidate] = []
        for c in out:
            if c.venue:
                host = nearest(c, need_no_title=False)
                if host is not None:
                    # "Jean and colleagues showed in a paper in Science": Jean is the source
                    if host.year is None:
                        host.year = c.year
                    continue
            elif c.work_only:
                host = nearest(c, need_no_title=True)
                if host is not None:
                    host.title = c.title or c.name.text
                    if host.year is None:
                        host.year = c.year
                    continue
            kept.append(c)
        return kept

    # -- output ----------------------------------------------------------------------------------
    def _sentence_text(self, st: _DocState, tok: int, cue: tuple[int, int] | None = None) -> str:
        n = len(st.arr)
        if not n:
            return ""
        s, e = st.sentence_bounds(min(tok, n - 1))
        a, b = st.idx[s], st.char_end(e)
        if b - a > _LONG_SENTENCE:
            # a run-on "sentence" (a table, a 1 MB line): a window around the cue
            ca, cb = cue if cue else (st.idx[tok], st.char_end(tok + 1))
            a, b = max(a, ca - 300), min(b, cb + 300)
            return " ".join(st.text[a:b].split())
        text = st.sentence_texts.get(s)  # several sources often share a sentence
        if text is None:
            text = st.sentence_texts[s] = " ".join(st.text[a:b].split())
        return text

    def process(self, docs: Sequence[Doc]) -> None:
        self.set_sources(docs)

    def set_sources(self, docs: Sequence[Doc]) -> None:
        """Set ``doc._.sources`` on each doc of a batch."""
        states: list[_DocState | None] = [self._state(doc) for doc in docs]
        cues = self._cues(states)  # type: ignore[arg-type]
        for i, st in enumerate(states):
            states[i] = None  # each doc's state goes once read (see _DocState)
            self._read(st)  # type: ignore[arg-type]
            self._set_sources(st, cues, i)  # type: ignore[arg-type]

    def _set_sources(self, st: _DocState, cues: Sequence[_Cues], i: int) -> None:
        doc = st.doc
        n_tokens = len(st.arr)  # len(doc), without a call into spaCy in the loops below
        cands = self.resolve(self.candidates(st, cues, i), st.sentence_index) if n_tokens else []
        sources: list[tuple[int, Source]] = []
        # 1. attribution + the link anchored on the same phrase
        attached: dict[int, _LinkRef] = {}
        for n, c in enumerate(cands):
            cs, ce = st.idx[c.start], st.char_end(c.end)
            for ref in st.links:
                if not ref.used and ref.start_char < ce and ref.end_char > cs:
                    ref.used = True
                    attached[n] = ref
                    break
        # 2. else the nearest free link in the same sentence
        for n, c in enumerate(cands):
            if n in attached:
                continue
            k = st.sentence_index(c.start)
            cs = st.idx[c.start]
            best: _LinkRef | None = None
            for ref in st.links:
                if ref.used or ref.tok_start >= n_tokens or st.sentence_index(ref.tok_start) != k:
                    continue
                if best is None or abs(ref.start_char - cs) < abs(best.start_char - cs):
                    best = ref
            if best is not None:
                best.used = True
                attached[n] = best
        for n, c in enumerate(cands):
            ref = attached.get(n)
            cs, ce = st.idx[c.start], st.char_end(c.end)
            name = _tidy(c.name.text)
            if ref is not None:
                stype = ref.info.source_type
                if stype == "other":
                    stype = self.table.type_of_name(name) or stype
                url, domain = ref.info.url, ref.info.domain
            else:
                stype = self.table.type_of_name(name) or "other"
                url = domain = None
            sources.append(
                (
                    cs,
                    Source(
                        kind="attribution",
                        text=" ".join(st.text[cs:ce].split()),
                        sentence=self._sentence_text(st, c.start, (cs, ce)),
                        line=st.line_of(cs),
                        source_type=stype,
                        name=name,
                        title=_tidy(c.title) if c.title else None,
                        url=url,
                        domain=domain,
                        year=c.year,
                    ),
                )
            )
        for ref in st.links:
            if ref.used:
                continue
            tok = min(ref.tok_start, n_tokens - 1) if n_tokens else 0
            sources.append(
                (
                    ref.start_char,
                    Source(
                        kind="link",
                        text=ref.text,
                        sentence=self._sentence_text(st, tok, (ref.start_char, ref.end_char)),
                        line=ref.line,
                        source_type=ref.info.source_type,
                        url=ref.info.url,
                        domain=ref.info.domain,
                    ),
                )
            )
        sources.sort(key=lambda x: x[0])
        doc._.sources = [s for _, s in sources]



@Language.factory(
    "ddlens_sources",
    default_config={
        "site_domains": [],
        "patterns": None,
        "domains": None,
        "entity_labels": list(DEFAULT_ENTITY_LABELS),
        "max_name_tokens": 16,
    },
)
def make_sources(
    nlp: Language,
    name: str,
    site_domains: list[str],
    patterns: str | None,
    domains: str | None,
    entity_labels: list[str],
    max_name_tokens: int,
) -> SourceFinder:
    return SourceFinder(
        nlp,
        name,
        site_domains=site_domains,
        patterns=patterns,
        domains=domains,
        entity_labels=entity_labels,
        max_name_tokens=max_name_tokens,
    )

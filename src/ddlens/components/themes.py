"""``ddlens_themes``: up to ten keyphrases per post, found without a parser.

Candidates are the one-, two- and three-word runs between stop words and punctuation
(a hyphenated word is one word; "of", "and" and "&" may sit inside a three-word phrase:
"theory of change"). They are counted with NumPy over the Doc's token arrays: every word
and phrase becomes a 64-bit key built from spaCy's string hashes, with the last word
folded to its singular, so "Digital Public Goods" and "digital public good" are one
phrase. Each phrase is scored TF-IDF-style against a background document-frequency table
(``models/themes_df.json``, rebuilt by ``ddlens train themes corpora/``; a folder run can
use the folder's own table), with a boost for phrases in the title. A phrase contained in
a better one is dropped ("transformation" beside "digital transformation"), as is a phrase
mostly seen inside a longer candidate. Output is deterministic: ties break on first
position.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np
from spacy.attrs import IDX, LENGTH, ORTH
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..analysis import Theme
from ..extensions import register_extensions
from ..resources import model_path
from .base import BatchComponent

__all__ = [
    "Background",
    "DocPhrases",
    "PhraseBatch",
    "PhraseExtractor",
    "ThemeFinder",
    "fold_plural",
    "build_background",
    "load_background",
    "folder_background",
]

MAX_WORDS = 3
BOUNDARY, CONTENT, HYPHEN, STOP, INNER = 0, 1, 2, 3, 4

# odd 64-bit multipliers; keys wrap around modulo 2**64
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
_PJ = np.uint64(0xD6E8FEB86659FD93)
_T2 = np.uint64(0x27D4EB2F165667C5)
_T3 = np.uint64(0x85EBCA77C2B2AE63)


@lru_cache(maxsize=4)
def _rules(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    return {
        "stop": frozenset(STOP_WORDS) | frozenset(raw["stop_extra"]),
        "weak": frozenset(raw["weak"]),
        "inner": frozenset(raw["inner"]),
        "plural_keep": frozenset(raw["plural_keep"]),
    }


def fold_plural(word: str, keep: frozenset[str] = frozenset()) -> str:
    """A lowercase word's singular by suffix rules ("policies" -> "policy", "goods" -> "good");
    words in ``keep`` and words that are not plain letters stay as they are."""
    w = word
    if len(w) <= 3 or not w.endswith("s") or w in keep or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return w[:-2]
    if w.endswith(("ss", "us", "is", "ics", "'s")):
        return w
    return w[:-1]


@dataclass
class DocPhrases:
    """Phrase counts of one text. ``keys`` are unique; ``occ_*`` list every occurrence."""

    keys: np.ndarray  # uint64, unique phrase keys (sorted)
    counts: np.ndarray  # occurrences of each key
    first: np.ndarray  # index into occ_* of the first occurrence of each key
    nwords: np.ndarray  # words in each phrase
    weak: np.ndarray  # bool, a lone weak word
    occ_keys: np.ndarray  # uint64, key of each occurrence
    occ_unit: np.ndarray  # unit (word) index of each occurrence's first word
    occ_nwords: np.ndarray  # words in each occurrence
    units_low: np.ndarray  # uint64, each word's lowercase hash
    units_fold: np.ndarray  # uint64, each word's singular lowercase hash
    units_kind: np.ndarray  # int8, each word's kind (CONTENT, STOP, ...)
    units_start: np.ndarray  # token index where each word starts
    units_end: np.ndarray  # token index after each word
    n_units: int
    tok_low: np.ndarray  # uint64, LOWER hash of each token
    doc: Doc | None = None  # the Doc, for ORTH hashes (read only when a phrase is shown)
    _orth: np.ndarray | None = None

    @property
    def tok_orth(self) -> np.ndarray:
        """uint64 ORTH hash of each token (read from the Doc on first use)."""
        if self._orth is None:
            self._orth = self.doc.to_array(ORTH) if self.doc is not None and len(self.doc) else np.zeros(0, dtype=np.uint64)
        return self._orth

    def span(self, occ: int) -> tuple[int, int]:
        """Token span (start, end) of one occurrence."""
        u = int(self.occ_unit[occ])
        return int(self.units_start[u]), int(self.units_end[u + int(self.occ_nwords[occ]) - 1])


def _classify(s: str, rules: dict[str, Any] | None = None) -> int:
    """The kind of a lowercase word (``rules``: the loaded keyphrase rules, if at hand)."""
    r = rules if rules is not None else _rules(str(model_path("keyphrase_rules.json")))
    if s == "-":
        return HYPHEN
    if not any(c.isalpha() for c in s) or "://" in s or s.startswith("www.") or "@" in s:
        return BOUNDARY
    if s in r["inner"]:
        return INNER
    if s in r["stop"] or len(s) < 2 or not (s[0].isalnum() or s[0] in "#$€£"):
        return STOP
    return CONTENT


class PhraseExtractor:
    """Turns Docs into phrase keys and counts.

    Word classes (lowercase hash, kind, singular, weak) are computed once per spelling (ORTH
    hash) and kept in an open-addressing hash table (NumPy arrays, linear probing), so a
    Doc's words are looked up with a few vectorised operations (and its ORTH array, which
    names need, comes for free). :meth:`extract_batch` works on many Docs at once: their
    token arrays are joined with one boundary token between Docs (no phrase crosses a
    boundary), so the NumPy work is done once per batch instead of once per Doc.
    """

    def __init__(self, vocab: Vocab, max_words: int = MAX_WORDS, table_bits: int = 17) -> None:
        self.vocab = vocab
        self.rules = _rules(str(model_path("keyphrase_rules.json")))
        self.max_words = max(1, min(3, int(max_words)))
        self._bits = table_bits
        self._new_table(table_bits)
        # Plain ints in dicts, not a tuple per word: every live tuple is work for the
        # garbage collector, and a cold pass learns tens of thousands of words.
        self._kw: dict[int, int] = {}  # lowercase hash -> kind | weak << 3
        self._fold: dict[int, int] = {}  # lowercase hash -> folded hash

    def _new_table(self, bits: int) -> None:
        size = 1 << bits
        self._mask = np.uint64(size - 1)
        self._t_key = np.zeros(size, dtype=np.uint64)  # ORTH hash; 0: empty (no word hashes to 0)
        self._t_low = np.zeros(size, dtype=np.uint64)
        self._t_kind = np.zeros(size, dtype=np.int8)
        self._t_fold = np.zeros(size, dtype=np.uint64)
        self._t_weak = np.zeros(size, dtype=bool)
        self._filled = 0

    def _classify(self, h: int) -> tuple[int, int, bool]:
        """(kind, folded hash, weak) of a word by its lowercase hash: the plain definition,
        which :meth:`_learn` inlines (the tests hold them equal)."""
        s = self.vocab.strings[h] if h in self.vocab.strings else ""
        kind = _classify(s, self.rules)  # not re-resolving the rules file: that is a stat() per word
        folded = fold_plural(s, self.rules["plural_keep"]) if kind == CONTENT else s
        fold = self.vocab.strings.add(folded) if folded != s else h
        return kind, fold, (s in self.rules["weak"] or folded in self.rules["weak"])

    def _learn(self, lows: Iterable[int]) -> None:
        """Classify lowercase words not seen before (:meth:`_classify`, inlined: a cold pass
        meets tens of thousands of words)."""
        strings, add, kws, folds = self.vocab.strings, self.vocab.strings.add, self._kw, self._fold
        r = self.rules
        inner, stop, weak_words, keep = r["inner"], r["stop"], r["weak"], r["plural_keep"]
        for h in lows:
            if h in kws:
                continue
            s = strings[h] if h in strings else ""
            if s.isalpha():  # the common case of _classify(), exactly
                kind = INNER if s in inner else STOP if s in stop or len(s) < 2 else CONTENT
            else:
                kind = _classify(s, r)
            # fold_plural() leaves words of up to 3 letters and words not ending in "s" alone
            folded = fold_plural(s, keep) if kind == CONTENT and len(s) > 3 and s[-1] == "s" else s
            kws[h] = kind | (s in weak_words or folded in weak_words) << 3
            folds[h] = add(folded) if folded != s else h

    def _word(self, low: int) -> tuple[int, int, bool]:
        """(kind, folded hash, weak) of a lowercase word."""
        kw = self._kw.get(low)
        if kw is None:
            self._learn((low,))
            kw = self._kw[low]
        return kw & 7, self._fold[low], bool(kw >> 3)

    def _find(self, orth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each hash's slot in the table and whether it is there (if not, the slot is the
        empty one that ends its probe). Linear probing, one vectorised round per probe
        step over the hashes still looking: the first round settles nearly all."""
        size_m1 = len(self._t_key) - 1
        slot = (orth & self._mask).astype(np.intp)
        key = self._t_key[slot]
        found = key == orth
        todo = np.flatnonzero(~found & (key != 0))
        while len(todo):
            s = (slot[todo] + 1) & size_m1
            slot[todo] = s
            key = self._t_key[s]
            hit = key == orth[todo]
            found[todo[hit]] = True
            todo = todo[~hit & (key != 0)]
        return slot, found

    def _add(self, orths: np.ndarray) -> None:
        """Learn spellings missing from the table (unique ORTH hashes) and put them in it."""
        vocab = self.vocab
        lows = [vocab[h].lower for h in orths.tolist()]  # a token's LOWER is its lexeme's
        self._learn(lows)
        n = len(lows)
        kw = np.fromiter(map(self._kw.__getitem__, lows), dtype=np.int64, count=n)
        fold = np.fromiter(map(self._fold.__getitem__, lows), dtype=np.uint64, count=n)
        self._insert(orths, np.asarray(lows, dtype=np.uint64), (kw & 7).astype(np.int8), fold, (kw >> 3).astype(bool))

    def _insert(self, keys: np.ndarray, low: np.ndarray, kind: np.ndarray, fold: np.ndarray, weak: np.ndarray) -> None:
        """Put new spellings (unique, absent) in the table, each in the first free slot of its
        probe sequence; several wanting one free slot: the first gets it, the rest probe on."""
        if (self._filled + len(keys)) * 4 > len(self._t_key):  # keep the table sparse: grow it first
            nz = np.flatnonzero(self._t_key)
            keys = np.concatenate((self._t_key[nz], keys))
            low = np.concatenate((self._t_low[nz], low))
            kind = np.concatenate((self._t_kind[nz], kind))
            fold = np.concatenate((self._t_fold[nz], fold))
            weak = np.concatenate((self._t_weak[nz], weak))
            while len(keys) * 4 > (1 << self._bits):
                self._bits += 1
            self._new_table(self._bits)
        size_m1 = len(self._t_key) - 1
        slot = (keys & self._mask).astype(np.intp)
        todo = np.arange(len(keys))
        while len(todo):
            s = slot[todo]
            free = np.flatnonzero(self._t_key[s] == 0)
            won = free[np.unique(s[free], return_index=True)[1]]  # positions in todo
            w, ws = todo[won], s[won]
            self._t_key[ws] = keys[w]
            self._t_low[ws] = low[w]
            self._t_kind[ws] = kind[w]
            self._t_fold[ws] = fold[w]
            self._t_weak[ws] = weak[w]
            self._filled += len(w)
            rest = np.ones(len(todo), dtype=bool)
            rest[won] = False
            todo = todo[rest]
            slot[todo] = (slot[todo] + 1) & size_m1

    def _lookup(self, orth: np.ndarray, skip: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Lowercase hash, kind, folded hash and weak flag of each ORTH hash (positions in
        ``skip`` are not words: left unresolved)."""
        slot, found = self._find(orth)
        if skip is not None:
            found[skip] = True
        if not found.all():
            miss = np.flatnonzero(~found)
            bits = self._bits
            self._add(np.unique(orth[miss]))
            if self._bits != bits:  # the table grew: every slot moved
                slot = self._find(orth)[0]
            else:
                slot[miss] = self._find(orth[miss])[0]
        return self._t_low[slot], self._t_kind[slot], self._t_fold[slot], self._t_weak[slot]

    def word_info(self, doc: Doc) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lowercase hash, kind, folded hash and weak flag of every token."""
        if not len(doc):
            z = np.zeros(0, dtype=np.uint64)
            return z, np.zeros(0, dtype=np.int8), z, np.zeros(0, dtype=bool)
        return self._lookup(doc.to_array(ORTH))

    def extract(self, doc: Doc) -> DocPhrases:
        return self.extract_batch([doc]).doc(0)

    def extract_many(self, docs: Sequence[Doc]) -> list[DocPhrases]:
        b = self.extract_batch(docs)
        return [b.doc(i) for i in range(len(docs))]

    def extract_batch(self, docs: Sequence[Doc]) -> PhraseBatch:
        """The phrases of many Docs, computed together (see :class:`PhraseBatch`)."""
        nd = len(docs)
        lens = np.fromiter((len(d) for d in docs), dtype=np.int64, count=nd)
        # token layout: SEP d0 SEP d1 ... SEP d(n-1) SEP, so doc i is tokens sep[i]+1 .. sep[i+1]-1
        sep = np.zeros(nd + 1, dtype=np.int64)
        np.cumsum(lens + 1, out=sep[1:])
        N = int(sep[-1]) + 1
        gap = np.zeros(1, dtype=np.uint64)
        chunks = [gap]
        for d in docs:
            if len(d):
                chunks.append(d.to_array(ORTH))
            chunks.append(gap)
        orth = np.concatenate(chunks)
        low, kind, fold, weak = self._lookup(orth, skip=sep)
        kind[sep] = BOUNDARY
        # the boundary tokens keep every window below inside one Doc: BOUNDARY is neither a
        # word nor a hyphen, so runs, pairs, triples and hyphen joins all stop at it
        ulow, ufold, ukind, uweak = low, fold, kind, weak
        idx = None
        # -- words: a hyphenated word ("user-centered", "end-to-end") is one unit
        wordish = kind != BOUNDARY
        wordish &= kind != HYPHEN
        j = np.flatnonzero((kind[1:-1] == HYPHEN) & wordish[:-2] & wordish[2:]) + 1
        if len(j):
            # glued hyphens only ("user-centered", not "users - all of them"): few, so ask the tokens
            jd = (np.searchsorted(sep, j) - 1).tolist()
            base = (sep[:-1] + 1).tolist()
            j = [x for x, d in zip(j.tolist(), jd) if not docs[d][x - 1 - base[d]].whitespace_ and not docs[d][x - base[d]].whitespace_]
        if len(j):
            # a chain "end-to-end" folds into its first word, left to right:
            # low = (low(end) * PJ + low(to)) * PJ + low(end), fold likewise with the last fold
            M, PJ = 0xFFFFFFFFFFFFFFFF, int(_PJ)
            ja = np.asarray(j, dtype=np.int64)
            nxt_low = low[ja + 1].tolist()
            nxt_fold = fold[ja + 1].tolist()
            prev_low = low[ja - 1].tolist()
            heads: dict[int, tuple[int, int, int]] = {}  # head token -> (low, fold, end)
            h = cur = -10
            for jj, pl, nl, nf in zip(j, prev_low, nxt_low, nxt_fold):
                if jj != cur + 2:  # not continuing the chain that ended at jj - 1
                    h, base_low = jj - 1, pl
                else:
                    base_low = heads[h][0]
                heads[h] = ((base_low * PJ + nl) & M, (base_low * PJ + nf) & M, jj + 2)
                cur = jj
            keep = np.ones(N, dtype=bool)
            keep[ja] = False
            keep[ja + 1] = False
            idx = np.flatnonzero(keep)  # token index of each unit
            ulow, ufold, ukind, uweak = low[idx], fold[idx], kind[idx], weak[idx]
            ustart, uend = idx, idx + 1
            hu = np.searchsorted(idx, np.fromiter(heads, dtype=np.int64, count=len(heads)))  # heads are kept
            hv = list(heads.values())
            ulow[hu] = np.asarray([v[0] for v in hv], dtype=np.uint64)
            ufold[hu] = np.asarray([v[1] for v in hv], dtype=np.uint64)
            ukind[hu] = CONTENT
            uweak[hu] = False
            uend[hu] = [v[2] for v in hv]
            usep = np.searchsorted(idx, sep)  # boundary tokens are never joined
        else:
            ustart = np.arange(N, dtype=np.int64)
            uend = ustart + 1
            usep = sep
        m = len(ulow)
        content = ukind == CONTENT
        i1 = np.flatnonzero(content)
        parts = [ufold[i1]]
        units = [i1]
        # uint64 array arithmetic wraps around silently (no overflow warnings for arrays)
        if self.max_words >= 2:
            i2 = i1[:-1][np.diff(i1) == 1] if len(i1) > 1 else i1[:0]
            parts.append(ulow[i2] * _P1 + ufold[i2 + 1] * _P2 + _T2)
            units.append(i2)
            if self.max_words >= 3:
                # two adjacent pairs, or "theory of change": content, inner, content, standing alone
                i3 = i2[:-1][np.diff(i2) == 1] if len(i2) > 1 else i2[:0]
                mid = np.flatnonzero(ukind[1:-1] == INNER) + 1
                if len(mid):
                    # the end tokens are boundaries, so mid - 2 and mid + 2 stay in the array
                    mid = mid[content[mid - 1] & content[mid + 1]]
                    alone = ~(content[np.maximum(mid - 2, 0)] | content[np.minimum(mid + 2, m - 1)])
                    i3 = np.sort(np.concatenate((i3, mid[alone] - 1)))
                parts.append(ulow[i3] * _P1 + ulow[i3 + 1] * _P2 + ufold[i3 + 2] * _P3 + _T3)
                units.append(i3)
        return PhraseBatch(self, docs, sep, usep, orth, low, ulow, ufold, ukind, uweak, ustart, uend, parts, units)

    def short_keys(self, doc: Doc) -> set[int]:
        """The phrase keys of a short Doc (a title), computed in plain Python: the same keys
        as :meth:`extract` gives, without its fixed NumPy overhead."""
        M = 0xFFFFFFFFFFFFFFFF
        P1, P2, P3, T2, T3 = (int(x) for x in (_P1, _P2, _P3, _T2, _T3))
        units = self._units(self._py_tokens(doc))
        out: set[int] = set()
        m = len(units)
        for i, (low, fold, kind) in enumerate(units):
            if kind != CONTENT:
                continue
            out.add(fold)
            if self.max_words >= 2 and i + 1 < m and units[i + 1][2] == CONTENT:
                out.add((low * P1 + units[i + 1][1] * P2 + T2) & M)
            if self.max_words >= 3 and i + 2 < m and units[i + 2][2] == CONTENT:
                mid = units[i + 1][2]
                if mid == CONTENT or (
                    mid == INNER
                    and not (i > 0 and units[i - 1][2] == CONTENT)
                    and not (i + 3 < m and units[i + 3][2] == CONTENT)
                ):
                    out.add((low * P1 + units[i + 1][0] * P2 + units[i + 2][1] * P3 + T3) & M)
        return out

    def phrase_key(self, doc: Doc) -> int | None:
        """The key of a Doc that is exactly one phrase ("user-centered design"), else None."""
        M = 0xFFFFFFFFFFFFFFFF
        units = self._units(self._py_tokens(doc))
        kinds = [u[2] for u in units]
        if kinds == [CONTENT]:
            return units[0][1]
        if kinds == [CONTENT, CONTENT] and self.max_words >= 2:
            return (units[0][0] * int(_P1) + units[1][1] * int(_P2) + int(_T2)) & M
        if len(kinds) == 3 and kinds[0] == kinds[2] == CONTENT and kinds[1] in (CONTENT, INNER) and self.max_words >= 3:
            return (units[0][0] * int(_P1) + units[1][0] * int(_P2) + units[2][1] * int(_P3) + int(_T3)) & M
        return None

    def _py_tokens(self, doc: Doc) -> list[tuple[int, int, int, bool]]:
        toks = []
        for t in doc:
            kind, fold, _ = self._word(t.lower)
            toks.append((t.lower, kind, fold, not t.whitespace_))
        return toks

    @staticmethod
    def _units(toks: list[tuple[int, int, int, bool]]) -> list[tuple[int, int, int]]:
        """Words (low, fold, kind) from tokens, a hyphenated word being one (as in :meth:`extract`)."""
        M = 0xFFFFFFFFFFFFFFFF
        PJ = int(_PJ)
        units: list[tuple[int, int, int]] = []  # (low, fold, kind)
        n = len(toks)
        i = 0
        wordish = (CONTENT, STOP, INNER)
        while i < n:
            low, kind, fold, glued = toks[i]
            if kind in wordish:
                # hyphen joins: word-word(-word...) with no spaces around the hyphens
                while (
                    i + 2 < n
                    and glued
                    and toks[i + 1][1] == HYPHEN
                    and toks[i + 1][3]
                    and toks[i + 2][1] in wordish
                ):
                    fold = (low * PJ + toks[i + 2][2]) & M
                    low = (low * PJ + toks[i + 2][0]) & M
                    kind = CONTENT
                    glued = toks[i + 2][3]
                    i += 2
            units.append((low, fold, kind))
            i += 1
        return units

    def surfaces(self, p: DocPhrases, keys: list[int]) -> dict[int, str]:
        """How each phrase reads: as first written, each word lowercased unless it is an
        acronym ("GSA", "GitHub") or is never written in lowercase in this post (a name)."""
        at = np.searchsorted(p.keys, np.asarray(keys, dtype=np.uint64))
        spans = []
        for o in p.first[at].tolist():
            u = int(p.occ_unit[o])
            spans.append([(int(p.units_start[x]), int(p.units_end[x])) for x in range(u, u + int(p.occ_nwords[o]))])
        assert p.doc is not None
        return dict(zip(keys, self._names(p.doc, p.tok_low, p.tok_orth, spans)))

    def _names(self, doc: Doc, tok_low: np.ndarray, tok_orth: np.ndarray, spans: list[list[tuple[int, int]]]) -> list[str]:
        """The surface of each phrase, given as its words' token spans (see :meth:`surfaces`)."""
        toks = [i for units in spans for a, b in units for i in range(a, b)]
        strings = self.vocab.strings  # a token's text is its ORTH string
        written = dict(zip(toks, map(strings.__getitem__, tok_orth[toks].tolist())))
        # only Titlecase words need a decision: lowercase ones and acronyms ("GSA", "GitHub")
        # stay as written; a Titlecase word is a name if the post never writes it in lowercase
        # and capitalises it at least once inside a sentence (not only at starts, in headings)
        titled = [i for i, w in written.items() if w[:1].isupper() and not any(map(str.isupper, w[1:]))]
        lowered: set[int] = set()
        if titled:
            lows = tok_low[np.asarray(titled, dtype=np.int64)]
            lower_written = tok_low[tok_orth == tok_low]
            never_lower = ~(lows[:, None] == lower_written[None, :]).any(axis=1)
            for i, low, ok in zip(titled, lows.tolist(), never_lower.tolist()):
                if not (ok and self._capitalised_inside(tok_low, tok_orth, low)):
                    lowered.add(i)
        return [
            " ".join("".join(written[i].lower() if i in lowered else written[i] for i in range(a, b)) for a, b in units)
            for units in spans
        ]

    def _capitalised_inside(self, tok_low: np.ndarray, tok_orth: np.ndarray, low: int, limit: int = 20) -> bool:
        strings = self.vocab.strings
        for i in np.flatnonzero(tok_low == np.uint64(low))[:limit].tolist():
            if i == 0 or tok_orth[i] == tok_low[i]:
                continue
            prev = strings[int(tok_orth[i - 1])]
            if prev.isspace() or prev in (".", "!", "?", ":", ";", "…", "•", "-", "–", "—", "|", "#", "*", '"', "“", "(", "["):
                continue
            return True
        return False

    @staticmethod
    def subkeys(p: DocPhrases, occ: int) -> set[int]:
        """Keys of the shorter phrases inside one phrase occurrence."""
        u = int(p.occ_unit[occ])
        L = int(p.occ_nwords[occ])
        if L == 1:
            return set()  # a fresh set: callers may add to it
        return _subkeys(
            p.units_low[u : u + L].tolist(), p.units_fold[u : u + L].tolist(), (p.units_kind[u : u + L] == CONTENT).tolist(), L
        )


_M64, _P1i, _P2i, _T2i = 0xFFFFFFFFFFFFFFFF, int(_P1), int(_P2), int(_T2)
_NO_PARTS: frozenset[int] = frozenset()


def _subkeys(low: list[int], fold: list[int], content: list[bool], L: int, at: int = 0) -> set[int] | frozenset[int]:
    """Keys of the shorter phrases inside a phrase of ``L`` words: its words' lowercase and
    folded hashes and whether each is a CONTENT word are ``low[at:at + L]`` and so on."""
    if L == 1:
        return _NO_PARTS
    out = {fold[i] for i in range(at, at + L) if content[i]}
    if L == 3:
        for i in (at, at + 1):
            if content[i] and content[i + 1]:
                out.add((low[i] * _P1i + fold[i + 1] * _P2i + _T2i) & _M64)
    return out


def _empty() -> DocPhrases:
    z = np.zeros(0, dtype=np.int64)
    zu = np.zeros(0, dtype=np.uint64)
    return DocPhrases(zu, z, z, z, np.zeros(0, dtype=bool), zu, z, z, zu, zu, np.zeros(0, dtype=np.int8), z, z, 0, zu)


class PhraseBatch:
    """The phrases of several Docs, in arrays over all of them (from
    :meth:`PhraseExtractor.extract_batch`). Occurrences are grouped by Doc, each Doc's in
    the order :class:`DocPhrases` lists them (single words, then pairs, then triples, each
    by position); unique keys are grouped by Doc too, sorted within it. :meth:`doc` gives
    one Doc's :class:`DocPhrases` (views into these arrays)."""

    def __init__(
        self,
        extractor: PhraseExtractor,
        docs: Sequence[Doc],
        sep: np.ndarray,
        usep: np.ndarray,
        orth: np.ndarray,
        low: np.ndarray,
        ulow: np.ndarray,
        ufold: np.ndarray,
        ukind: np.ndarray,
        uweak: np.ndarray,
        ustart: np.ndarray,
        uend: np.ndarray,
        parts: list[np.ndarray],
        units: list[np.ndarray],
    ) -> None:
        nd = len(docs)
        self.docs = docs
        self.sep, self.usep = sep, usep  # boundary token / unit before each Doc (and after the last)
        self.orth, self.low = orth, low
        self.ulow, self.ufold, self.ukind, self.ustart, self.uend = ulow, ufold, ukind, ustart, uend
        occ_keys = np.concatenate(parts)
        occ_u = np.concatenate(units)
        occ_n = np.repeat(np.arange(1, len(parts) + 1, dtype=np.int64), [len(x) for x in parts])
        occ_d = np.searchsorted(usep, occ_u) - 1
        # group by Doc, keeping each Doc's singles-pairs-triples order (a stable sort of
        # three sorted runs: cheap)
        perm = np.argsort(occ_d, kind="stable")
        self.occ_keys, self.occ_u, self.occ_n, occ_d = occ_keys[perm], occ_u[perm], occ_n[perm], occ_d[perm]
        total = len(occ_keys)
        self.occ_off = off = np.searchsorted(occ_d, np.arange(nd + 1))  # Doc d: occ_off[d]:occ_off[d+1]
        self.occ_base = usep[occ_d] + 1  # a Doc's first unit, per occurrence
        # unique keys per Doc with np.unique's answers: each Doc's keys sorted (quicksort:
        # equal keys in any order), a key's first occurrence the smallest index in its run
        order = np.empty(total, dtype=np.intp)
        for a, b in zip(off[:-1].tolist(), off[1:].tolist()):
            if b > a:
                order[a:b] = self.occ_keys[a:b].argsort() + a
        ks = self.occ_keys[order]
        new = np.empty(total, dtype=bool)
        new[:1] = True
        np.not_equal(ks[1:], ks[:-1], out=new[1:])
        new[off[:-1][off[:-1] < total]] = True  # a Doc's first key is new even if the last Doc ended with it
        starts = np.flatnonzero(new)
        fo = np.minimum.reduceat(order, starts) if total else order[:0]
        self.keys = ks[starts]
        self.first_occ = fo  # batch-wide occurrence index of each key's first occurrence
        self.counts = np.diff(np.append(starts, total))
        self.nwords = self.occ_n[fo]
        self.weak = (self.nwords == 1) & uweak[self.occ_u[fo]]
        self.key_doc = occ_d[fo]
        self.key_off = np.searchsorted(starts, off)  # Doc d's keys: key_off[d]:key_off[d+1]
        self.first_unit = self.occ_u[fo] - self.occ_base[fo]  # within its Doc
        self.n_units = usep[1:] - usep[:-1] - 1

    def __len__(self) -> int:
        return len(self.docs)

    def doc(self, i: int) -> DocPhrases:
        a, b = int(self.occ_off[i]), int(self.occ_off[i + 1])
        if a == b:
            return _empty()
        ka, kb = int(self.key_off[i]), int(self.key_off[i + 1])
        u0, u1 = int(self.usep[i]) + 1, int(self.usep[i + 1])
        t0, t1 = int(self.sep[i]) + 1, int(self.sep[i + 1])
        return DocPhrases(
            keys=self.keys[ka:kb],
            counts=self.counts[ka:kb],
            first=self.first_occ[ka:kb] - a,
            nwords=self.nwords[ka:kb],
            weak=self.weak[ka:kb],
            occ_keys=self.occ_keys[a:b],
            occ_unit=self.occ_u[a:b] - u0,
            occ_nwords=self.occ_n[a:b],
            units_low=self.ulow[u0:u1],
            units_fold=self.ufold[u0:u1],
            units_kind=self.ukind[u0:u1],
            units_start=self.ustart[u0:u1] - t0,
            units_end=self.uend[u0:u1] - t0,
            n_units=u1 - u0,
            tok_low=self.low[t0:t1],
            doc=self.docs[i],
            _orth=self.orth[t0:t1],
        )


# -- background statistics ------------------------------------------------------------------
@dataclass
class Background:
    """Document frequencies of phrases over a reference collection."""

    documents: int
    keys: np.ndarray  # sorted uint64
    df: np.ndarray  # int64, aligned with keys
    _weights: dict[float, tuple[np.ndarray, float]] = field(default_factory=dict, repr=False, compare=False)

    def weights(self, keys: np.ndarray, power: float) -> np.ndarray:
        """``idf ** power`` of each key, with idf = ln((N + 1) / (df + 1)) + 1 (df 0 if unseen)."""
        cached = self._weights.get(power)
        if cached is None:
            n = self.documents + 1.0
            cached = (np.log(n / (self.df + 1.0)) + 1.0) ** power, (math.log(n) + 1.0) ** power
            self._weights[power] = cached
        w, unseen = cached
        if not len(self.keys):
            return np.full(len(keys), unseen)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, w[pos], unseen)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64)
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, len(self.keys) - 1)
        hit = self.keys[pos] == keys
        return np.where(hit, self.df[pos], 0)

    @classmethod
    def from_phrases(cls, per_doc: Iterable[np.ndarray]) -> "Background":
        """From the unique phrase keys of each document."""
        arrays = [np.asarray(k, dtype=np.uint64) for k in per_doc]
        if not arrays:
            return cls(0, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))
        allk = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)
        keys, df = np.unique(allk, return_counts=True)
        return cls(len(arrays), keys, df.astype(np.int64))


_BACKGROUNDS: dict[tuple[str, int], Background] = {}


def load_background(path: str, tokenizer: Any, extractor: "PhraseExtractor") -> Background:
    """A background table file, its phrases turned into keys (cached per file version:
    keys are spaCy string hashes, the same in every vocab)."""
    st = os.stat(path)
    cache_key = (os.path.abspath(path), st.st_mtime_ns)
    got = _BACKGROUNDS.get(cache_key)
    if got is not None:
        return got
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    phrases: dict[str, int] = data["phrases"]
    documents = int(data["documents"])
    texts = list(phrases)
    keys: list[int] = []
    dfs: list[int] = []
    for text, d in zip(texts, tokenizer.pipe(texts)):
        key = extractor.phrase_key(d)
        if key is not None:
            keys.append(key)
            dfs.append(int(phrases[text]))
    k = np.asarray(keys, dtype=np.uint64)
    df = np.asarray(dfs, dtype=np.int64)
    order = np.lexsort((-df, k))  # two spellings of one phrase: keep the larger count
    k, df = k[order], df[order]
    k, first = np.unique(k, return_index=True)
    bg = Background(documents, k, df[first])
    _BACKGROUNDS[cache_key] = bg
    return bg


def build_background(docs: Iterable[Doc], extractor: PhraseExtractor, min_df: int = 2) -> dict[str, Any]:
    """A background table (JSON-ready) from Docs: each phrase with its document frequency,
    written in its most common form (as written: a lowercased form can tokenise differently)."""
    per_doc: list[np.ndarray] = []
    surface: dict[int, dict[str, int]] = {}
    n = 0
    for doc in docs:
        n += 1
        p = extractor.extract(doc)
        per_doc.append(p.keys)
        text = doc.text
        starts = doc.to_array([IDX]).reshape(-1) if len(doc) else np.zeros(0, dtype=np.int64)
        lens = doc.to_array([LENGTH]).reshape(-1) if len(doc) else np.zeros(0, dtype=np.int64)
        for k, occ in zip(p.keys.tolist(), p.first.tolist()):
            i, j = p.span(occ)
            a = int(starts[i])
            b = int(starts[j - 1] + lens[j - 1])
            s = " ".join(text[a:b].split())  # as written: re-tokenising a lowercased form can differ ("ID" vs "id")
            d = surface.setdefault(k, {})
            d[s] = d.get(s, 0) + 1
    bg = Background.from_phrases(per_doc)
    phrases: dict[str, int] = {}
    for k, df in zip(bg.keys.tolist(), bg.df.tolist()):
        if df < min_df:
            continue
        forms = surface[k]
        best = sorted(forms, key=lambda s: (-forms[s], s))[0]
        phrases[best] = max(int(df), phrases.get(best, 0))
    return {
        "about": "Document frequencies of keyphrase candidates (ddlens_themes background). Rebuild: ddlens train themes DIR",
        "documents": n,
        "min_df": min_df,
        "phrases": dict(sorted(phrases.items())),
    }


# -- the component ---------------------------------------------------------------------------
class ThemeFinder(BatchComponent):
    """Sets ``doc._.themes``: up to ``top_k`` :class:`Theme` keyphrases with scores."""

    def __init__(
        self,
        nlp: Language,
        name: str = "ddlens_themes",
        background: str | None = None,
        top_k: int = 10,
        max_words: int = MAX_WORDS,
        title_weight: float = 5.0,
        idf_power: float = 0.5,
        multiword_boost: float = 1.25,
        lead_boost: float = 0.5,
    ) -> None:
        register_extensions()
        self.name = name
        self.top_k = max(0, int(top_k))
        self.title_weight = float(title_weight)
        self.idf_power = float(idf_power)
        self.multiword_boost = float(multiword_boost)
        self.lead_boost = float(lead_boost)
        self.tokenizer = nlp.tokenizer
        self.extractor = PhraseExtractor(nlp.vocab, max_words=max_words)
        self.background_path = str(background) if background else str(model_path("themes_df.json"))
        self.background = self._load(self.background_path)

    def _load(self, path: str) -> Background:
        if not os.path.isfile(path):
            raise ValueError(f"{path}: themes background table not found")
        try:
            return load_background(path, self.tokenizer, self.extractor)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a ddlens themes background table ({exc})") from None

    def use_background(self, background: Background) -> None:
        """Score against other statistics (e.g. the folder being analysed)."""
        self.background = background

    # -- scoring -------------------------------------------------------------------------------
    def scores(self, p: DocPhrases, title: set[int] | None) -> np.ndarray:
        """Term frequency (title occurrences count ``title_weight`` extra) times a damped
        IDF (``idf ** idf_power``), times ``multiword_boost`` for phrases of two or three
        words and ``1 + lead_boost`` for phrases first seen in the opening 15% of the post.
        Zero for lone weak words and for multi-word phrases seen once outside the title."""
        in_title = np.zeros(len(p.keys), dtype=bool)
        if title:
            tk = np.fromiter(title, dtype=np.uint64, count=len(title))
            at = np.minimum(np.searchsorted(p.keys, tk), len(p.keys) - 1)  # p.keys is sorted
            at = at[p.keys[at] == tk]
            in_title[at] = True
        lead = p.occ_unit[p.first] < 0.15 * max(1, p.n_units)
        return self._score(p.keys, p.counts, p.nwords, p.weak, in_title, lead)

    def keyphrases(self, doc: Doc, title: str | None = None, k: int | None = None) -> list[Theme]:
        """The top ``k`` (default ``top_k``) keyphrases of ``doc``; words of ``title`` count extra."""
        return self.keyphrases_many([doc], [title], k)[0]

    def keyphrases_many(
        self, docs: Sequence[Doc], titles: Sequence[str | None], k: int | None = None
    ) -> list[list[Theme]]:
        """:meth:`keyphrases` of several Docs (with their titles), extracted and scored
        together: the same answers, with the array work done once for the batch."""
        k = self.top_k if k is None else k
        if k == 0 or not len(docs):
            return [[] for _ in docs]
        b = self.extractor.extract_batch(docs)
        key_off = b.key_off.tolist()
        in_title = np.zeros(len(b.keys), dtype=bool)
        for d, title in enumerate(titles):
            ka, kb = key_off[d], key_off[d + 1]
            if title and kb > ka:
                tp = self.extractor.short_keys(self.tokenizer(title))
                if tp:
                    keys = b.keys[ka:kb]  # sorted within a Doc
                    tk = np.fromiter(tp, dtype=np.uint64, count=len(tp))
                    at = np.minimum(np.searchsorted(keys, tk), kb - ka - 1)
                    in_title[ka + at[keys[at] == tk]] = True
        # the same element-wise arithmetic as scores(), over all the batch's keys at once
        lead = b.first_unit < 0.15 * np.maximum(1, b.n_units)[b.key_doc]
        score = self._score(b.keys, b.counts, b.nwords, b.weak, in_title, lead)
        # rank each Doc's keys: score desc, then first position, then key (a total order:
        # deterministic); batch-wide first-occurrence indices order a Doc's keys as its own do
        pool = 2 * k + 10
        ranked: list[np.ndarray] = []
        for d in range(len(docs)):
            ka, kb = key_off[d], key_off[d + 1]
            n = kb - ka
            if n > pool:
                # everything scoring at least the pool-th best (ties included), then sort those
                cut = np.partition(score[ka:kb], n - pool)[n - pool]
                idx = np.flatnonzero(score[ka:kb] >= cut) + ka
            else:
                idx = np.arange(ka, kb)
            order = idx[np.lexsort((b.keys[idx], b.first_occ[idx], -score[idx]))]
            ranked.append(order[score[order] > 0][:pool])
        cand = np.concatenate(ranked)
        if not len(cand):
            return [[] for _ in docs]
        # each candidate's words (up to 3), read for all candidates of the batch at once into
        # flat lists (candidate i's words at 3i, 3i+1, 3i+2: one list per array, not one per
        # candidate, as every live list is work for the garbage collector)
        occ = b.first_occ[cand]
        c_len = b.occ_n[occ].tolist()
        win = np.minimum(b.occ_u[occ][:, None] + np.arange(3), len(b.ukind) - 1).ravel()
        c_low = b.ulow[win].tolist()
        c_fold = b.ufold[win].tolist()
        c_content = (b.ukind[win] == CONTENT).tolist()
        c_start = b.ustart[win].tolist()
        c_end = b.uend[win].tolist()
        c_keys = b.keys[cand].tolist()
        c_counts = b.counts[cand].tolist()
        c_score = score[cand].tolist()
        out: list[list[Theme]] = []
        at = 0
        for d, order in enumerate(ranked):
            nc = len(order)
            lo, at = at, at + nc
            if not nc:
                out.append([])
                continue
            cand_keys = c_keys[lo:at]
            counts = c_counts[lo:at]
            subs = [_subkeys(c_low, c_fold, c_content, c_len[i], 3 * i) for i in range(lo, at)]
            pos = {key: i for i, key in enumerate(cand_keys)}
            # a phrase mostly seen inside a longer candidate is that candidate's part
            absorbed: set[int] = set()
            for i in range(nc):
                for s_ in subs[i]:
                    j = pos.get(s_)
                    if j is not None and counts[i] * 2 >= counts[j]:
                        absorbed.add(s_)
            # no phrase beside one of its parts or wholes: "key in subs[c] or cand_keys[c] in
            # subs[i] for some chosen c", as two set tests
            chosen: list[int] = []  # indices into cand_keys
            parts: set[int] = set()  # the sub-phrases of the chosen
            wholes: set[int] = set()  # the chosen keys
            for i, key in enumerate(cand_keys):
                if key in absorbed or key in parts or not wholes.isdisjoint(subs[i]):
                    continue
                chosen.append(i)
                parts |= subs[i]
                wholes.add(key)
                if len(chosen) >= k:
                    break
            if not chosen:
                out.append([])
                continue
            t0, t1 = int(b.sep[d]) + 1, int(b.sep[d + 1])
            spans = [[(c_start[x] - t0, c_end[x] - t0) for x in range(3 * (lo + i), 3 * (lo + i) + c_len[lo + i])] for i in chosen]
            names = self.extractor._names(docs[d], b.low[t0:t1], b.orth[t0:t1], spans)
            top = c_score[lo + chosen[0]] or 1.0
            out.append([Theme(phrase=name, score=c_score[lo + i] / top) for name, i in zip(names, chosen)])
        return out

    def _score(
        self,
        keys: np.ndarray,
        counts: np.ndarray,
        nwords: np.ndarray,
        weak: np.ndarray,
        in_title: np.ndarray,
        lead: np.ndarray,
    ) -> np.ndarray:
        weight = self.background.weights(keys, self.idf_power)
        tf = counts.astype(np.float64) + self.title_weight * in_title
        score = tf * weight
        score *= np.where(nwords > 1, self.multiword_boost, 1.0)
        score *= np.where(lead, 1.0 + self.lead_boost, 1.0)
        score[(counts < 2) & (nwords > 1) & ~in_title] = 0.0
        score[weak] = 0.0
        return score

    def process(self, docs: Sequence[Doc]) -> None:
        for doc, themes in zip(docs, self.keyphrases_many(docs, [_title(d) for d in docs])):
            doc._.themes = themes



def _title(doc: Doc) -> str | None:
    article = doc._.article
    return getattr(article, "title", None) if article is not None else None


@Language.factory(
    "ddlens_themes",
    default_config={
        "background": None,
        "top_k": 10,
        "max_words": MAX_WORDS,
        "title_weight": 5.0,
        "idf_power": 0.5,
        "multiword_boost": 1.25,
        "lead_boost": 0.5,
    },
)
def make_themes(
    nlp: Language,
    name: str,
    background: str | None,
    top_k: int,
    max_words: int,
    title_weight: float,
    idf_power: float,
    multiword_boost: float,
    lead_boost: float,
) -> ThemeFinder:
    return ThemeFinder(
        nlp,
        name,
        background=background,
        top_k=top_k,
        max_words=max_words,
        title_weight=title_weight,
        idf_power=idf_power,
        multiword_boost=multiword_boost,
        lead_boost=lead_boost,
    )


def folder_background(nlp: Language, docs: Sequence[Doc]) -> Background:
    """Statistics of a folder's own posts, for :meth:`ThemeFinder.use_background`."""
    ex = PhraseExtractor(nlp.vocab)
    return Background.from_phrases(ex.extract(d).keys for d in docs)

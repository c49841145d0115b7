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
from spacy.attrs import IDX, LENGTH, LOWER, ORTH
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..analysis import Theme
from ..extensions import register_extensions
from ..resources import model_path

__all__ = [
    "Background",
    "DocPhrases",
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
    """Turns a Doc into phrase keys and counts.

    Word classes (kind, singular, weak) are computed once per word type and kept in a
    direct-address table indexed by the low bits of the word's hash, so a Doc's words are
    looked up with a few vectorised operations; words whose slot is taken by another word
    live in a small dict.
    """

    def __init__(self, vocab: Vocab, max_words: int = MAX_WORDS, table_bits: int = 17) -> None:
        self.vocab = vocab
        self.rules = _rules(str(model_path("keyphrase_rules.json")))
        self.max_words = max(1, min(3, int(max_words)))
        self._bits = table_bits
        self._new_table(table_bits)
        self._overflow: dict[int, tuple[int, int, bool]] = {}
        self._py_info: dict[int, tuple[int, int, bool]] = {}

    def _new_table(self, bits: int) -> None:
        size = 1 << bits
        self._mask = np.uint64(size - 1)
        self._t_key = np.zeros(size, dtype=np.uint64)  # 0: empty (no word hashes to 0)
        self._t_kind = np.zeros(size, dtype=np.int8)
        self._t_fold = np.zeros(size, dtype=np.uint64)
        self._t_weak = np.zeros(size, dtype=bool)
        self._filled = 0

    def _classify(self, h: int) -> tuple[int, int, bool]:
        """(kind, folded hash, weak) of a word by its lowercase hash (the slow path)."""
        s = self.vocab.strings[h] if h in self.vocab.strings else ""
        kind = _classify(s, self.rules)  # not re-resolving the rules file: that is a stat() per word
        folded = fold_plural(s, self.rules["plural_keep"]) if kind == CONTENT else s
        fold = self.vocab.strings.add(folded) if folded != s else h
        return kind, fold, (s in self.rules["weak"] or folded in self.rules["weak"])

    def _insert(self, h: int, info: tuple[int, int, bool]) -> None:
        slot = h & int(self._mask)
        if self._t_key[slot] == 0:
            self._t_key[slot] = h
            self._t_kind[slot], self._t_fold[slot], self._t_weak[slot] = info
            self._filled += 1
        else:
            self._overflow[h] = info
        if self._filled * 4 > len(self._t_key):  # keep the table sparse: rebuild twice as large
            nz = np.flatnonzero(self._t_key)
            old = list(
                zip(
                    self._t_key[nz].tolist(),
                    zip(self._t_kind[nz].tolist(), self._t_fold[nz].tolist(), self._t_weak[nz].tolist()),
                )
            )
            old += list(self._overflow.items())
            self._bits += 1
            self._new_table(self._bits)
            self._overflow = {}
            for k, v in old:
                self._insert(k, v)

    def word_info(self, doc: Doc) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lowercase hash, kind, folded hash and weak flag of every token."""
        low = doc.to_array(LOWER)
        slot = low & self._mask
        hit = self._t_key[slot] == low
        kind = self._t_kind[slot]
        fold = self._t_fold[slot]
        weak = self._t_weak[slot]
        if not hit.all():
            miss = np.flatnonzero(~hit)
            vals = []
            for h in low[miss].tolist():
                v = self._overflow.get(h)
                if v is None:
                    v = self._classify(h)
                    self._insert(h, v)
                vals.append(v)
            kind[miss] = [v[0] for v in vals]
            fold[miss] = [v[1] for v in vals]
            weak[miss] = [v[2] for v in vals]
        return low, kind, fold, weak

    def extract(self, doc: Doc) -> DocPhrases:
        n = len(doc)
        if n == 0:
            return _empty()
        low, kind, fold, weak = self.word_info(doc)
        ulow, ufold, ukind, uweak = low, fold, kind, weak
        ustart = uend = None
        # -- words: a hyphenated word ("user-centered", "end-to-end") is one unit
        if n >= 3:
            wordish = kind != BOUNDARY
            wordish &= kind != HYPHEN
            j = np.flatnonzero((kind[1:-1] == HYPHEN) & wordish[:-2] & wordish[2:]) + 1
            # glued hyphens only ("user-centered", not "users - all of them"): few, so ask the tokens
            j = [x for x in j.tolist() if not doc[x - 1].whitespace_ and not doc[x].whitespace_]
            if j:
                ulow, ufold, ukind, uweak = low.copy(), fold.copy(), kind.copy(), weak.copy()
                end = np.arange(1, n + 1, dtype=np.int64)
                keep = np.ones(n, dtype=bool)
                M, PJ = 0xFFFFFFFFFFFFFFFF, int(_PJ)
                for jj in j:
                    h = jj - 1
                    while not keep[h]:
                        h -= 1
                    if not keep[jj]:
                        continue
                    ufold[h] = (int(ulow[h]) * PJ + int(fold[jj + 1])) & M
                    ulow[h] = (int(ulow[h]) * PJ + int(low[jj + 1])) & M
                    ukind[h] = CONTENT
                    uweak[h] = False
                    end[h] = jj + 2
                    keep[jj] = keep[jj + 1] = False
                idx = np.flatnonzero(keep)
                ulow, ufold, ukind, uweak = ulow[idx], ufold[idx], ukind[idx], uweak[idx]
                ustart, uend = idx, end[idx]
        m = len(ulow)
        if ustart is None:
            ustart = np.arange(m, dtype=np.int64)
            uend = ustart + 1
        content = ukind == CONTENT
        i1 = np.flatnonzero(content)
        parts = [ufold[i1]]
        units = [i1]
        # uint64 array arithmetic wraps around silently (no overflow warnings for arrays)
        if self.max_words >= 2 and m >= 2:
            i2 = i1[:-1][np.diff(i1) == 1] if len(i1) > 1 else i1[:0]
            parts.append(ulow[i2] * _P1 + ufold[i2 + 1] * _P2 + _T2)
            units.append(i2)
        else:
            i2 = i1[:0]
        if self.max_words >= 3 and m >= 3:
            # two adjacent pairs, or "theory of change": content, inner, content, standing alone
            i3 = i2[:-1][np.diff(i2) == 1] if len(i2) > 1 else i2[:0]
            mid = np.flatnonzero(ukind[1:-1] == INNER) + 1
            if len(mid):
                mid = mid[content[mid - 1] & content[np.minimum(mid + 1, m - 1)] & (mid + 1 < m)]
                alone = np.ones(len(mid), dtype=bool)
                alone &= ~((mid >= 2) & content[np.maximum(mid - 2, 0)])
                alone &= ~((mid + 2 < m) & content[np.minimum(mid + 2, m - 1)])
                i3 = np.sort(np.concatenate((i3, mid[alone] - 1)))
            parts.append(ulow[i3] * _P1 + ulow[i3 + 1] * _P2 + ufold[i3 + 2] * _P3 + _T3)
            units.append(i3)
        occ_keys = np.concatenate(parts)
        if not len(occ_keys):
            return _empty()
        occ_u = np.concatenate(units)
        occ_n = np.repeat(np.arange(1, len(parts) + 1, dtype=np.int64), [len(x) for x in parts])
        ukeys, first, counts = np.unique(occ_keys, return_index=True, return_counts=True)
        nwords = occ_n[first]
        return DocPhrases(
            keys=ukeys,
            counts=counts,
            first=first,
            nwords=nwords,
            weak=(nwords == 1) & uweak[occ_u[first]],
            occ_keys=occ_keys,
            occ_unit=occ_u,
            occ_nwords=occ_n,
            units_low=ulow,
            units_fold=ufold,
            units_kind=ukind,
            units_start=ustart,
            units_end=uend,
            n_units=m,
            tok_low=low,
            doc=doc,
        )

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
        info = self._py_info
        toks = []
        for t in doc:
            v = info.get(t.lower)
            if v is None:
                v = info[t.lower] = self._classify(t.lower)
            toks.append((t.lower, v[0], v[1], not t.whitespace_))
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
        occs = p.first[at].tolist()
        spans = []
        toks: list[int] = []
        for o in occs:
            u = int(p.occ_unit[o])
            units = [(int(p.units_start[x]), int(p.units_end[x])) for x in range(u, u + int(p.occ_nwords[o]))]
            spans.append(units)
            for a, b in units:
                toks.extend(range(a, b))
        doc = p.doc
        assert doc is not None
        written = {i: doc[i].text for i in toks}
        # only Titlecase words need a decision: lowercase ones and acronyms ("GSA", "GitHub")
        # stay as written; a Titlecase word is a name if the post never writes it in lowercase
        # and capitalises it at least once inside a sentence (not only at starts, in headings)
        titled = [i for i in toks if written[i][:1].isupper() and not any(c.isupper() for c in written[i][1:])]
        lowered: set[int] = set()
        if titled:
            lows = p.tok_low[np.asarray(titled, dtype=np.int64)]
            lower_written = p.tok_low[p.tok_orth == p.tok_low]
            never_lower = ~(lows[:, None] == lower_written[None, :]).any(axis=1)
            for i, low, ok in zip(titled, lows.tolist(), never_lower.tolist()):
                if not (ok and self._capitalised_inside(p, int(low))):
                    lowered.add(i)
        out: dict[int, str] = {}
        for key, units in zip(keys, spans):
            out[key] = " ".join(
                "".join(written[i].lower() if i in lowered else written[i] for i in range(a, b)) for a, b in units
            )
        return out

    def _capitalised_inside(self, p: DocPhrases, low: int, limit: int = 20) -> bool:
        strings = self.vocab.strings
        for i in np.flatnonzero(p.tok_low == np.uint64(low))[:limit].tolist():
            if i == 0 or p.tok_orth[i] == p.tok_low[i]:
                continue
            prev = strings[int(p.tok_orth[i - 1])]
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
            return set()
        M = 0xFFFFFFFFFFFFFFFF
        low = p.units_low[u : u + L].tolist()
        fold = p.units_fold[u : u + L].tolist()
        content = (p.units_kind[u : u + L] == CONTENT).tolist()
        out = {f for f, c in zip(fold, content) if c}
        if L == 3:
            P1, P2, T2 = int(_P1), int(_P2), int(_T2)
            for i in (0, 1):
                if content[i] and content[i + 1]:
                    out.add((low[i] * P1 + fold[i + 1] * P2 + T2) & M)
        return out


def _empty() -> DocPhrases:
    z = np.zeros(0, dtype=np.int64)
    zu = np.zeros(0, dtype=np.uint64)
    return DocPhrases(zu, z, z, z, np.zeros(0, dtype=bool), zu, z, z, zu, zu, np.zeros(0, dtype=np.int8), z, z, 0, zu)


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
class ThemeFinder:
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
        weight = self.background.weights(p.keys, self.idf_power)
        in_title = np.zeros(len(p.keys), dtype=bool)
        if title:
            tk = np.fromiter(title, dtype=np.uint64, count=len(title))
            at = np.minimum(np.searchsorted(p.keys, tk), len(p.keys) - 1)  # p.keys is sorted
            at = at[p.keys[at] == tk]
            in_title[at] = True
        tf = p.counts.astype(np.float64) + self.title_weight * in_title
        score = tf * weight
        score *= np.where(p.nwords > 1, self.multiword_boost, 1.0)
        lead = p.occ_unit[p.first] < 0.15 * max(1, p.n_units)
        score *= np.where(lead, 1.0 + self.lead_boost, 1.0)
        score[(p.counts < 2) & (p.nwords > 1) & ~in_title] = 0.0
        score[p.weak] = 0.0
        return score

    def keyphrases(self, doc: Doc, title: str | None = None, k: int | None = None) -> list[Theme]:
        """The top ``k`` (default ``top_k``) keyphrases of ``doc``; words of ``title`` count extra."""
        k = self.top_k if k is None else k
        p = self.extractor.extract(doc)
        if not len(p.keys) or k == 0:
            return []
        tp = self.extractor.short_keys(self.tokenizer(title)) if title else None
        score = self.scores(p, tp)
        # rank: score desc, then first position, then key (a total order: deterministic)
        pool = 2 * k + 10
        if len(score) > pool:
            # everything scoring at least the pool-th best (ties included), then sort those
            cut = np.partition(score, len(score) - pool)[len(score) - pool]
            idx = np.nonzero(score >= cut)[0]
        else:
            idx = np.arange(len(score))
        order = idx[np.lexsort((p.keys[idx], p.first[idx], -score[idx]))]
        order = order[score[order] > 0][:pool]
        if not len(order):
            return []
        cand_keys = p.keys[order].tolist()
        counts = p.counts[order].tolist()
        subs = [PhraseExtractor.subkeys(p, o) for o in p.first[order].tolist()]
        pos = {key: i for i, key in enumerate(cand_keys)}
        # a phrase mostly seen inside a longer candidate is that candidate's part
        absorbed: set[int] = set()
        for i, key in enumerate(cand_keys):
            for s_ in subs[i]:
                j = pos.get(s_)
                if j is not None and counts[i] * 2 >= counts[j]:
                    absorbed.add(s_)
        chosen: list[int] = []  # indices into cand_keys
        for i, key in enumerate(cand_keys):
            if key in absorbed:
                continue
            if any(key in subs[c] or cand_keys[c] in subs[i] for c in chosen):
                continue
            chosen.append(i)
            if len(chosen) >= k:
                break
        if not chosen:
            return []
        top = float(score[order[chosen[0]]]) or 1.0
        keys = [cand_keys[i] for i in chosen]
        names = self.extractor.surfaces(p, keys)
        return [Theme(phrase=names[key], score=float(score[order[i]]) / top) for key, i in zip(keys, chosen)]

    def __call__(self, doc: Doc) -> Doc:
        article = doc._.article
        title = getattr(article, "title", None) if article is not None else None
        doc._.themes = self.keyphrases(doc, title)
        return doc

    # spaCy serialisation hooks: the background is reloaded from its file
    def to_bytes(self, **_: object) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_: object) -> "ThemeFinder":
        return self

    def to_disk(self, *_: object, **__: object) -> None:
        return None

    def from_disk(self, *_: object, **__: object) -> "ThemeFinder":
        return self


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

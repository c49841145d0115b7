"""The pillar model's input, and its features counted straight from spaCy token arrays.

A post reaches the model as *segments* (its title, then its non-blank sentences), each a
run of tokens. :class:`Segments` holds a whole batch of posts as three integer arrays —
every token's spaCy ``LOWER`` hash, the segment each token is in, the post each segment
is in — so the pipeline hands its Docs over without building a string per sentence and
without tokenising the text a second time.

The features are defined on the *reference text* of a segment: its non-space tokens,
lowercased, joined by single spaces (:meth:`Segments.texts`). Training fits ordinary
scikit-learn ``CountVectorizer`` objects on those texts; :class:`TokenCounter` then counts
exactly what their ``transform`` would count (tested on generated tokens), but per
*token type* instead of per token: what a distinct token contributes — its word pieces,
its character n-grams — is worked out once per process and kept in a :class:`Lexicon`,
and a batch of posts is counted with a few numpy operations over its token arrays.

Why that is exact: the joined text only ever has single spaces between tokens, so

- word pieces (maximal ``\\w`` runs) never cross a token boundary: a segment's pieces are
  its tokens' pieces in order, and its word n-grams are n-grams over that sequence;
- ``char_wb`` n-grams never cross whitespace: a segment's counts are the sum of its
  tokens' counts (a token with inner whitespace after accent folding is split alike);
- lowercasing and NFKD accent folding never act across a space.
"""

from __future__ import annotations

import re
from itertools import chain, repeat
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["Segments", "GramTable", "CharGramTable", "Lexicon", "TokenCounter", "segments_of_docs"]

_PIECE = re.compile(r"(?u)\w+")


class Segments:
    """A batch of posts as model input.

    ``keys[t]``: token t's hash in ``strings`` (a spaCy ``StringStore`` or any mapping from
    hash to lowercase token text); ``seg[t]``: its segment (non-decreasing);
    ``owner[s]``: segment s's post (non-decreasing, every post in ``range(n_docs)``).
    """

    __slots__ = ("keys", "seg", "owner", "n_docs", "strings")

    def __init__(self, keys: np.ndarray, seg: np.ndarray, owner: np.ndarray, n_docs: int, strings: Any) -> None:
        self.keys = np.asarray(keys, dtype=np.uint64)
        self.seg = np.asarray(seg, dtype=np.int64)
        self.owner = np.asarray(owner, dtype=np.int64)
        self.n_docs = int(n_docs)
        self.strings = strings

    @property
    def n_segments(self) -> int:
        return len(self.owner)

    def __len__(self) -> int:
        return self.n_docs

    @classmethod
    def from_token_lists(cls, docs: Sequence[Sequence[Sequence[str]]]) -> "Segments":
        """Posts given as segments of token strings (lowercased here)."""
        from spacy.strings import StringStore

        strings = StringStore()
        keys: list[int] = []
        seg: list[int] = []
        owner: list[int] = []
        for d, segments in enumerate(docs):
            for tokens in segments:
                s = len(owner)
                owner.append(d)
                for tok in tokens:
                    keys.append(strings.add(tok.lower()))
                    seg.append(s)
        return cls(np.array(keys, dtype=np.uint64), np.array(seg, dtype=np.int64), np.array(owner, dtype=np.int64), len(docs), strings)

    @classmethod
    def from_texts(cls, docs: Sequence[Sequence[str]]) -> "Segments":
        """Posts given as segment strings, split into tokens at whitespace (reference texts
        come back unchanged; for other text this is a rough stand-in for spaCy's tokenizer)."""
        return cls.from_token_lists([[text.split() for text in segments] for segments in docs])

    def texts(self) -> list[list[str]]:
        """Each post's segments as reference texts (lowercased tokens joined by spaces)."""
        words = [self.strings[int(k)] for k in self.keys.tolist()]
        bounds = np.searchsorted(self.seg, np.arange(self.n_segments + 1)).tolist()
        seg_texts = [" ".join(words[bounds[s] : bounds[s + 1]]) for s in range(self.n_segments)]
        doc_bounds = np.searchsorted(self.owner, np.arange(self.n_docs + 1)).tolist()
        return [seg_texts[doc_bounds[d] : doc_bounds[d + 1]] for d in range(self.n_docs)]


def segments_of_docs(docs: Sequence[Any], title_tokens: Callable[[Any], Sequence[str]] | None = None) -> tuple[Segments, list[np.ndarray], list[int]]:
    """Model input for spaCy Docs: ``(segments, sentence token bounds per doc, n_head per doc)``.

    A post's segments are its title (when ``title_tokens(doc)`` gives tokens) and then its
    sentences that hold a non-space token; ``bounds[d]`` is an ``(n, 2)`` array of the
    (start, end) token indices of those sentences, in segment order after the title.
    Without sentence boundaries the whole Doc is one sentence.
    """
    from spacy.attrs import IS_SPACE, LOWER, SENT_START

    strings = docs[0].vocab.strings if len(docs) else None
    # One (n_tokens x 3) array [LOWER, IS_SPACE, starts a sentence] per title and per body
    # (a title is one sentence); then all of them are cut into segments at once.
    arrays: list[np.ndarray] = []
    array_doc: list[int] = []
    array_title: list[bool] = []
    heads: list[int] = []
    for d, doc in enumerate(docs):
        head = [strings.add(t) for t in title_tokens(doc)] if title_tokens is not None else []
        heads.append(1 if head else 0)
        if head:
            t = np.zeros((len(head), 3), dtype=np.uint64)
            t[:, 0] = head
            t[0, 2] = 1
            arrays.append(t)
            array_doc.append(d)
            array_title.append(True)
        if len(doc):
            arr = doc.to_array([LOWER, IS_SPACE, SENT_START])
            arr[:, 2] = (arr[:, 2] == 1) if doc.has_annotation("SENT_START") else 0  # 1, -1 (as uint64), 0
            arr[0, 2] = 1
            arrays.append(arr)
            array_doc.append(d)
            array_title.append(False)
    bounds: list[np.ndarray] = [np.zeros((0, 2), dtype=np.int64) for _ in docs]
    if not arrays:
        empty = Segments(np.zeros(0, np.uint64), np.zeros(0, np.int64), np.zeros(0, np.int64), len(docs), strings)
        return empty, bounds, heads
    allt = np.concatenate(arrays)
    sizes = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    offsets = np.cumsum(sizes) - sizes
    first = np.flatnonzero(allt[:, 2] == 1)  # every sentence's first token (no sentence spans two arrays)
    last = np.append(first[1:], len(allt))
    sent_of = np.cumsum(allt[:, 2] == 1) - 1
    keep = allt[:, 1] == 0  # whitespace tokens carry no features
    alive = np.bincount(sent_of[keep], minlength=len(first)) > 0  # sentences with a non-space token
    seg_id = np.cumsum(alive) - 1
    arr_of = np.searchsorted(offsets, first, side="right") - 1  # the array of each sentence
    owner = np.asarray(array_doc, dtype=np.int64)[arr_of[alive]]
    segments = Segments(allt[keep, 0], seg_id[sent_of[keep]], owner, len(docs), strings)
    body = alive & ~np.asarray(array_title, dtype=bool)[arr_of]
    body_doc = np.asarray(array_doc, dtype=np.int64)[arr_of[body]]
    local = np.stack([first[body], last[body]], axis=1) - offsets[arr_of[body]][:, None]
    cut = np.searchsorted(body_doc, np.arange(len(docs) + 1)).tolist()
    for d in range(len(docs)):
        if cut[d + 1] > cut[d]:
            bounds[d] = local[cut[d] : cut[d + 1]]
    return segments, bounds, heads


# -- vocabulary tables -----------------------------------------------------------------------


class GramTable:
    """Word n-grams of a fixed vocabulary (``"a b"`` terms) as integer keys: every word of the
    vocabulary gets an id, an n-gram of ids the key ``((w1 * base) + w2) * base ...``, and a
    batch of id sequences is matched with a few array operations."""

    def __init__(self, vocabulary: Mapping[str, int], ngram_range: tuple[int, int]) -> None:
        self.n_features = len(vocabulary)
        self.min_n, self.max_n = int(ngram_range[0]), int(ngram_range[1])
        words = sorted({w for term in vocabulary for w in term.split(" ")})
        self.word_id = {w: i for i, w in enumerate(words)}
        self.base = max(len(words), 1)
        self.ok = self.base**self.max_n < 2**62  # keys fit in int64
        self.keys: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # n -> (sorted keys, columns)
        if not self.ok:
            return
        by_n: dict[int, list[tuple[int, int]]] = {}
        for term, j in vocabulary.items():
            parts = term.split(" ")
            if not self.min_n <= len(parts) <= self.max_n:
                continue
            key = 0
            for w in parts:
                key = key * self.base + self.word_id[w]
            by_n.setdefault(len(parts), []).append((key, int(j)))
        for n, pairs in sorted(by_n.items()):
            pairs.sort()
            self.keys[n] = (np.array([k for k, _ in pairs], dtype=np.int64), np.array([j for _, j in pairs], dtype=np.int64))
        # single words: a direct word id -> column table (-1: not a feature), no search
        self.unigram = np.full(self.base + 1, -1, dtype=np.int64)  # the last cell: id -1
        if 1 in self.keys:
            self.unigram[self.keys[1][0]] = self.keys[1][1]

    def count(self, tok: np.ndarray, seg: np.ndarray, n_segments: int) -> sp.csr_matrix:
        """(n_segments x n_features) counts of the n-grams of the word-id sequence ``tok``
        (-1: a word outside the vocabulary) that lie inside one segment (``seg``)."""
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        for n, (keys, feats) in self.keys.items():
            m = len(tok) - n + 1
            if m <= 0 or not len(keys):
                continue
            if n == 1:
                col = self.unigram[tok]  # tok == -1 reads the last cell, -1
                at = np.flatnonzero(col >= 0)
                rows.append(seg[at])
                cols.append(col[at])
                continue
            key = tok[:m].copy()
            ok = key >= 0
            for d in range(1, n):
                nxt = tok[d : d + m]
                ok &= nxt >= 0
                key = key * self.base + nxt
            ok &= seg[:m] == seg[n - 1 : n - 1 + m]
            at = np.flatnonzero(ok)
            pos = np.minimum(np.searchsorted(keys, key[at]), len(keys) - 1)
            found = keys[pos] == key[at]
            rows.append(seg[at[found]])
            cols.append(feats[pos[found]])
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        X = sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n_segments, self.n_features), dtype=np.float64)
        X.sum_duplicates()  # counts with sorted column indices, CountVectorizer's layout
        return X


class CharGramTable:
    """``char_wb`` n-grams of a fixed vocabulary, cut from many words at once with numpy.

    The characters of the vocabulary get ids ``1..A`` (0: a character no vocabulary n-gram
    has), an n-gram the key of its ids in base ``A + 1`` (a leading digit is never 0, so
    keys of different lengths differ). scikit-learn pads each word with a space on both
    sides and, for n from min_n up, takes every n-gram while n is shorter than the padded
    word; when it is not, the whole padded word once, and stops."""

    def __init__(self, vocabulary: Mapping[str, int], ngram_range: tuple[int, int]) -> None:
        self.n_features = len(vocabulary)
        self.min_n, self.max_n = int(ngram_range[0]), int(ngram_range[1])
        alphabet = sorted({c for g in vocabulary for c in g})
        self.base = len(alphabet) + 1
        self.ok = self.base**self.max_n < 2**62 and self.min_n >= 1
        top = max((ord(c) for c in alphabet), default=0)
        self.code = np.zeros(top + 2, dtype=np.int64)  # code point -> id (the last cell: "other")
        for i, c in enumerate(alphabet, 1):
            self.code[ord(c)] = i
        pairs = []
        for g, j in vocabulary.items():
            key = 0
            for c in g:
                key = key * self.base + int(self.code[ord(c)])
            pairs.append((key, int(j)))
        pairs.sort()
        self.keys = np.array([k for k, _ in pairs], dtype=np.int64)
        self.cols = np.array([j for _, j in pairs], dtype=np.int64)

    def grams(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(word index, column)`` of every vocabulary n-gram of every word (repeats kept).
        Words must be whitespace-free and already preprocessed."""
        if not words or not len(self.keys):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        padded = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
        cp = np.frombuffer(("".join(f" {w} " for w in words)).encode("utf-32-le"), dtype=np.uint32)
        codes = self.code[np.minimum(cp, len(self.code) - 1)]
        N = len(codes)
        ends = np.cumsum(padded)
        starts = ends - padded
        word_of = np.repeat(np.arange(len(words), dtype=np.int64), padded)
        room = ends[word_of] - np.arange(N)  # characters from each position to its word's end
        size = padded[word_of]
        owners: list[np.ndarray] = []
        found_cols: list[np.ndarray] = []

        def look(at: np.ndarray, key: np.ndarray) -> None:
            pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
            hit = self.keys[pos] == key
            owners.append(word_of[at[hit]])
            found_cols.append(self.cols[pos[hit]])

        key = np.zeros(N, dtype=np.int64)
        ok = np.ones(N, dtype=bool)
        for n in range(1, self.max_n + 1):
            m = N - n + 1
            if m <= 0:
                break
            c = codes[n - 1 : n - 1 + m]
            key = key[:m] * self.base + c
            ok = ok[:m] & (c > 0)
            if n >= self.min_n:  # every n-gram of the words longer than n
                at = np.flatnonzero(ok & (room[:m] >= n) & (size[:m] > n))
                look(at, key[at])
            whole = starts[(padded == n)]  # the words exactly n long (padded): once, whole
            whole = whole[ok[whole]] if len(whole) else whole
            if len(whole):
                look(whole, key[whole])
        return np.concatenate(owners), np.concatenate(found_cols)


# -- the per-type cache ----------------------------------------------------------------------


class _Grow:
    """An append-only int64/float64 array with amortised doubling."""

    def __init__(self, dtype: Any) -> None:
        self.a = np.zeros(256, dtype=dtype)
        self.n = 0

    def extend(self, x: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self.a):
            b = np.zeros(max(need, 2 * len(self.a)), dtype=self.a.dtype)
            b[: self.n] = self.a[: self.n]
            self.a = b
        self.a[self.n : need] = x
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self.a[: self.n]


class Lexicon:
    """What the model needs of each distinct token, computed once: its word pieces as ids of
    each word table, and its character n-gram counts. Types are numbered as first seen;
    ``ptr`` arrays index the flat per-type lists (CSR-style)."""

    MAX_TYPES = 300_000  # then start afresh: memory stays bounded over any archive

    def __init__(self, preprocess: Callable[[str], str], tables: Mapping[str, GramTable], char: CharGramTable | None) -> None:
        self.preprocess = preprocess
        self.tables = dict(tables)
        self.char = char
        self.clear()

    def clear(self) -> None:
        self.index: dict[int, int] = {}
        self.n = 0
        self.piece_ptr = {name: _Grow(np.int64) for name in self.tables}
        self.piece_ids = {name: _Grow(np.int64) for name in self.tables}
        for g in self.piece_ptr.values():
            g.extend(np.zeros(1, dtype=np.int64))
        self.char_ptr = _Grow(np.int64)
        self.char_ptr.extend(np.zeros(1, dtype=np.int64))
        self.char_col = _Grow(np.int64)
        self.char_val = _Grow(np.float64)

    def lookup(self, hashes: np.ndarray, strings: Any) -> np.ndarray:
        """Type numbers of ``hashes`` (distinct), adding the new ones."""
        hs = hashes.tolist()
        if self.n + len(hs) > self.MAX_TYPES:
            self.clear()
        get = self.index.get
        got = np.fromiter(map(get, hs, repeat(-1)), dtype=np.int64, count=len(hs))
        new = np.flatnonzero(got < 0)
        if len(new):
            first = self.n
            self._add([strings[hs[i]] for i in new.tolist()])
            ids = range(first, self.n)
            for i, t in zip(new.tolist(), ids):
                self.index[hs[i]] = t
            got[new] = np.arange(first, self.n)
        return got

    def _add(self, texts: list[str]) -> None:
        joined = "\x00".join(texts)  # one preprocessing call: it never acts across a NUL
        clean = all("\x00" not in t for t in texts)
        done = self.preprocess(joined).split("\x00") if clean else None
        if done is None or len(done) != len(texts):
            done = [self.preprocess(t) for t in texts]
        words_per_type = [t.split() for t in done]
        pieces = [_PIECE.findall(t) for t in done]  # \w runs never span whitespace
        per_type = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
        flat = list(chain.from_iterable(pieces))
        owner = np.repeat(np.arange(len(texts), dtype=np.int64), per_type)
        long_enough = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)) >= 2
        for name, table in self.tables.items():
            # word features: scikit-learn's r"\b\w\w+\b", i.e. pieces of two or more characters
            keep = long_enough if name == "word" else np.ones(len(flat), dtype=bool)
            ids = np.fromiter(map(table.word_id.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
            lengths = np.bincount(owner[keep], minlength=len(texts))
            self.piece_ptr[name].extend(self.piece_ptr[name].view[-1] + np.cumsum(lengths))
            self.piece_ids[name].extend(ids[keep])
        if self.char is not None:
            flat = [w for ws in words_per_type for w in ws]
            word_type = np.repeat(np.arange(len(texts), dtype=np.int64), [len(ws) for ws in words_per_type])
            owner, cols = self.char.grams(flat)
            V = max(self.char.n_features, 1)
            keys, counts = np.unique(word_type[owner] * V + cols, return_counts=True)
            per_type = np.bincount(keys // V, minlength=len(texts))
            self.char_ptr.extend(self.char_ptr.view[-1] + np.cumsum(per_type))
            self.char_col.extend(keys % V)
            self.char_val.extend(counts.astype(np.float64))
        self.n += len(texts)

    def piece_sequence(self, name: str, types: np.ndarray, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The word-id sequence of tokens of types ``types`` (in order) in table ``name``,
        and the segment of each piece."""
        ptr = self.piece_ptr[name].view
        lo = ptr[types]
        lengths = ptr[types + 1] - lo
        total = int(lengths.sum())
        # position of each piece in the flat list: its token's first piece + its rank
        first = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        return self.piece_ids[name].view[first + np.arange(total)], np.repeat(seg, lengths)

    def char_rows(self, types: np.ndarray) -> sp.csr_matrix:
        """(len(types) x n_features) char n-gram counts of the given types."""
        assert self.char is not None
        ptr = self.char_ptr.view
        lo = ptr[types]
        lengths = ptr[types + 1] - lo
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        at = np.repeat(lo - indptr[:-1], lengths) + np.arange(int(indptr[-1]))
        return sp.csr_matrix((self.char_val.view[at], self.char_col.view[at], indptr), shape=(len(types), self.char.n_features))


class TokenCounter:
    """Counts, for a :class:`Segments` batch, what fitted ``CountVectorizer``s would count
    on its reference texts: word n-grams (``tables``), ``char_wb`` n-grams (``char``).

    All vectorizers must preprocess alike (``preprocess``: lowercase + accent folding)."""

    def __init__(self, preprocess: Callable[[str], str], tables: Mapping[str, GramTable], char: CharGramTable | None) -> None:
        self.lexicon = Lexicon(preprocess, tables, char)

    def counts(self, segments: Segments) -> dict[str, sp.csr_matrix]:
        lex = self.lexicon
        n_seg = segments.n_segments
        uniq, inv = np.unique(segments.keys, return_inverse=True)
        types = lex.lookup(uniq, segments.strings)
        tok_type = types[inv.ravel()]
        out: dict[str, sp.csr_matrix] = {}
        for name, table in lex.tables.items():
            ids, seg = lex.piece_sequence(name, tok_type, segments.seg)
            out[name] = table.count(ids, seg, n_seg)
        if lex.char is not None:
            U = len(uniq)
            pair, n = np.unique(segments.seg * max(U, 1) + inv.ravel(), return_counts=True)
            S = sp.csr_matrix((n.astype(np.float64), (pair // max(U, 1), pair % max(U, 1))), shape=(n_seg, U))
            out["char"] = sp.csr_matrix(S @ lex.char_rows(types))
        return out

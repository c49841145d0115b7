"""The pillar classifier: an explainable multi-label linear model over a taxonomy.

A post is a list of *segments* (its title, then its sentences). Every feature is a count
that adds up over segments, so the document vector is a transform of the sum of the
segment count vectors, and a linear model's score splits exactly into one contribution
per segment: that is how ddlens finds "the sentences that most raise a pillar's score"
with one sparse matrix product per batch, not one model call per sentence.

Segments are spaCy tokens (:class:`ddlens.pillar_features.Segments`): the features are
those of scikit-learn vectorizers on each segment's *reference text* (lowercased tokens
joined by spaces), counted at run time straight from the Doc's token arrays, once per token
type (:class:`ddlens.pillar_features.TokenCounter`), so the pipeline never re-tokenises.

Features (three blocks, each optional, chosen by cross-validation, see
``benchmarks/eval_pillars.py``):

- word n-grams, TF-IDF (sublinear tf, document-level idf, l2-normalised);
- character n-grams inside word boundaries, TF-IDF likewise;
- taxonomy phrases: per category, log(1 + hits) of its indicative phrases and of its
  counter-example phrases, times a weight.

Classifier: one-vs-rest ``CalibratedClassifierCV(LogisticRegression, method="sigmoid",
ensemble=False)``: one logistic regression per category fitted on all the data, with a
Platt sigmoid fitted on cross-validated decision values, so ``score`` is a calibrated
probability and stays a monotone function of one linear score. Per-category thresholds
are chosen by cross-validation at training time (:mod:`ddlens.train.pillars`).

The model file is a plain ``dict`` of scikit-learn objects and arrays, saved with skops
(:mod:`ddlens.modelio`) and loaded with the explicit :data:`TRUSTED_TYPES` list.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier

from .modelio import ModelError, load_trusted
from .taxonomy import Taxonomy, phrase_key
from .pillar_features import CharGramTable, GramTable, Segments, TokenCounter, segments_of_docs

__all__ = [
    "FORMAT",
    "TRUSTED_TYPES",
    "ModelConfig",
    "Featurizer",
    "RawCounts",
    "PillarModel",
    "PhraseScorer",
    "doc_segments",
    "fit_model",
    "load_model",
]

FORMAT = "ddlens.pillars/2"  # 2: features of spaCy tokens (see ddlens.pillar_features)
WORD_PATTERN = r"(?u)\b\w+\b"  # phrases: keep one-letter words ("e-learning" -> "e learning")
TEXT_PATTERN = r"(?u)\b\w\w+\b"  # word n-gram features: scikit-learn's default

# Every type a ddlens pillar model file may contain. Anything else is refused on load.
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.float",
    "builtins.int",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "builtins.bool",
    "builtins.NoneType",
    "numpy.float64",
    "numpy.ndarray",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.preprocessing._label.LabelBinarizer",
)


@dataclass(frozen=True)
class ModelConfig:
    """Feature and classifier settings. The defaults are the cross-validated choice."""

    word_ngrams: tuple[int, int] | None = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 5)
    min_df: int = 2
    phrase_weight: float = 0.1
    C: float = 10.0
    calibration_folds: int = 5

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("word_ngrams", "char_ngrams"):
            d[k] = None if d[k] is None else [int(x) for x in d[k]]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        for k in ("word_ngrams", "char_ngrams"):
            if kw.get(k) is not None:
                kw[k] = tuple(int(x) for x in kw[k])
        return cls(**kw)


# -- segments -----------------------------------------------------------------------------


def title_tokens(tokenizer: Any) -> Any:
    """A function giving a Doc's title as lowercase tokens, tokenised by ``tokenizer`` (the
    pipeline's own, so a title is cut like the body), or none when the Doc carries no
    Article with a title."""

    def tokens(doc: Any) -> list[str]:
        article = doc._.article if doc.has_extension("article") else None
        title = (article.title or "").strip() if article is not None else ""
        return [t.lower_ for t in tokenizer(title) if not t.is_space] if title else []

    return tokens


def doc_segments(docs: Sequence[Any], tokenizer: Any = None) -> tuple[Segments, list[np.ndarray], list[int]]:
    """spaCy Docs as model input: ``(segments, sentence token bounds per doc, n_head per doc)``.

    Segments are each post's title (when the Doc carries an Article with one; tokenised by
    ``tokenizer``, by default a blank English one) followed by its non-blank sentences;
    ``n_head`` is how many segments precede the sentences (see
    :func:`ddlens.pillar_features.segments_of_docs`)."""
    if tokenizer is None:
        tokenizer = _default_tokenizer()
    return segments_of_docs(docs, title_tokens(tokenizer))


@lru_cache(maxsize=1)
def _default_tokenizer() -> Any:
    import spacy

    return spacy.blank("en").tokenizer


def as_segments(docs: Segments | Sequence[Sequence[str]]) -> Segments:
    """Model input: a :class:`Segments` batch as is; lists of segment strings are split at
    whitespace (exact for reference texts, see :meth:`Segments.texts`)."""
    return docs if isinstance(docs, Segments) else Segments.from_texts(docs)


def flatten(docs: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """All segments of all docs in one list, and the index of the doc each belongs to."""
    flat: list[str] = []
    owner: list[int] = []
    for i, segs in enumerate(docs):
        flat.extend(segs)
        owner.extend([i] * len(segs))
    return flat, np.asarray(owner, dtype=np.int64)


def owner_matrix(owner: np.ndarray, n_docs: int) -> sp.csr_matrix:
    """(n_docs x n_segments) 0/1 matrix: row d sums the segments of doc d."""
    n = len(owner)
    return sp.csr_matrix((np.ones(n), (owner, np.arange(n))), shape=(n_docs, n))


# -- counting n-grams fast, exactly as CountVectorizer.transform ---------------------------

_COMBINING: dict[int, None] = {}  # code points unicodedata.combining() says are combining
_CHECKED: set[str] = set()  # characters already looked at


def strip_accents_unicode(s: str) -> str:
    """scikit-learn's ``strip_accents_unicode`` (NFKD, then drop combining characters), with
    each distinct character's class looked up once per process instead of once per
    occurrence: the same string, several times faster on prose with curly quotes."""
    if s.isascii():
        return s
    normalized = unicodedata.normalize("NFKD", s)
    new = set(normalized) - _CHECKED
    if new:
        for c in new:
            if unicodedata.combining(c):
                _COMBINING[ord(c)] = None
        _CHECKED.update(new)
    return normalized.translate(_COMBINING) if _COMBINING else normalized


def fast_preprocessor(vectorizer: CountVectorizer) -> Any:
    """``vectorizer.build_preprocessor()``, with :func:`strip_accents_unicode` when that is
    the accent function (the same strings); any other setting is scikit-learn's own."""
    if vectorizer.preprocessor is not None or vectorizer.strip_accents not in (None, "unicode"):
        return vectorizer.build_preprocessor()
    lower = bool(vectorizer.lowercase)
    if vectorizer.strip_accents == "unicode":
        return (lambda doc: strip_accents_unicode(doc.lower())) if lower else strip_accents_unicode
    return (lambda doc: doc.lower()) if lower else (lambda doc: doc)


# -- taxonomy phrases ----------------------------------------------------------------------


class PhraseCounter:
    """Counts, per segment, the hits of each category's phrases and counter-examples.

    Columns: ``k`` = indicative phrases of category k, ``K + k`` = its counter-examples.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        K = len(taxonomy.categories)
        cols: dict[str, set[int]] = {}
        for k, cat in enumerate(taxonomy.categories):
            for ph in cat.phrases:
                cols.setdefault(phrase_vocab_key(ph), set()).add(k)
            for ph in cat.counter_examples:
                cols.setdefault(phrase_vocab_key(ph), set()).add(K + k)
        vocab = sorted(cols)
        longest = max(len(v.split()) for v in vocab)
        self.n_categories = K
        self.keys = vocab
        self.vectorizer = CountVectorizer(
            vocabulary=vocab,
            ngram_range=(1, longest),
            token_pattern=WORD_PATTERN,
            lowercase=True,
            strip_accents="unicode",  # as the text features, so one token cache serves all
            dtype=np.float64,
        )
        rows, cs = [], []
        for i, key in enumerate(vocab):
            for c in sorted(cols[key]):
                rows.append(i)
                cs.append(c)
        self.matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cs)), shape=(len(vocab), 2 * K))
        self.table = GramTable({t: i for i, t in enumerate(vocab)}, (1, longest))

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Per text (reference texts: see :mod:`ddlens.pillar_features`), hits per column."""
        if not texts:
            return sp.csr_matrix((0, 2 * self.n_categories))
        return self.from_terms(self.vectorizer.transform(texts))

    def from_terms(self, term_counts: sp.csr_matrix) -> sp.csr_matrix:
        """Hits per column from counts per phrase (the vectorizer's columns)."""
        return sp.csr_matrix(term_counts @ self.matrix)


def phrase_vocab_key(phrase: str) -> str:
    """A taxonomy phrase as the phrase vectorizer sees text: accent-folded lowercase word
    pieces joined by spaces."""
    return phrase_key(strip_accents_unicode(phrase.lower()))


# -- features ------------------------------------------------------------------------------


def scale_by_doc(C: sp.csr_matrix, owner: np.ndarray, ratio: sp.csr_matrix) -> sp.csr_matrix:
    """``C`` with each stored value (s, j) multiplied by ``ratio[owner[s], j]`` (0 if absent),
    without materialising ``ratio[owner]``. With ``owner`` sorted (segments grouped by
    doc, as :func:`flatten` makes them), each doc's ratio row is spread into a dense
    scratch vector and its segments' values gathered from it; otherwise one sorted-key
    lookup per stored value."""
    C = sp.csr_matrix(C)
    ratio = sp.csr_matrix(ratio)
    ratio.sum_duplicates()  # canonical: sorted indices, so the keys below are sorted
    owner = np.asarray(owner, dtype=np.int64)
    if len(owner) and bool((owner[1:] >= owner[:-1]).all()):
        bounds = np.searchsorted(owner, np.arange(ratio.shape[0] + 1))
        entry = C.indptr[np.minimum(bounds, C.shape[0])]
        scratch = np.zeros(max(C.shape[1], 1))
        vals = np.zeros(C.nnz)
        for d in np.flatnonzero(entry[1:] > entry[:-1]).tolist():
            r0, r1 = ratio.indptr[d], ratio.indptr[d + 1]
            if r0 == r1:
                continue
            cols = ratio.indices[r0:r1]
            scratch[cols] = ratio.data[r0:r1]
            e0, e1 = entry[d], entry[d + 1]
            vals[e0:e1] = scratch[C.indices[e0:e1]]
            scratch[cols] = 0.0
        return sp.csr_matrix((C.data * vals, C.indices, C.indptr), shape=C.shape)
    V = max(C.shape[1], 1)
    rkeys = np.repeat(np.arange(ratio.shape[0], dtype=np.int64), np.diff(ratio.indptr)) * V + ratio.indices
    ckeys = np.repeat(owner, np.diff(C.indptr)) * V + C.indices
    if not len(rkeys):
        return sp.csr_matrix(C.shape)
    pos = np.minimum(np.searchsorted(rkeys, ckeys), len(rkeys) - 1)
    vals = np.where(rkeys[pos] == ckeys, ratio.data[pos], 0.0)
    return sp.csr_matrix((C.data * vals, C.indices, C.indptr), shape=C.shape)


def _text_vectorizer(config: ModelConfig, block: str) -> CountVectorizer:
    if block == "word":
        assert config.word_ngrams is not None
        return CountVectorizer(
            ngram_range=config.word_ngrams,
            token_pattern=TEXT_PATTERN,
            lowercase=True,
            strip_accents="unicode",
            dtype=np.float64,
        )
    assert config.char_ngrams is not None
    return CountVectorizer(
        analyzer="char_wb", ngram_range=config.char_ngrams, lowercase=True, strip_accents="unicode", dtype=np.float64
    )


def _text_blocks(config: ModelConfig) -> list[str]:
    return [b for b, on in (("word", config.word_ngrams), ("char", config.char_ngrams)) if on is not None]


class RawCounts:
    """Segment count matrices over the full vocabulary of a set of docs (min_df = 1).

    Computed once, they let cross-validation fit a :class:`Featurizer` on any subset of
    the docs by column selection, exactly as if it had been fitted on that subset's text.
    """

    def __init__(self, config: ModelConfig, taxonomy: Taxonomy, docs: Sequence[Sequence[str]]) -> None:
        self.config = config
        self.n_docs = len(docs)
        flat, owner = flatten(docs)
        self.owner = owner
        A = owner_matrix(owner, self.n_docs)
        self.vectorizers: dict[str, CountVectorizer] = {}
        self.terms: dict[str, np.ndarray] = {}
        self.doc_counts: dict[str, sp.csr_matrix] = {}
        for block in _text_blocks(config):
            vec = _text_vectorizer(config, block)
            C = vec.fit_transform(flat) if flat else sp.csr_matrix((0, 0))
            self.vectorizers[block] = vec
            self.terms[block] = vec.get_feature_names_out() if flat else np.array([], dtype=object)
            self.doc_counts[block] = sp.csr_matrix(A @ C)
        phrases = PhraseCounter(taxonomy)
        self.doc_counts["phrases"] = sp.csr_matrix(A @ phrases.counts(flat))


class Featurizer:
    """Turns docs (lists of segments) into the model's document matrix, and explains it."""

    def __init__(self, config: ModelConfig, taxonomy: Taxonomy) -> None:
        self.config = config
        self.taxonomy = taxonomy
        self.vectorizers: dict[str, CountVectorizer] = {}
        self.idf: dict[str, TfidfTransformer] = {}
        self.phrases = PhraseCounter(taxonomy)
        self._cols: dict[str, np.ndarray] = {}  # only while fitted from RawCounts
        self._counter: TokenCounter | None = None  # built on first use, kept: it caches per token type

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, docs: Sequence[Sequence[str]]) -> "Featurizer":
        raw = RawCounts(self.config, self.taxonomy, docs)
        return self.fit_raw(raw, np.arange(len(docs)))

    def fit_raw(self, raw: RawCounts, idx: np.ndarray) -> "Featurizer":
        """Fit on the docs ``idx`` of ``raw``: vocabulary = terms in >= min_df of them."""
        self.vectorizers, self.idf, self._cols = {}, {}, {}
        for block in _text_blocks(self.config):
            dc = raw.doc_counts[block][idx]
            df = np.asarray((dc > 0).sum(axis=0)).ravel()
            cols = np.flatnonzero(df >= self.config.min_df)
            if not len(cols):
                continue
            terms = raw.terms[block][cols]
            vec = _text_vectorizer(self.config, block)
            vec.vocabulary_ = {str(t): j for j, t in enumerate(terms)}
            vec.fixed_vocabulary_ = False
            self.vectorizers[block] = vec
            self.idf[block] = TfidfTransformer(sublinear_tf=True).fit(dc[:, cols])
            self._cols[block] = cols
        return self

    # -- transforming -------------------------------------------------------------------------
    def _block_features(self, block: str, dc: sp.csr_matrix) -> sp.csr_matrix:
        if block == "phrases":
            f = dc.copy().astype(np.float64)
            f.data = np.log1p(f.data) * self.config.phrase_weight
            return sp.csr_matrix(f)
        return sp.csr_matrix(self.idf[block].transform(dc))

    @property
    def blocks(self) -> list[str]:
        out = [b for b in _text_blocks(self.config) if b in self.vectorizers]
        if self.config.phrase_weight > 0:
            out.append("phrases")
        return out

    def transform_raw(self, raw: RawCounts, idx: np.ndarray) -> sp.csr_matrix:
        parts = []
        for block in self.blocks:
            dc = raw.doc_counts[block][idx]
            if block != "phrases":
                dc = dc[:, self._cols[block]]
            parts.append(self._block_features(block, dc))
        return sp.csr_matrix(sp.hstack(parts, format="csr")) if parts else sp.csr_matrix((len(idx), 0))

    def token_counter(self) -> TokenCounter | None:
        """The fast counter for this featurizer's vectorizers, or None when some setting
        is outside what it reproduces exactly (then scikit-learn counts the texts)."""
        if self._counter is None:
            vecs = list(self.vectorizers.values())
            prep = {(bool(v.lowercase), v.strip_accents, v.preprocessor) for v in vecs}
            prep.add((True, "unicode", None))  # the phrase vectorizer's
            if len(prep) != 1 or any(v.tokenizer is not None or v.stop_words is not None or v.binary for v in vecs):
                return None
            tables: dict[str, GramTable] = {}
            char = None
            for block, vec in self.vectorizers.items():
                if vec.analyzer == "word" and vec.token_pattern == TEXT_PATTERN:
                    tables[block] = GramTable(vec.vocabulary_, vec.ngram_range)
                elif vec.analyzer == "char_wb" and block == "char":
                    char = CharGramTable(vec.vocabulary_, vec.ngram_range)
                else:
                    return None
            if "phrases" in self.blocks:
                tables["phrases"] = self.phrases.table
            if not all(t.ok for t in tables.values()) or (char is not None and not char.ok):
                return None
            self._counter = TokenCounter(fast_preprocessor(vecs[0] if vecs else self.phrases.vectorizer), tables, char)
        return self._counter

    def segment_counts(self, segments: Segments) -> dict[str, sp.csr_matrix]:
        """Per segment counts of every block: phrases as hits per column."""
        counter = self.token_counter() if segments.n_segments else None
        if counter is not None:
            out = counter.counts(segments)
            if "phrases" in out:
                out["phrases"] = self.phrases.from_terms(out["phrases"])
            return out
        flat = [t for texts in segments.texts() for t in texts]
        out = {}
        for block in self.blocks:
            if block == "phrases":
                out[block] = self.phrases.counts(flat)
            elif flat:
                out[block] = sp.csr_matrix(self.vectorizers[block].transform(flat))
            else:
                out[block] = sp.csr_matrix((0, len(self.vectorizers[block].vocabulary_)))
        return out

    def transform(self, docs: Segments | Sequence[Sequence[str]]) -> sp.csr_matrix:
        X, _, _ = self.transform_explained(docs, shares=False)
        assert X is not None
        return X

    def transform_explained(
        self, docs: Segments | Sequence[Sequence[str]], doc_matrix: bool = True, shares: bool = True
    ) -> tuple[sp.csr_matrix | None, sp.csr_matrix | None, np.ndarray]:
        """The doc matrix ``X``, each segment's share of every doc feature value, and the
        post of each segment.

        ``shares[s, j]`` = (segment s's count of feature j) / (its doc's count) x (the
        doc's value of feature j), so the rows of a doc's segments sum to its row of ``X``
        (same columns as ``X``). What is not asked for (``doc_matrix``, ``shares``) is
        not computed and comes back as None.
        """
        segments = as_segments(docs)
        owner = segments.owner
        A = owner_matrix(owner, segments.n_docs)
        seg = self.segment_counts(segments)
        parts, counts, ratios = [], [], []
        for block in self.blocks:
            C = seg[block]
            dc = sp.csr_matrix(A @ C)
            F = self._block_features(block, dc)
            parts.append(F)
            if shares:
                inv = dc.copy()
                inv.data = 1.0 / inv.data
                counts.append(C)
                ratios.append(sp.csr_matrix(F.multiply(inv)))
        X = S = None
        if doc_matrix:
            X = sp.csr_matrix(sp.hstack(parts, format="csr")) if parts else sp.csr_matrix((segments.n_docs, 0))
        if shares:
            if not parts:
                S = sp.csr_matrix((segments.n_segments, 0))
            else:
                C = sp.csr_matrix(sp.hstack(counts, format="csr"))
                S = scale_by_doc(C, owner, sp.hstack(ratios, format="csr")) if len(owner) else C
        return X, S, owner

    # -- persistence ---------------------------------------------------------------------------
    def to_artifact(self) -> dict[str, Any]:
        return {
            "vectorizers": {b: v for b, v in self.vectorizers.items()},
            "idf": {b: t for b, t in self.idf.items()},
        }

    @classmethod
    def from_artifact(cls, config: ModelConfig, taxonomy: Taxonomy, d: dict[str, Any]) -> "Featurizer":
        f = cls(config, taxonomy)
        f.vectorizers = dict(d["vectorizers"])
        f.idf = dict(d["idf"])
        return f


# -- classifier -----------------------------------------------------------------------------


def make_classifier(config: ModelConfig, Y: np.ndarray, ids: Sequence[str]) -> OneVsRestClassifier:
    pos = Y.sum(axis=0)
    neg = len(Y) - pos
    smallest = int(min(pos.min(), neg.min())) if len(Y) else 0
    if smallest < 2:
        k = int(np.argmin(np.minimum(pos, neg)))
        raise ValueError(
            f"category {ids[k]!r} has {int(pos[k])} positive and {int(neg[k])} negative posts; "
            "training needs at least 2 of each"
        )
    folds = max(2, min(config.calibration_folds, smallest))
    # dual liblinear: far faster than the primal when features outnumber posts; seeded, so deterministic
    lr = LogisticRegression(
        C=config.C, class_weight="balanced", solver="liblinear", dual=True, max_iter=5000, random_state=0
    )
    cal = CalibratedClassifierCV(lr, method="sigmoid", cv=StratifiedKFold(n_splits=folds), ensemble=False)
    return OneVsRestClassifier(cal)


@dataclass
class PillarModel:
    """A fitted pillar classifier for one taxonomy."""

    taxonomy: Taxonomy
    config: ModelConfig
    featurizer: Featurizer
    classifier: OneVsRestClassifier
    thresholds: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.thresholds = np.asarray(self.thresholds, dtype=np.float64)
        K = len(self.taxonomy.categories)
        n_features = None
        weights, intercepts = [], []
        for est in self.classifier.estimators_:
            cc = est.calibrated_classifiers_[0]
            lr = cc.estimator
            slope = -float(cc.calibrators[0].a_)  # probability = expit(slope * decision - b)
            weights.append(np.asarray(lr.coef_[0], dtype=np.float64) * slope)
            intercepts.append(float(lr.intercept_[0]) * slope - float(cc.calibrators[0].b_))
            n_features = lr.coef_.shape[1]
        if len(weights) != K:
            raise ValueError(f"model has {len(weights)} classifiers for {K} categories")
        self._W = np.vstack(weights).T if weights else np.zeros((n_features or 0, K))  # (n_features, K)
        self._b = np.asarray(intercepts)
        self._slices: dict[str, slice] = {}
        start = 0
        for block in self.featurizer.blocks:
            if block == "phrases":
                width = 2 * K
            else:
                width = len(self.featurizer.vectorizers[block].vocabulary_)
            self._slices[block] = slice(start, start + width)
            start += width
        if start != self._W.shape[0]:
            raise ValueError(f"model features ({self._W.shape[0]}) do not match its featurizer ({start})")

    @property
    def ids(self) -> tuple[str, ...]:
        return self.taxonomy.ids

    def predict_proba(self, docs: Segments | Sequence[Sequence[str]]) -> np.ndarray:
        """(n_docs, K) calibrated probabilities."""
        docs = as_segments(docs)
        if not len(docs):
            return np.zeros((0, len(self.ids)))
        return np.asarray(self.classifier.predict_proba(self.featurizer.transform(docs)), dtype=np.float64)

    def explain(self, docs: Segments | Sequence[Sequence[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Probabilities, and per doc a (n_segments, K) array of each segment's contribution
        to the calibrated log-odds of each category (they sum, with the intercept, to it)."""
        docs = as_segments(docs)
        if not len(docs):
            return np.zeros((0, len(self.ids))), []
        _, shares, owner = self.featurizer.transform_explained(docs, doc_matrix=False)
        assert shares is not None
        contrib = np.asarray(shares @ self._W)
        # the contributions add up to each doc's calibrated log-odds: no second product
        logit = np.asarray(owner_matrix(owner, len(docs)) @ contrib) + self._b
        proba = expit(logit)
        bounds = np.searchsorted(owner, np.arange(len(docs) + 1))
        return proba, [contrib[bounds[i] : bounds[i + 1]] for i in range(len(docs))]

    def logits(self, docs: Segments | Sequence[Sequence[str]]) -> np.ndarray:
        """Calibrated log-odds, from the model's linear form (for tests and explanations)."""
        X = self.featurizer.transform(docs)
        return np.asarray(X @ self._W) + self._b

    # -- persistence ------------------------------------------------------------------------------
    def to_artifact(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "taxonomy": self.taxonomy.to_dict(),
            "config": self.config.to_dict(),
            "features": self.featurizer.to_artifact(),
            "classifier": self.classifier,
            "thresholds": [float(t) for t in self.thresholds],
            "meta": self.meta,
        }

    @classmethod
    def from_artifact(cls, d: Any, path: str | None = None) -> "PillarModel":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            got = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise ModelError(path, f"not a ddlens pillar model (format {got!r}, expected {FORMAT!r})")
        try:
            taxonomy = Taxonomy.from_dict(d["taxonomy"])
            config = ModelConfig.from_dict(d["config"])
            featurizer = Featurizer.from_artifact(config, taxonomy, d["features"])
            model = cls(taxonomy, config, featurizer, d["classifier"], np.asarray(d["thresholds"]), dict(d.get("meta", {})))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ModelError(path, f"damaged pillar model ({type(exc).__name__}: {exc})".splitlines()[0]) from None
        if len(model.thresholds) != len(taxonomy.categories):
            raise ModelError(path, "damaged pillar model (thresholds do not match categories)")
        return model


def fit_model(
    docs: Sequence[Sequence[str]],
    Y: np.ndarray,
    taxonomy: Taxonomy,
    config: ModelConfig = ModelConfig(),
    thresholds: np.ndarray | None = None,
    raw: RawCounts | None = None,
    idx: np.ndarray | None = None,
) -> PillarModel:
    """Fit featurizer and classifier on ``docs`` (or on the docs ``idx`` of ``raw``)."""
    Y = np.asarray(Y, dtype=np.int64)
    feat = Featurizer(config, taxonomy)
    if raw is not None:
        assert idx is not None
        feat.fit_raw(raw, idx)
        X = feat.transform_raw(raw, idx)
    else:
        feat.fit(docs)
        X = feat.transform(docs)
    clf = make_classifier(config, Y, taxonomy.ids)
    clf.fit(X, Y)
    K = len(taxonomy.categories)
    return PillarModel(taxonomy, config, feat, clf, np.full(K, 0.5) if thresholds is None else thresholds)


@lru_cache(maxsize=8)
def _load_cached(resolved: str, _mtime: int, _size: int) -> PillarModel:
    return PillarModel.from_artifact(load_trusted(resolved, TRUSTED_TYPES), path=resolved)


def load_model(path: str | Path) -> PillarModel:
    """Load a pillar model file (skops, trusted types only). Cached per file version."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ModelError(path, f"cannot read model: {exc.strerror}") from None
    return _load_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)


# -- the phrase-count scorer --------------------------------------------------------------


class PhraseScorer:
    """Scores categories by counting their indicative phrases: no training needed.

    The keyword baseline of the benchmark, and what ddlens falls back to for a taxonomy
    that has no trained model. ``score = hits / (hits + min_hits)``, so ``score >= 0.5``
    exactly when a post has at least ``min_hits`` phrase hits. It is not calibrated.
    """

    def __init__(self, taxonomy: Taxonomy, min_hits: int = 3) -> None:
        self.taxonomy = taxonomy
        self.min_hits = max(1, int(min_hits))
        self.phrases = PhraseCounter(taxonomy)
        table = self.phrases.table
        self.counter = TokenCounter(fast_preprocessor(self.phrases.vectorizer), {"phrases": table}, None) if table.ok else None
        self.thresholds = np.full(len(taxonomy.categories), 0.5)

    def hits(self, docs: Segments | Sequence[Sequence[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(n_docs, K) indicative-phrase hits, and per doc the (n_segments, K) hits."""
        K = len(self.taxonomy.categories)
        docs = as_segments(docs)
        owner = docs.owner
        if self.counter is not None and docs.n_segments:
            counts = self.phrases.from_terms(self.counter.counts(docs)["phrases"])
        else:
            counts = self.phrases.counts([t for texts in docs.texts() for t in texts])
        seg = counts.toarray()[:, :K]
        bounds = np.searchsorted(owner, np.arange(len(docs) + 1))
        per_doc = [seg[bounds[i] : bounds[i + 1]] for i in range(len(docs))]
        totals = np.vstack([s.sum(axis=0) for s in per_doc]) if per_doc else np.zeros((0, K))
        return totals, per_doc

    def explain(self, docs: Segments | Sequence[Sequence[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
        totals, per_doc = self.hits(docs)
        return totals / (totals + self.min_hits), per_doc

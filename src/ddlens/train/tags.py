"""A blog's own tag vocabulary, learned from its tagged posts: ``ddlens train tags DIR``.

The model is multi-label and has two stages, both plain scikit-learn:

1. **Text.** One L2-regularised logistic regression per tag (liblinear, balanced class
   weights) over TF-IDF features (1-2-grams, sublinear tf, English stop words) of the
   post's title, excerpt and body, each its own block.
2. **Tag context.** One logistic regression shared by all tags re-scores every
   (post, tag) pair from ten features: the stage-1 score and its rank among the post's
   tags and its gap to the post's best tag (label cardinality: a post carries a few tags,
   not every tag that scores well); the tag's share among the post's nearest neighbours
   and that share's rank; the co-occurrence score (how often the tag goes with the tags
   stage 1 believes in, from the training tag pairs); whether the tag's own words appear
   in the title or excerpt and how often in the body; and the tag's prior.

Stage 2 is trained on out-of-fold stage-1 scores (K-fold cross-validation, vectorisers
refitted in each fold; neighbours are leave-one-out), so it learns how far to trust
stage 1 on posts it has not seen. A tag is suggested when its stage-2 probability reaches
the tag's threshold: per-tag F1-optimal thresholds on out-of-fold stage-2 probabilities,
shrunk towards the global micro-F1-optimal threshold in proportion to how few posts carry
the tag; at most ``max_tags`` per post (chosen by the same cross-validation from the
blog's label cardinality).

Tags are matched case-insensitively (``Open Data`` and ``open data`` are one tag) and
suggested in the blog's own spelling (the most frequent one; ties: the smallest).

The saved model does not hold the (large, dense) primal weight matrix of stage 1: an
L2-regularised linear model's weights lie in the span of its training rows (representer
theorem), so ``w = X_train^T beta`` exactly, and the file stores the sparse training
matrix and ``beta`` instead, which the nearest-neighbour feature needs anyway. The file
is written with :mod:`ddlens.modelio` (skops, byte-identical for the same posts) and
loaded with an explicit list of trusted types.
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = [
    "TagExample",
    "TagModel",
    "TagTrainingError",
    "TRUSTED_TYPES",
    "canonical_tag",
    "post_fields",
    "tags_of",
    "read_tagged",
    "fit_tag_model",
    "load_tag_model",
    "save_tag_model",
    "micro_f1",
]

FORMAT = "ddlens-tags"
FORMAT_VERSION = 1
FIELDS = ("title", "excerpt", "body")
N_FEATURES = 10
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
_EXCERPT_KEYS = ("excerpt", "description", "summary")
_SPLIT_WORDS = re.compile(r"[\s_\-]+")

# Every type a tag model file may contain; anything else is refused on load.
TRUSTED_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
)


class TagTrainingError(ValueError):
    """The posts cannot train a tag model (too few tagged posts, no frequent tag)."""


# -- reading posts ---------------------------------------------------------------------------
def canonical_tag(tag: Any) -> str:
    """The key tags are matched by: whitespace collapsed, case folded."""
    return " ".join(str(tag).split()).casefold()


def tags_of(metadata: Mapping[str, Any], key: str = "tags") -> list[str]:
    """A post's own tags under ``key``: a YAML list or a comma-separated string."""
    value = metadata.get(key)
    if value is None:
        return []
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, (dict, list)):
            continue
        s = " ".join(str(item).split())
        if s and canonical_tag(s) not in seen:
            seen.add(canonical_tag(s))
            out.append(s)
    return out


def _excerpt(article: Any) -> str:
    for k in _EXCERPT_KEYS:
        v = article.metadata.get(k)
        if isinstance(v, str) and v.strip():
            return " ".join(v.split())
    text: str = article.text
    sep = article.metadata.get("excerpt_separator")
    sep = sep if isinstance(sep, str) and sep else "<!--more-->"
    at = article.body.find(sep)
    if at >= 0:
        src = article.body_offset + at
        lo, hi = 0, len(text)
        while lo < hi:  # first plain-text offset at or after the separator
            mid = (lo + hi) // 2
            if article.source_offset(mid) < src:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            return text[:lo].strip()
    for para in text.split("\n\n"):
        if para.strip():
            return para.strip()
    return ""


def post_fields(x: Any) -> tuple[str, str, str]:
    """(title, excerpt, body) of an Article, or of bare text (all body).

    The excerpt is the front matter's ``excerpt``/``description``/``summary``, else the
    text before the excerpt separator, else the first paragraph."""
    if isinstance(x, str):
        return "", "", x
    return (x.title or "", _excerpt(x), x.text)


@dataclass(frozen=True)
class TagExample:
    path: str | None
    title: str
    excerpt: str
    body: str
    tags: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, str, str]:
        return (self.title, self.excerpt, self.body)


def read_tagged(paths: Iterable[Any], key: str = "tags") -> tuple[list[TagExample], list[Any]]:
    """Every readable post (tagged or not) as a :class:`TagExample`, and the
    :class:`~ddlens.ArticleError` of each post that could not be read."""
    from ..article import Article, ArticleError

    examples: list[TagExample] = []
    errors: list[Any] = []
    for p in paths:
        try:
            a = Article.from_path(p)
        except ArticleError as exc:
            errors.append(exc)
            continue
        title, excerpt, body = post_fields(a)
        examples.append(TagExample(str(p), title, excerpt, body, tuple(tags_of(a.metadata, key))))
    return examples, errors


# -- numerics ---------------------------------------------------------------------------------
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _vectorizer(block: str) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        stop_words="english",
        min_df=2 if block == "body" else 1,
        max_df=0.9 if block == "body" else 1.0,
        dtype=np.float64,
    )


def _fit_vectorizers(docs: Sequence[Sequence[str]]) -> list[Any]:
    out = []
    for i, block in enumerate(FIELDS):
        v = _vectorizer(block)
        texts = [d[i] for d in docs]
        try:
            v.fit(texts)
        except ValueError:  # an empty vocabulary (e.g. no post has an excerpt)
            v = _vectorizer(block).set_params(min_df=1, max_df=1.0, stop_words=None)
            v.fit(["__empty__"])  # a block no post fills: all its features are zero
        out.append(v)
    return out


def _knn_vectorizer() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2, max_df=0.9, dtype=np.float64)


def _whole(doc: Sequence[str]) -> str:
    return "\n\n".join(doc)


def _fit_knn_vectorizer(docs: Sequence[Sequence[str]]) -> Any:
    v = _knn_vectorizer()
    try:
        return v.fit([_whole(d) for d in docs])
    except ValueError:  # too few posts for min_df=2
        return _knn_vectorizer().set_params(min_df=1, max_df=1.0, stop_words=None).fit([_whole(d) or "__empty__" for d in docs])


def _transform(vectorizers: Sequence[Any], docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
    return sp.hstack([v.transform([d[i] for d in docs]) for i, v in enumerate(vectorizers)], format="csr")


def _fit_linear(X: sp.csr_matrix, Y: np.ndarray, C: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-tag logistic regressions; returns primal weights (d x T) and intercepts (T)."""
    from sklearn.linear_model import LogisticRegression

    d, T = X.shape[1], Y.shape[1]
    W = np.zeros((d, T))
    b = np.zeros(T)
    for j in range(T):
        y = Y[:, j]
        if y.min() == y.max():  # every (or no) post carries it: a constant score
            b[j] = 8.0 if y[0] else -8.0
            continue
        m = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True, random_state=seed, max_iter=1000)
        m.fit(X, y)
        W[:, j] = m.coef_[0]
        b[j] = m.intercept_[0]
    return W, b


def _dual_weights(X: sp.csr_matrix, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """beta with ``[X 1]^T beta = [W; b]`` (exact up to rounding: liblinear's weights lie in
    the span of its training rows, the intercept being a feature of constant 1)."""
    Xa = sp.hstack([X, np.ones((X.shape[0], 1))], format="csr")
    G = (Xa @ Xa.T).toarray()
    R = Xa @ np.vstack([W, b[None, :]])
    beta, *_ = np.linalg.lstsq(G, R, rcond=None)
    return np.asarray(beta)


def _knn(sim: np.ndarray, Y: np.ndarray, k: int) -> np.ndarray:
    """Similarity-weighted (sim²) share of each tag among the k most similar posts."""
    n = sim.shape[0]
    if n == 0 or Y.shape[0] == 0:
        return np.zeros((n, Y.shape[1]))
    k = min(k, Y.shape[0])
    idx = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    w = np.take_along_axis(sim, idx, axis=1).clip(min=0) ** 2
    votes = np.einsum("nk,nkt->nt", w, Y[idx].astype(np.float64))
    return votes / (w.sum(axis=1, keepdims=True) + 1e-12)


def _ranks(S: np.ndarray) -> np.ndarray:
    """1-based rank of each column within its row (1 = highest; ties by column order)."""
    order = np.argsort(-S, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(S.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, S.shape[1] + 1)[None, :]
    return ranks


class _Matcher:
    """Finds a tag's own words in text: whole words, case-insensitive, and ``-``/``_``/space
    interchangeable (``user-centered design`` matches ``user centered design``)."""

    def __init__(self, tags: Sequence[str]) -> None:
        self.patterns = []
        for t in tags:
            words = [w for w in _SPLIT_WORDS.split(t) if w]
            body = r"[\s_\-]+".join(re.escape(w) for w in words) if words else re.escape(t)
            self.patterns.append(re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE))

    def features(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        M = np.zeros((len(docs), len(self.patterns), 3))
        for i, (title, excerpt, body) in enumerate(docs):
            for j, pat in enumerate(self.patterns):
                M[i, j, 0] = pat.search(title) is not None
                M[i, j, 1] = pat.search(excerpt) is not None
                M[i, j, 2] = math.log1p(sum(1 for _ in pat.finditer(body)))
        return M


def _context_features(
    z: np.ndarray, knn: np.ndarray, match: np.ndarray, cooc: np.ndarray, prior: np.ndarray
) -> np.ndarray:
    """The stage-2 features of every (post, tag) pair: an (n x T x N_FEATURES) array."""
    n, T = z.shape
    p = _sigmoid(z)
    others = p.sum(axis=1, keepdims=True) - p
    co = (p @ cooc - p * np.diag(cooc)[None, :]) / (others + 1e-9)
    return np.stack(
        [
            z,
            1.0 / _ranks(z),
            z - z.max(axis=1, keepdims=True) if T else z,
            knn,
            1.0 / _ranks(knn),
            co,
            match[:, :, 0],
            match[:, :, 1],
            match[:, :, 2],
            np.broadcast_to(prior, (n, T)),
        ],
        axis=2,
    )


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float(np.logical_and(pred, gold).sum())
    denom = float(pred.sum() + gold.sum())
    return 2 * tp / denom if denom else 0.0


def micro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    """Micro-averaged F1 of two boolean (posts x tags) matrices."""
    return _f1(pred.astype(bool), gold.astype(bool))


def _choose_thresholds(P: np.ndarray, Y: np.ndarray, shrink: float) -> tuple[np.ndarray, float]:
    gold = Y.astype(bool)
    scores = [_f1(P >= t, gold) for t in THRESHOLD_GRID]
    best = max(range(len(THRESHOLD_GRID)), key=lambda i: (scores[i], -abs(THRESHOLD_GRID[i] - 0.5)))
    t_global = float(THRESHOLD_GRID[best])
    out = np.empty(P.shape[1])
    for j in range(P.shape[1]):
        g = gold[:, j]
        fs = [(_f1(P[:, j] >= t, g), -abs(t - t_global)) for t in THRESHOLD_GRID]
        tj = float(THRESHOLD_GRID[max(range(len(fs)), key=fs.__getitem__)])
        npos = float(g.sum())
        out[j] = (npos * tj + shrink * t_global) / (npos + shrink)
    return out, t_global


def _decide(P: np.ndarray, thresholds: np.ndarray, max_tags: int) -> np.ndarray:
    """Boolean (posts x tags): at or above threshold, at most ``max_tags`` per post (best
    margin first)."""
    above = P >= thresholds[None, :]
    if max_tags <= 0 or P.shape[1] <= max_tags:
        return above
    margin = np.where(above, P - thresholds[None, :], -np.inf)
    keep = _ranks(margin) <= max_tags
    return above & keep


def _portable(vectorizer: Any) -> Any:
    v = copy.copy(vectorizer)
    v.__dict__.pop("_stop_words_id", None)
    return v


# -- the model --------------------------------------------------------------------------------
@dataclass
class TagModel:
    """A fitted tag model. Make one with :func:`fit_tag_model` or :func:`load_tag_model`."""

    tags: tuple[str, ...]  # the blog's spelling
    vectorizers: list[Any]
    train_matrix: sp.csr_matrix  # TF-IDF blocks of the training posts
    beta: np.ndarray  # (n_train x T): stage-1 weights = train_matrix^T beta
    knn_vectorizer: Any  # unigram TF-IDF of the whole post, for the neighbours
    knn_matrix: sp.csr_matrix  # the training posts in it (rows L2-normalised)
    labels: np.ndarray  # (n_train x T) 0/1
    cooc: np.ndarray  # (T x T): P(tag j | tag i)
    prior: np.ndarray  # (T,) log share of posts with the tag
    stage2_coef: np.ndarray
    stage2_intercept: float
    thresholds: np.ndarray
    max_tags: int
    k: int = 10
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._matcher = _Matcher(self.tags)
        self._bias = self.beta.sum(axis=0)

    # -- scoring ---------------------------------------------------------------------------
    def _stage1(self, X: sp.csr_matrix) -> np.ndarray:
        return (X @ self.train_matrix.T).toarray() @ self.beta + self._bias[None, :]

    def _neighbours(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        Q = self.knn_vectorizer.transform([_whole(d) for d in docs])  # rows are L2-normalised
        return (Q @ self.knn_matrix.T).toarray()

    def scores(self, docs: Sequence[Sequence[str]]) -> np.ndarray:
        """Stage-2 probability of every tag for every post ``(title, excerpt, body)``."""
        if not docs:
            return np.zeros((0, len(self.tags)))
        z = self._stage1(_transform(self.vectorizers, docs))
        knn = _knn(self._neighbours(docs), self.labels, self.k)
        F = _context_features(z, knn, self._matcher.features(docs), self.cooc, self.prior)
        return _sigmoid(F @ self.stage2_coef + self.stage2_intercept)

    def suggest(self, docs: Sequence[Sequence[str]]) -> list[list[tuple[str, float]]]:
        """Per post: the tags at or above their thresholds, best first, as (tag, score)."""
        P = self.scores(docs)
        chosen = _decide(P, self.thresholds, self.max_tags)
        out = []
        for row, sel in zip(P, chosen):
            idx = [int(j) for j in np.flatnonzero(sel)]
            idx.sort(key=lambda j: (-row[j], self.tags[j].casefold(), self.tags[j]))
            out.append([(self.tags[j], float(row[j])) for j in idx])
        return out

    # -- persistence -----------------------------------------------------------------------
    def to_artifact(self) -> dict[str, Any]:
        """Plain data for skops. Vectorisers are shallow copies without ``_stop_words_id``:
        scikit-learn stores ``id(stop_words)`` there (a memory address, different in every
        process), which would make equal models differ byte for byte; it is only a cache and
        is set again on first use."""
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "tags": list(self.tags),
            "vectorizers": [_portable(v) for v in self.vectorizers],
            "train_matrix": self.train_matrix,
            "beta": self.beta,
            "knn_vectorizer": _portable(self.knn_vectorizer),
            "knn_matrix": self.knn_matrix,
            "labels": self.labels,
            "cooc": self.cooc,
            "prior": self.prior,
            "stage2_coef": self.stage2_coef,
            "stage2_intercept": float(self.stage2_intercept),
            "thresholds": self.thresholds,
            "max_tags": int(self.max_tags),
            "k": int(self.k),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_artifact(cls, d: Any, path: str | None = None) -> "TagModel":
        from ..modelio import ModelError

        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ModelError(path, "not a ddlens tag model (train one with `ddlens train tags`)")
        if d.get("version") != FORMAT_VERSION:
            raise ModelError(path, f"tag model format {d.get('version')} is not supported by this ddlens (needs {FORMAT_VERSION})")
        try:
            model = cls(
                tags=tuple(str(t) for t in d["tags"]),
                vectorizers=list(d["vectorizers"]),
                train_matrix=sp.csr_matrix(d["train_matrix"]),
                beta=np.asarray(d["beta"], dtype=np.float64),
                knn_vectorizer=d["knn_vectorizer"],
                knn_matrix=sp.csr_matrix(d["knn_matrix"]),
                labels=np.asarray(d["labels"]),
                cooc=np.asarray(d["cooc"], dtype=np.float64),
                prior=np.asarray(d["prior"], dtype=np.float64),
                stage2_coef=np.asarray(d["stage2_coef"], dtype=np.float64),
                stage2_intercept=float(d["stage2_intercept"]),
                thresholds=np.asarray(d["thresholds"], dtype=np.float64),
                max_tags=int(d["max_tags"]),
                k=int(d["k"]),
                meta=dict(d.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(path, f"tag model file is incomplete or damaged ({type(exc).__name__}: {exc})") from None
        T, n = len(model.tags), model.train_matrix.shape[0]
        if (
            model.beta.shape != (n, T)
            or model.labels.shape != (n, T)
            or model.knn_matrix.shape[0] != n
            or model.cooc.shape != (T, T)
            or model.thresholds.shape != (T,)
            or model.stage2_coef.shape != (N_FEATURES,)
        ):
            raise ModelError(path, "tag model file is inconsistent (array shapes do not match)")
        return model


def save_tag_model(model: TagModel, path: str | Path) -> bytes:
    """Write the model with skops, byte-identically for the same model; returns the bytes."""
    from ..modelio import dump_deterministic

    return dump_deterministic(model.to_artifact(), path)


def load_tag_model(path: str | Path) -> TagModel:
    """Load a tag model file, trusting only :data:`TRUSTED_TYPES`. Raises ModelError."""
    from ..modelio import load_trusted

    return TagModel.from_artifact(load_trusted(path, TRUSTED_TYPES), path=str(path))


# -- training ---------------------------------------------------------------------------------
def _vocabulary(examples: Sequence[TagExample], min_count: int) -> tuple[list[str], list[str]]:
    """(keys, spellings) of the tags on at least ``min_count`` posts, sorted by key."""
    per_key: dict[str, Counter[str]] = {}
    for ex in examples:
        for t in ex.tags:
            per_key.setdefault(canonical_tag(t), Counter())[t] += 1
    keys = sorted(k for k, c in per_key.items() if sum(c.values()) >= min_count)
    spell = [min(per_key[k].items(), key=lambda kv: (-kv[1], kv[0]))[0] for k in keys]
    return keys, spell


def _stage1_oof(docs: list[tuple[str, str, str]], Y: np.ndarray, folds: int, C: float, seed: int) -> np.ndarray:
    from sklearn.model_selection import KFold

    n, T = Y.shape
    z = np.zeros((n, T))
    for tr, va in KFold(folds, shuffle=True, random_state=seed).split(np.arange(n)):
        vec = _fit_vectorizers([docs[i] for i in tr])
        Xtr = _transform(vec, [docs[i] for i in tr])
        Xva = _transform(vec, [docs[i] for i in va])
        W, b = _fit_linear(Xtr, Y[tr], C, seed)
        z[va] = np.asarray(Xva @ W) + b[None, :]
    return z


def _fit_stage2(F: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """The shared stage-2 regression (features left unscaled: the L2 penalty then bears
    least on the wide-ranging stage-1 score, which measured better than standardising)."""
    from sklearn.linear_model import LogisticRegression

    # Newton-Cholesky: exact on ten unscaled features, where L-BFGS needs many iterations
    m = LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=200, random_state=seed)
    m.fit(F, y)
    return m.coef_[0].copy(), float(m.intercept_[0])


def fit_tag_model(
    examples: Sequence[TagExample],
    min_count: int = 3,
    folds: int = 5,
    C: float = 100.0,
    k: int = 10,
    shrink: float = 5.0,
    seed: int = 0,
) -> TagModel:
    """Fit a :class:`TagModel` on the tagged examples (untagged ones are ignored).

    min_count: a tag must be on at least this many posts to be learned.
    folds: cross-validation folds for the stage-2 data and the thresholds.
    C: inverse L2 strength of the per-tag regressions. k: neighbours.
    shrink: how many posts' worth of weight the global threshold has against a tag's own.
    Deterministic: the same examples (in any order) give the same model."""
    from sklearn.model_selection import GroupKFold

    tagged = sorted((e for e in examples if e.tags), key=lambda e: (e.path or "", e.fields, e.tags))
    keys, spellings = _vocabulary(tagged, max(1, min_count))
    if not keys:
        raise TagTrainingError(
            f"no tag is on {min_count} or more of the {len(tagged)} tagged post(s); nothing to learn (try --min-count)"
        )
    n = len(tagged)  # posts whose tags are all rare stay: they are negatives for every tag
    if n < 10:
        raise TagTrainingError(f"only {n} post(s) have tags; a tag model needs at least 10")
    folds = max(2, min(folds, n // 2))
    col = {key: j for j, key in enumerate(keys)}
    Y = np.zeros((n, len(keys)), dtype=np.int8)
    for i, e in enumerate(tagged):
        for t in e.tags:
            j = col.get(canonical_tag(t))
            if j is not None:
                Y[i, j] = 1
    docs = [e.fields for e in tagged]

    # stage 1 on everything (kept as dual weights) and out of fold (for stage 2)
    vectorizers = _fit_vectorizers(docs)
    X = _transform(vectorizers, docs)
    W, b = _fit_linear(X, Y, C, seed)
    beta = _dual_weights(X, W, b)
    z_oof = _stage1_oof(docs, Y, folds, C, seed)

    counts = Y.sum(axis=0).astype(np.float64)
    cooc = (Y.T.astype(np.float64) @ Y) / np.maximum(counts[:, None], 1.0)
    prior = np.log(counts / n)
    knn_vectorizer = _fit_knn_vectorizer(docs)
    knn_matrix = knn_vectorizer.transform([_whole(d) for d in docs])
    sim = (knn_matrix @ knn_matrix.T).toarray()
    np.fill_diagonal(sim, -1.0)  # leave-one-out neighbours
    knn = _knn(sim, Y, k)
    matcher = _Matcher(spellings)
    F3 = _context_features(z_oof, knn, matcher.features(docs), cooc, prior)
    F = F3.reshape(n * len(keys), N_FEATURES)
    y = Y.reshape(-1)
    groups = np.repeat(np.arange(n), len(keys))

    # stage 2: out-of-fold probabilities choose thresholds and the per-post cap
    P_oof = np.zeros(n * len(keys))
    for tr, va in GroupKFold(folds).split(F, y, groups):
        if y[tr].min() == y[tr].max():
            P_oof[va] = y[tr].mean()
            continue
        coef, icpt = _fit_stage2(F[tr], y[tr], seed)
        P_oof[va] = _sigmoid(F[va] @ coef + icpt)
    P_oof = P_oof.reshape(n, len(keys))
    thresholds, t_global = _choose_thresholds(P_oof, Y, shrink)
    card = Y.sum(axis=1)
    candidates = sorted({int(np.ceil(np.quantile(card, q))) for q in (0.9, 0.95, 1.0)} | {0})
    cv = {c: micro_f1(_decide(P_oof, thresholds, c), Y) for c in candidates}
    max_tags = max(candidates, key=lambda c: (round(cv[c], 6), -c if c else -10**6))
    coef, icpt = _fit_stage2(F, y, seed)

    meta = {
        "posts": n,
        "tags": len(keys),
        "min_count": int(min_count),
        "folds": int(folds),
        "C": float(C),
        "k": int(k),
        "shrink": float(shrink),
        "seed": int(seed),
        "global_threshold": t_global,
        "mean_tags_per_post": round(float(card.mean()), 4),
        "cv_micro_f1": round(cv[max_tags], 4),
    }
    return TagModel(
        tags=tuple(spellings),
        vectorizers=vectorizers,
        train_matrix=X,
        beta=beta,
        knn_vectorizer=knn_vectorizer,
        knn_matrix=knn_matrix,
        labels=Y,
        cooc=cooc,
        prior=prior,
        stage2_coef=coef,
        stage2_intercept=icpt,
        thresholds=thresholds,
        max_tags=int(max_tags),
        k=int(k),
        meta=meta,
    )

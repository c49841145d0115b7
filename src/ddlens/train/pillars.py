"""``ddlens train pillars CORPUS [--taxonomy NAME|PATH] --out FILE``.

Reads a labelled corpus (``CORPUS/labels.jsonl``, or a ``.jsonl`` file whose ``path``
fields are relative to its folder; format in ``corpora/README.md``), takes each post's
labels for the taxonomy from the key the taxonomy names (``labels_key``: ``pillars``,
``principles``, ...; posts without that key are skipped), and fits
:class:`ddlens.pillar_model.PillarModel`:

1. out-of-fold calibrated probabilities from ``folds``-fold iteratively stratified
   cross-validation (features refitted inside each fold);
2. per-category thresholds that maximise F1 on those probabilities (ties go to the
   threshold nearest 0.5);
3. the final model on every post, saved with skops, byte-identically for the same data.

Everything is deterministic: posts are sorted by path, folds come from a seeded
iterative stratification, the solver is liblinear with a fixed seed, and the skops
archive is written canonically (:mod:`ddlens.modelio`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..article import Article, ArticleError
from ..modelio import dump_deterministic
from ..pillar_model import ModelConfig, PillarModel, RawCounts, doc_segments, fit_model
from ..taxonomy import Taxonomy

__all__ = [
    "CorpusError",
    "LabelledPost",
    "TrainResult",
    "read_corpus",
    "post_segments",
    "iterative_folds",
    "cross_val_proba",
    "fit_with_thresholds",
    "choose_thresholds",
    "f1_scores",
    "train",
]

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)


class CorpusError(ValueError):
    """Problems with a labelled corpus: one ``path:line: reason`` line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class LabelledPost:
    path: str  # as written in the labels file
    article: Article
    labels: tuple[int, ...]  # one 0/1 per taxonomy category, in taxonomy order
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)


def labels_file(corpus: Path) -> Path:
    if corpus.is_dir():
        f = corpus / "labels.jsonl"
        if not f.is_file():
            raise CorpusError([f"{corpus}: no labels.jsonl in this folder"])
        return f
    if corpus.is_file():
        return corpus
    raise CorpusError([f"{corpus}: no such file or folder"])


def read_corpus(corpus: Path, taxonomy: Taxonomy) -> tuple[list[LabelledPost], int]:
    """The posts labelled for ``taxonomy`` (sorted by path), and how many lines were skipped
    for lacking the taxonomy's labels key. Raises :class:`CorpusError` listing every problem."""
    lf = labels_file(corpus)
    root = lf.parent
    ids = taxonomy.ids
    key = taxonomy.labels_key or taxonomy.name
    posts: list[LabelledPost] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    skipped = 0
    try:
        lines = lf.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError([f"{lf}: cannot read labels: {exc}"]) from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{lf}:{n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("path"), str):
            problems.append(f"{where}: a label line must be an object with a string 'path'")
            continue
        if key not in rec:
            skipped += 1
            continue
        path = rec["path"]
        if path in seen:
            problems.append(f"{where}: {path} is already labelled on line {seen[path]}")
            continue
        seen[path] = n
        entries = rec[key]
        if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
            problems.append(f"{where}: '{key}' must be a list of objects with 'id' and 'assigned'")
            continue
        by_id: dict[str, dict[str, Any]] = {}
        bad = False
        for e in entries:
            if e["id"] in by_id:
                problems.append(f"{where}: '{key}' lists {e['id']!r} twice")
                bad = True
            by_id[e["id"]] = e
        unknown = sorted(set(by_id) - set(ids))
        missing = [i for i in ids if i not in by_id]
        if unknown:
            problems.append(f"{where}: '{key}' has ids not in taxonomy {taxonomy.name!r}: {', '.join(unknown)}")
            bad = True
        if missing:
            problems.append(f"{where}: '{key}' lacks ids of taxonomy {taxonomy.name!r}: {', '.join(missing)}")
            bad = True
        values = []
        for i in ids:
            a = by_id.get(i, {}).get("assigned")
            if i in by_id and a not in (True, False, 0, 1):
                problems.append(f"{where}: '{key}' {i!r}: 'assigned' must be true or false")
                bad = True
            values.append(1 if a in (True, 1) else 0)
        if bad:
            continue
        try:
            article = Article.from_path(root / path)
        except ArticleError as exc:
            problems.append(f"{where}: {path}: {exc.reason}" + (f" (line {exc.line})" if exc.line else ""))
            continue
        evidence = {
            i: tuple(
                str(ev.get("sentence", ""))
                for ev in (by_id[i].get("evidence") or [])
                if isinstance(ev, dict) and ev.get("sentence")
            )
            for i in ids
        }
        posts.append(LabelledPost(path, article, tuple(values), evidence))
    if problems:
        raise CorpusError(problems)
    posts.sort(key=lambda p: p.path)
    return posts, skipped


def post_segments(articles: Sequence[Article]) -> list[list[str]]:
    """Model input for each article, as the component sees it (title, then sentences), in
    reference-text form: lowercased spaCy tokens joined by spaces (see
    :mod:`ddlens.pillar_features`)."""
    from ..lens import Lens
    from ..pipeline import build_nlp

    lens = Lens(build_nlp(components=["ddlens_sentences"]))
    docs = list(lens.nlp.pipe(lens.make_doc(a) for a in articles))
    segments, _, _ = doc_segments(docs, lens.nlp.tokenizer)
    return segments.texts()


def iterative_folds(Y: np.ndarray, n_splits: int, seed: int = 0) -> list[np.ndarray]:
    """Test-index arrays of ``n_splits`` folds by iterative stratification (Sechidis,
    Tsoumakas & Vlahavas 2011): every label's positives spread as evenly as possible."""
    Y = np.asarray(Y, dtype=np.int64)
    n, K = Y.shape
    if n_splits < 2 or n_splits > n:
        raise ValueError(f"cannot make {n_splits} folds from {n} posts")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)  # seeded tie-breaking among examples
    desired = np.full(n_splits, n / n_splits)
    desired_l = np.outer(np.full(n_splits, 1.0 / n_splits), Y.sum(axis=0))  # (folds, K)
    fold_of = np.full(n, -1)
    remaining = set(range(n))
    while remaining:
        rem = np.array([i for i in order if i in remaining])
        counts = Y[rem].sum(axis=0)
        live = np.flatnonzero(counts > 0)
        if len(live):
            label = int(live[np.argmin(counts[live])])
            batch = [i for i in rem if Y[i, label]]
        else:
            label, batch = -1, list(rem)
        for i in batch:
            if label >= 0:
                score = np.stack([desired_l[:, label], desired], axis=1)
            else:
                score = np.stack([desired, np.zeros(n_splits)], axis=1)
            best = np.flatnonzero((score[:, 0] == score[:, 0].max()))
            best = best[score[best, 1] == score[best, 1].max()]
            f = int(best[rng.integers(len(best))]) if len(best) > 1 else int(best[0])
            fold_of[i] = f
            desired[f] -= 1
            desired_l[f] -= Y[i]
            remaining.discard(i)
    return [np.flatnonzero(fold_of == f) for f in range(n_splits)]


def cross_val_proba(
    raw: RawCounts,
    Y: np.ndarray,
    idx: np.ndarray,
    taxonomy: Taxonomy,
    config: ModelConfig,
    folds: Sequence[np.ndarray],
) -> np.ndarray:
    """Out-of-fold calibrated probabilities for the docs ``idx`` of ``raw`` (``Y`` is
    their label matrix, ``folds`` index into ``idx``); each fold's model, features
    included, is fitted on the other folds only."""
    P = np.zeros(Y.shape, dtype=np.float64)
    for test in folds:
        tr = np.setdiff1d(np.arange(len(idx)), test)
        model = fit_model((), Y[tr], taxonomy, config, raw=raw, idx=idx[tr])
        P[test] = model.classifier.predict_proba(model.featurizer.transform_raw(raw, idx[test]))
    return P


def fit_with_thresholds(
    raw: RawCounts,
    Y: np.ndarray,
    idx: np.ndarray,
    taxonomy: Taxonomy,
    config: ModelConfig,
    folds: int = 5,
    seed: int = 0,
) -> tuple[PillarModel, np.ndarray]:
    """The model ``train`` ships, fitted on the docs ``idx`` only: thresholds from
    ``folds``-fold out-of-fold probabilities, then a fit on all of ``idx``. Returns the
    model and the out-of-fold probabilities."""
    P = cross_val_proba(raw, Y, idx, taxonomy, config, iterative_folds(Y, folds, seed))
    thresholds = choose_thresholds(Y, P)
    return fit_model((), Y, taxonomy, config, thresholds=thresholds, raw=raw, idx=idx), P


def f1_scores(Y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per-column F1 (0 when a column has neither true nor predicted positives)."""
    Y = np.asarray(Y, dtype=bool)
    pred = np.asarray(pred, dtype=bool)
    tp = (Y & pred).sum(axis=0)
    denom = Y.sum(axis=0) + pred.sum(axis=0)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def choose_thresholds(Y: np.ndarray, P: np.ndarray, grid: np.ndarray = THRESHOLD_GRID) -> np.ndarray:
    """Per column, the grid threshold with the best F1 (ties: nearest 0.5, then lower)."""
    out = np.zeros(Y.shape[1])
    for k in range(Y.shape[1]):
        f1 = np.array([f1_scores(Y[:, [k]], P[:, [k]] >= t)[0] for t in grid])
        best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0, atol=1e-12))
        out[k] = grid[best[np.argmin(np.abs(grid[best] - 0.5))]]
    return out


def corpus_digest(posts: Sequence[LabelledPost], taxonomy: Taxonomy) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(taxonomy.to_dict(), sort_keys=True).encode())
    for p in posts:
        h.update(p.path.encode())
        h.update(p.article.text.encode())
        h.update(bytes(p.labels))
    return h.hexdigest()[:16]


@dataclass
class TrainResult:
    model: PillarModel
    posts: int
    skipped: int
    positives: dict[str, int]
    thresholds: dict[str, float]
    cv_f1: dict[str, float]
    macro_f1: float
    sha256: str | None = None


def train(
    corpus: Path,
    taxonomy: Taxonomy,
    out: Path | None = None,
    config: ModelConfig = ModelConfig(),
    folds: int = 5,
    seed: int = 0,
) -> TrainResult:
    posts, skipped = read_corpus(corpus, taxonomy)
    ids = taxonomy.ids
    if len(posts) < max(folds, 4):
        raise CorpusError([f"{labels_file(corpus)}: only {len(posts)} post(s) labelled for {taxonomy.name!r}"])
    Y = np.array([p.labels for p in posts], dtype=np.int64)
    docs = post_segments([p.article for p in posts])
    raw = RawCounts(config, taxonomy, docs)
    model, P = fit_with_thresholds(raw, Y, np.arange(len(docs)), taxonomy, config, folds, seed)
    thresholds = model.thresholds
    f1 = f1_scores(Y, P >= thresholds)
    model.meta = {
        "posts": len(posts),
        "positives": {i: int(Y[:, k].sum()) for k, i in enumerate(ids)},
        "folds": int(folds),
        "seed": int(seed),
        "cv_f1": {i: round(float(f1[k]), 4) for k, i in enumerate(ids)},
        "corpus_digest": corpus_digest(posts, taxonomy),
    }
    result = TrainResult(
        model=model,
        posts=len(posts),
        skipped=skipped,
        positives=model.meta["positives"],
        thresholds={i: float(thresholds[k]) for k, i in enumerate(ids)},
        cv_f1=model.meta["cv_f1"],
        macro_f1=float(f1.mean()),
    )
    if out is not None:
        data = dump_deterministic(model.to_artifact(), out)
        result.sha256 = hashlib.sha256(data).hexdigest()
    return result

"""Cross-validated comparison for the pillar classifier (issue 5), all on the same folds.

    .venv/bin/python benchmarks/eval_pillars.py [CORPUS] [--taxonomy NAME|PATH] [--folds 5]
        [--seed 0] [--quick] [--no-spacy] [--epochs 20] [--json FILE]

Systems, each trained on the training part of every outer fold and scored on its test
part (iterative stratification, ``ddlens.train.pillars.iterative_folds``):

- ``ddlens`` candidates (:class:`ddlens.pillar_model.ModelConfig`): exactly what
  ``ddlens train pillars`` does on the training part (inner CV for calibration and
  per-category thresholds), then thresholded probabilities on the test part. The
  shipped default is marked ``*``; ``--quick`` evaluates only it.
- ``keyword``: count of the taxonomy's indicative phrases, one threshold per category
  chosen on the training part (best F1).
- ``spacy-ensemble`` / ``spacy-bow``: spaCy's own ``textcat_multilabel`` (default
  TextCatEnsemble.v2, and TextCatBOW.v3 with bigrams) on a blank English pipeline,
  trained for ``--epochs`` epochs on the same text (title + body), threshold 0.5 (spaCy's
  default). ``(oracle thr)`` rows re-threshold its test-fold scores with the per-category
  threshold that is best *on the test folds*: an optimistic upper bound, not a fair score.

Also reported for the default ddlens model: how often the gold evidence sentence of a
correctly assigned category is among the (up to) three evidence sentences ddlens gives.
Prints a Markdown table; ``--json`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ddlens.pillar_model import ModelConfig, PhraseScorer, RawCounts  # noqa: E402
from ddlens.taxonomy import load_taxonomy  # noqa: E402
from ddlens.train.pillars import (  # noqa: E402
    choose_thresholds,
    f1_scores,
    fit_with_thresholds,
    iterative_folds,
    post_segments,
    read_corpus,
)

DEFAULT = ModelConfig()
CANDIDATES: dict[str, ModelConfig] = {
    "word C=10": ModelConfig(char_ngrams=None, phrase_weight=0.0, C=10.0),
    "char C=10": ModelConfig(word_ngrams=None, phrase_weight=0.0, C=10.0),
    "word+char C=3": ModelConfig(phrase_weight=0.0, C=3.0),
    "word+char C=10": ModelConfig(phrase_weight=0.0, C=10.0),
    "word+char C=30": ModelConfig(phrase_weight=0.0, C=30.0),
    "word+char C=100": ModelConfig(phrase_weight=0.0, C=100.0),
    "word(1-3)+char C=10": ModelConfig(word_ngrams=(1, 3), phrase_weight=0.0, C=10.0),
    "word+char(3-6) C=10": ModelConfig(char_ngrams=(3, 6), phrase_weight=0.0, C=10.0),
    "word+phrases(0.5) C=10": ModelConfig(char_ngrams=None, phrase_weight=0.5, C=10.0),
    "word+phrases(0.1) C=10": ModelConfig(char_ngrams=None, phrase_weight=0.1, C=10.0),
    "word+char(3-5)+phrases(0.1) C=10": ModelConfig(char_ngrams=(3, 5), phrase_weight=0.1, C=10.0),
    "word+char(3-5)+phrases(0.1) min_df=3 C=10": ModelConfig(char_ngrams=(3, 5), phrase_weight=0.1, min_df=3, C=10.0),
    "word+char(2-4)+phrases(0.1) C=10": ModelConfig(char_ngrams=(2, 4), phrase_weight=0.1, C=10.0),
    "word+char+phrases(0.05) C=10": ModelConfig(phrase_weight=0.05, C=10.0),
    "word+char+phrases(0.1) C=10": ModelConfig(phrase_weight=0.1, C=10.0),
    "word+char+phrases(0.2) C=10": ModelConfig(phrase_weight=0.2, C=10.0),
    "word+char+phrases(0.1) C=30": ModelConfig(phrase_weight=0.1, C=30.0),
    "word+char+phrases(0.5) C=10": ModelConfig(phrase_weight=0.5, C=10.0),
    "word+char+phrases(0.5) C=100": ModelConfig(phrase_weight=0.5, C=100.0),
    "word+char+phrases(1.0) C=10": ModelConfig(phrase_weight=1.0, C=10.0),
    "word+char+phrases(2.0) C=10": ModelConfig(phrase_weight=2.0, C=10.0),
}


def scores(Y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    f1 = f1_scores(Y, pred)
    tp = int((Y.astype(bool) & pred.astype(bool)).sum())
    micro = 2 * tp / max(int(Y.sum() + pred.sum()), 1)
    return {"macro_f1": float(f1.mean()), "micro_f1": float(micro), "per_category": [float(x) for x in f1]}


def norm(s: str) -> str:
    """Letters and digits only, lowercased: model segments are tokens joined by spaces
    ("don't" -> "do n't"), gold evidence is the source sentence."""
    return "".join(ch.lower() for ch in s if ch.isalnum())


def evidence_hits(model, docs, n_heads, Y, pred, gold_evidence, ids) -> tuple[int, int]:
    """(hits, cases): correctly assigned categories whose gold sentence is among the
    sentences ddlens would give as evidence (the component's rule: top 3 by positive
    contribution, title excluded)."""
    from ddlens.components.pillars import MAX_EVIDENCE

    _, contribs = model.explain(docs)
    hits = cases = 0
    for d, (segs, contrib) in enumerate(zip(docs, contribs)):
        body, c_body = segs[n_heads[d] :], contrib[n_heads[d] :]
        for k, cid in enumerate(ids):
            if not (Y[d, k] and pred[d, k]) or not gold_evidence[d].get(cid):
                continue
            cases += 1
            c = c_body[:, k]
            order = [i for i in np.argsort(-c, kind="stable") if c[i] > 0][:MAX_EVIDENCE]
            top = [norm(body[i]) for i in order]
            gold = [norm(g) for g in gold_evidence[d][cid]]
            if any(g and t and (g in t or t in g) for g in gold for t in top):
                hits += 1
    return hits, cases


def train_spacy(texts, Y, ids, arch: str, epochs: int, seed: int):
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    nlp = spacy.blank("en")
    config = {}
    if arch == "bow":
        config = {
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": False,
                "ngram_size": 2,
                "no_output_layer": False,
                "length": 262144,
            }
        }
    tc = nlp.add_pipe("textcat_multilabel", config=config)
    for cid in ids:
        tc.add_label(cid)
    examples = [
        Example.from_dict(nlp.make_doc(t), {"cats": {cid: float(y[k]) for k, cid in enumerate(ids)}}) for t, y in zip(texts, Y)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=8):
            nlp.update(batch, sgd=optimizer, drop=0.1)
    return nlp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(ROOT / "corpora"))
    ap.add_argument("--taxonomy", default="transformation-pillars")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="only the default ddlens config (plus baselines)")
    ap.add_argument("--no-spacy", action="store_true")
    ap.add_argument("--spacy", default="ensemble,bow", help="spaCy architectures to compare (comma-separated)")
    ap.add_argument("--only", help="evaluate only the ddlens candidates whose name contains this")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    t0 = time.perf_counter()
    tax = load_taxonomy(args.taxonomy)
    ids = tax.ids
    posts, skipped = read_corpus(Path(args.corpus), tax)
    Y = np.array([p.labels for p in posts], dtype=np.int64)
    docs = post_segments([p.article for p in posts])
    gold_evidence = [p.evidence for p in posts]
    n_heads = [1 if (p.article.title or "").strip() else 0 for p in posts]
    folds = iterative_folds(Y, args.folds, args.seed)
    n = len(posts)
    print(
        f"# {tax.name}: {n} posts ({skipped} without labels skipped), {args.folds} folds (seed {args.seed}); "
        f"positives: " + ", ".join(f"{i} {int(Y[:, k].sum())}" for k, i in enumerate(ids)),
        flush=True,
    )
    results: dict[str, dict] = {}

    # -- ddlens ---------------------------------------------------------------------------------
    configs = {k: v for k, v in CANDIDATES.items() if v == DEFAULT} if args.quick else CANDIDATES
    if args.only:
        configs = {k: v for k, v in configs.items() if args.only in k}
    for name, cfg in configs.items():
        t = time.perf_counter()
        raw = RawCounts(cfg, tax, docs)
        pred = np.zeros_like(Y)
        hits = cases = 0
        for test in folds:
            tr = np.setdiff1d(np.arange(n), test)
            model, _ = fit_with_thresholds(raw, Y[tr], tr, tax, cfg, folds=args.folds, seed=args.seed)
            P = model.classifier.predict_proba(model.featurizer.transform_raw(raw, test))
            pred[test] = P >= model.thresholds
            if cfg == DEFAULT:
                h, c = evidence_hits(
                    model, [docs[i] for i in test], [n_heads[i] for i in test], Y[test], pred[test],
                    [gold_evidence[i] for i in test], ids,
                )
                hits, cases = hits + h, cases + c
        r = scores(Y, pred)
        r["seconds"] = round(time.perf_counter() - t, 1)
        r["config"] = cfg.to_dict()
        if cfg == DEFAULT:
            r["evidence_top3"] = {"hits": hits, "cases": cases}
        results[f"ddlens {name}" + (" *" if cfg == DEFAULT else "")] = r
        print(f"  ddlens {name}{' *' if cfg == DEFAULT else ''}: macro-F1 {r['macro_f1']:.3f} ({r['seconds']} s)", flush=True)

    # -- keyword baseline ----------------------------------------------------------------------
    scorer = PhraseScorer(tax)
    H, _ = scorer.hits(docs)
    pred = np.zeros_like(Y)
    grid = np.arange(0, int(H.max()) + 2)
    for test in folds:
        tr = np.setdiff1d(np.arange(n), test)
        for k in range(len(ids)):
            f1 = [f1_scores(Y[tr][:, [k]], H[tr][:, [k]] >= g)[0] for g in grid]
            g = grid[int(np.argmax(f1))]
            pred[test, k] = H[test, k] >= g
    results["keyword (phrase counts)"] = scores(Y, pred)
    print(f"  keyword: macro-F1 {results['keyword (phrase counts)']['macro_f1']:.3f}", flush=True)

    # -- spaCy textcat_multilabel --------------------------------------------------------------
    if not args.no_spacy:
        texts = [(p.article.title or "") + "\n\n" + p.article.text for p in posts]
        for arch in [a for a in args.spacy.split(",") if a]:
            t = time.perf_counter()
            S = np.zeros(Y.shape)
            for test in folds:
                tr = np.setdiff1d(np.arange(n), test)
                nlp = train_spacy([texts[i] for i in tr], Y[tr], ids, arch, args.epochs, args.seed)
                for row, doc in zip(test, nlp.pipe([texts[i] for i in test])):
                    S[row] = [doc.cats[c] for c in ids]
            r = scores(Y, S >= 0.5)
            r["seconds"] = round(time.perf_counter() - t, 1)
            results[f"spacy-{arch} textcat_multilabel"] = r
            oracle = choose_thresholds(Y, S)
            results[f"spacy-{arch} (oracle thr)"] = scores(Y, S >= oracle)
            print(f"  spacy-{arch}: macro-F1 {r['macro_f1']:.3f} ({r['seconds']} s)", flush=True)

    # -- report --------------------------------------------------------------------------------
    print()
    print("| system | macro-F1 | micro-F1 | " + " | ".join(ids) + " |")
    print("|---|---:|---:|" + "---:|" * len(ids))
    for name, r in results.items():
        cells = " | ".join(f"{x:.3f}" for x in r["per_category"])
        print(f"| {name} | {r['macro_f1']:.3f} | {r['micro_f1']:.3f} | {cells} |")
    for name, r in results.items():
        if "evidence_top3" in r:
            e = r["evidence_top3"]
            share = e["hits"] / e["cases"] if e["cases"] else 0.0
            print(f"\n{name}: gold evidence sentence among the top-3 evidence for {e['hits']}/{e['cases']} ({share:.0%}) correctly assigned categories")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s (shared 2-core machine; timings are noisy)")
    if args.json:
        args.json.write_text(json.dumps({"taxonomy": tax.name, "posts": n, "folds": args.folds, "seed": args.seed, "results": results}, indent=2))


if __name__ == "__main__":
    main()

"""Framework detection against the labelled corpus: micro precision and recall over
(post, framework) pairs, plus mention-count agreement on the pairs found in both.

    .venv/bin/python benchmarks/eval_frameworks.py            # corpora/labels.jsonl (or labels-part*.jsonl)
    .venv/bin/python benchmarks/eval_frameworks.py --errors   # list every false positive / negative with its sentence

Candidates (category "candidate") are not part of the labels and are not scored.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def read_labels(corpus: Path) -> list[dict]:
    files = [corpus / "labels.jsonl"] if (corpus / "labels.jsonl").exists() else sorted(corpus.glob("labels-part*.jsonl"))
    if not files:
        sys.exit(f"no labels in {corpus}")
    out = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    print(f"{f}:{n}: skipped, invalid JSON ({exc.msg})", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    ap.add_argument("--errors", action="store_true", help="print each false positive and false negative")
    args = ap.parse_args()

    import ddlens

    labels = read_labels(args.corpus)
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_frameworks"])
    tp = fp = fn = 0
    count_pairs = count_exact = 0
    errors: list[str] = []
    missing = 0
    for rec in labels:
        path = args.corpus / rec["path"]
        if not path.exists():
            missing += 1
            print(f"{path}: labelled post not found", file=sys.stderr)
            continue
        result = lens.analyze(path)
        gold = {f["name"]: int(f.get("mentions", 1)) for f in rec.get("frameworks", [])}
        pred = {f.name: f for f in result.frameworks if f.category != "candidate"}
        for name in sorted(set(gold) | set(pred)):
            if name in gold and name in pred:
                tp += 1
                count_pairs += 1
                count_exact += gold[name] == pred[name].mentions
                if args.errors and gold[name] != pred[name].mentions:
                    errors.append(f"COUNT {rec['path']}: {name} gold {gold[name]} found {pred[name].mentions}")
            elif name in pred:
                fp += 1
                ev = pred[name].evidence[0]
                errors.append(f"FP {rec['path']}:{ev.line}: {name}: {ev.text[:200]}")
            else:
                fn += 1
                errors.append(f"FN {rec['path']}: {name} ({gold[name]} mention(s))")
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    if args.errors:
        for e in errors:
            print(e)
    print(
        f"posts {len(labels) - missing}  pairs gold {tp + fn}  found {tp + fp}  tp {tp}  fp {fp}  fn {fn}\n"
        f"precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  "
        f"mention counts exact on {count_exact}/{count_pairs} true pairs"
    )


if __name__ == "__main__":
    main()

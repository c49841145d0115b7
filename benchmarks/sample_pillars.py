"""A seeded sample of pillar assignments on real posts, for judging by reading.

    .venv/bin/python benchmarks/sample_pillars.py ../shared/corpora/dai-digital [--n 30] [--seed 0]
        [--taxonomy NAME|PATH] [--judged FILE]

Scores every post, then draws ``n`` (post, pillar) pairs: half among assigned pillars, half
among unassigned ones (seeded). For each it prints the score, the threshold and the
evidence with lines, so a reader can open the post and judge the assignment. With
``--judged FILE`` (JSON lines ``{"path", "pillar", "correct": true|false, "note"}``, notes in
the judge's own words) it prints the share judged correct, overall and per side.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import ddlens  # noqa: E402
from ddlens.article import ArticleError  # noqa: E402
from ddlens.files import iter_post_paths  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--taxonomy", default="transformation-pillars")
    ap.add_argument("--judged", type=Path)
    args = ap.parse_args()

    lens = ddlens.load(components=["ddlens_sentences", "ddlens_pillars"], config={"ddlens_pillars": {"taxonomy": args.taxonomy}})
    scorer = lens.nlp.get_pipe("ddlens_pillars")
    thresholds = dict(zip(scorer.taxonomy.ids, scorer.thresholds))
    pos, neg = [], []
    for outcome in lens.analyze_many(sorted(iter_post_paths([args.folder], None))):
        if isinstance(outcome, ArticleError):
            continue
        for p in outcome.pillars:
            (pos if p.assigned else neg).append((outcome.path, p))
    rng = random.Random(args.seed)
    half = args.n // 2
    sample = rng.sample(pos, min(half, len(pos))) + rng.sample(neg, min(args.n - half, len(neg)))
    judged = {}
    if args.judged:
        for line in args.judged.read_text(encoding="utf-8").splitlines():
            if line.strip():
                j = json.loads(line)
                judged[(Path(j["path"]).name, j["pillar"])] = j
    right = {True: 0, False: 0}
    seen = {True: 0, False: 0}
    for i, (path, p) in enumerate(sample, 1):
        name = Path(path).name
        print(f"{i:2d}. {name}  {p.id}  assigned={p.assigned}  score={p.score:.3f} (threshold {thresholds[p.id]:.2f})")
        for ev in p.evidence:
            print(f"      line {ev.line}: {ev.sentence[:160]}")
        j = judged.get((name, p.id))
        if j is not None:
            seen[p.assigned] += 1
            right[p.assigned] += bool(j["correct"])
            print(f"      judged: {'correct' if j['correct'] else 'WRONG'}  {j.get('note', '')}")
    if args.judged:
        total = seen[True] + seen[False]
        ok = right[True] + right[False]
        print(f"\njudged correct: {ok}/{total}"
              f" (assigned {right[True]}/{seen[True]}, not assigned {right[False]}/{seen[False]})")


if __name__ == "__main__":
    main()

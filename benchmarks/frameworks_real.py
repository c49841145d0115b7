"""Frameworks on real posts: the most frequent frameworks over a folder, and a seeded
random sample of mentions with their sentences, to judge precision by reading.

    .venv/bin/python benchmarks/frameworks_real.py ../shared/corpora/dai-digital [--top 30] [--sample 50] [--seed 13]

The sample is drawn uniformly from all mentions (candidates excluded) with
``random.Random(seed)`` after sorting mentions by (path, position), so the same folder and
seed give the same sample. Each line: number, framework, the matched text, path:line, sentence.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()

    import ddlens
    from ddlens.article import ArticleError
    from ddlens.extensions import line_of
    from ddlens.files import iter_post_paths
    from ddlens.textutil import clean_sentence

    lens = ddlens.load(components=["ddlens_sentences", "ddlens_frameworks"])
    finder = lens.nlp.get_pipe("ddlens_frameworks")
    posts: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    sample_pool: list[tuple[str, int, str, str, int, str]] = []
    n = 0
    for path in iter_post_paths([args.folder]):
        try:
            art = lens.article(path)
        except ArticleError as exc:
            print(exc, file=sys.stderr)
            continue
        n += 1
        doc = lens.nlp(lens.make_doc(art))
        for f in doc._.frameworks:
            if f.category != "candidate":
                posts[f.name] += 1
                mentions[f.name] += f.mentions
        for span in doc._.framework_spans:
            if span.label_.startswith("candidate:"):
                continue
            name = finder.by_id[span.label_].name
            sample_pool.append(
                (str(path), span.start, name, span.text, line_of(doc, span.start_char), clean_sentence(span.sent.text, 300))
            )
    print(f"{n} posts, {len(sample_pool)} mentions (body text; title mentions are counted in the table only)\n")
    print(f"{'#':>3} {'posts':>5} {'mentions':>8}  framework")
    for i, (name, c) in enumerate(sorted(posts.items(), key=lambda kv: (-kv[1], -mentions[kv[0]], kv[0]))[: args.top], 1):
        print(f"{i:>3} {c:>5} {mentions[name]:>8}  {name}")
    sample_pool.sort(key=lambda m: (m[0], m[1]))
    rng = random.Random(args.seed)
    picked = sorted(rng.sample(range(len(sample_pool)), min(args.sample, len(sample_pool))))
    print(f"\n{len(picked)} sampled mentions (seed {args.seed}):")
    for i, k in enumerate(picked, 1):
        path, _, name, text, line, sent = sample_pool[k]
        print(f"{i:>3}. [{name}] {text!r} {Path(path).name}:{line}\n     {sent}")


if __name__ == "__main__":
    main()

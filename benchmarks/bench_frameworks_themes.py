"""What ddlens_frameworks and ddlens_themes add to the foundation pipeline, in one run.

    .venv/bin/python benchmarks/bench_frameworks_themes.py ../shared/corpora/18f-blog [--repeat 5]

Two measurements over the same posts, alternating runs and keeping the fastest of each
(CPU seconds of this process; on a shared machine the minimum CPU time is the least noisy
estimate):

- pipeline: Articles parsed beforehand; the time of ``Lens.analyze_many`` (tokenizer,
  components, building the Analysis), foundation (ddlens_sentences + ddlens_sources)
  vs foundation + ddlens_frameworks + ddlens_themes. This isolates the two components.
- end to end: the same from file paths (reading and Markdown parsing included), which is
  what ``ddlens analyze`` pays.

Also printed: spaCy's blank English tokenizer alone, for the issue-8 budget (whole
pipeline <= 3x tokenizer).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

FOUNDATION = ["ddlens_sentences", "ddlens_sources"]
WITH_OURS = ["ddlens_sentences", "ddlens_frameworks", "ddlens_sources", "ddlens_themes"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import spacy

    import ddlens
    from ddlens.article import Article
    from ddlens.files import iter_post_paths

    paths = list(iter_post_paths([args.folder], None))
    arts = [Article.from_path(p) for p in paths]
    base = ddlens.load(components=FOUNDATION)
    ours = ddlens.load(components=WITH_OURS)
    blank = spacy.blank("en")
    n_tokens = sum(len(blank.make_doc(a.text)) for a in arts)

    def run(fn) -> float:  # type: ignore[no-untyped-def]
        # CPU time of this process: on a shared machine it is far steadier than wall time
        t = time.process_time()
        fn()
        return time.process_time() - t

    # warm-up (caches, lazy imports)
    list(base.analyze_many(arts[:20]))
    list(ours.analyze_many(arts[:20]))
    times: dict[str, list[float]] = {k: [] for k in ("tokenizer", "base", "ours", "base_e2e", "ours_e2e")}
    for _ in range(args.repeat):
        times["tokenizer"].append(run(lambda: [blank.make_doc(a.text) for a in arts]))
        times["base"].append(run(lambda: list(base.analyze_many(arts))))
        times["ours"].append(run(lambda: list(ours.analyze_many(arts))))
        times["base_e2e"].append(run(lambda: list(base.analyze_many(paths))))
        times["ours_e2e"].append(run(lambda: list(ours.analyze_many(paths))))
    best = {k: min(v) for k, v in times.items()}
    # per-component time: the same work as nlp.pipe() in Lens.analyze_many (batches of 64,
    # through a component's pipe() where it has one: ddlens_themes works a batch at once),
    # one component at a time, in the same pass over the posts (so machine load hits both
    # sides of the ratio alike); best of --repeat
    best_part: dict[str, float] = {}
    for _ in range(args.repeat):
        spent: dict[str, float] = {"tokenizer": 0.0}
        for i in range(0, len(arts), 64):
            t = time.process_time()
            docs = [ours.make_doc(a) for a in arts[i : i + 64]]
            spent["tokenizer"] += time.process_time() - t
            for name, proc in ours.nlp.pipeline:
                t = time.process_time()
                docs = list(proc.pipe(docs)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
                spent[name] = spent.get(name, 0.0) + time.process_time() - t
        for k, v in spent.items():
            best_part[k] = min(v, best_part.get(k, v))
    print(f"{len(arts)} posts, {n_tokens} tokens, best of {args.repeat} alternating runs")
    print(f"  spaCy blank tokenizer                   {best['tokenizer']:7.3f} s")
    print(f"  foundation pipeline                     {best['base']:7.3f} s")
    print(f"  foundation + frameworks + themes        {best['ours']:7.3f} s")
    print(f"  -> added by frameworks + themes         {100 * (best['ours'] / best['base'] - 1):6.1f} %")
    print(f"  end to end from files, foundation       {best['base_e2e']:7.3f} s")
    print(f"  end to end from files, + ours           {best['ours_e2e']:7.3f} s")
    print(f"  -> added end to end                     {100 * (best['ours_e2e'] / best['base_e2e'] - 1):6.1f} %")
    print(f"  foundation + ours vs tokenizer          {best['ours'] / best['tokenizer']:7.2f} x")
    print("  time per component (same pass, best of the runs):")
    for name, secs in best_part.items():
        print(f"    {name:36} {secs:7.3f} s")
    base_parts = sum(v for k, v in best_part.items() if k in ("tokenizer", *FOUNDATION))
    our_parts = sum(v for k, v in best_part.items() if k in ("ddlens_frameworks", "ddlens_themes"))
    print(f"  -> frameworks + themes / (tokenizer + foundation components)  {100 * our_parts / base_parts:5.1f} %")
    print(f"  -> frameworks + themes / tokenizer alone                      {100 * our_parts / best_part['tokenizer']:5.1f} %")


if __name__ == "__main__":
    main()

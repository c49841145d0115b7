"""CPU time of the ``ddlens_sources`` component on long input (no pattern may run away),
and over a corpus.

    .venv/bin/python benchmarks/bench_sources.py [--corpus ../shared/corpora/18f-blog] [--runs 5]

Cases: a 1 MB single-line post made of the labelled corpus' prose; the same with one
attribution cue every ~15 tokens (34k sources: the worst case we know); 100 KB runs of
capitalised words inside cues. Reports CPU seconds (``time.process_time``, robust to a
busy machine) of the component alone, of spaCy's tokenizer and of the Article parse.
With ``--corpus``: the component's CPU seconds for one pass over the folder's posts, in
batches of 64 through ``pipe`` as ``ddlens analyze`` runs it, with its caches (URL and host
types) cold each time; the best of ``--runs``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import ddlens
from ddlens.article import Article

ROOT = Path(__file__).resolve().parents[1]


def run(lens, name: str, body: str) -> None:
    cpu = time.process_time
    t = cpu()
    article = Article.from_text("---\ntitle: t\n---\n\n" + body + "\n")
    t_article = cpu() - t
    t = cpu()
    doc = lens.make_doc(article)
    t_tok = cpu() - t
    doc = lens.nlp.get_pipe("ddlens_sentences")(doc)
    t = cpu()
    lens.nlp.get_pipe("ddlens_sources")(doc)
    t_src = cpu() - t
    print(
        f"{name:34s} {len(body):>9,} chars {len(doc):>8,} tokens {len(doc._.sources):>6,} sources | "
        f"ddlens_sources {t_src:6.2f}s  tokenizer {t_tok:6.2f}s  Article {t_article:6.2f}s",
        flush=True,
    )


def corpus_pass(folder: Path, runs: int) -> None:
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_frameworks", "ddlens_sources"])
    docs = []
    for p in sorted(folder.glob("*.md")) + sorted(folder.glob("*.markdown")):
        try:
            docs.append(lens.make_doc(Article.from_path(p)))
        except Exception:  # noqa: BLE001 - a bad post is skipped here as in analyze
            pass
    for _name, proc in lens.nlp.pipeline[:-1]:  # the components before ddlens_sources
        docs = list(proc.pipe(docs)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
    finder = lens.nlp.get_pipe("ddlens_sources")
    best = float("inf")
    for _ in range(runs):
        finder._classified.clear()
        finder.table._by_host.clear()
        t = time.process_time()
        for _doc in finder.pipe(docs, batch_size=64):
            pass
        best = min(best, time.process_time() - t)
    n_tokens = sum(len(d) for d in docs)
    print(f"{folder.name}: {len(docs)} posts, {n_tokens:,} tokens | ddlens_sources {best:.3f}s CPU (best of {runs})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="also time one pass over this folder of posts")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if args.corpus:
        corpus_pass(args.corpus, args.runs)
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_sources"])
    prose = " ".join(Article.from_path(p).text.replace("\n", " ") for p in sorted((ROOT / "corpora" / "posts").glob("*.md")))
    run(lens, "1 MB line of prose", (prose * (1 + 1_000_000 // len(prose)))[:1_000_000])
    dense = "According to the World Bank, as Jane Doe wrote, a 2019 GSMA report by UNICEF found that "
    run(lens, "1 MB line, a cue every ~15 tokens", (dense * (1 + 1_000_000 // len(dense)))[:1_000_000])
    run(lens, "100 KB capitalised run after a cue", "According to " + " ".join(["Alpha", "Beta", "Gamma"] * 8000)[:100_000])
    run(lens, "100 KB run + possessive + verbs", " ".join(["Alpha"] * 20000) + "'s 2019 Report found that (2013) argued")
    run(lens, "100 KB 'Bank of the' run + said", "As " + " ".join(["Bank", "of", "the"] * 9000) + " said “x”")


if __name__ == "__main__":
    main()

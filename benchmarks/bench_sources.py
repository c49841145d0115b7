"""CPU time of the ``ddlens_sources`` component on long input (no pattern may run away).

    .venv/bin/python benchmarks/bench_sources.py

Cases: a 1 MB single-line post made of the labelled corpus' prose; the same with one
attribution cue every ~15 tokens (34k sources: the worst case we know); 100 KB runs of
capitalised words inside cues. Reports CPU seconds (``time.process_time``, robust to a
busy machine) of the component alone, of spaCy's tokenizer and of the Article parse.
"""

from __future__ import annotations

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


def main() -> None:
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

"""Keyphrases vs YAKE: the share of posts whose top-5 keyphrases include one of the post's
own tags (case-insensitive, plural-folded, hyphen = space), over a folder of posts.

    .venv/bin/pip install yake                      # only for this benchmark; not a ddlens dependency
    .venv/bin/python benchmarks/bench_keyphrases.py ../shared/corpora/18f-blog
    .venv/bin/python benchmarks/bench_keyphrases.py DIR --show 20   # print some posts side by side

Both systems see the same text: the title and the body rendered to plain text. ddlens is
run twice: with the shipped background table (built from corpora/) and with the folder's
own document frequencies. YAKE runs with its defaults (n=3); ``--yake all`` adds n=2 and n=1.
Without yake installed the YAKE rows are skipped. Posts without tags are not counted.
A "contains" column also counts a keyphrase that contains a tag as whole words.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def norm(phrase: str) -> str:
    from ddlens.components.themes import fold_plural

    words = re.sub(r"[-‐–]", " ", phrase.lower().replace("’", "'")).split()
    return " ".join(fold_plural(w) for w in words)


def score(preds: list[list[str]], tags: list[list[str]], k: int = 5) -> tuple[float, float]:
    exact = contains = 0
    for p, t in zip(preds, tags):
        P = [norm(x) for x in p[:k]]
        T = {norm(x) for x in t}
        if any(x in T for x in P):
            exact += 1
        if any(re.search(rf"(?<!\w){re.escape(tag)}(?!\w)", x) for x in P for tag in T):
            contains += 1
    n = len(tags) or 1
    return exact / n, contains / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--show", type=int, default=0, help="print this many posts with tags and both systems' top 5")
    ap.add_argument("--yake", choices=("default", "all", "none"), default="default", help="YAKE runs: n=3 only, n=3/2/1, or none")
    args = ap.parse_args()

    import spacy

    from ddlens.article import Article, ArticleError
    from ddlens.components.themes import ThemeFinder, folder_background
    from ddlens.files import iter_post_paths

    arts = []
    for f in iter_post_paths([args.folder], None):
        try:
            a = Article.from_path(f)
        except ArticleError as exc:
            print(exc, file=sys.stderr)
            continue
        if a.tags:
            arts.append(a)
    tags = [list(a.tags) for a in arts]
    print(f"{len(arts)} tagged posts in {args.folder}")

    nlp = spacy.blank("en")
    nlp.add_pipe("ddlens_sentences")
    docs = [nlp(nlp.make_doc(a.text)) for a in arts]
    finder = ThemeFinder(nlp)
    rows: list[tuple[str, list[list[str]], float]] = []

    t = time.perf_counter()
    shipped = [[th.phrase for th in finder.keyphrases(d, a.title, k=5)] for d, a in zip(docs, arts)]
    rows.append(("ddlens, shipped background", shipped, time.perf_counter() - t))

    t = time.perf_counter()
    finder.use_background(folder_background(nlp, docs))
    folder = [[th.phrase for th in finder.keyphrases(d, a.title, k=5)] for d, a in zip(docs, arts)]
    rows.append(("ddlens, folder statistics", folder, time.perf_counter() - t))

    yake_default: list[list[str]] | None = None
    try:
        if args.yake == "none":
            raise ImportError
        import yake  # type: ignore[import-not-found]
    except ImportError:
        if args.yake != "none":
            print("yake is not installed (pip install yake): YAKE rows skipped")
    else:
        for n in (3, 2, 1) if args.yake == "all" else (3,):
            ex = yake.KeywordExtractor(lan="en", n=n, top=5)
            t = time.perf_counter()
            preds = [[kw for kw, _ in ex.extract_keywords(f"{a.title or ''}\n\n{a.text}")] for a in arts]
            rows.append((f"YAKE n={n}" + (" (default)" if n == 3 else ""), preds, time.perf_counter() - t))
            if n == 3:
                yake_default = preds

    print(f"{'system':32} {'top-5 has a tag':>16} {'contains a tag':>15} {'seconds':>8}")
    for name, preds, secs in rows:
        exact, contains = score(preds, tags)
        print(f"{name:32} {exact:16.3f} {contains:15.3f} {secs:8.2f}")

    for i in range(min(args.show, len(arts))):
        a = arts[i * len(arts) // max(1, args.show)]
        j = arts.index(a)
        print(f"\n{Path(a.path or '').name}\n  tags:   {tags[j]}\n  ddlens: {folder[j]}")
        if yake_default is not None:
            print(f"  YAKE:   {yake_default[j]}")


if __name__ == "__main__":
    main()

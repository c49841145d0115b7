"""Cited sources against the labelled corpus: link recall and attribution precision/recall.

    .venv/bin/python benchmarks/eval_sources.py             # corpora/labels.jsonl (or labels-part*.jsonl)
    .venv/bin/python benchmarks/eval_sources.py --errors    # every miss and false positive, with its sentence
    .venv/bin/python benchmarks/eval_sources.py --sample-real 40 --seed 4   # for judging by reading

Matching rules (decided before measuring; the labels carry no character offsets):

- **link**: a gold link (its exact URL as written) is found when a predicted source of the
  same post, of either kind, carries that URL. An attribution merged with its link keeps
  the URL, so merging does not lose a link. Each predicted URL is used once (posts can
  cite a URL twice). ``source_type`` accuracy is reported over found links.
- **attribution**: a predicted attribution matches a gold one of the same post when their
  names share a content word (case-insensitive; punctuation, "the", "of", "and", "for",
  titles such as "Dr." ignored) — e.g. "Dr. Halima Said" ~ "Halima Said",
  "Andrews, Pritchett and Woolcock" ~ "Woolcock". Pairs are made one-to-one, best word
  overlap first, so one prediction cannot match two gold attributions. Unmatched
  predictions are false positives. Over the matched pairs the script also reports how
  often the URL (merge), title and year agree with the gold.

``--sample-real N`` draws N attributions (seeded) from the real posts in
``../shared/corpora`` and prints each with its sentence, for a person to judge.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpora"
_STOP = frozenset("the of and for a an in on at to by from dr dr. prof prof. mr mrs ms".split())
_WORD = re.compile(r"\w+", re.UNICODE)


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


def name_words(name: str | None) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall((name or "").lower()) if w not in _STOP)


def match_attributions(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """One-to-one (gold index, pred index) pairs whose names share a content word."""
    pairs = []
    for i, g in enumerate(gold):
        gw = name_words(g.get("name"))
        for j, p in enumerate(pred):
            pw = name_words(p.get("name"))
            common = gw & pw
            if common:
                jac = len(common) / len(gw | pw)
                text_overlap = len(name_words(g.get("text")) & name_words(p.get("text")))
                pairs.append((jac, text_overlap, -abs(i - j), i, j))
    pairs.sort(reverse=True)
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for *_, i, j in pairs:
        if i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        out.append((i, j))
    return out


def evaluate(args: argparse.Namespace) -> None:
    import ddlens

    labels = read_labels(args.corpus)
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_sources"])
    link_gold = link_found = type_ok = 0
    a_tp = a_fp = a_fn = 0
    url_pairs = url_ok = title_pairs = title_ok = year_pairs = year_ok = 0
    errors: list[str] = []
    type_confusion: Counter[tuple[str, str]] = Counter()
    missing = 0
    for rec in labels:
        path = args.corpus / rec["path"]
        if not path.exists():
            missing += 1
            print(f"{path}: labelled post not found", file=sys.stderr)
            continue
        result = lens.analyze(path)
        pred = [s.to_dict() for s in result.sources]
        gold = rec.get("sources", [])
        # links
        urls = Counter(p["url"] for p in pred if p["url"])
        by_url = {p["url"]: p for p in pred if p["url"]}
        for g in (g for g in gold if g["kind"] == "link"):
            link_gold += 1
            if urls[g["url"]] > 0:
                urls[g["url"]] -= 1
                link_found += 1
                got = by_url[g["url"]]["source_type"]
                if got == g.get("source_type"):
                    type_ok += 1
                else:
                    type_confusion[(g.get("source_type"), got)] += 1
                    errors.append(f"TYPE {rec['path']}: {g['url']} gold {g.get('source_type')} got {got}")
            else:
                errors.append(f"LINK-FN {rec['path']}: {g['url']}")
        # attributions
        ga = [g for g in gold if g["kind"] == "attribution"]
        pa = [p for p in pred if p["kind"] == "attribution"]
        pairs = match_attributions(ga, pa)
        a_tp += len(pairs)
        a_fn += len(ga) - len(pairs)
        a_fp += len(pa) - len(pairs)
        mg = {i for i, _ in pairs}
        mp = {j for _, j in pairs}
        for i, j in pairs:
            g, p = ga[i], pa[j]
            url_pairs += 1
            url_ok += (g.get("url") or None) == (p.get("url") or None)
            if (g.get("url") or None) != (p.get("url") or None):
                errors.append(f"URL {rec['path']}: {g['name']!r} gold {g.get('url')} got {p.get('url')}")
            if g.get("title") or p.get("title"):
                title_pairs += 1
                title_ok += bool(name_words(g.get("title")) & name_words(p.get("title")))
                if not name_words(g.get("title")) & name_words(p.get("title")):
                    errors.append(f"TITLE {rec['path']}: {g['name']!r} gold {g.get('title')!r} got {p.get('title')!r}")
            if g.get("year") or p.get("year"):
                year_pairs += 1
                year_ok += g.get("year") == p.get("year")
                if g.get("year") != p.get("year"):
                    errors.append(f"YEAR {rec['path']}: {g['name']!r} gold {g.get('year')} got {p.get('year')}")
        for i, g in enumerate(ga):
            if i not in mg:
                errors.append(f"FN {rec['path']}: {g.get('name')!r} — {g.get('text')!r}")
        for j, p in enumerate(pa):
            if j not in mp:
                errors.append(f"FP {rec['path']}:{p['line']}: {p['name']!r} — {p['text']!r} | {p['sentence'][:160]}")
    if args.errors:
        for e in errors:
            print(e)
    lr = link_found / link_gold if link_gold else 1.0
    p = a_tp / (a_tp + a_fp) if a_tp + a_fp else 1.0
    r = a_tp / (a_tp + a_fn) if a_tp + a_fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"posts {len(labels) - missing}")
    print(f"links: gold {link_gold}  found {link_found}  recall {lr:.3f}  source_type accuracy {type_ok / max(1, link_found):.3f}")
    if type_confusion:
        print("  type confusions (gold -> got): " + ", ".join(f"{a}->{b} x{n}" for (a, b), n in type_confusion.most_common()))
    print(f"attributions: gold {a_tp + a_fn}  predicted {a_tp + a_fp}  tp {a_tp}  fp {a_fp}  fn {a_fn}")
    print(f"  precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}")
    print(
        f"  on matched pairs: url agrees {url_ok}/{url_pairs}  title agrees {title_ok}/{title_pairs}  "
        f"year agrees {year_ok}/{year_pairs}"
    )


def sample_real(args: argparse.Namespace) -> None:
    import ddlens

    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found")
    paths = sorted(p for p in SHARED.rglob("*") if p.suffix in (".md", ".markdown") and p.is_file())
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_sources"], spacy_model=args.spacy_model)
    pool = []
    for outcome in lens.analyze_many(paths):
        if isinstance(outcome, Exception):
            continue
        for s in outcome.sources:
            if s.kind == "attribution":
                pool.append((outcome.path, s))
    rng = random.Random(args.seed)
    picked = sorted(rng.sample(range(len(pool)), min(args.sample_real, len(pool))))
    print(f"{len(pool)} attributions in {len(paths)} real posts; {len(picked)} sampled with seed {args.seed}\n")
    for n, k in enumerate(picked, 1):
        path, s = pool[k]
        rel = Path(path).relative_to(SHARED) if path else path
        print(f"[{n}] {rel}:{s.line}  name={s.name!r} title={s.title!r} year={s.year} url={s.url} type={s.source_type}")
        print(f"     cue: {s.text!r}")
        print(f"     {s.sentence[:400]}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora")
    ap.add_argument("--errors", action="store_true", help="print each miss, false positive and disagreement")
    ap.add_argument("--sample-real", type=int, default=0, metavar="N", help="print N sampled attributions from ../shared")
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--spacy-model", default=None)
    args = ap.parse_args()
    if args.sample_real:
        sample_real(args)
    else:
        evaluate(args)


if __name__ == "__main__":
    main()

"""Count `ddlens check` findings per rule over a folder of posts, and print a seeded sample
of findings each beside the source line it points at (with a caret under the column), so
that a person can verify the positions by eye.

    .venv/bin/python benchmarks/sample_check.py ../shared/corpora --seed 7 -n 20
    .venv/bin/python benchmarks/sample_check.py ../shared/corpora --select ALL   # also the off rules (loads spaCy)

Uses the default rules and no configuration file unless --select / --config are given.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from pathlib import Path

from ddlens.check import ConfigResolver, Overrides, all_rules, check_paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--select", default=None, help="Comma-separated rules (default: the default set).")
    ap.add_argument("--config", type=Path, default=None)
    args = ap.parse_args()
    overrides = Overrides(select=tuple(args.select.split(",")) if args.select else None)
    resolver = ConfigResolver(overrides, config_file=args.config, isolated=args.config is None)
    t0 = time.perf_counter()
    result = check_paths(args.paths, resolver=resolver)
    elapsed = time.perf_counter() - t0
    diags = result.all()
    rules = all_rules()
    counts = Counter(d.code for d in diags)
    posts_with = Counter()
    for code in counts:
        posts_with[code] = len({d.path for d in diags if d.code == code})
    print(f"{len(result.files)} posts, {len(diags)} findings, {elapsed:.1f} s")
    print(f"{'rule':<34} {'findings':>8} {'posts':>6}")
    enabled = resolver.for_path(Path(result.files[0])) if result.files else None
    for code, r in rules.items():
        if counts[code] or (enabled is not None and enabled.enabled(code)):
            print(f"{code} {r.name:<27} {counts[code]:>8} {posts_with[code]:>6}")
    if result.internal_errors:
        print("internal errors:", *result.internal_errors, sep="\n  ")
    sample = random.Random(args.seed).sample(diags, min(args.n, len(diags)))
    print(f"\nsample of {len(sample)} (seed {args.seed}):")
    for i, d in enumerate(sample, 1):
        lines = Path(d.path).read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n").split("\n")
        src = lines[d.line - 1] if d.line <= len(lines) else "<past the end>"
        lo = max(0, d.column - 60)
        shown = src[lo : d.column + 60]
        print(f"\n[{i}] {d}")
        print(f"    {d.line:>4} | {shown}")
        print(f"         | {' ' * (d.column - 1 - lo)}^")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

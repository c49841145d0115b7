"""CPU time of ``Article.from_bytes`` over every post of a folder, optionally beside the
``Article`` of another git revision loaded in the same process.

Files are read once, untimed. Rounds are interleaved (base, now, base, now, ...) so that
load from other processes on a shared machine falls on both alike; process CPU time is
used, not wall time. Reports best and median per round.

    .venv/bin/python benchmarks/bench_article.py ../shared/corpora/18f-blog
    .venv/bin/python benchmarks/bench_article.py ../shared/corpora/18f-blog --against c0d9b5e --rounds 11
    .venv/bin/python benchmarks/bench_article.py ../shared/corpora/18f-blog --profile 30

``--profile N``: one pass under cProfile instead, printing the N functions with the most
time of their own (the profiler inflates many small calls: read it for where, not how much).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_revision(rev: str, tmp: Path) -> ModuleType:
    """ddlens.article (and the frontmatter_io it imports) as they were at ``rev``."""
    mods = {}
    for name in ("frontmatter_io", "article"):
        code = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:src/ddlens/{name}.py"], capture_output=True, text=True, check=True
        ).stdout
        code = code.replace("from .frontmatter_io import", "from ddlens._bench_frontmatter_io import")
        path = tmp / f"{name}.py"
        path.write_text(code, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(f"ddlens._bench_{name}", path)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        mods[name] = mod
    return mods["article"]


def profile(mod: ModuleType, data: list[tuple[str, bytes]], top: int) -> int:
    import cProfile
    import pstats

    def one_pass() -> None:
        for name, raw in data:
            try:
                mod.Article.from_bytes(raw, name)
            except mod.ArticleError:
                pass

    one_pass()  # warm up: imports, compiled regexes
    prof = cProfile.Profile()
    prof.runcall(one_pass)
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--against", help="a git revision whose Article to time beside the working tree's")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--profile", type=int, metavar="N", help="profile one pass; print the top N functions")
    args = ap.parse_args()

    import ddlens.article as now

    paths = sorted(p for p in args.folder.rglob("*") if p.suffix in (".md", ".markdown") and p.is_file())
    data = [(str(p), p.read_bytes()) for p in paths]
    if args.profile:
        return profile(now, data, args.profile)
    with tempfile.TemporaryDirectory() as tmp:
        versions = {"now": now}
        if args.against:
            versions = {args.against: load_revision(args.against, Path(tmp)), "now": now}
        times: dict[str, list[float]] = {k: [] for k in versions}
        links: dict[str, int] = {}
        for _ in range(args.rounds):
            for label, mod in versions.items():
                n_links = 0
                t0 = time.process_time()
                for name, raw in data:
                    try:
                        n_links += len(mod.Article.from_bytes(raw, name).links)
                    except mod.ArticleError:
                        pass
                times[label].append(time.process_time() - t0)
                links[label] = n_links
    for label, ts in times.items():
        best, median = min(ts), statistics.median(ts)
        print(
            f"{label:>12}: {len(data)} posts, {links[label]} links; best {best * 1000:.0f} ms"
            f" ({best / max(1, len(data)) * 1000:.2f} ms/post), median {median * 1000:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

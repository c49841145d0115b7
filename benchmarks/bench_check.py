"""Cold wall time of ``ddlens check one-post.md``, beside ``python -c pass`` and
``python -c "import spacy"`` measured in the same run.

Each command runs as a fresh process (a cold interpreter: nothing imported yet; the OS
file cache is warm after one untimed warm-up run of each). Runs are interleaved
round-robin so that load from other processes on a shared machine falls on all three
alike. Reports median, min and max; the target is a median of at most 1.0 s for check.

    .venv/bin/python benchmarks/bench_check.py                 # 9 runs each
    .venv/bin/python benchmarks/bench_check.py --runs 15 --json
    .venv/bin/python benchmarks/bench_check.py --post path/to/post.md

Exit code 1 when the check median is over the target.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0


def ddlens_command() -> list[str]:
    exe = Path(sys.executable).with_name("ddlens")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ddlens"]


def time_once(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1 = the post has problems, which is fine here
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--post", type=Path, default=None, help="The post to check (default: the first corpus post).")
    ap.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = ap.parse_args()
    post = args.post or sorted((ROOT / "corpora" / "posts").glob("*.md"))[0]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import spacy"': [sys.executable, "-c", "import spacy"],
        f"ddlens check {post.name}": [*ddlens_command(), "check", str(post)],
    }
    for cmd in commands.values():  # warm the file cache; not timed
        time_once(cmd)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(time_once(cmd))
    rows = {
        name: {"median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts), "runs": len(ts)} for name, ts in times.items()
    }
    check_name = list(commands)[-1]
    ok = rows[check_name]["median_s"] <= TARGET_S
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if args.json:
        print(json.dumps({"results": rows, "target_s": TARGET_S, "ok": ok, "loadavg": load, "cpus": os.cpu_count()}, indent=2))
    else:
        print(f"{'command':<40} {'median':>8} {'min':>8} {'max':>8}   ({args.runs} cold runs each, interleaved)")
        for name, r in rows.items():
            print(f"{name:<40} {r['median_s']:>7.3f}s {r['min_s']:>7.3f}s {r['max_s']:>7.3f}s")
        if load:
            print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
        print(f"check median {'within' if ok else 'OVER'} the {TARGET_S:.1f} s target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

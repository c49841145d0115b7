"""``ddlens pillars``: how a whole folder of posts stands against a taxonomy.

:func:`summarize` folds per-post :class:`ddlens.analysis.Analysis` results into one
record: the share of posts per category, per year, the combinations of categories, and
the posts with the strongest evidence per category. :func:`render_table` prints it for
people; JSON output is ``json.dumps(summary)``.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, Iterable, TextIO

from .analysis import Analysis
from .taxonomy import Taxonomy

__all__ = ["summarize", "render_table"]


def _share(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def summarize(
    analyses: Iterable[Analysis], taxonomy: Taxonomy, method: str = "model", failed: int = 0, top: int = 5
) -> dict[str, Any]:
    ids = taxonomy.ids
    labels = {c.id: c.label for c in taxonomy.categories}
    posts = 0
    assigned = Counter[str]()
    score_sum = Counter[str]()
    per_year: dict[str, Counter[str]] = {}
    year_posts = Counter[str]()
    combos = Counter[str]()
    candidates: dict[str, list[tuple[float, str, dict[str, Any]]]] = {i: [] for i in ids}
    for a in analyses:
        posts += 1
        year = (a.date or "")[:4] or "undated"
        year_posts[year] += 1
        yc = per_year.setdefault(year, Counter())
        got = []
        for p in a.pillars:
            if p.id not in labels:
                continue
            score_sum[p.id] += p.score
            if p.assigned:
                assigned[p.id] += 1
                yc[p.id] += 1
                got.append(p.id)
                candidates[p.id].append(
                    (
                        -p.score,
                        a.path or "",
                        {
                            "path": a.path,
                            "title": a.title,
                            "date": a.date,
                            "score": round(float(p.score), 4),
                            "evidence": [e.to_dict() for e in p.evidence],
                        },
                    )
                )
        combos[" + ".join(i for i in ids if i in got) or "none"] += 1
    years = sorted(per_year, key=lambda y: (y == "undated", y))
    return {
        "taxonomy": taxonomy.name,
        "label": taxonomy.label,
        "method": method,
        "posts": posts,
        "failed": failed,
        "pillars": [
            {
                "id": i,
                "label": labels[i],
                "posts": assigned[i],
                "share": _share(assigned[i], posts),
                "mean_score": round(score_sum[i] / posts, 4) if posts else 0.0,
                "strongest": [rec for _, _, rec in sorted(candidates[i], key=lambda t: (t[0], t[1]))[:top]],
            }
            for i in ids
        ],
        "by_year": [
            {
                "year": y,
                "posts": year_posts[y],
                "counts": {i: per_year[y][i] for i in ids},
                "shares": {i: _share(per_year[y][i], year_posts[y]) for i in ids},
            }
            for y in years
        ],
        "combinations": [{"pillars": k, "posts": n} for k, n in sorted(combos.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


def render_table(summary: dict[str, Any], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, width=None if out.isatty() else 160, highlight=False)
    n = summary["posts"]
    head = f"{summary['label']} ({summary['taxonomy']}): {n} post(s)"
    if summary.get("failed"):
        head += f", {summary['failed']} could not be read"
    if summary.get("method") == "phrases":
        head += "  [no trained model: phrase counts, scores not calibrated]"
    console.print(head)

    t = Table(header_style="bold", title="Share of posts", title_justify="left")
    t.add_column("pillar")
    t.add_column("posts", justify="right")
    t.add_column("share", justify="right")
    t.add_column("mean score", justify="right")
    for p in summary["pillars"]:
        t.add_row(p["label"], str(p["posts"]), f"{100 * p['share']:.0f}%", f"{p['mean_score']:.2f}")
    console.print(t)

    if summary["by_year"]:
        t = Table(header_style="bold", title="Share of posts per year", title_justify="left")
        t.add_column("year")
        t.add_column("posts", justify="right")
        for p in summary["pillars"]:
            t.add_column(p["label"], justify="right")
        for y in summary["by_year"]:
            t.add_row(y["year"], str(y["posts"]), *(f"{100 * y['shares'][p['id']]:.0f}%" for p in summary["pillars"]))
        console.print(t)

    for p in summary["pillars"]:
        if not p["strongest"]:
            continue
        t = Table(header_style="bold", title=f"Strongest evidence: {p['label']}", title_justify="left", show_lines=True)
        t.add_column("score", justify="right", no_wrap=True)
        t.add_column("post", overflow="fold", max_width=48)
        t.add_column("evidence", overflow="fold")
        for rec in p["strongest"]:
            ev = rec["evidence"][0] if rec["evidence"] else None
            where = os.path.basename(rec["path"] or "") + (f":{ev['line']}" if ev else "")
            t.add_row(f"{rec['score']:.2f}", f"{rec['title'] or ''}\n{where}", ev["sentence"] if ev else "")
        console.print(t)

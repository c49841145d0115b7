"""Nothing in corpora/ or models/ is copied from the real blogs in ../shared/corpora: no run
of 12 words of any shared post's prose appears in the project's own corpus or data files.

URLs are left out (the same report can be linked from both); 12 words is longer than the
official names the two may share as facts (e.g. the AU Convention on Cyber Security and
Personal Data Protection)."""

from __future__ import annotations

import re
from pathlib import Path

WORD = re.compile(r"[a-z0-9']+")
URL = re.compile(r"(?:https?://|www\.)\S+")
N = 12


def shingles(text: str) -> set[int]:
    words = WORD.findall(URL.sub(" ", text.lower()))
    return {hash(tuple(words[i : i + N])) for i in range(len(words) - N + 1)}


def test_no_ten_word_run_is_shared(shared_corpora: Path, root: Path) -> None:
    ours: dict[int, Path] = {}
    for folder in ("corpora", "models"):
        for p in (root / folder).rglob("*"):
            if p.is_file() and p.suffix in (".md", ".jsonl", ".json", ".yaml", ".yml", ".txt"):
                for h in shingles(p.read_text(encoding="utf-8", errors="replace")):
                    ours[h] = p
    assert len(ours) > 10_000  # the corpus is there and was read
    hits: list[str] = []
    for p in shared_corpora.rglob("*"):
        if p.suffix in (".md", ".markdown"):
            for h in shingles(p.read_text(encoding="utf-8", errors="replace")) & ours.keys():
                hits.append(f"{ours[h].relative_to(root)} shares a 12-word run with {p.name}")
    assert not hits, "\n".join(sorted(set(hits))[:20])

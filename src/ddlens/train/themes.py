"""``ddlens train themes CORPUS --out FILE``: the background document-frequency table of
the keyphrase scorer (``models/themes_df.json`` is built from ``corpora/``).

Every post under CORPUS is tokenised with spaCy's blank English tokenizer; each keyphrase
candidate (see :mod:`ddlens.components.themes`) counts once per post it occurs in.
Phrases in fewer than ``min_df`` posts are left out (they score as unseen anyway). The
file is JSON with sorted keys: the same posts give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

__all__ = ["ThemesTrainResult", "build_table", "train"]


@dataclass
class ThemesTrainResult:
    posts: int
    phrases: int
    sha256: str
    errors: list[str] = field(default_factory=list)


def build_table(paths: Iterable[str | os.PathLike[str]], min_df: int = 2) -> tuple[dict, list[str]]:
    """The table (JSON-ready) for the posts at ``paths``, and one line per unreadable post."""
    import spacy

    from ..article import Article, ArticleError
    from ..components.themes import PhraseExtractor, build_background

    nlp = spacy.blank("en")
    errors: list[str] = []

    def docs():  # type: ignore[no-untyped-def]
        for p in sorted(paths, key=os.fspath):
            try:
                a = Article.from_path(p)
            except ArticleError as exc:
                errors.append(str(exc))
                continue
            yield nlp.make_doc(a.text)

    table = build_background(docs(), PhraseExtractor(nlp.vocab), min_df=min_df)
    return table, errors


def train(corpus: Path, out: Path, min_df: int = 2, pattern: str | None = None) -> ThemesTrainResult:
    """Build the table from the posts under ``corpus`` and write it to ``out``."""
    from ..files import iter_post_paths

    paths = list(iter_post_paths([corpus], pattern))
    table, errors = build_table(paths, min_df=min_df)
    if table["documents"] == 0:
        raise ValueError(f"{corpus}: no readable posts")
    data = (json.dumps(table, ensure_ascii=False, indent=0, sort_keys=True) + "\n").encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return ThemesTrainResult(
        posts=int(table["documents"]),
        phrases=len(table["phrases"]),
        sha256=hashlib.sha256(data).hexdigest(),
        errors=errors,
    )

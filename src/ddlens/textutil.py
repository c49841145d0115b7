"""Small helpers over spaCy Docs shared by the components."""

from __future__ import annotations

import numpy as np
from spacy.attrs import IDX
from spacy.tokens import Doc, Span

_KEY = ("ddlens", "token_starts")


def token_starts(doc: Doc) -> np.ndarray:
    """Character offset of every token, as a numpy array (cached on the Doc)."""
    starts = doc.user_data.get(_KEY)
    if starts is None or len(starts) != len(doc):
        starts = doc.to_array(IDX) if len(doc) else np.zeros(0, dtype=np.uint64)
        doc.user_data[_KEY] = starts
    return starts


def doc_text(doc: Doc) -> str:
    """``doc.text``, cheaply: spaCy rebuilds ``Doc.text`` token by token on every access
    (~1.5 s for 1 MB), so when the Doc was made from its Article's text, that string."""
    article = doc._.article if doc.has_extension("article") else None
    if article is not None and len(doc):
        text = article.text
        last = doc[-1]
        if last.idx + len(last.text_with_ws) == len(text) and text.startswith(doc[0].text, doc[0].idx):
            return text
    return doc.text


def token_index_at(doc: Doc, char_offset: int) -> int:
    """Index of the token that holds (or starts nearest before) a character offset."""
    n = len(doc)
    if not n:
        return 0
    i = int(np.searchsorted(token_starts(doc), char_offset, side="right")) - 1
    return min(max(i, 0), n - 1)


def sentence_at(doc: Doc, char_offset: int) -> Span | None:
    if not len(doc):
        return None
    return doc[token_index_at(doc, char_offset)].sent


def clean_sentence(text: str, limit: int = 600) -> str:
    """A sentence as one line: whitespace folded, overly long ones cut with an ellipsis."""
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"

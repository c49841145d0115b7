"""Small helpers over spaCy Docs shared by the components."""

from __future__ import annotations

import bisect

from spacy.tokens import Doc, Span


def token_starts(doc: Doc) -> list[int]:
    """Character offset of every token (cached on the Doc's user_data)."""
    key = ("ddlens", "token_starts")
    starts = doc.user_data.get(key)
    if starts is None or len(starts) != len(doc):
        starts = [t.idx for t in doc]
        doc.user_data[key] = starts
    return starts


def token_index_at(doc: Doc, char_offset: int) -> int:
    """Index of the token that holds (or starts nearest before) a character offset."""
    if not len(doc):
        return 0
    i = bisect.bisect_right(token_starts(doc), char_offset) - 1
    return min(max(i, 0), len(doc) - 1)


def sentence_at(doc: Doc, char_offset: int) -> Span | None:
    if not len(doc):
        return None
    return doc[token_index_at(doc, char_offset)].sent


def clean_sentence(text: str, limit: int = 600) -> str:
    """A sentence as one line: whitespace folded, overly long ones cut with an ellipsis."""
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"

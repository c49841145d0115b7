"""``ddlens_sentences``: punctuation sentence boundaries plus a boundary at every block break.

The plain text of an Article separates blocks (paragraphs, headings, list items, table
rows) with a blank line; a heading or list item without a full stop is still its own
sentence. Built on spaCy's Cython ``Sentencizer``, with one cheap pass for block breaks.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from ..textutil import token_index_at


class BlockSentencizer:
    def __init__(self, name: str = "ddlens_sentences") -> None:
        self.name = name
        self._punct = Sentencizer()

    def __call__(self, doc: Doc) -> Doc:
        doc = self._punct(doc)
        text = doc.text
        pos = text.find("\n\n")
        n = len(doc)
        while pos >= 0:
            end = pos
            while end < len(text) and text[end].isspace():
                end += 1
            if end < len(text):
                i = token_index_at(doc, end)
                if 0 < i < n and doc[i].idx >= end:
                    doc[i].is_sent_start = True
            pos = text.find("\n\n", end)
        return doc

    # spaCy serialisation hooks: nothing to save
    def to_bytes(self, **_: object) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_: object) -> "BlockSentencizer":
        return self

    def to_disk(self, *_: object, **__: object) -> None:
        return None

    def from_disk(self, *_: object, **__: object) -> "BlockSentencizer":
        return self


@Language.factory("ddlens_sentences")
def make_sentences(nlp: Language, name: str) -> BlockSentencizer:
    return BlockSentencizer(name)

"""``ddlens_sentences``: sentence boundaries after sentence-final punctuation and at every
block break.

The plain text of an Article separates blocks (paragraphs, headings, list items, table
rows) with a blank line, so a heading or list item without a full stop is still its own
sentence. Whitespace tokens never start a sentence. The rule is computed with numpy over
token attribute arrays and written back in one ``Doc.from_array`` call: no Python loop over
tokens.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import IS_PUNCT, IS_SPACE, ORTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc

from .base import StatelessComponent

FINAL = (".", "!", "?", "...", "…", "?!", "!?", "!!", "??", "。", "！", "？")


class BlockSentencizer(StatelessComponent):
    def __init__(self, nlp: Language, name: str = "ddlens_sentences") -> None:
        self.name = name
        self._final = np.array(sorted(nlp.vocab.strings.add(p) for p in FINAL), dtype=np.uint64)

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if n == 0:
            return doc
        arr = doc.to_array([ORTH, IS_PUNCT, IS_SPACE, SPACY])
        orth = arr[:, 0].astype(np.uint64)
        is_punct = arr[:, 1].astype(bool)
        is_space = arr[:, 2].astype(bool)
        trailing_ws = arr[:, 3].astype(bool)
        is_final = np.isin(orth, self._final)
        content = ~is_punct & ~is_space
        idx = np.arange(n)
        # index of the last final-punctuation / content token at or before each position
        last_final = np.maximum.accumulate(np.where(is_final, idx, -1))
        last_content = np.maximum.accumulate(np.where(content, idx, -1))
        # block breaks: whitespace tokens holding a blank line
        space_idx = np.flatnonzero(is_space)
        block = np.zeros(n, dtype=bool)
        for j in space_idx:
            tok = doc[int(j)]
            if "\n\n" in tok.text or (tok.i and "\n" in tok.text and doc[tok.i - 1].whitespace_ == "\n"):
                block[j] = True
        last_block = np.maximum.accumulate(np.where(block, idx, -1))
        prev_final = np.concatenate(([-1], last_final[:-1]))
        prev_content = np.concatenate(([-1], last_content[:-1]))
        prev_block = np.concatenate(([-1], last_block[:-1]))
        start = content & ((prev_final > prev_content) | (prev_block > prev_content))
        # an opening quote or bracket (punctuation glued to the word after it, with a space
        # or a block break before it) belongs to the sentence it opens
        before_ws = np.concatenate(([True], trailing_ws[:-1] | is_space[:-1]))
        opening = is_punct & ~is_final & ~trailing_ws & before_ws
        shift = start[1:] & opening[:-1]
        start[:-1] |= shift
        start[1:] &= ~shift
        start[0] = True
        sent = np.where(start, 1, -1).astype(np.int32)
        sent[0] = 1
        doc.from_array([SENT_START], sent.reshape(-1, 1).astype(np.uint64))
        return doc



@Language.factory("ddlens_sentences")
def make_sentences(nlp: Language, name: str) -> BlockSentencizer:
    return BlockSentencizer(nlp, name)

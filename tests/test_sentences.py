"""ddlens_sentences: punctuation boundaries, block breaks, opening quotes and brackets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import ddlens
from ddlens import Article


def sents(lens: "ddlens.Lens", md: str) -> list[str]:
    doc = lens.nlp(lens.make_doc(Article.from_text(md)))
    return [s.text.strip() for s in doc.sents if s.text.strip()]


def test_blocks_and_punctuation(lens: "ddlens.Lens") -> None:
    md = "# A heading\n\nFirst one. Second one! \"Quoted.\" Then e.g. this?\n\n- item one\n- item two\n\n(In brackets.) End."
    assert sents(lens, md) == [
        "A heading", "First one.", "Second one!", '"Quoted."', "Then e.g. this?",
        "item one", "item two", "(In brackets.)", "End.",
    ]  # fmt: skip


def test_abbreviations_and_decimals_do_not_split(lens: "ddlens.Lens") -> None:
    assert sents(lens, "Mr. Smith paid 3.5 dollars at 4 p.m. on Monday.") == [
        "Mr. Smith paid 3.5 dollars at 4 p.m. on Monday."
    ]


def test_soft_line_breaks_do_not_split(lens: "ddlens.Lens") -> None:
    assert sents(lens, "A sentence that\nwraps over lines.") == ["A sentence that\nwraps over lines."]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abc xyz.!?\n\"()", max_size=40), max_size=6))
def test_sentences_partition_the_doc(lens: "ddlens.Lens", parts: list[str]) -> None:
    doc = lens.nlp(lens.make_doc(Article.from_text("\n\n".join(parts))))
    spans = list(doc.sents)
    if len(doc):
        assert spans[0].start == 0 and spans[-1].end == len(doc)
        assert all(a.end == b.start for a, b in zip(spans, spans[1:]))
        assert all(not s[0].is_space for s in spans[1:])

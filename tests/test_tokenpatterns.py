"""``TokenPatterns`` finds exactly what spaCy's ``Matcher`` finds, for any pattern it accepts
(random patterns with optional and negated steps, flags, string and set tests, several
attributes in one step), on random documents."""

from __future__ import annotations

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.matcher import Matcher
from spacy.tokens import Doc

from ddlens.tokenpatterns import PatternError, TokenPatterns

NLP = spacy.blank("en")
WORDS = ["The", "the", "report", "Report", "2019", "by", "World", "Bank", ",", "said", "SAID", "(", ")", "a", "x1"]

_value = st.sampled_from(["the", "report", "2019", "bank", "said", ",", "zzz"])
_test = st.one_of(
    st.builds(lambda v: {"LOWER": v}, _value),
    st.builds(lambda v: {"ORTH": v}, st.sampled_from(WORDS)),
    st.builds(lambda vs: {"LOWER": {"IN": vs}}, st.lists(_value, max_size=3)),
    st.builds(lambda vs: {"LOWER": {"NOT_IN": vs}}, st.lists(_value, max_size=3)),
    st.builds(lambda v: {"SHAPE": v}, st.sampled_from(["dddd", "Xxxxx", "xxxx", ","])),
    st.builds(lambda b: {"IS_TITLE": b}, st.booleans()),
    st.builds(lambda b: {"IS_LOWER": b}, st.booleans()),
    st.builds(lambda b: {"IS_PUNCT": b}, st.booleans()),
)
_token = st.builds(
    lambda tests, op: {k: v for t in tests for k, v in t.items()} | ({"OP": op} if op else {}),
    st.lists(_test, min_size=1, max_size=2),
    st.sampled_from([None, None, "?", "!"]),
)
_patterns = st.dictionaries(st.sampled_from("abcdef"), st.lists(_token, min_size=1, max_size=4), min_size=1, max_size=4)


def spacy_matches(patterns: dict, doc: Doc) -> list[tuple[str, int, int]]:
    m = Matcher(NLP.vocab)
    for name, pattern in patterns.items():
        m.add(name, [pattern])
    return sorted((NLP.vocab.strings[k], s, e) for k, s, e in m(doc))


@settings(max_examples=300, deadline=None)
@given(patterns=_patterns, words=st.lists(st.sampled_from(WORDS), max_size=30))
def test_equals_spacys_matcher(patterns: dict, words: list[str]) -> None:
    doc = Doc(NLP.vocab, words=words)
    tp = TokenPatterns(NLP.vocab, patterns)
    assert sorted(tp(doc)) == spacy_matches(patterns, doc)
    spans = tp.spans(doc)
    for name, (starts, ends) in spans.items():  # sorted by start then end, no duplicates
        pairs = list(zip(starts.tolist(), ends.tolist()))
        assert pairs == sorted(set(pairs)) and pairs


def test_a_long_document_is_linear() -> None:
    """Every token passes an optional step: states stay bounded by the pattern length."""
    patterns = {"x": [{"IS_LOWER": True, "OP": "?"}, {"LOWER": "the"}, {"IS_ALPHA": True, "OP": "?"}]}
    doc = Doc(NLP.vocab, words=["the"] * 50_000)
    starts, ends = TokenPatterns(NLP.vocab, patterns).spans(doc)["x"]
    expected = spacy_matches(patterns, doc)
    assert len(expected) == 3 * 50_000 - 3  # every start, each with spans of 1, 2 and 3 tokens
    assert sorted(("x", s, e) for s, e in zip(starts.tolist(), ends.tolist())) == expected


@pytest.mark.parametrize("bad", [[{"LOWER": "a", "OP": "+"}], [{"LOWER": 3}], [{"DEP": "nsubj"}], [{}]])
def test_refused(bad: list) -> None:
    with pytest.raises(PatternError):
        TokenPatterns(NLP.vocab, {"x": bad})


@settings(max_examples=200, deadline=None)
@given(patterns=_patterns, docs=st.lists(st.lists(st.sampled_from(WORDS), max_size=12), min_size=1, max_size=5))
def test_a_batch_equals_each_doc_alone(patterns: dict, docs: list[list[str]]) -> None:
    """Docs laid end to end (``spans_batch``): no match crosses from one doc into the next, a
    leading optional step never reaches back into the previous doc, and each doc's matches
    are those it has alone (and spaCy's)."""
    tp = TokenPatterns(NLP.vocab, patterns)
    dd = [Doc(NLP.vocab, words=words) for words in docs]
    offsets, spans = tp.spans_batch([tp.arrays(d) for d in dd])
    assert offsets.tolist()[:-1] == [sum(len(w) + 1 for w in docs[:i]) for i in range(len(docs))]
    for i, d in enumerate(dd):
        lo, hi = int(offsets[i]), int(offsets[i]) + len(d)
        got = sorted(
            (name, s - lo, e - lo)
            for name, (starts, ends) in spans.items()
            for s, e in zip(starts.tolist(), ends.tolist())
            if lo <= s < hi
        )
        assert got == sorted(tp(d)) == spacy_matches(patterns, d)
    n_in_docs = sum(1 for name, (starts, ends) in spans.items() for s in starts.tolist())
    assert n_in_docs == sum(len(tp(d)) for d in dd)  # nothing starts in a gap


@settings(max_examples=150, deadline=None)
@given(patterns=_patterns, docs=st.lists(st.lists(st.sampled_from(WORDS), max_size=12), min_size=1, max_size=4))
def test_tables_split_in_groups_match_the_same(patterns: dict, docs: list[list[str]]) -> None:
    """Large pattern sets split the attribute tables into several groups (each looked up on
    its own, no fused table): the matches are the same."""
    from unittest import mock

    from ddlens import tokenpatterns

    with mock.patch.object(tokenpatterns, "_MAX_GROUP_CELLS", 1):  # one group per attribute
        split = TokenPatterns(NLP.vocab, patterns)
    whole = TokenPatterns(NLP.vocab, patterns)
    assert split._fused is None or len(split.columns) <= 1
    dd = [Doc(NLP.vocab, words=words) for words in docs]
    _, got = split.spans_batch([split.arrays(d) for d in dd])
    _, expected = whole.spans_batch([whole.arrays(d) for d in dd])
    assert {k: (s.tolist(), e.tolist()) for k, (s, e) in got.items()} == {
        k: (s.tolist(), e.tolist()) for k, (s, e) in expected.items()
    }
    for d in dd:
        assert sorted(split(d)) == spacy_matches(patterns, d)

"""Scale properties of the analysis loop: what would make memory grow with the number of posts."""

from __future__ import annotations

import gc

from spacy.tokens import Doc

import ddlens


def _live_docs() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Doc))


def test_no_doc_outlives_its_analysis_without_the_cyclic_gc() -> None:
    """Components store Spans on ``doc._`` (a Doc -> Span -> Doc cycle); the Lens must break
    it, or every Doc waits for a rare full collection and RSS grows with the folder."""
    lens = ddlens.load()
    body = "We used Problem-Driven Iterative Adaptation (PDIA) and the Principles for Digital Development."
    posts = [f"---\ntitle: Post {i} on PDIA\n---\n\n{body}\n" for i in range(12)]
    assert any(a.frameworks for a in lens.analyze_many(posts))  # spans were stored
    gc.collect()
    before = _live_docs()
    gc.disable()
    try:
        results = list(lens.analyze_many(posts))
        lens.analyze(posts[0])
        assert _live_docs() == before
    finally:
        gc.enable()
    assert len(results) == len(posts)

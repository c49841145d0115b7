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


def test_two_workers_give_the_same_outcomes_in_input_order(tmp_path) -> None:
    """--jobs: forked workers reuse the loaded Lens; outcomes come back in input order, a bad
    file as its ArticleError in its place, the rest equal to one process's results."""
    from ddlens.article import ArticleError

    lens = ddlens.load()
    paths = []
    for i in range(40):  # more than one batch per worker
        p = tmp_path / f"2024-01-{i % 28 + 1:02d}-post-{i:02d}.md"
        body = f"Post {i}. According to the World Bank, {i} agents used Kanban."
        text = f"---\ntitle: Post {i}\n---\n\n{body}\n" if i % 7 else "---\ntitle: [unclosed\n---\n"  # bad YAML
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    one = list(lens.analyze_many(paths, n_process=1))
    two = list(lens.analyze_many(paths, n_process=2))
    assert len(two) == len(paths)
    for a, b in zip(one, two):
        if isinstance(a, ArticleError):
            assert isinstance(b, ArticleError) and str(a) == str(b)
        else:
            assert a.to_dict() == b.to_dict()
    assert sum(isinstance(o, ArticleError) for o in two) == len([i for i in range(40) if i % 7 == 0])
    assert gc.isenabled() and not gc.get_freeze_count()  # the parent's GC is left as it was

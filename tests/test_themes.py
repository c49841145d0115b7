"""Keyphrases per post (ddlens_themes), the background table and its rebuild command, and
corpus themes (`ddlens themes`). Every example sentence here was written for these tests.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ddlens
from ddlens.article import Article
from ddlens.cli import app
from ddlens.components.themes import Background, PhraseExtractor, ThemeFinder, build_background, fold_plural
from ddlens.topics import corpus_themes

runner = CliRunner()


@pytest.fixture(scope="module")
def nlp():
    n = spacy.blank("en")
    n.add_pipe("ddlens_sentences")
    return n


@pytest.fixture(scope="module")
def finder(nlp):
    return ThemeFinder(nlp)


@pytest.fixture(scope="module")
def extractor(nlp):
    return PhraseExtractor(nlp.vocab)


def themes(finder, nlp, text: str, title: str | None = None, k: int = 10) -> list[str]:
    return [t.phrase for t in finder.keyphrases(nlp(text), title, k=k)]


def post(body: str, title: str = "A post", date: str = "2024-01-02", tags: str = "[]") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: {tags}\n---\n\n{body}\n"


TRANSFORMATION = (
    "Digital transformation is slow. The ministry began its digital transformation in 2019. "
    "Budgets for digital transformation were small. Staff asked what digital transformation meant for them. "
    "Some saw transformation as a threat; the unions wanted training first. Training came later. "
    "Procurement rules changed in 2021, and procurement officers learnt new rules."
)


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("policies", "policy"), ("goods", "good"), ("approaches", "approach"), ("processes", "process"),
        ("businesses", "business"), ("news", "news"), ("analytics", "analytics"), ("status", "status"),
        ("canvas", "canvas"), ("data", "data"), ("hmis", "hmis"), ("crisis", "crisis"), ("gas", "gas"), ("series", "series"),
    ],
)
def test_fold_plural(word, singular):
    from ddlens.components.themes import _rules
    from ddlens.resources import model_path

    assert fold_plural(word, _rules(str(model_path("keyphrase_rules.json")))["plural_keep"]) == singular


def test_no_part_beside_the_whole(finder, nlp):
    got = [p.lower() for p in themes(finder, nlp, TRANSFORMATION)]
    assert got[0] == "digital transformation"
    assert "transformation" not in got and "digital" not in got
    for a in got:  # no phrase is a word-subsequence of another
        for b in got:
            if a != b:
                assert f" {a} " not in f" {b} "


def test_case_and_plural_variants_are_one_phrase(finder, nlp):
    text = (
        "Digital Public Goods are open. We built digital public goods for health. "
        "A digital public good needs a licence. Our digital public goods have owners."
    )
    got = themes(finder, nlp, text)
    assert sum(1 for p in got if p.lower().startswith("digital public good")) == 1
    assert got[0] == "digital public goods"  # the most frequent written form, lowercased


def test_names_and_acronyms_keep_their_case(finder, nlp):
    text = (
        "Kenya and GitHub. Our team in Kenya moved code to GitHub. Every repository on GitHub has owners in Kenya. "
        "Owners review code weekly. Code review needs owners."
    )
    got = themes(finder, nlp, text)
    assert "Kenya" in got and "GitHub" in got and "code" in got


def test_title_words_count_extra(finder, nlp):
    body = "Farmers asked for prices. Radio shows helped farmers. Prices vary; radio shows explain prices. Radio shows matter."
    without = themes(finder, nlp, body, k=3)
    with_title = themes(finder, nlp, body, title="What farmers learnt", k=3)
    assert with_title[0] == "farmers" and without != with_title


def test_at_most_k_scored_and_deterministic(finder, nlp):
    a = finder.keyphrases(nlp(TRANSFORMATION))
    b = finder.keyphrases(nlp(TRANSFORMATION))
    assert a == b and 0 < len(a) <= 10
    scores = [t.score for t in a]
    assert scores[0] == 1.0 and scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_nothing_to_say(finder, nlp):
    assert finder.keyphrases(nlp("")) == []
    assert finder.keyphrases(nlp("It is what it is, and so it was.")) == []


def test_component_in_the_pipeline_uses_the_title():
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_themes"])
    plain = [t.phrase for t in lens.analyze(post(TRANSFORMATION)).themes]
    titled = [t.phrase for t in lens.analyze(post(TRANSFORMATION, title="Procurement rules")).themes]
    assert plain[0] == "digital transformation" and "procurement rules" not in plain
    assert titled[:2] == ["procurement rules", "digital transformation"]


# -- the extractor ------------------------------------------------------------------------------

WORDS = ["design", "user", "-", "centered", "of", "and", "the", "Theory", "change", "goods", ",", ".", "e", "government", "\n\n", "18F", "data", "APIs"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=25), st.lists(st.booleans(), max_size=25))
def test_short_path_gives_the_same_keys(extractor, nlp, words, glue):
    """The plain-Python path for titles computes exactly the NumPy path's keys."""
    text = "".join(w + ("" if (i < len(glue) and glue[i]) else " ") for i, w in enumerate(words))
    doc = nlp.make_doc(text)
    assert set(extractor.extract(doc).keys.tolist()) == extractor.short_keys(doc)


def test_every_shipped_background_phrase_has_its_key(extractor, nlp):
    """Loading the table computes each phrase's key in plain Python: the same as extract's."""
    from ddlens.resources import model_path

    phrases = list(json.loads(model_path("themes_df.json").read_text(encoding="utf-8"))["phrases"])
    assert len(phrases) > 1000
    for text, doc in zip(phrases, nlp.tokenizer.pipe(phrases)):
        p = extractor.extract(doc)
        assert extractor.phrase_key(doc) == int(p.keys[int(np.argmax(p.nwords))]), text


def test_phrases_do_not_cross_punctuation_or_stop_words(extractor, nlp):
    p = extractor.extract(nlp.make_doc("open data. Open source for the ministry of health"))
    names = set(extractor.surfaces(p, p.keys.tolist()).values())
    assert {"open data", "open source", "ministry of health"} <= names
    assert "data open" not in names and "source ministry" not in names


def test_hyphenated_words_are_one_word(extractor, nlp):
    p = extractor.extract(nlp.make_doc("user-centered design and end-to-end services"))
    names = set(extractor.surfaces(p, p.keys.tolist()).values())
    assert "user-centered design" in names and "end-to-end services" in names
    assert "centered design" not in names


# -- background table ---------------------------------------------------------------------------


def test_background_round_trip(tmp_path, nlp, extractor):
    texts = ["Open data helps. Open data portals.", "Open data again.", "Nothing shared here."]
    table = build_background((nlp.make_doc(t) for t in texts), extractor, min_df=2)
    assert table["documents"] == 3 and table["phrases"] == {"Open data": 2, "Open": 2, "data": 2}
    f = tmp_path / "df.json"
    f.write_text(json.dumps(table), encoding="utf-8")
    tf = ThemeFinder(nlp, background=str(f))
    key = extractor.extract(nlp.make_doc("open data")).keys
    assert tf.background.documents == 3 and int(tf.background.lookup(key).max()) == 2


def test_bad_background_is_a_clear_error(tmp_path, nlp):
    f = tmp_path / "df.json"
    f.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="not a ddlens themes background table"):
        ThemeFinder(nlp, background=str(f))
    with pytest.raises(ValueError, match="not found"):
        ThemeFinder(nlp, background=str(tmp_path / "missing.json"))


def test_folder_statistics_change_the_ranking(finder, nlp):
    docs = [nlp(TRANSFORMATION)] + [nlp("Digital transformation everywhere: digital transformation again.")] * 5
    bg = Background.from_phrases(PhraseExtractor(nlp.vocab).extract(d).keys for d in docs)
    f2 = ThemeFinder(nlp)
    f2.use_background(bg)
    assert f2.keyphrases(docs[0]) != finder.keyphrases(docs[0])


def test_train_themes_is_deterministic(tmp_path):
    d = tmp_path / "posts"
    d.mkdir()
    for i, body in enumerate(["Open data portals help.", "Open data portals again.", "Radio shows for farmers."]):
        (d / f"2024-01-0{i + 1}-p.md").write_text(post(body), encoding="utf-8")
    (d / "2024-01-09-bad.md").write_bytes(b"\xff\xfe")
    outs = []
    for name in ("a.json", "b.json"):
        r = runner.invoke(app, ["train", "themes", str(d), "--out", str(tmp_path / name)])
        assert r.exit_code == 1  # the unreadable post is reported; the table is still written
        assert "2024-01-09-bad.md" in r.output
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    table = json.loads(outs[0])
    assert table["documents"] == 3 and table["phrases"]["Open data portals"] == 2


# -- corpus themes -----------------------------------------------------------------------------

HEALTH = "Clinics use tablets. Nurses record visits on tablets. Clinic nurses share visit records. Health records matter."
MONEY = "Mobile money agents serve villages. Agents explain fees. Mobile money fees fall. Village agents earn commissions."


def corpus(n: int = 6) -> list[Article]:
    arts = []
    for i in range(n):
        body = HEALTH if i % 2 == 0 else MONEY
        arts.append(Article.from_text(post(body + f" Note {i}.", title=f"Post {i}", date=f"{2020 + i % 3}-05-0{i + 1}"), path=f"p{i}.md"))
    return arts


def test_corpus_themes_separate_topics_and_are_deterministic():
    a = corpus_themes(corpus(), k=2)
    b = corpus_themes(list(reversed(corpus())), k=2)
    assert a == b
    assert a["k"] == 2 and len(a["themes"]) == 2
    groups = [sorted(p["path"] for p in th["posts"]) for th in a["themes"]]
    assert sorted(groups) == [["p0.md", "p2.md", "p4.md"], ["p1.md", "p3.md", "p5.md"]]
    for th in a["themes"]:
        assert sum(th["years"].values()) == th["count"] == len(th["posts"])
        assert len(th["terms"]) == len(set(th["terms"]))


def test_themes_command(tmp_path):
    d = tmp_path / "posts"
    d.mkdir()
    for i, art in enumerate(corpus()):
        (d / f"2021-01-0{i + 1}-p.md").write_text(art.source, encoding="utf-8")
    r = runner.invoke(app, ["themes", str(d), "--k", "2", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["posts"] == 6 and len(out["themes"]) == 2
    r = runner.invoke(app, ["themes", str(d), "--k", "2", "--format", "table"])
    assert r.exit_code == 0 and "6 post(s), 2 theme(s)" in r.stdout
    one = tmp_path / "one"
    one.mkdir()
    (one / "2021-01-01-a.md").write_text(post("Alone."), encoding="utf-8")
    r = runner.invoke(app, ["themes", str(one)])
    assert r.exit_code == 2 and "at least 2 posts" in r.output


@pytest.mark.slow
def test_real_posts_themes(shared_corpora):
    """On published posts: at most ten distinct phrases each, none inside another, all from the text."""
    from ddlens.files import iter_post_paths

    lens = ddlens.load(components=["ddlens_sentences", "ddlens_themes"])
    paths = list(iter_post_paths([shared_corpora / "18f-blog"]))[:80]
    for p, a in zip(paths, lens.analyze_many(paths)):
        if not hasattr(a, "themes"):
            continue
        got = [t.phrase.lower() for t in a.themes]
        assert len(got) == len(set(got)) <= 10
        text = " ".join(Article.from_path(p).text.lower().split())
        for x in got:
            assert x in text or x.replace(" ", "") in text.replace(" ", ""), (p, x)
            for y in got:
                assert x == y or f" {x} " not in f" {y} ", (p, x, y)

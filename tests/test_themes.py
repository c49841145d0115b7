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
from spacy.attrs import LOWER, ORTH
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


# -- the batched fast path against the plain per-Doc reference ---------------------------------
# The reference below is the straightforward implementation the batched one replaced: one Doc at
# a time, every token classified from scratch, NumPy per Doc. The fast path must agree exactly.

M64 = 0xFFFFFFFFFFFFFFFF


def ref_extract(ex: PhraseExtractor, doc):
    from ddlens.components.themes import _P1, _P2, _P3, _PJ, _T2, _T3, BOUNDARY, CONTENT, HYPHEN, INNER, DocPhrases, _empty

    n = len(doc)
    if n == 0:
        return _empty()
    low = doc.to_array(LOWER)
    info = [ex._classify(h) for h in low.tolist()]
    kind = np.array([v[0] for v in info], dtype=np.int8)
    fold = np.array([v[1] for v in info], dtype=np.uint64)
    weak = np.array([v[2] for v in info], dtype=bool)
    ulow, ufold, ukind, uweak = low, fold, kind, weak
    ustart = uend = None
    if n >= 3:
        wordish = (kind != BOUNDARY) & (kind != HYPHEN)
        j = np.flatnonzero((kind[1:-1] == HYPHEN) & wordish[:-2] & wordish[2:]) + 1
        j = [x for x in j.tolist() if not doc[x - 1].whitespace_ and not doc[x].whitespace_]
        if j:
            ulow, ufold, ukind, uweak = low.copy(), fold.copy(), kind.copy(), weak.copy()
            end = np.arange(1, n + 1, dtype=np.int64)
            keep = np.ones(n, dtype=bool)
            for jj in j:
                h = jj - 1
                while not keep[h]:
                    h -= 1
                ufold[h] = (int(ulow[h]) * int(_PJ) + int(fold[jj + 1])) & M64
                ulow[h] = (int(ulow[h]) * int(_PJ) + int(low[jj + 1])) & M64
                ukind[h] = CONTENT
                uweak[h] = False
                end[h] = jj + 2
                keep[jj] = keep[jj + 1] = False
            idx = np.flatnonzero(keep)
            ulow, ufold, ukind, uweak = ulow[idx], ufold[idx], ukind[idx], uweak[idx]
            ustart, uend = idx, end[idx]
    m = len(ulow)
    if ustart is None:
        ustart = np.arange(m, dtype=np.int64)
        uend = ustart + 1
    content = ukind == CONTENT
    i1 = np.flatnonzero(content)
    parts, units = [ufold[i1]], [i1]
    if ex.max_words >= 2 and m >= 2:
        i2 = i1[:-1][np.diff(i1) == 1] if len(i1) > 1 else i1[:0]
        parts.append(ulow[i2] * _P1 + ufold[i2 + 1] * _P2 + _T2)
        units.append(i2)
    else:
        i2 = i1[:0]
    if ex.max_words >= 3 and m >= 3:
        i3 = i2[:-1][np.diff(i2) == 1] if len(i2) > 1 else i2[:0]
        mid = np.flatnonzero(ukind[1:-1] == INNER) + 1
        if len(mid):
            mid = mid[content[mid - 1] & content[np.minimum(mid + 1, m - 1)] & (mid + 1 < m)]
            alone = np.ones(len(mid), dtype=bool)
            alone &= ~((mid >= 2) & content[np.maximum(mid - 2, 0)])
            alone &= ~((mid + 2 < m) & content[np.minimum(mid + 2, m - 1)])
            i3 = np.sort(np.concatenate((i3, mid[alone] - 1)))
        parts.append(ulow[i3] * _P1 + ulow[i3 + 1] * _P2 + ufold[i3 + 2] * _P3 + _T3)
        units.append(i3)
    occ_keys = np.concatenate(parts)
    if not len(occ_keys):
        return _empty()
    occ_u = np.concatenate(units)
    occ_n = np.repeat(np.arange(1, len(parts) + 1, dtype=np.int64), [len(x) for x in parts])
    ukeys, first, counts = np.unique(occ_keys, return_index=True, return_counts=True)
    nwords = occ_n[first]
    return DocPhrases(
        ukeys, counts, first, nwords, (nwords == 1) & uweak[occ_u[first]], occ_keys, occ_u, occ_n,
        ulow, ufold, ukind, ustart, uend, m, low, doc=doc,
    )  # fmt: skip


def ref_surfaces(ex: PhraseExtractor, p, keys):
    at = np.searchsorted(p.keys, np.asarray(keys, dtype=np.uint64))
    spans, toks = [], []
    for o in p.first[at].tolist():
        u = int(p.occ_unit[o])
        units = [(int(p.units_start[x]), int(p.units_end[x])) for x in range(u, u + int(p.occ_nwords[o]))]
        spans.append(units)
        for a, b in units:
            toks.extend(range(a, b))
    written = {i: p.doc[i].text for i in toks}
    titled = [i for i in toks if written[i][:1].isupper() and not any(c.isupper() for c in written[i][1:])]
    lowered = set()
    if titled:
        lows = p.tok_low[np.asarray(titled, dtype=np.int64)]
        lower_written = p.tok_low[p.tok_orth == p.tok_low]
        never_lower = ~(lows[:, None] == lower_written[None, :]).any(axis=1)
        for i, low, ok in zip(titled, lows.tolist(), never_lower.tolist()):
            inside = False
            for t in np.flatnonzero(p.tok_low == np.uint64(low))[:20].tolist():
                if t == 0 or p.tok_orth[t] == p.tok_low[t]:
                    continue
                prev = ex.vocab.strings[int(p.tok_orth[t - 1])]
                if prev.isspace() or prev in (".", "!", "?", ":", ";", "…", "•", "-", "–", "—", "|", "#", "*", '"', "“", "(", "["):
                    continue
                inside = True
                break
            if not (ok and inside):
                lowered.add(i)
    return {
        key: " ".join("".join(written[i].lower() if i in lowered else written[i] for i in range(a, b)) for a, b in units)
        for key, units in zip(keys, spans)
    }


def ref_subkeys(p, occ):
    from ddlens.components.themes import _P1, _P2, _T2, CONTENT

    u, L = int(p.occ_unit[occ]), int(p.occ_nwords[occ])
    if L == 1:
        return set()
    low, fold = p.units_low[u : u + L].tolist(), p.units_fold[u : u + L].tolist()
    content = (p.units_kind[u : u + L] == CONTENT).tolist()
    out = {f for f, c in zip(fold, content) if c}
    if L == 3:
        for i in (0, 1):
            if content[i] and content[i + 1]:
                out.add((low[i] * int(_P1) + fold[i + 1] * int(_P2) + int(_T2)) & M64)
    return out


def ref_keyphrases(tf: ThemeFinder, doc, title=None, k=None):
    from ddlens.analysis import Theme

    k = tf.top_k if k is None else k
    p = ref_extract(tf.extractor, doc)
    if not len(p.keys) or k == 0:
        return []
    tp = tf.extractor.short_keys(tf.tokenizer(title)) if title else None
    weight = tf.background.weights(p.keys, tf.idf_power)
    in_title = np.zeros(len(p.keys), dtype=bool)
    if tp:
        tk = np.fromiter(tp, dtype=np.uint64, count=len(tp))
        at = np.minimum(np.searchsorted(p.keys, tk), len(p.keys) - 1)
        in_title[at[p.keys[at] == tk]] = True
    score = (p.counts.astype(np.float64) + tf.title_weight * in_title) * weight
    score *= np.where(p.nwords > 1, tf.multiword_boost, 1.0)
    score *= np.where(p.occ_unit[p.first] < 0.15 * max(1, p.n_units), 1.0 + tf.lead_boost, 1.0)
    score[(p.counts < 2) & (p.nwords > 1) & ~in_title] = 0.0
    score[p.weak] = 0.0
    pool = 2 * k + 10
    if len(score) > pool:
        cut = np.partition(score, len(score) - pool)[len(score) - pool]
        idx = np.nonzero(score >= cut)[0]
    else:
        idx = np.arange(len(score))
    order = idx[np.lexsort((p.keys[idx], p.first[idx], -score[idx]))]
    order = order[score[order] > 0][:pool]
    if not len(order):
        return []
    cand_keys, counts = p.keys[order].tolist(), p.counts[order].tolist()
    subs = [ref_subkeys(p, o) for o in p.first[order].tolist()]
    pos = {key: i for i, key in enumerate(cand_keys)}
    absorbed = set()
    for i in range(len(cand_keys)):
        for s_ in subs[i]:
            j = pos.get(s_)
            if j is not None and counts[i] * 2 >= counts[j]:
                absorbed.add(s_)
    chosen = []
    for i, key in enumerate(cand_keys):
        if key in absorbed or any(key in subs[c] or cand_keys[c] in subs[i] for c in chosen):
            continue
        chosen.append(i)
        if len(chosen) >= k:
            break
    if not chosen:
        return []
    top = float(score[order[chosen[0]]]) or 1.0
    keys = [cand_keys[i] for i in chosen]
    names = ref_surfaces(tf.extractor, p, keys)
    return [Theme(phrase=names[key], score=float(score[order[i]]) / top) for key, i in zip(keys, chosen)]


FIELDS = ("keys", "counts", "first", "nwords", "weak", "occ_keys", "occ_unit", "occ_nwords", "units_low",
          "units_fold", "units_kind", "units_start", "units_end", "tok_low")  # fmt: skip
# words of every kind, in several cases: phrases repeat often enough to be ranked
BATCH_WORDS = WORDS + ["Design", "DATA", "Data", "goods", "Goods", "of", "&", "x", "https://e.org", "a@b.org", "(", ")", ":", "Change", "user-led", "—", "Ministry", "ministries", "Open", "open", "end-to-end", "E-Gov", "peer-to-peer", "UX", "ux", "maps", "Bugs", "bus"]  # fmt: skip
texts = st.lists(st.tuples(st.sampled_from(BATCH_WORDS), st.booleans()), max_size=40).map(
    lambda ws: "".join(w + ("" if glued else " ") for w, glued in ws)
)


@settings(max_examples=120, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6), st.integers(1, 3), st.integers(1, 6))
def test_batch_extraction_is_the_per_doc_reference(nlp, batch, max_words, bits):
    """Docs extracted together (with a tiny word table, so slots collide and the table
    grows) give exactly the reference's phrases, occurrences and words, Doc by Doc."""
    ex = PhraseExtractor(nlp.vocab, max_words=max_words, table_bits=bits)
    docs = [nlp.make_doc(t) for t in batch]
    for _ in range(2):  # cold, then with every word known
        for doc, got in zip(docs, ex.extract_many(docs)):
            want = ref_extract(ex, doc)
            for f in FIELDS:
                a, b = getattr(got, f), getattr(want, f)
                assert a.dtype == b.dtype and np.array_equal(a, b), f
            assert got.n_units == want.n_units
            if len(want.keys):
                assert np.array_equal(got.tok_orth, doc.to_array(ORTH))
                keys = want.keys.tolist()
                assert ex.surfaces(got, keys) == ref_surfaces(ex, want, keys)
                for occ in range(len(want.occ_keys)):
                    assert PhraseExtractor.subkeys(got, occ) == ref_subkeys(want, occ)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(texts, st.one_of(st.none(), texts)), min_size=1, max_size=5), st.integers(0, 4))
def test_batch_keyphrases_are_the_per_doc_reference(nlp, finder, batch, k):
    docs = [nlp.make_doc(t + " " + t) for t, _ in batch]  # repeated: multi-word phrases count twice
    titles = [title for _, title in batch]
    want = [ref_keyphrases(finder, d, title, k) for d, title in zip(docs, titles)]
    assert finder.keyphrases_many(docs, titles, k) == want
    assert [finder.keyphrases(d, title, k) for d, title in zip(docs, titles)] == want


def test_component_pipe_is_its_call(nlp):
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_themes"])
    themes = lens.nlp.get_pipe("ddlens_themes")
    bodies = [TRANSFORMATION, "", "Open data. Open data portals, open data standards.", TRANSFORMATION[:120]]
    docs = [lens.make_doc(Article.from_text(post(b, title=f"Open data {i}"))) for i, b in enumerate(bodies)]
    piped = [d._.themes for d in themes.pipe(docs, batch_size=3)]
    assert piped == [themes(d)._.themes for d in docs]
    assert piped[0] and piped[1] == []


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

"""Transformation pillars: taxonomies as data, the trained classifier, its evidence, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ddlens
from ddlens.cli import app
from ddlens.modelio import ModelError, dumps_deterministic
from ddlens.pillar_model import FORMAT, TRUSTED_TYPES, ModelConfig, PhraseScorer, load_model
from ddlens.taxonomy import TaxonomyError, available_taxonomies, load_taxonomy, parse_taxonomy
from ddlens.train.pillars import (
    CorpusError,
    choose_thresholds,
    iterative_folds,
    read_corpus,
    train,
)

PILLARS = ("leadership", "learning-by-doing", "skills")
PRINCIPLES = (
    "design-with-the-user",
    "understand-the-existing-ecosystem",
    "design-for-scale",
    "build-for-sustainability",
    "be-data-driven",
    "use-open-standards",
    "reuse-and-improve",
    "address-privacy-and-security",
    "be-collaborative",
)
ROOT = Path(__file__).resolve().parents[1]

# -- a small labelled fixture corpus (sentences written for these tests) --------------------

POOLS = {
    "leadership": [
        "The director championed the new system and told every manager to use it.",
        "Our board committed money for three years and the minister backed the plan in public.",
    ],
    "learning-by-doing": [
        "We ran a hands-on workshop where staff practised the method on paper prototypes.",
        "The pilot ran in two clinics and we changed the forms after every weekly test with nurses.",
    ],
    "skills": [
        "Nurses gained digital literacy through weekly coaching and a short course on spreadsheets.",
        "Volunteers were trained in data analysis, and the course built empathy and critical thinking.",
    ],
}
FILLER = [
    "The programme covers three districts in the north of the country.",
    "Rainfall was lower than usual this year, and roads were often closed.",
    "The office moved to a new building in March.",
    "Costs appear in the quarterly update to the donor.",
]


def write_fixture(root: Path, key: str = "pillars", pools: dict[str, list[str]] | None = None) -> Path:
    """Posts for every combination of categories, twice; labels under ``key``."""
    pools = pools or POOLS
    ids = list(pools)
    (root / "posts").mkdir(parents=True, exist_ok=True)
    lines = []
    n = 0
    for variant in range(2):
        for combo in product([0, 1], repeat=len(ids)):
            n += 1
            name = f"2020-01-{n:02d}-post-{n}.md"
            chosen = {cid: pools[cid][variant] for cid, on in zip(ids, combo) if on}
            body = [FILLER[n % 4], *chosen.values(), FILLER[(n + 1) % 4]]
            text = f"---\ntitle: Post {n}\ndate: 2020-01-{n:02d}\n---\n\n" + "\n\n".join(body) + "\n"
            (root / "posts" / name).write_text(text, encoding="utf-8")
            labels = [
                {"id": cid, "assigned": bool(on), "evidence": [{"sentence": chosen[cid]}] if on else []}
                for cid, on in zip(ids, combo)
            ]
            lines.append(json.dumps({"path": f"posts/{name}", key: labels}))
    (root / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


SMALL = ModelConfig(min_df=1, calibration_folds=2)


@pytest.fixture(scope="module")
def fixture_corpus(tmp_path_factory) -> Path:
    return write_fixture(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def fixture_model(fixture_corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "fixture.skops"
    train(fixture_corpus, load_taxonomy(), out, config=SMALL, folds=2)
    return out


# -- taxonomies ----------------------------------------------------------------------------


def test_shipped_taxonomies_carry_definitions_phrases_and_counter_examples():
    assert {"transformation-pillars", "principles-for-digital-development"} <= set(available_taxonomies())
    pillars = load_taxonomy("transformation-pillars")
    assert pillars.ids == PILLARS and pillars.labels_key == "pillars"
    principles = load_taxonomy("principles-for-digital-development")
    assert principles.ids == PRINCIPLES and principles.labels_key == "principles"
    for tax in (pillars, principles):
        for cat in tax.categories:
            assert cat.label and len(cat.definition) > 40 and cat.phrases and cat.counter_examples


def test_default_taxonomy_is_the_pillars():
    assert load_taxonomy().name == "transformation-pillars"


GOOD = """\
name: energy
label: Energy access
labels_key: energy
categories:
  - id: solar
    label: Solar
    definition: Off-grid solar.
    phrases: [solar, solar home system, pay-as-you-go]
  - id: grid
    label: Grid
    definition: The national grid.
    phrases: [grid, utility, transmission line]
    counter_examples: [grid of squares]
"""


def write(tmp_path: Path, text: str, name: str = "tax.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_user_taxonomy_loads_by_path(tmp_path):
    tax = load_taxonomy(str(write(tmp_path, GOOD)))
    assert tax.name == "energy" and tax.ids == ("solar", "grid")
    assert tax.category("grid").counter_examples == ("grid of squares",)
    assert tax.model_path() is None


@pytest.mark.parametrize(
    "edit, line, words",
    [
        (("labels_key: energy", "label_key: energy"), 3, "unknown key 'label_key'"),
        (("  - id: grid", "  - id: Grid Power"), 9, "slug"),
        (("  - id: grid", "  - id: solar"), 9, "already used"),
        (("    phrases: [solar, solar home system, pay-as-you-go]", "    phrases: []"), 8, "at least one phrase"),
        (("    phrases: [grid, utility, transmission line]", "    phrases: [grid, 42]"), 12, "must be a string"),
        (("    definition: Off-grid solar.\n", ""), 5, "missing required key 'definition'"),
        (("name: energy", "name: [energy"), None, "invalid YAML"),
        (("    label: Grid", "    label: Grid\n    label: Again"), 11, "appears twice"),
    ],
)
def test_bad_user_taxonomy_is_one_line_naming_file_and_line(tmp_path, edit, line, words):
    p = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(str(p))
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(p)) and words in msg
    if line is not None:
        assert info.value.line == line and msg.startswith(f"{p}:{line}: ")


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "name: x\nlabel: X\ncategories: []\n", "\xff"])
def test_degenerate_taxonomies_are_refused(tmp_path, text):
    p = tmp_path / "t.yaml"
    p.write_bytes(text.encode("latin-1"))
    with pytest.raises(TaxonomyError):
        load_taxonomy(str(p))


def test_taxonomy_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        bomb += f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    p = write(tmp_path, "name: x\nlabel: X\ncategories:\n  - id: c\n    label: C\n    definition: d\n    phrases: *i\n" + bomb)
    with pytest.raises(TaxonomyError):
        load_taxonomy(str(p))


def test_unknown_taxonomy_name_lists_the_shipped_ones():
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy("pilars")
    assert "transformation-pillars" in str(info.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_is_a_taxonomy_or_one_taxonomy_error(tmp_path, text):
    p = tmp_path / "fuzz.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        parse_taxonomy(p)
    except TaxonomyError as exc:
        assert "\n" not in str(exc)


# -- training ------------------------------------------------------------------------------


def test_fixture_corpus_reads_in_path_order(fixture_corpus):
    posts, skipped = read_corpus(fixture_corpus, load_taxonomy())
    assert len(posts) == 16 and skipped == 0
    assert [p.path for p in posts] == sorted(p.path for p in posts)
    assert sum(p.labels[0] for p in posts) == 8


def test_label_problems_are_listed_with_file_and_line(tmp_path):
    root = write_fixture(tmp_path)
    lines = (root / "labels.jsonl").read_text().splitlines()
    rec = json.loads(lines[2])
    rec["pillars"] = rec["pillars"][:2]
    lines[2] = json.dumps(rec)
    lines[4] = "{not json"
    (root / "labels.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusError) as info:
        read_corpus(root, load_taxonomy())
    problems = info.value.problems
    assert any(p.startswith(f"{root / 'labels.jsonl'}:3: ") and "lacks ids" in p and "skills" in p for p in problems)
    assert any(p.startswith(f"{root / 'labels.jsonl'}:5: invalid JSON") for p in problems)


def test_posts_without_the_taxonomys_labels_are_skipped(fixture_corpus):
    posts, skipped = read_corpus(fixture_corpus, load_taxonomy("principles-for-digital-development"))
    assert posts == [] and skipped == 16


def test_retraining_gives_byte_identical_files(fixture_corpus, fixture_model, tmp_path):
    again = tmp_path / "again.skops"
    train(fixture_corpus, load_taxonomy(), again, config=SMALL, folds=2)
    assert again.read_bytes() == fixture_model.read_bytes()


@pytest.mark.slow
def test_retraining_in_a_fresh_process_with_another_hash_seed_is_byte_identical(fixture_corpus, fixture_model, tmp_path):
    out = tmp_path / "fresh.skops"
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from ddlens.pillar_model import ModelConfig
        from ddlens.taxonomy import load_taxonomy
        from ddlens.train.pillars import train
        train(Path({str(fixture_corpus)!r}), load_taxonomy(), Path({str(out)!r}),
              config=ModelConfig(min_df=1, calibration_folds=2), folds=2)
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(fixture_model.read_bytes()).digest()


def test_fixture_model_separates_its_training_posts(fixture_corpus, fixture_model):
    lens = ddlens.load(
        components=["ddlens_sentences", "ddlens_pillars"], config={"ddlens_pillars": {"model": str(fixture_model)}}
    )
    posts, _ = read_corpus(fixture_corpus, load_taxonomy())
    correct = 0
    for p in posts:
        got = lens.analyze(fixture_corpus / p.path)
        correct += sum(int(pl.assigned) == y for pl, y in zip(got.pillars, p.labels))
    assert correct >= 0.9 * 3 * len(posts)


def test_a_category_without_two_positives_cannot_be_trained(tmp_path):
    root = write_fixture(tmp_path)
    lines = []
    for line in (root / "labels.jsonl").read_text().splitlines():
        rec = json.loads(line)
        rec["pillars"][2]["assigned"] = False
        lines.append(json.dumps(rec))
    (root / "labels.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="'skills' has 0 positive"):
        train(root, load_taxonomy(), None, config=SMALL, folds=2)


@settings(max_examples=40, deadline=None, derandomize=True)  # a bound, not a theorem: keep CI deterministic
@given(st.integers(8, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(2, 5), st.integers(0, 3), st.integers(1, 4))))
def test_iterative_folds_partition_and_spread_every_label(args):
    n, k, seed, K = args
    Y = np.random.default_rng(seed).integers(0, 2, (n, K))
    folds = iterative_folds(Y, k, seed)
    assert sorted(np.concatenate(folds).tolist()) == list(range(n))
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= max(2, n // 10)
    for col in range(K):
        per_fold = [int(Y[f, col].sum()) for f in folds]
        # exact for one label; with several, labels placed later inherit the earlier ones'
        # choices (e.g. 16/12 for 28 positives in 2 folds), so allow a fifth of the positives
        bound = 1 if K == 1 else max(3, int(0.2 * Y[:, col].sum()))
        assert max(per_fold) - min(per_fold) <= bound
    assert [f.tolist() for f in iterative_folds(Y, k, seed)] == [f.tolist() for f in folds]


def test_thresholds_are_chosen_for_f1_with_ties_toward_one_half():
    Y = np.array([[1], [1], [0], [0]])
    P = np.array([[0.9], [0.8], [0.3], [0.1]])
    t = choose_thresholds(Y, P)[0]
    assert 0.3 < t <= 0.8 and abs(t - 0.5) < 1e-9


# -- fast paths are exact ------------------------------------------------------------------

WORDS = st.sampled_from(["Café", "cafe", "co-design", "naïve", "ÉCOLE", "a", "Kanban", "x2", "—", "ß", "ﬁnance"])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 9), st.integers(1, 12), st.integers(0, 10_000))
def test_scale_by_doc_equals_row_indexed_product(n_docs, n_seg, V, seed):
    import scipy.sparse as sp

    from ddlens.pillar_model import scale_by_doc

    rng = np.random.default_rng(seed)
    owner = np.sort(rng.integers(0, n_docs, n_seg))
    C = sp.random(n_seg, V, density=0.4, random_state=seed, format="csr")
    ratio = sp.random(n_docs, V, density=0.5, random_state=seed + 1, format="csr")
    np.testing.assert_allclose(scale_by_doc(C, owner, ratio).toarray(), C.multiply(ratio[owner]).toarray())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_strip_accents_equals_scikit_learns(text):
    from sklearn.feature_extraction.text import strip_accents_unicode as sk

    from ddlens.pillar_model import strip_accents_unicode

    assert strip_accents_unicode(text) == sk(text)
    assert strip_accents_unicode(text.lower()) == sk(text.lower())


TOKEN = st.one_of(
    WORDS,
    st.sampled_from(["learning", "by", "doing", "e", "data", "Data's", "n't", "e.g.", "U.S.", "a\xa0b", "Σ", "İ", "\u0301"]),
    st.text(max_size=5).filter(lambda t: t.strip() and not any(c.isspace() for c in t) and "\x00" not in t),
    st.text(alphabet="aé\u0301ﬁ\xa0_-.1", min_size=1, max_size=6).filter(lambda t: t.strip()),
)
POSTS = st.lists(st.lists(st.lists(TOKEN, max_size=10), max_size=4), max_size=4)


@settings(max_examples=120, deadline=None)
@given(POSTS)
def test_token_counter_equals_countvectorizer_on_reference_texts(posts):
    """Counting per token type from token arrays gives exactly what the fitted scikit-learn
    vectorizers give on the reference texts (same counts, same CSR layout), for the word,
    char_wb and phrase settings, with a cold and then a warm type cache."""
    from sklearn.feature_extraction.text import CountVectorizer

    from ddlens.pillar_features import CharGramTable, GramTable, Segments, TokenCounter
    from ddlens.pillar_model import TEXT_PATTERN, WORD_PATTERN, fast_preprocessor

    fit_on = ["café co design naïve école kanban x2 ﬁnance learning by doing", "a b c ß — cafe data data's e learning σ"]
    word = CountVectorizer(ngram_range=(1, 2), token_pattern=TEXT_PATTERN, strip_accents="unicode", dtype=np.float64)
    char = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), strip_accents="unicode", dtype=np.float64)
    word.fit(fit_on)
    char.fit(fit_on)
    phrase_vocab = ["learning by doing", "e learning", "data", "co design", "by", "ss", "a b c ss", "u s"]
    phrases = CountVectorizer(
        vocabulary=phrase_vocab, ngram_range=(1, 4), token_pattern=WORD_PATTERN, strip_accents="unicode", dtype=np.float64
    )
    tables = {
        "word": GramTable(word.vocabulary_, (1, 2)),
        "phrases": GramTable({t: i for i, t in enumerate(phrase_vocab)}, (1, 4)),
    }
    counter = TokenCounter(fast_preprocessor(word), tables, CharGramTable(char.vocabulary_, (2, 5)))
    segments = Segments.from_token_lists(posts)
    texts = [t for post in segments.texts() for t in post]
    assert len(texts) == segments.n_segments
    for _ in range(2):
        got = counter.counts(segments) if segments.n_segments else None
        for name, vec in (("word", word), ("char", char), ("phrases", phrases)):
            if got is None:
                continue
            want = vec.transform(texts)
            assert got[name].shape == want.shape
            np.testing.assert_array_equal(got[name].toarray(), want.toarray())
            if name != "char":
                np.testing.assert_array_equal(got[name].indptr, want.indptr)
                np.testing.assert_array_equal(got[name].indices, want.indices)


@settings(max_examples=60, deadline=None)
@given(POSTS)
def test_segments_round_trip_through_reference_texts(posts):
    from ddlens.pillar_features import Segments

    segments = Segments.from_token_lists(posts)
    texts = segments.texts()
    assert texts == [[" ".join(t.lower() for t in seg) for seg in post] for post in posts]
    again = Segments.from_texts(texts)
    assert again.texts() == [[" ".join(t.split()) for t in post] for post in texts]


def test_segments_of_docs_follow_sentences_and_skip_blank_ones(pillars_lens):
    from ddlens.pillar_model import doc_segments

    text = "---\ntitle: Digital Skills, Now\n---\nFirst sentence here. Second one!\n\n\n\nThird, after a gap.\n"
    doc = pillars_lens.nlp(pillars_lens.make_doc(pillars_lens.article(text)))
    segments, bounds, heads = doc_segments([doc, pillars_lens.nlp.make_doc("")], pillars_lens.nlp.tokenizer)
    assert heads == [1, 0]
    (texts,), empty = segments.texts()[:1], segments.texts()[1]
    assert texts[0] == "digital skills , now"
    body = [" ".join(doc[a:b].text.split()) for a, b in bounds[0]]
    assert body == [s for s in (" ".join(s.text.split()) for s in doc.sents) if s]
    assert [t.replace(" ", "") for t in texts[1:]] == [b.lower().replace(" ", "") for b in body]
    assert empty == [] and bounds[1].shape == (0, 2)
    assert segments.owner.tolist() == [0] * len(texts)


# -- trusted loading -----------------------------------------------------------------------


def test_loading_refuses_types_outside_the_trusted_list(tmp_path):
    from sklearn.preprocessing import StandardScaler  # trusted by skops' defaults, not by ddlens

    p = tmp_path / "evil.skops"
    p.write_bytes(dumps_deterministic({"format": FORMAT, "payload": StandardScaler()}))
    with pytest.raises(ModelError) as info:
        load_model(p)
    assert "does not trust" in str(info.value) and "StandardScaler" in str(info.value)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(p))


def test_loading_refuses_functions(tmp_path):
    p = tmp_path / "func.skops"
    p.write_bytes(dumps_deterministic({"format": FORMAT, "payload": os.system}))
    with pytest.raises(ModelError, match="does not trust"):
        load_model(p)


def test_garbage_and_foreign_models_are_one_line_errors(tmp_path, fixture_model):
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="not a skops model file"):
        load_model(junk)
    other = tmp_path / "other.skops"
    other.write_bytes(dumps_deterministic({"format": "something-else/1"}))
    with pytest.raises(ModelError, match="not a ddlens pillar model"):
        load_model(other)
    with pytest.raises(ModelError, match="trained for categories"):
        ddlens.load(
            components=["ddlens_sentences", "ddlens_pillars"],
            config={"ddlens_pillars": {"taxonomy": "principles-for-digital-development", "model": str(fixture_model)}},
        )


def test_trusted_list_covers_exactly_what_a_model_file_holds(fixture_model):
    from ddlens.modelio import schema_types

    found = schema_types(fixture_model.read_bytes())
    assert found <= set(TRUSTED_TYPES)
    assert "sklearn.linear_model._logistic.LogisticRegression" in found


# -- the component: scores and evidence --------------------------------------------------------

POST = """\
---
title: Who owns the new payroll system?
date: 2022-05-03
---

The ministry replaced its paper payroll last year.

The permanent secretary insisted that every department head sign off on the switch, and she
chaired the steering committee herself every month until the system was live.

Rainfall was lower than usual this year.

Without that commitment from the top, the project would have stalled in the first quarter.
"""


@pytest.fixture(scope="module")
def pillars_lens():
    return ddlens.load(components=["ddlens_sentences", "ddlens_pillars"])


def test_shipped_model_scores_every_pillar_with_calibrated_scores(pillars_lens):
    scorer = pillars_lens.nlp.get_pipe("ddlens_pillars")
    assert scorer.method == "model"
    result = pillars_lens.analyze(POST)
    assert [p.id for p in result.pillars] == list(PILLARS)
    for p in result.pillars:
        assert 0.0 <= p.score <= 1.0
        assert p.assigned == (p.score >= scorer.thresholds[PILLARS.index(p.id)])
        assert len(p.evidence) <= 3 and (p.assigned or not p.evidence)
    lead = result.pillars[0]
    assert lead.assigned and lead.evidence


def test_evidence_sentences_come_with_their_source_lines(pillars_lens):
    result = pillars_lens.analyze(POST)
    source = POST.splitlines()
    for pillar in result.pillars:
        for ev in pillar.evidence:
            first_words = " ".join(ev.sentence.split()[:4])
            assert first_words in source[ev.line - 1], (ev, source[ev.line - 1])
    lines = {ev.line for ev in result.pillars[0].evidence}
    assert 8 in lines  # "The permanent secretary insisted ..." starts on line 8


def test_evidence_is_ranked_by_contribution_and_contributions_add_up(pillars_lens):
    from ddlens.pillar_model import doc_segments

    scorer = pillars_lens.nlp.get_pipe("ddlens_pillars")
    model = scorer.model
    doc = pillars_lens.nlp(pillars_lens.make_doc(pillars_lens.article(POST)))
    segments, (sents,), (n_head,) = doc_segments([doc], pillars_lens.nlp.tokenizer)
    proba, (contrib,) = model.explain(segments)
    logit = np.log(proba[0] / (1 - proba[0]))
    np.testing.assert_allclose(contrib.sum(axis=0) + model._b, logit, atol=1e-6)
    np.testing.assert_allclose(model.logits(segments)[0], logit, atol=1e-6)
    k = 0
    body = contrib[n_head:, k]
    best = [" ".join(doc[a:b].text.split()) for a, b in (sents[i] for i in np.argsort(-body, kind="stable")[:3] if body[i] > 0)]
    assert [e.sentence for e in doc._.pillars[k].evidence] == best


def test_pipe_and_single_calls_agree(pillars_lens):
    texts = [POST, POST.replace("permanent secretary", "the team"), "---\ntitle: Empty\n---\n"]
    one = [pillars_lens.analyze(t).to_dict()["pillars"] for t in texts]
    many = [a.to_dict()["pillars"] for a in pillars_lens.analyze_many(texts)]
    assert one == many


def test_an_empty_post_gets_unassigned_pillars(pillars_lens):
    result = pillars_lens.analyze("---\ntitle: ''\n---\n")
    assert [p.id for p in result.pillars] == list(PILLARS)
    assert all(not p.assigned and not p.evidence for p in result.pillars)


def test_user_taxonomy_without_a_model_counts_its_phrases(tmp_path):
    tax = write(tmp_path, GOOD)
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_pillars"], config={"ddlens_pillars": {"taxonomy": str(tax)}})
    scorer = lens.nlp.get_pipe("ddlens_pillars")
    assert scorer.method == "phrases" and isinstance(scorer.scorer, PhraseScorer)
    text = "---\ntitle: Sun\n---\n\nSolar home systems are sold pay-as-you-go.\n\nThe grid is far.\n\nMore solar panels came.\n"
    result = lens.analyze(text)
    solar, grid = result.pillars
    assert (solar.id, grid.id) == ("solar", "grid") and solar.label == "Solar"
    assert solar.assigned and not grid.assigned and solar.score > grid.score
    assert solar.evidence[0].line in (5, 9)


def test_user_taxonomy_trained_with_the_command_is_used(tmp_path):
    pools = {
        "solar": ["Families bought solar home systems on pay-as-you-go plans.", "The solar kits charge phones and lights."],
        "grid": ["The utility extended the grid with a new transmission line.", "Grid power reached the market town."],
    }
    root = write_fixture(tmp_path / "c", key="energy", pools=pools)
    tax = write(tmp_path, GOOD + "model: energy.skops\n")
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["train", "pillars", str(root), "--taxonomy", str(tax), "--out", str(tmp_path / "energy.skops"), "--folds", "2",
         "--phrase-weight", "0.3"],
    )
    assert res.exit_code == 0, res.output
    assert "trained energy on 8 post(s)" in res.output
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_pillars"], config={"ddlens_pillars": {"taxonomy": str(tax)}})
    scorer = lens.nlp.get_pipe("ddlens_pillars")
    assert scorer.method == "model" and scorer.model.ids == ("solar", "grid")
    assert scorer.model.config.phrase_weight == 0.3 and "phrases" in scorer.model.featurizer.blocks


# -- CLI -----------------------------------------------------------------------------------


@pytest.fixture()
def blog(tmp_path) -> Path:
    d = tmp_path / "_posts"
    d.mkdir()
    (d / "2021-03-01-a.md").write_text(POST.replace("2022-05-03", "2021-03-01"), encoding="utf-8")
    (d / "2022-06-01-b.md").write_text(
        "---\ntitle: Sprints\ndate: 2022-06-01\n---\n\nWe ran three design sprints, tested paper prototypes with "
        "farmers each afternoon and rebuilt the menu after every round.\n",
        encoding="utf-8",
    )
    (d / "2022-07-01-bad.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    return d


def test_pillars_command_json_summary(blog):
    res = CliRunner().invoke(app, ["pillars", str(blog)])
    assert res.exit_code == 1
    assert "2022-07-01-bad.md:" in res.stderr and len(res.stderr.strip().splitlines()) == 2
    summary = json.loads(res.stdout)
    assert summary["taxonomy"] == "transformation-pillars" and summary["posts"] == 2 and summary["failed"] == 1
    assert [p["id"] for p in summary["pillars"]] == list(PILLARS)
    lead = summary["pillars"][0]
    assert lead["posts"] >= 1 and lead["share"] == lead["posts"] / 2
    assert lead["strongest"][0]["path"].endswith("2021-03-01-a.md") and lead["strongest"][0]["evidence"]
    assert [y["year"] for y in summary["by_year"]] == ["2021", "2022"]
    assert sum(c["posts"] for c in summary["combinations"]) == 2


def test_pillars_command_table_and_principles(blog):
    res = CliRunner().invoke(app, ["pillars", str(blog / "2021-03-01-a.md"), "--format", "table"])
    assert res.exit_code == 0, res.output
    assert "Share of posts" in res.stdout and "Leadership" in res.stdout and "per year" in res.stdout
    res = CliRunner().invoke(app, ["pillars", str(blog / "2021-03-01-a.md"), "--taxonomy", "principles-for-digital-development"])
    assert res.exit_code == 0
    assert [p["id"] for p in json.loads(res.stdout)["pillars"]] == list(PRINCIPLES)


def test_analyze_accepts_a_taxonomy(blog, tmp_path):
    res = CliRunner().invoke(
        app, ["analyze", "--no-cache", "--taxonomy", str(write(tmp_path, GOOD)), str(blog / "2021-03-01-a.md")]
    )
    assert res.exit_code == 0, res.output
    assert "no trained model" in res.stderr
    out = json.loads(res.stdout)
    record = out[0] if isinstance(out, list) else out
    assert [p["id"] for p in record["pillars"]] == ["solar", "grid"]


def test_bad_taxonomy_on_the_command_line_is_one_line(blog, tmp_path):
    bad = write(tmp_path, GOOD.replace("phrases: [grid", "phrase: [grid"))
    for args in (["pillars", str(blog)], ["analyze", "--no-cache", str(blog)], ["train", "pillars", str(blog), "--out", "x"]):
        res = CliRunner().invoke(app, [*args, "--taxonomy", str(bad)])
        assert res.exit_code == 2
        assert res.stderr.strip() == f"ddlens: {bad}:12: category 'grid': unknown key 'phrase' (allowed: counter_examples, definition, id, label, phrases)"


def test_train_command_reports_label_problems_and_writes_nothing(tmp_path):
    root = write_fixture(tmp_path / "c")
    with (root / "labels.jsonl").open("a") as fh:
        fh.write('{"path": "posts/missing.md", "pillars": [{"id": "leadership", "assigned": true}, '
                 '{"id": "learning-by-doing", "assigned": false}, {"id": "skills", "assigned": "yes"}]}\n')
    out = tmp_path / "m.skops"
    res = CliRunner().invoke(app, ["train", "pillars", str(root), "--out", str(out), "--folds", "2"])
    assert res.exit_code == 1 and not out.exists()
    assert "labels.jsonl:17: 'pillars' 'skills': 'assigned' must be true or false" in res.stderr


# -- the shipped artifacts -----------------------------------------------------------------


def test_shipped_models_were_trained_on_this_corpus():
    from ddlens.train.pillars import corpus_digest

    for name in ("transformation-pillars", "principles-for-digital-development"):
        tax = load_taxonomy(name)
        path = tax.model_path()
        if path is None or not path.is_file():
            pytest.fail(f"{name}: shipped model {path} is missing")
        model = load_model(path)
        posts, _ = read_corpus(ROOT / "corpora", tax)
        assert model.meta["posts"] == len(posts)
        assert model.meta["corpus_digest"] == corpus_digest(posts, tax), f"retrain: ddlens train pillars corpora --taxonomy {name} --out {path}"

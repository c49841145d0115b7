"""Named frameworks: the shipped list, per-alias case rules, adjective uses, overlaps,
candidates, user patterns files, evidence lines, the `ddlens frameworks` command.

Every example sentence here was written for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ddlens
from ddlens.cli import app
from ddlens.components.frameworks import (
    CATEGORIES,
    PatternsError,
    candidate_key,
    load_patterns,
    merge_entries,
)
from ddlens.resources import model_path

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def fw_lens():
    return ddlens.load(components=["ddlens_sentences", "ddlens_frameworks"])


@pytest.fixture(scope="module")
def entries():
    return load_patterns(model_path("frameworks.jsonl"))


def post(body: str, title: str = "A post") -> str:
    return f"---\ntitle: {title}\ndate: 2024-01-02\n---\n\n{body}\n"


def found(lens, body: str, title: str = "A post", candidates: bool = False) -> dict[str, int]:
    a = lens.analyze(post(body, title))
    return {f.name: f.mentions for f in a.frameworks if (f.category == "candidate") == candidates}


# -- the shipped list -------------------------------------------------------------------------


def test_every_canonical_label_name_is_an_entry(entries):
    names = {e.name for e in entries}
    canon = [
        line.strip()
        for line in (ROOT / "corpora" / "framework-names.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert canon and not [c for c in canon if c not in names]
    assert len(entries) > 80


def test_entries_are_well_formed(entries):
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids))
    by_id = {e.id: e for e in entries}
    for e in entries:
        assert e.category in CATEGORIES
        assert e.aliases
        assert e.parent is None or e.parent in by_id
    merge_entries([entries])  # parents resolve, no cycles


def test_parents(entries):
    by_name = {e.name: e for e in entries}
    pdd = by_name["Principles for Digital Development"].id
    nine = [
        "Design with the User", "Understand the Existing Ecosystem", "Design for Scale", "Build for Sustainability",
        "Be Data Driven", "Use Open Standards, Open Data, Open Source, and Open Innovation", "Reuse and Improve",
        "Address Privacy and Security", "Be Collaborative",
    ]
    assert all(by_name[n].parent == pdd for n in nine)
    agile = by_name["Agile"].id
    assert {by_name[n].parent for n in ("Scrum", "Kanban", "Extreme Programming", "Scaled Agile Framework")} == {agile}


def test_every_plain_alias_finds_its_entry(fw_lens, entries):
    """Each alias that needs no context, alone in a neutral sentence, is found as its entry."""
    misses = []
    texts = [(e, a, f"Last year we talked about {a.text} with partners.") for e in entries for a in e.aliases if a.use == "name"]
    for (e, a, _), doc in zip(texts, fw_lens.nlp.pipe(t for _, _, t in texts)):
        got = {f.name for f in doc._.frameworks}
        if e.name not in got:
            misses.append((e.name, a.text, got))
    assert len(texts) > 250 and not misses


# -- case rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name", "expected"),
    [
        ("The mission adopted CLA in 2021.", "Collaborating, Learning and Adapting", True),
        ("A cla of the river, said the farmer.", "Collaborating, Learning and Adapting", False),
        ("We drew a ToC on the wall.", "Theory of Change", True),
        ("See the TOC on page two.", "Theory of Change", False),
        ("Kenya's DPI grew fast.", "Digital Public Infrastructure", True),
        ("Print it at 300 dpi.", "Digital Public Infrastructure", False),
        ("The MSC stories were moving.", "Most Significant Change", True),
        ("The most significant change was cultural.", "Most Significant Change", False),
        ("We used the most significant change technique.", "Most Significant Change", True),
        ("HUMAN-CENTERED DESIGN is taught in week one.", "Human-Centered Design", True),
        ("We practise human centred design.", "Human-Centered Design", True),
        ("They run Windows XP on old laptops.", "Extreme Programming", False),
        ("The team paired daily, as XP recommends.", "Extreme Programming", True),
    ],
)
def test_case_rules(fw_lens, body, name, expected):
    assert (name in found(fw_lens, body)) is expected


# -- adjective uses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "We want to be agile organizations.",
        "It was a lean budget year.",
        "These are lean times for the sector.",
        "Teams must be agile about priorities.",
        "They were more agile than us.",
        "We lean on our partners for data.",
    ],
)
def test_adjective_uses_are_not_mentions(fw_lens, body):
    got = found(fw_lens, body)
    assert "Agile" not in got and "Lean" not in got


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("The Agile movement reached government.", "Agile"),
        ("She teaches agile project management.", "Agile"),
        ("In 2019 we moved to Agile.", "Agile"),
        ("We signed an Agile contract with the vendor.", "Agile"),
        ("They apply lean thinking to procurement.", "Lean"),
        ("Agile, in our experience, needs patience.", "Agile"),
    ],
)
def test_noun_uses_are_mentions(fw_lens, body, name):
    assert name in found(fw_lens, body)


def test_principle_names_need_a_capital_or_a_principle(fw_lens):
    assert found(fw_lens, "We address privacy and security for the data we hold.") == {}
    assert "Build for Sustainability" in found(fw_lens, "The principle to build for sustainability shaped our budget.")
    assert "Design with the User" in found(fw_lens, "Design with the User came first for us.")


# -- overlaps ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("We scaled with the Scaled Agile Framework last year.", {"Scaled Agile Framework": 1}),
        ("We read The Lean Startup twice.", {"Lean Startup": 1}),
        ("Our tool meets the Digital Public Goods Standard now.", {"Digital Public Goods Standard": 1}),
        ("We used the SDG Digital Investment Framework for costing.", {"SDG Digital Investment Framework": 1}),
        ("The Digital Public Goods Alliance reviewed it.", {}),
        ("The team used Problem-Driven Iterative Adaptation (PDIA) to start.", {"Problem-Driven Iterative Adaptation": 1}),
    ],
)
def test_overlaps_resolve_to_the_most_specific(fw_lens, body, expected):
    assert found(fw_lens, body) == expected


# -- candidates -------------------------------------------------------------------------------------


def test_candidates_are_discovered(fw_lens):
    body = "Field teams applied the Lean Research Framework and then the Four Rs approach in the second round."
    got = found(fw_lens, body, candidates=True)
    assert set(got) == {"Lean Research Framework", "Four Rs approach"}
    assert "Lean" not in found(fw_lens, body)  # part of a longer name, not the methodology


@pytest.mark.parametrize(
    "body",
    [
        "Our approach is simple.",
        "We liked the USAID approach to grants.",
        "The National Institute of Standards and Technology publishes guidance.",
        "We followed the Scrum framework closely.",
    ],
)
def test_not_candidates(fw_lens, body):
    assert found(fw_lens, body, candidates=True) == {}


def test_title_case_headings_are_not_candidates(fw_lens):
    assert found(fw_lens, "## Building A Better Delivery Model For Everyone\n\nText follows here.", candidates=True) == {}


def test_candidate_key_folds_case_and_plural():
    assert candidate_key("Four Rs Approaches") == candidate_key("four rs approach")


# -- user patterns ----------------------------------------------------------------------------------


def test_user_patterns_file_via_config(tmp_path):
    f = tmp_path / "mine.jsonl"
    f.write_text(
        "# my frameworks\n"
        + json.dumps({"id": "four-rs", "name": "Four Rs", "category": "principles", "aliases": [{"text": "Four Rs", "case": "sensitive"}]})
        + "\n"
        + json.dumps({"id": "scrum", "name": "Scrum (ours)", "category": "methodology", "parent": "agile", "aliases": ["scrum"]})
        + "\n",
        encoding="utf-8",
    )
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_frameworks"], config={"ddlens_frameworks": {"patterns": [str(f)]}})
    got = found(lens, "We follow the Four Rs and Scrum.")
    assert got == {"Four Rs": 1, "Scrum (ours)": 1}  # a user entry replaces the shipped one with its id


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        (json.dumps({"name": "X", "category": "tool"}), '"category" must be one of'),
        (json.dumps({"name": "X", "category": "model", "aliases": [{"text": "X", "case": "upper"}]}), "case must be one of"),
        (json.dumps({"name": "X", "category": "model", "aliases": ["X"], "colour": 1}), "unknown key"),
        (json.dumps({"name": "X", "category": "model", "aliases": [{"text": "X", "use": "cooccur"}]}), "needs a \"context\""),
    ],
)
def test_bad_patterns_file_is_one_line_with_path_and_line(tmp_path, line, message):
    f = tmp_path / "bad.jsonl"
    f.write_text("\n" + line + "\n", encoding="utf-8")
    with pytest.raises(PatternsError) as exc:
        load_patterns(f)
    text = str(exc.value)
    assert text.startswith(f"{f}:2: ") and message in text and "\n" not in text


def test_unknown_parent_is_reported(tmp_path):
    f = tmp_path / "orphan.jsonl"
    f.write_text(json.dumps({"id": "x", "name": "X", "category": "model", "parent": "nope"}) + "\n", encoding="utf-8")
    with pytest.raises(PatternsError, match="unknown parent 'nope'"):
        merge_entries([load_patterns(f)])


def test_bad_patterns_file_fails_the_cli_cleanly(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"name": "X"}\n', encoding="utf-8")
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "2024-01-01-a.md").write_text(post("Scrum."), encoding="utf-8")
    r = runner.invoke(app, ["analyze", "--no-cache", "--frameworks", str(bad), str(tmp_path / "posts")])
    assert r.exit_code == 2
    assert f"{bad}:1:" in r.output and "Traceback" not in r.output


# -- evidence, titles, determinism ------------------------------------------------------------------


def test_evidence_lines_point_at_the_source(fw_lens):
    text = "---\ntitle: Notes on PDIA\ndate: 2024-01-02\n---\n\nFirst paragraph.\n\nWe tried *Kanban* here.\n\n- a list item\n- Kanban again, on line 11\n"
    a = fw_lens.analyze(text)
    k = next(f for f in a.frameworks if f.name == "Kanban")
    assert k.mentions == 2
    assert [e.line for e in k.evidence] == [8, 11]
    assert k.evidence[0].text == "We tried Kanban here."
    p = next(f for f in a.frameworks if f.name == "Problem-Driven Iterative Adaptation")
    assert p.mentions == 1 and p.evidence[0].line == 2  # the title line of the front matter


def test_spans_are_set(fw_lens):
    doc = fw_lens.nlp(fw_lens.make_doc(fw_lens.article(post("We use Scrum and the Cynefin framework."))))
    assert [(s.text, s.label_) for s in doc._.framework_spans] == [("Scrum", "scrum"), ("Cynefin", "cynefin")]


def test_deterministic(fw_lens):
    body = "We tried Scrum, then Kanban, then the Lean Research Framework, then Scrum again."
    a = fw_lens.analyze(post(body)).to_dict()["frameworks"]
    b = fw_lens.analyze(post(body)).to_dict()["frameworks"]
    assert a == b
    assert [f["name"] for f in a] == ["Scrum", "Kanban", "Lean Research Framework"]


# -- fast paths against the plain ones ------------------------------------------------------------

# case variants of case-sensitive aliases and of their heads, between ordinary words
CASE_WORDS = ["ToC", "TOC", "toc", "Toc", "Agile", "agile", "AGILE", "aGile", "XP", "xp", "Xp", "LeSS", "less", "LESS",
              "TDD", "tdd", "Digital", "digital", "Principles", "principles", "framework", "Framework", "model", "approach",
              "Scrum", "scrum", "the", "of", ".", ",", "(", ")", "Windows", "'s", "Theory", "theory", "Change", "change"]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(CASE_WORDS), max_size=30))
def test_one_lower_matcher_finds_what_an_orth_matcher_finds(fw_lens, words):
    """Case-sensitive aliases are found by the LOWER matcher and kept when their tokens'
    ORTH is one of the alias's spellings: exactly the matches of a PhraseMatcher on ORTH."""
    from spacy.matcher import PhraseMatcher

    from ddlens.components.frameworks import _variants

    nlp = fw_lens.nlp
    fw = nlp.get_pipe("ddlens_frameworks")
    orth = PhraseMatcher(nlp.vocab, attr="ORTH")
    for e in fw.entries:
        for i, a in enumerate(e.aliases):
            if a.sensitive:
                orth.add(f"ddlens_fw:{e.id}:{i}", list(nlp.tokenizer.pipe(_variants(a.text, True))))
    doc = nlp.make_doc(" ".join(words))
    want = sorted(orth(doc))
    got = sorted(
        (key, s, e)
        for key, s, e in fw.lower(doc)
        if key in fw.cased and tuple(doc[i].orth for i in range(s, e)) in fw.cased[key]
    )
    assert got == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["framework", "model", "project", "management", "'s", "method", "of", "change", "x"]), max_size=5))
def test_head_set_is_the_head_list(fw_lens, words):
    fw = fw_lens.nlp.get_pipe("ddlens_frameworks")
    doc = fw_lens.nlp.make_doc(" ".join(["Agile", *words]))
    heads = fw.rules["noun_heads"]
    assert fw._heads_follow(doc, 1, fw.rules["noun_head_set"]) == fw._heads_follow(doc, 1, heads)


def test_evidence_slices_the_text_like_span_text(fw_lens):
    """Evidence sentences are cut from the text by character offsets: the same strings as
    Span.text (and, without sentences, as the line around the mention in Doc.text)."""
    from ddlens.textutil import clean_sentence

    fw = fw_lens.nlp.get_pipe("ddlens_frameworks")
    body = "Scrum here.  Kanban  there,\n\nand *Scrum* again (with Kanban).\nLast Scrum"
    for doc in (fw_lens.nlp(fw_lens.make_doc(fw_lens.article(post(body)))), fw_lens.nlp(body), fw_lens.nlp.make_doc(body)):
        spans = [(t.i, t.i + 1) for t in doc if t.text in ("Scrum", "Kanban")]
        seen, want = set(), []
        for s, _ in spans:
            if doc.has_annotation("SENT_START"):
                key, text = doc[s].sent.start, doc[s].sent.text
            else:
                lo = doc.text.rfind("\n", 0, doc[s].idx) + 1
                hi = doc.text.find("\n", doc[s].idx)
                key, text = lo, doc.text[lo : hi if hi >= 0 else len(doc.text)]
            if key not in seen:
                seen.add(key)
                want.append(clean_sentence(text))
        assert [e.text for e in fw._evidence(doc, spans)] == want[: fw.max_evidence]


# -- the command --------------------------------------------------------------------------------


def test_frameworks_command_and_candidates_round_trip(tmp_path):
    d = tmp_path / "posts"
    d.mkdir()
    (d / "2024-01-01-a.md").write_text(post("We used Scrum and the Four Rs approach."), encoding="utf-8")
    (d / "2024-01-02-b.md").write_text(post("Scrum again; the Four Rs approach helped."), encoding="utf-8")
    (d / "2024-01-03-c.md").write_text("---\ntitle: [broken\n---\nx\n", encoding="utf-8")
    r = runner.invoke(app, ["frameworks", str(d), "--format", "jsonl"])
    assert r.exit_code == 1  # the broken post is reported, the others counted
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert rows[0]["name"] == "Scrum" and rows[0]["posts"] == 2 and rows[0]["parent"] == "agile"
    r = runner.invoke(app, ["frameworks", str(d), "--candidates", "--format", "jsonl", "-o", str(tmp_path / "c.jsonl")])
    lines = (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()
    cands = [json.loads(x) for x in lines]
    assert [(c["name"], c["posts"], c["mentions"]) for c in cands] == [("Four Rs approach", 2, 2)]
    # the output is a patterns file: set a category and pass it back
    cands[0]["category"] = "principles"
    (tmp_path / "c.jsonl").write_text(json.dumps(cands[0]) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["frameworks", str(d / "2024-01-01-a.md"), "--frameworks", str(tmp_path / "c.jsonl"), "-f", "json"])
    assert r.exit_code == 0
    names = {x["name"]: x["category"] for x in json.loads(r.stdout)}
    assert names == {"Scrum": "methodology", "Four Rs approach": "principles"}


@pytest.mark.slow
def test_real_posts_mentions_sit_on_their_lines(shared_corpora, fw_lens):
    """On published posts: every mention's line in the source file holds the mention's first word."""
    from ddlens.extensions import line_of
    from ddlens.files import iter_post_paths

    paths = list(iter_post_paths([shared_corpora / "dai-digital"]))[:60]
    checked = 0
    for p in paths:
        art = fw_lens.article(p)
        doc = fw_lens.nlp(fw_lens.make_doc(art))
        lines = art.source.splitlines()
        for span in doc._.framework_spans:
            line = line_of(doc, span.start_char)
            assert span[0].text.lower() in lines[line - 1].lower(), (p, line, span.text)
            checked += 1
    assert checked > 20

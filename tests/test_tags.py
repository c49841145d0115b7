"""The tag model (``ddlens train tags``), its pipeline component and ``ddlens tag``.

A small synthetic blog is generated here (seeded): four tags, each with its own words,
posts carrying one or two of them, and a tag spelled two ways. The real blogs in
../shared are used only by the slow round-trip test (skipped without them).
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ddlens.cli import app
from ddlens.modelio import ModelError, dump_deterministic
from ddlens.train.tags import (
    TagExample,
    TagTrainingError,
    _dual_weights,
    _fit_linear,
    canonical_tag,
    fit_tag_model,
    load_tag_model,
    post_fields,
    read_tagged,
    save_tag_model,
    tags_of,
)

TOPICS = {
    "Mobile Money": "mobile money wallet agents transfers payments cash remittances airtime",
    "Open Data": "open data portal datasets publish licence spreadsheets statistics ministry",
    "Cybersecurity": "security breach passwords phishing attack encryption malware incident",
    "Agriculture": "farmers crops harvest seeds soil irrigation extension livestock",
}
FILLER = "the team project country people work year report new local program".split()


def make_post(rng: random.Random, tags: list[str], spelled: dict[str, str] | None = None) -> tuple[str, str, str]:
    words = [w for t in tags for w in TOPICS[t].split()]
    title = " ".join(rng.sample(words, 3)).capitalize()
    sents = []
    for _ in range(rng.randint(4, 8)):
        sents.append(" ".join(rng.choice(words if rng.random() < 0.6 else FILLER) for _ in range(rng.randint(6, 12))).capitalize() + ".")
    body = " ".join(sents)
    shown = [(spelled or {}).get(t, t) for t in tags]
    return title, body, ", ".join(shown)


def synthetic_blog(n: int = 60, seed: int = 0) -> list[tuple[str, str, list[str]]]:
    rng = random.Random(seed)
    names = sorted(TOPICS)
    posts = []
    for i in range(n):
        k = 1 if rng.random() < 0.6 else 2
        tags = rng.sample(names, k)
        spelled = {"Open Data": "open data"} if i % 7 == 0 else None  # the blog's minority spelling
        title, body, _ = make_post(rng, tags, spelled)
        posts.append((title, body, [(spelled or {}).get(t, t) for t in tags]))
    return posts


def write_blog(folder: Path, posts: list[tuple[str, str, list[str]]], untagged: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (title, body, tags) in enumerate(posts):
        p = folder / f"2020-01-{i % 28 + 1:02d}-post-{i:03d}.md"
        tag_yaml = "" if i < untagged else "tags:\n" + "".join(f"- {t}\n" for t in tags)
        p.write_text(f"---\ntitle: \"{title}\"\n# a comment\n{tag_yaml}---\n\n{body}\n", encoding="utf-8")
        paths.append(p)
    return paths


def examples(posts: list[tuple[str, str, list[str]]]) -> list[TagExample]:
    return [TagExample(f"p{i:03d}", t, "", b, tuple(tags)) for i, (t, b, tags) in enumerate(posts)]


@pytest.fixture(scope="module")
def blog_model():
    return fit_tag_model(examples(synthetic_blog()))


# -- reading tags -------------------------------------------------------------------------
def test_tags_of_reads_lists_and_comma_strings_case_insensitively() -> None:
    assert tags_of({"tags": ["Open Data", "open  data", "ICT4D", 2020, {"x": 1}, None]}) == ["Open Data", "ICT4D", "2020", "None"]
    assert tags_of({"tags": "a, B ,, b"}) == ["a", "B"]
    assert tags_of({"categories": ["x"]}, key="categories") == ["x"]
    assert tags_of({}) == [] and tags_of({"tags": None}) == []
    assert canonical_tag("  Open\tDATA ") == canonical_tag("open data")


def test_post_fields_use_excerpt_or_text_before_the_separator() -> None:
    from ddlens.article import Article

    a = Article.from_text("---\ntitle: T\n---\nFirst *part*.\n\n<!--more-->\n\nSecond part.\n")
    assert post_fields(a) == ("T", "First part.", a.text)
    b = Article.from_text("---\ntitle: T\ndescription: The summary.\n---\nBody.\n")
    assert post_fields(b)[1] == "The summary."
    c = Article.from_text("No front matter.\n\nSecond paragraph.\n")
    assert post_fields(c) == ("", "No front matter.", c.text)
    assert post_fields("bare text") == ("", "", "bare text")


# -- the model ----------------------------------------------------------------------------
def test_suggests_the_right_tags_on_unseen_posts_in_the_blogs_spelling(blog_model) -> None:
    rng = random.Random(99)
    names = sorted(TOPICS)
    hits = total = wrong = 0
    for _ in range(40):
        gold = rng.sample(names, rng.choice([1, 2]))
        title, body, _ = make_post(rng, gold)
        got = [t for t, _ in blog_model.suggest([(title, "", body)])[0]]
        hits += len(set(got) & set(gold))
        wrong += len(set(got) - set(gold))
        total += len(gold)
    assert hits / total > 0.85
    assert wrong / total < 0.2
    assert set(blog_model.tags) == set(TOPICS)  # "open data" merged into the majority spelling


def test_suggestions_are_best_first_above_threshold_with_scores(blog_model) -> None:
    rng = random.Random(5)
    docs = [make_post(rng, ["Cybersecurity", "Agriculture"])[:2] for _ in range(10)]
    out = blog_model.suggest([(t, "", b) for t, b in docs])
    P = blog_model.scores([(t, "", b) for t, b in docs])
    for row, found in zip(P, out):
        scores = [s for _, s in found]
        assert scores == sorted(scores, reverse=True)
        for tag, s in found:
            j = blog_model.tags.index(tag)
            assert s == pytest.approx(row[j]) and s >= blog_model.thresholds[j]
        assert len(found) <= (blog_model.max_tags or len(blog_model.tags))
    assert blog_model.suggest([]) == []


def test_dual_weights_reproduce_the_primal_model_exactly() -> None:
    import scipy.sparse as sp

    rng = np.random.RandomState(0)
    X = sp.random(30, 200, density=0.05, random_state=rng, format="csr")
    Y = (rng.rand(30, 3) < 0.4).astype(np.int8)
    W, b = _fit_linear(X, Y, C=10.0, seed=0)
    beta = _dual_weights(X, W, b)
    Xq = sp.random(7, 200, density=0.05, random_state=rng, format="csr")
    primal = np.asarray(Xq @ W) + b
    dual = (Xq @ X.T).toarray() @ beta + beta.sum(axis=0)
    assert np.abs(primal - dual).max() < 1e-8


def test_training_is_deterministic_and_order_free(tmp_path: Path) -> None:
    ex = examples(synthetic_blog(40, seed=3))
    a = save_tag_model(fit_tag_model(ex), tmp_path / "a.skops")
    shuffled = list(ex)
    random.Random(1).shuffle(shuffled)
    b = save_tag_model(fit_tag_model(shuffled), tmp_path / "b.skops")
    assert a == b


def test_save_load_round_trip_gives_the_same_scores(blog_model, tmp_path: Path) -> None:
    p = tmp_path / "tags.skops"
    save_tag_model(blog_model, p)
    loaded = load_tag_model(p)
    docs = [(t, "", b) for t, b, _ in synthetic_blog(10, seed=8)]
    assert np.array_equal(loaded.scores(docs), blog_model.scores(docs))
    assert loaded.tags == blog_model.tags and loaded.meta == blog_model.meta


def test_loading_refuses_untrusted_types_and_foreign_files(blog_model, tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    art = blog_model.to_artifact()
    art["meta"] = {"smuggled": LogisticRegression()}
    bad = tmp_path / "bad.skops"
    dump_deterministic(art, bad)
    with pytest.raises(ModelError, match="refusing to load.*LogisticRegression"):
        load_tag_model(bad)
    other = tmp_path / "other.skops"
    dump_deterministic({"format": "something-else"}, other)
    with pytest.raises(ModelError, match="not a ddlens tag model"):
        load_tag_model(other)
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="junk.skops: not a skops model file"):
        load_tag_model(junk)


def test_too_little_to_learn_is_a_clear_error() -> None:
    few = examples(synthetic_blog(6))
    with pytest.raises(TagTrainingError, match="at least 10"):
        fit_tag_model(few, min_count=1)
    with pytest.raises(TagTrainingError, match="no tag is on 1000"):
        fit_tag_model(examples(synthetic_blog(20)), min_count=1000)
    untagged = [TagExample(None, "t", "", "b", ()) for _ in range(30)]
    with pytest.raises(TagTrainingError):
        fit_tag_model(untagged)


def test_read_tagged_reports_bad_posts_and_keeps_the_rest(tmp_path: Path) -> None:
    paths = write_blog(tmp_path, synthetic_blog(5), untagged=2)
    bad = tmp_path / "2020-02-01-bad.md"
    bad.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    ex, errors = read_tagged(sorted(paths + [bad]))
    assert len(ex) == 5 and [bool(e.tags) for e in ex] == [False, False, True, True, True]
    assert len(errors) == 1 and re.match(rf"{re.escape(str(bad))}:\d+: invalid YAML", str(errors[0]))


# -- pipeline component ---------------------------------------------------------------------
def test_component_fills_suggested_tags_only_when_configured(blog_model, tmp_path: Path, monkeypatch) -> None:
    import ddlens
    from ddlens import pipeline

    p = tmp_path / "tags.skops"
    save_tag_model(blog_model, p)
    monkeypatch.setattr(pipeline, "DEFAULT_COMPONENTS", ("ddlens_sentences",))  # keep the test light
    assert "ddlens_tags" not in pipeline.build_nlp().pipe_names
    nlp = pipeline.build_nlp(config={"ddlens_tags": {"model": str(p)}})
    assert nlp.pipe_names[-1] == "ddlens_tags"

    lens = ddlens.load(components=["ddlens_sentences", "ddlens_tags"], config={"ddlens_tags": {"model": str(p)}})
    rng = random.Random(11)
    title, body, _ = make_post(rng, ["Agriculture"])
    result = lens.analyze(f"---\ntitle: {title}\n---\n{body}\n")
    d = result.to_dict()["suggested_tags"]
    assert d and d[0]["tag"] == "Agriculture" and set(d[0]) == {"tag", "score"}
    texts = [f"---\ntitle: {t}\n---\n{b}\n" for t, b, _ in synthetic_blog(5, seed=4)]
    many = [a.suggested_tags for a in lens.analyze_many(texts)]
    one = [lens.analyze(t).suggested_tags for t in texts]
    assert many == one  # batched pipe() and single calls agree

    with pytest.raises(ValueError, match="needs a tag model"):
        ddlens.load(components=["ddlens_tags"], config={"ddlens_tags": {}})
    with pytest.raises(ValueError, match="cannot read tag model"):
        ddlens.load(components=["ddlens_tags"], config={"ddlens_tags": {"model": str(tmp_path / "missing.skops")}})


# -- CLI ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_cli_train_tag_write_dry_run_and_summary(tmp_path: Path, monkeypatch) -> None:
    from ddlens import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_COMPONENTS", ("ddlens_sentences",))  # the tag step is what is tested
    blog = tmp_path / "blog"
    paths = write_blog(blog, synthetic_blog(40), untagged=3)
    bad = blog / "2021-01-01-broken.md"
    bad.write_text("---\ntitle: [oops\n---\nbody\n", encoding="utf-8")
    runner = CliRunner()
    model = tmp_path / "tags.skops"

    r = runner.invoke(app, ["train", "tags", str(blog), "--out", str(model)])
    assert r.exit_code == 1, r.output  # the broken post is reported, the model still written
    assert "trained on 37 tagged post(s) of 40 read (3 without 'tags' skipped): 4 tag(s)" in r.stdout
    assert re.search(rf"{re.escape(str(bad))}:\d+: invalid YAML", r.stderr) and model.is_file()

    before = {p: p.read_bytes() for p in paths + [bad]}
    r = runner.invoke(app, ["tag", str(blog), "--model", str(model), "--dry-run", "--add-tags"])
    assert r.exit_code == 1
    assert r.stdout.count("+ddlens:\n") == 40 and "+++ b/" in r.stdout
    assert "ddlens: 40 read, 40 would be written, 0 unchanged, 1 failed" in r.stderr
    assert {p: p.read_bytes() for p in before} == before  # a dry run writes nothing

    r = runner.invoke(app, ["tag", str(blog), "--model", str(model), "--write", "--add-tags", "--format", "jsonl"])
    assert "ddlens: 40 read, 40 written, 0 unchanged, 1 failed" in r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(records) == 40 and all("suggested_tags" in rec for rec in records)
    untagged = paths[0].read_text(encoding="utf-8")
    assert untagged.startswith('---\ntitle: "') and "# a comment\n" in untagged and "\ntags:\n- " in untagged
    assert bad.read_bytes() == before[bad]

    r = runner.invoke(app, ["tag", str(blog), "--model", str(model), "--write", "--add-tags", "-o", str(tmp_path / "r.json")])
    assert "ddlens: 40 read, 0 written, 40 unchanged, 1 failed" in r.stderr  # second run: no byte changes
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))

    r = runner.invoke(app, ["tag", str(blog), "--add-tags"])
    assert r.exit_code == 2 and "--add-tags changes files" in r.stderr


@pytest.mark.slow
def test_cli_without_model_trains_first_and_says_so(tmp_path: Path, monkeypatch) -> None:
    from ddlens import pipeline

    monkeypatch.setattr(pipeline, "DEFAULT_COMPONENTS", ("ddlens_sentences",))
    blog = tmp_path / "blog"
    write_blog(blog, synthetic_blog(30))
    r = CliRunner().invoke(app, ["tag", str(blog), "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "no --model given: training a tag model on the tagged posts in" in r.stderr
    assert "learned 4 tag(s) from 30 tagged post(s)" in r.stderr
    assert "ddlens: 30 read, 0 written (use --write), 0 failed" in r.stderr
    rows = r.stdout.splitlines()
    assert rows[0].split(",")[-1] == "suggested_tags" and all(row.split(",")[-1] for row in rows[1:])


# -- round trip over the real blogs ---------------------------------------------------------------
def _without_key(text: str, key: str = "ddlens") -> list[str]:
    """The file's lines without the top-level ``key:`` entry of its front matter."""
    lines = text.splitlines(keepends=True)
    out, skipping, in_fm = [], False, False
    for i, ln in enumerate(lines):
        if i == 0 and ln.lstrip("\ufeff").rstrip("\r\n") == "---":
            in_fm = True
        elif in_fm and ln.rstrip("\r\n") == "---":
            in_fm = False
            skipping = False
        elif in_fm and ln.startswith(f"{key}:"):
            skipping = True
            continue
        elif skipping and ln[:1] in (" ", "\t"):
            continue
        else:
            skipping = False
        out.append(ln)
    if out[:2] == ["---\n", "---\n"]:
        out = out[2:]  # an empty front matter (ddlens gives a post without front matter one)
    return out


@pytest.mark.slow
def test_write_back_over_every_real_post_changes_only_the_ddlens_key(shared_corpora: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for blog in sorted(p for p in shared_corpora.iterdir() if p.is_dir()):
        copy = tmp_path / blog.name
        shutil.copytree(blog, copy)
        before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
        r = runner.invoke(app, ["tag", str(copy), "--write", "--format", "jsonl", "-o", str(tmp_path / f"{blog.name}.jsonl")])
        assert r.exit_code == 0, r.stderr
        written = 0
        for p, old in before.items():
            new = p.read_bytes()
            if new != old:
                written += 1
                assert _without_key(new.decode("utf-8")) == _without_key(old.decode("utf-8")), p.name
        assert f"{written} written" in r.stderr
        after = {p: p.read_bytes() for p in before}
        r = runner.invoke(app, ["tag", str(copy), "--write", "-o", str(tmp_path / "again.json")])
        assert r.exit_code == 0 and " 0 written" in r.stderr
        assert {p: p.read_bytes() for p in before} == after  # a second run changes no byte


@pytest.mark.slow
def test_train_tags_is_byte_identical_across_processes(tmp_path: Path) -> None:
    """Two separate `ddlens train tags` runs on the same posts write the same bytes (nothing
    process-specific, such as a memory address, may end up in the file)."""
    import subprocess
    import sys

    blog = tmp_path / "blog"
    write_blog(blog, synthetic_blog(30, seed=2))
    outs = []
    for i in range(2):
        out = tmp_path / f"m{i}.skops"
        subprocess.run(
            [sys.executable, "-m", "ddlens", "train", "tags", str(blog), "--out", str(out)], check=True, capture_output=True
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]

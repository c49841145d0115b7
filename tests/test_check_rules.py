"""Every `ddlens check` rule on a post that breaks it and a post that keeps it.

Each case writes posts into a temporary folder (with an optional .ddlens.toml), runs the
checker and compares the (code, line, column) of the findings with where the problem
really is in the file.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ddlens.analysis import Analysis, Pillar, Source
from ddlens.check import ConfigResolver, all_rules, check_paths
from ddlens.check.model import Severity


def post(title: str | None = "Mobile money agents", date: str | None = "2019-01-15", tags: str | None = "[health]", body: str = "Body text.\n", extra: str = "") -> str:
    fm = []
    if title is not None:
        fm.append(f"title: {title}")
    if date is not None:
        fm.append(f"date: {date}")
    if tags is not None:
        fm.append(f"tags: {tags}")
    if extra:
        fm.append(extra.rstrip("\n"))
    return "---\n" + "\n".join(fm) + "\n---\n" + body


def run(tmp_path: Path, files: dict[str, str | bytes], config: str | None = None, **kw):
    for name, content in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    if config is not None:
        (tmp_path / ".ddlens.toml").write_text(textwrap.dedent(config), encoding="utf-8")
        resolver = ConfigResolver()
    else:
        resolver = ConfigResolver(isolated=True)
    targets = kw.pop("targets", None) or [tmp_path / n for n in files if n.endswith((".md", ".markdown"))]
    return check_paths(targets, resolver=resolver, **kw)


def found(result, code: str) -> list[tuple[str, int, int]]:
    return [(Path(d.path).name, d.line, d.column) for d in result.all() if d.code == code]


def messages(result, code: str) -> list[str]:
    return [d.message for d in result.all() if d.code == code]


# -- front matter ----------------------------------------------------------------------------


def test_ddl001_unparsable_front_matter_points_at_the_yaml_line(tmp_path):
    bad = "---\ntitle: Mobile money: the next decade\ndate: 2019-01-15\n---\nText.\n"
    r = run(tmp_path, {"2019-01-15-bad.md": bad, "2019-01-16-good.md": post(date="2019-01-16")})
    assert found(r, "DDL001") == [("2019-01-15-bad.md", 2, 1)]
    assert [d.code for d in r.all()] == ["DDL001"]  # nothing else is said about a post no rule could read
    assert r.all()[0].severity is Severity.ERROR


def test_ddl001_impossible_date_and_binary_are_diagnostics_not_crashes(tmp_path):
    r = run(
        tmp_path,
        {
            "2019-02-28-a.md": "---\ntitle: A\ntags: [x]\ndate: 2019-02-30\n---\nText.\n",
            "2019-02-28-b.md": b"\xff\xfe---\ntitle: x\n",
            "2019-02-28-c.md": "---\ntitle: never closed\n",
        },
    )
    got = found(r, "DDL001")
    assert ("2019-02-28-a.md", 4, 1) in got  # the line of the impossible date
    assert {g[0] for g in got} == {"2019-02-28-a.md", "2019-02-28-b.md", "2019-02-28-c.md"}


def test_ddl001_cannot_be_ignored_or_suppressed(tmp_path):
    bad = "---\ntitle: a: b\n---\n<!-- ddlens: disable=DDL001 -->\n"
    r = run(tmp_path, {"x.md": bad}, config='ignore = ["DDL001"]\n')
    assert found(r, "DDL001") == [("x.md", 2, 1)]


def test_ddl002_missing_or_empty_title(tmp_path):
    r = run(
        tmp_path,
        {
            "2019-01-15-none.md": post(title=None),
            "2019-01-15-empty.md": post(title='""'),
            "2019-01-15-nofm.md": "Just text, no front matter.\n",
            "2019-01-15-ok.md": post(),
        },
    )
    assert sorted(found(r, "DDL002")) == [("2019-01-15-empty.md", 2, 1), ("2019-01-15-nofm.md", 1, 1), ("2019-01-15-none.md", 1, 1)]


def test_ddl003_missing_or_invalid_date(tmp_path):
    r = run(
        tmp_path,
        {
            "undated.md": post(date=None),
            "words.md": post(date="next tuesday"),
            "month13.md": post(date='"2019-13-01"'),
            "2019-01-15-from-name.md": post(date=None),  # Jekyll dates it by its file name
            "with-time.md": post(date="2019-01-15 09:30:00 +03:00"),
            "iso.md": post(date="'2014-03-21T12:00:00-04:00'"),
        },
    )
    assert sorted(found(r, "DDL003")) == [("month13.md", 3, 7), ("undated.md", 1, 1), ("words.md", 3, 7)]
    assert any("not a real date" in m for m in messages(r, "DDL003"))


def test_ddl004_date_differs_from_file_name(tmp_path):
    r = run(
        tmp_path,
        {
            "2019-01-15-late.md": post(date="2019-01-16"),
            "2019-01-15-same.md": post(date="2019-01-15 23:30:00 -05:00"),  # compared as written
            "undated-name.md": post(date="2019-01-16"),
        },
    )
    assert found(r, "DDL004") == [("2019-01-15-late.md", 3, 7)]
    assert "2019-01-16 differs from the file name's 2019-01-15" in messages(r, "DDL004")[0]


def test_ddl005_no_tags(tmp_path):
    r = run(
        tmp_path,
        {
            "2019-01-15-none.md": post(tags=None),
            "2019-01-15-empty.md": post(tags="[]"),
            "2019-01-15-cats.md": post(tags=None, extra="categories: [health]"),
        },
    )
    assert sorted(found(r, "DDL005")) == [("2019-01-15-empty.md", 4, 1), ("2019-01-15-none.md", 1, 1)]


def test_ddl006_tag_outside_configured_vocabulary(tmp_path):
    cfg = 'vocabulary = ["health", "mobile money"]\n'
    r = run(
        tmp_path,
        {
            "2019-01-15-a.md": post(tags="\n  - health\n  - Mobile Money\n  - blockchain"),
            "2019-01-16-b.md": post(date="2019-01-16", tags="[health, mobile money]"),
        },
        config=cfg,
    )
    assert found(r, "DDL006") == [("2019-01-15-a.md", 6, 5), ("2019-01-15-a.md", 7, 5)]
    msgs = messages(r, "DDL006")
    assert "did you mean 'mobile money'" in msgs[0]
    assert "did you mean" not in msgs[1]


def test_ddl006_learned_vocabulary_excludes_the_checked_posts(tmp_path):
    old = tmp_path / "_posts"
    files = {
        "_posts/2018-01-01-a.md": post(date="2018-01-01", tags="[health, agriculture]"),
        "_posts/2018-01-02-b.md": post(date="2018-01-02", tags="[health]"),
        "new/2019-01-15-new.md": post(tags="[health, agriculture, brandnew]"),
    }
    for name, content in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    from ddlens.check import Overrides

    res = check_paths([tmp_path / "new"], resolver=ConfigResolver(Overrides(vocabulary_from=(old,)), isolated=True))
    assert found(res, "DDL006") == [("2019-01-15-new.md", 4, 29)]
    # checking the old folder against itself: a tag no *other* post uses is not vouched for
    res2 = check_paths([old], resolver=ConfigResolver(Overrides(vocabulary_from=(old,)), isolated=True))
    assert found(res2, "DDL006") == [("2018-01-01-a.md", 4, 16)]
    # without any vocabulary the rule is inert
    assert found(check_paths([old], resolver=ConfigResolver(isolated=True)), "DDL006") == []


def test_ddl012_duplicate_tag_points_at_the_repeat(tmp_path):
    r = run(
        tmp_path,
        {
            "2019-01-15-a.md": post(tags="\n  - data\n  - health\n  - Data"),
            "2019-01-15-b.md": post(tags="[data, health]", extra="categories: [data]"),
        },
    )
    assert found(r, "DDL012") == [("2019-01-15-a.md", 7, 5)]
    assert "already listed as 'data' (line 5)" in messages(r, "DDL012")[0]


def test_ddl019_required_keys(tmp_path):
    cfg = 'required-keys = ["author", "excerpt"]\n'
    r = run(
        tmp_path,
        {
            "2019-01-15-a.md": post(extra="author: ''"),
            "2019-01-15-b.md": post(extra="author: Grace\nexcerpt: Short."),
        },
        config=cfg,
    )
    assert sorted(found(r, "DDL019")) == [("2019-01-15-a.md", 1, 1), ("2019-01-15-a.md", 5, 1)]
    assert found(run(tmp_path / "nocfg", {"2019-01-15-a.md": post()}), "DDL019") == []


# -- Markdown --------------------------------------------------------------------------------


def test_ddl007_image_without_alt(tmp_path):
    body = (
        "Intro.\n\n"
        "![](/img/a.png)\n\n"
        '<img src="/img/b.png">\n\n'
        "![IMG_2041.jpg](/img/c.jpg)\n\n"
        "![Health workers at a DHIS2 training](/img/d.jpg)\n"
    )
    r = run(tmp_path, {"2019-01-15-a.md": post(body=body)})
    assert found(r, "DDL007") == [("2019-01-15-a.md", 8, 1), ("2019-01-15-a.md", 10, 1), ("2019-01-15-a.md", 12, 1)]


def test_ddl008_placeholder_links(tmp_path):
    body = (
        "See [the report](#) and [the data]() and [here](https://example.org/a).\n"
        "Also [](https://example.org/b) and [ ](https://example.org/c).\n"
        "Fine: [![GSMA logo](/logo.png)](https://example.org/d), [GSMA's 2019 report](https://example.org/e),\n"
        "<https://example.org/f>, https://example.org/g and [{% image x.png %}](https://example.org/h).\n"
    )
    r = run(tmp_path, {"2019-01-15-a.md": post(body=body)})
    got = found(r, "DDL008")
    assert got == [
        ("2019-01-15-a.md", 6, 6),  # a link is placed at its text
        ("2019-01-15-a.md", 6, 26),
        ("2019-01-15-a.md", 6, 43),
        ("2019-01-15-a.md", 7, 6),  # a link without visible text at its '['
        ("2019-01-15-a.md", 7, 36),
    ]


def test_ddl009_malformed_urls(tmp_path):
    bad = [
        "htp://example.org/x",
        "http//example.org/x",
        "https:/example.org/x",
        "https://www",
        "https://exa..mple.org/",
        "www.example.org/report",
        "file:///C:/Users/me/report.docx",
        "http://http://example.org",
        "mailto:",
        "https://example.org:99999/",
    ]
    good = [
        "https://example.org/a?b=c#d",
        "http://192.168.0.1/",
        "mailto:info@example.org",
        "/uploads/report.pdf",
        "../2019/01/15/post/",
        "{{ site.baseurl }}/about/",
        "tel:+254700000000",
        "//cdn.example.org/x.js",
    ]
    lines = [f"[bad {i}]({u})" for i, u in enumerate(bad)] + [f"[good {i}]({u})" for i, u in enumerate(good)]
    body = "\n\n".join(lines) + "\n"
    r = run(tmp_path, {"2019-01-15-a.md": post(body=body)})
    got = found(r, "DDL009")
    first_body_line = 6
    expect = [("2019-01-15-a.md", first_body_line + 2 * i, len(f"[bad {i}](") + 1) for i in range(len(bad))]
    assert got == expect
    assert all(d.severity is Severity.ERROR for d in r.all() if d.code == "DDL009")


def test_ddl010_internal_links_resolve_under_the_site_root(tmp_path):
    site = tmp_path / "site"
    (site / "assets").mkdir(parents=True)
    (site / "assets" / "map.png").write_bytes(b"png")
    (site / "about.md").write_text("---\ntitle: About\n---\n", encoding="utf-8")
    body = (
        "[ok1](/assets/map.png) [ok2]({{ site.baseurl }}/assets/map.png) [ok3](/about/) [ok4](/about.html)\n"
        "[ok5]({% post_url 2019-01-14-older %}) [ok6](/2019/01/14/older/) [ok7](https://example.org/x) [ok8](#top)\n"
        "[bad1](/assets/missing.png) [bad2]({% post_url 2019-01-01-nope %})\n"
        "![bad3](/img/nothing.jpg) [ok9](/tags/health/)\n"
    )
    files = {
        "site/_posts/2019-01-14-older.md": post(date="2019-01-14"),
        "site/_posts/2019-01-15-new.md": post(body=body),
    }
    cfg = 'site-root = "site"\n'
    r = run(tmp_path, files, config=cfg, targets=[site / "_posts" / "2019-01-15-new.md"])
    assert found(r, "DDL010") == [("2019-01-15-new.md", 8, 2), ("2019-01-15-new.md", 8, 30), ("2019-01-15-new.md", 9, 1)]
    # no site root: nothing to resolve against, the rule does nothing
    (tmp_path / ".ddlens.toml").unlink()
    r2 = check_paths([site / "_posts"], resolver=ConfigResolver())
    assert found(r2, "DDL010") == []


def test_ddl015_excerpt_separator_when_selected(tmp_path):
    files = {
        "2019-01-15-a.md": post(body="First paragraph.\n\nSecond.\n"),
        "2019-01-15-b.md": post(body="First paragraph.\n\n<!--more-->\n\nSecond.\n"),
        "2019-01-15-c.md": post(body="First.\n", extra="excerpt: Short."),
    }
    assert found(run(tmp_path, files), "DDL015") == []  # off by default
    r = run(tmp_path / "on", files, config='extend-select = ["DDL015"]\n')
    assert found(r, "DDL015") == [("2019-01-15-a.md", 6, 1)]


# -- content ---------------------------------------------------------------------------------


@pytest.fixture()
def frameworks_file(tmp_path: Path) -> Path:
    p = tmp_path / "fw.jsonl"
    rows = [
        {"name": "Scrum", "aliases": [{"text": "Scrum", "case": "insensitive"}]},
        {"name": "DevOps", "aliases": [{"text": "DevOps", "case": "insensitive"}]},
        {"name": "Agile", "aliases": [{"text": "Agile", "case": "sensitive"}, {"text": "AGILE", "case": "sensitive"}]},
        {"name": "Theory of Change", "aliases": ["theory of change"]},
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return p


def test_ddl011_framework_case(tmp_path, frameworks_file):
    body = (
        "We run SCRUM and Devops in the team.\n"
        "A scrum master, an agile team, our Theory Of Change, a devops.example.org page, #devops.\n"
        "\n"
        "## WHY SCRUM WORKS\n"
        "\n"
        "Scrum and DevOps and AGILE, done right.\n"
    )
    cfg = f'[rules.DDL011]\nframeworks = "{frameworks_file.as_posix()}"\n'
    r = run(tmp_path / "posts", {"2019-01-15-a.md": post(title="Why SCRUM", body=body)}, config=cfg)
    assert found(r, "DDL011") == [("2019-01-15-a.md", 2, 12), ("2019-01-15-a.md", 6, 8), ("2019-01-15-a.md", 6, 18)]
    assert "'SCRUM' is spelt 'Scrum'" in messages(r, "DDL011")[1]
    assert "'Devops' is spelt 'DevOps'" in messages(r, "DDL011")[2]


def test_ddl011_without_a_frameworks_file_does_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DDLENS_MODELS_DIR", str(tmp_path / "empty-models"))
    from ddlens.resources import models_dir

    models_dir.cache_clear()
    try:
        (tmp_path / "empty-models").mkdir()
        r = run(tmp_path / "posts", {"2019-01-15-a.md": post(body="We run SCRUM.\n")})
        assert found(r, "DDL011") == []
    finally:
        models_dir.cache_clear()


def test_ddl011_with_the_shipped_frameworks(tmp_path):
    from ddlens.resources import models_dir

    if not (models_dir() / "frameworks.jsonl").is_file():
        pytest.skip("models/frameworks.jsonl is not there yet")
    r = run(tmp_path, {"2019-01-15-a.md": post(body="Our SCRUM team.\n\nOur Scrum team, our agile team.\n")})
    assert found(r, "DDL011") == [("2019-01-15-a.md", 6, 5)]


def test_ddl016_word_count_when_selected(tmp_path):
    cfg = "[rules.too-few-words]\nseverity = \"warning\"\nmin-words = 6\n"
    files = {
        "2019-01-15-short.md": post(body="Only [three](https://example.org/a-very-long-url) words.\n"),
        "2019-01-15-long.md": post(body="One two three four five six.\n"),
    }
    r = run(tmp_path, files, config=cfg)
    assert found(r, "DDL016") == [("2019-01-15-short.md", 6, 1)]
    assert "3 words" in messages(r, "DDL016")[0]


def _analysis(n_sources: int, assigned: bool) -> Analysis:
    src = tuple(Source(kind="link", text="t", sentence="s", line=1, url=f"https://e.org/{i}") for i in range(n_sources))
    pillars = (Pillar("leadership", "Leadership", 0.9 if assigned else 0.2, assigned), Pillar("skills", "Skills", 0.1, False))
    return Analysis(path=None, title=None, date=None, sources=src, pillars=pillars)


def test_ddl017_ddl018_logic_on_given_analyses(tmp_path, monkeypatch):
    """The rules' logic, with the analyses injected (the pipeline itself is tested below)."""
    from ddlens.check import runner

    analyses = {"2019-01-15-a.md": _analysis(0, False), "2019-01-15-b.md": _analysis(2, True)}
    monkeypatch.setattr(runner, "_analyses", lambda posts, rules: [analyses[p.path.name] for p in posts])
    cfg = '[rules]\ntoo-few-sources = { severity = "warning", min-sources = 1 }\nno-pillar = "warning"\n'
    r = run(tmp_path, {"2019-01-15-a.md": post(), "2019-01-15-b.md": post()}, config=cfg)
    assert found(r, "DDL017") == [("2019-01-15-a.md", 6, 1)]
    assert found(r, "DDL018") == [("2019-01-15-a.md", 6, 1)]
    assert "closest: leadership" in messages(r, "DDL018")[0]


@pytest.mark.slow
def test_ddl017_ddl018_with_the_real_pipeline(tmp_path):
    from ddlens.pipeline import DEFAULT_COMPONENTS

    cfg = 'extend-select = ["DDL017"]\n[rules.DDL017]\nmin-sources = 2\n'
    one = post(body="We read [the GSMA report](https://www.gsma.com/r) on agents.\n")
    two = post(body="We read [one](https://www.gsma.com/r) and [two](https://data.worldbank.org/x).\n")
    r = run(tmp_path, {"2019-01-15-one.md": one, "2019-01-15-two.md": two}, config=cfg)
    assert found(r, "DDL017") == [("2019-01-15-one.md", 6, 1)]
    if "ddlens_pillars" not in DEFAULT_COMPONENTS:
        pytest.skip("the pillars component is not in this build")
    text = (
        "The permanent secretary championed the new system and led the ministry through the change.\n"
        "Her leadership made the reform possible; she set the vision and held managers to it.\n"
    )
    r2 = run(tmp_path / "p", {"2019-01-15-lead.md": post(body=text), "2019-01-15-none.md": post(body="Prices.\n")}, config='extend-select = ["DDL018"]\n')
    assert ("2019-01-15-none.md", 6, 1) in found(r2, "DDL018")


# -- corpus ----------------------------------------------------------------------------------


def test_ddl013_ddl014_duplicates_across_posts(tmp_path):
    files = {
        "2019-01-15-agents.md": post(title="Agents as teachers"),
        "2020-03-01-agents.md": post(title="agents  as Teachers", date="2020-03-01"),
        "2020-03-02-other.md": post(title="Something else", date="2020-03-02"),
        "2020-03-03-custom.md": post(title="Third", date="2020-03-03", extra="slug: other"),
    }
    r = run(tmp_path, files)
    assert sorted(found(r, "DDL013")) == [
        ("2019-01-15-agents.md", 1, 1),
        ("2020-03-01-agents.md", 1, 1),
        ("2020-03-02-other.md", 1, 1),
        ("2020-03-03-custom.md", 5, 1),
    ]
    assert sorted(found(r, "DDL014")) == [("2019-01-15-agents.md", 2, 8), ("2020-03-01-agents.md", 2, 8)]


def test_corpus_rules_compare_with_unchecked_posts_in_the_folder(tmp_path):
    files = {"old/2018-01-01-agents.md": post(title="Agents", date="2018-01-01"), "old/2019-01-15-x.md": post(title="Agents")}
    for n, c in files.items():
        (tmp_path / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / n).write_text(c, encoding="utf-8")
    from ddlens.check.runner import check_files

    r = check_files([tmp_path / "old/2019-01-15-x.md"], ConfigResolver(isolated=True), universe=sorted((tmp_path / "old").iterdir()))
    assert r.files == [str(tmp_path / "old/2019-01-15-x.md")]
    assert [d.code for d in r.all()] == ["DDL014"]
    assert "2018-01-01-agents.md" in r.all()[0].message


# -- suppression -----------------------------------------------------------------------------


def test_ddl020_and_suppression_comments(tmp_path):
    body = (
        "<!-- ddlens: disable-next-line=DDL007 -->\n"
        "![](/a.png)\n"
        "![](/b.png)\n"
        "<!-- ddlens: disable-next-line=image-missing-alt,DDL999 -->\n"
        "![](/c.png)\n"
        "<!-- ddlens: switch-off=DDL007 -->\n"
        "```\n"
        "<!-- ddlens: disable=DDL008 -->\n"
        "```\n"
        "[here](https://example.org)\n"
    )
    r = run(tmp_path, {"2019-01-15-a.md": post(body=body)})
    assert found(r, "DDL007") == [("2019-01-15-a.md", 8, 1)]
    assert found(r, "DDL020") == [("2019-01-15-a.md", 9, 1), ("2019-01-15-a.md", 11, 1)]
    assert found(r, "DDL008") == [("2019-01-15-a.md", 15, 2)]  # the directive in a code block is text
    whole = post(body="<!-- ddlens: disable=DDL007,DDL008 -->\n![](/a.png) [here](https://example.org)\n")
    r2 = run(tmp_path / "w", {"2019-01-15-a.md": whole})
    assert found(r2, "DDL007") == found(r2, "DDL008") == []


def test_front_matter_suppression_comment(tmp_path):
    text = post(tags="\n  - data\n  # ddlens: disable-next-line=duplicate-tag\n  - Data")
    r = run(tmp_path, {"2019-01-15-a.md": text})
    assert found(r, "DDL012") == []


# -- the registry ----------------------------------------------------------------------------


def test_every_rule_is_documented_and_tested_here():
    rules = all_rules()
    assert list(rules) == sorted(rules) and len({r.name for r in rules.values()}) == len(rules)
    source = Path(__file__).read_text(encoding="utf-8")
    for code, r in rules.items():
        assert r.summary and len(r.doc.strip()) > 80, code
        assert code in source, f"{code} has no test in this file"
        text = r.describe()
        assert text.startswith(f"{code} {r.name}\n") and "Default severity" in text
        for opt in r.options:
            assert opt.replace("_", "-") in text

"""Cited sources: link typing from data, registered domains, prose attributions merged with
their links, the `ddlens sources` report, the --spacy-model entity path, and the guarantee
that no pattern can run away on long input.

Every example sentence here was written for these tests.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import ddlens
from ddlens.article import Article
from ddlens.cli import app
from ddlens.domains import SOURCE_TYPES, DomainTable, normalise_site_domain
from ddlens.tokenpatterns import PatternError, TokenPatterns

ROOT = Path(__file__).resolve().parents[1]
DAI_POST = "2020-03-12-unlocking-the-value-of-digital-transformation-in-the-social-sector.markdown"
runner = CliRunner()


@pytest.fixture(scope="module")
def src_lens():
    return ddlens.load(components=["ddlens_sentences", "ddlens_sources"])


@pytest.fixture(scope="module")
def table() -> DomainTable:
    return DomainTable.load()


def post(body: str, title: str = "T") -> str:
    return f"---\ntitle: {title}\ndate: 2024-01-02\n---\n\n{body}\n"


def sources(lens, body: str) -> list[dict]:
    return [s.to_dict() for s in lens.analyze(post(body)).sources]


def attributions(lens, body: str) -> list[dict]:
    return [s for s in sources(lens, body) if s["kind"] == "attribution"]


# -- registered domains, computed offline ------------------------------------------------


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("a.b.ict.go.ke", "ict.go.ke"),
        ("data.gov.uk", "data.gov.uk"),
        ("WWW.WorldBank.ORG.", "worldbank.org"),
        ("www.dhaka.gov.bd", "dhaka.gov.bd"),  # *.bd: every name under .bd is a suffix
        ("foo.github.io", "foo.github.io"),  # a hosting platform: each site is its own
        ("blogs.worldbank.org", "worldbank.org"),
        ("mobile.example.com.au", "example.com.au"),
        ("192.168.1.20", "192.168.1.20"),
        ("localhost", "localhost"),
        ("co.uk", "co.uk"),
    ],
)
def test_registered_domain(table: DomainTable, host: str, domain: str) -> None:
    assert table.registered_domain(host) == domain


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith("-") and not s.isdigit()
)
_suffix = st.sampled_from(["com", "org", "co.uk", "go.ke", "gov.bd", "github.io", "edu", "int", "com.au", "xyz"])


@given(labels=st.lists(_label, min_size=1, max_size=4), suffix=_suffix)
def test_registered_domain_properties(table: DomainTable, labels: list[str], suffix: str) -> None:
    host = ".".join(labels + [suffix])
    rd = table.registered_domain(host)
    assert rd is not None and (host == rd or host.endswith("." + rd))
    assert table.registered_domain(rd) == rd  # idempotent
    assert table.registered_domain("www." + rd) == rd  # a subdomain does not change it
    assert rd.count(".") == table.public_suffix(host).count(".") + 1


# -- link typing from models/source-domains.yaml ----------------------------------------------


@pytest.mark.parametrize(
    ("url", "stype", "domain"),
    [
        ("https://www.researchgate.net/publication/1_x", "academic", "researchgate.net"),
        ("http://someone.academia.edu/cv", "academic", "academia.edu"),
        ("https://doi.org/10.1000/xyz", "academic", "doi.org"),
        ("https://www.uonbi.ac.ke/research", "academic", "uonbi.ac.ke"),
        ("https://www.amazon.co.uk/Some-Book/dp/123", "book", "amazon.co.uk"),
        ("https://books.google.co.ke/books?id=abc", "book", "google.co.ke"),
        ("https://www.google.com/books/edition/_/abc", "book", "google.com"),
        ("https://publisher.example/catalogue/isbn-978-0-00", "book", "publisher.example"),
        ("https://aws.amazon.com/whitepapers/", "company", "amazon.com"),  # the longer host wins
        ("https://www.gov.uk/guidance/x", "government", "www.gov.uk"),
        ("https://www.ict.go.ke/policy", "government", "ict.go.ke"),
        ("https://novissi.gouv.tg/", "government", "gouv.tg"),  # gouv.xx under a country code
        ("https://abcnews.go.com/story", "news", "go.com"),  # go.com is not a government
        ("https://www.itu.int/en/x", "multilateral", "itu.int"),
        ("https://blogs.worldbank.org/digital", "multilateral", "worldbank.org"),
        ("https://www.gsma.com/mobilefordevelopment/", "ngo", "gsma.com"),
        ("https://www.gatesfoundation.org/ideas", "foundation", "gatesfoundation.org"),
        ("https://www.theguardian.com/world", "news", "theguardian.com"),
        ("https://x.com/someone/status/1", "social", "x.com"),
        ("https://youtu.be/abc", "social", "youtu.be"),
        ("https://www.safaricom.co.ke/", "company", "safaricom.co.ke"),
        ("https://unheard-of.example.net/page", "other", "example.net"),
        ("/2019/01/02/earlier-post/", "internal", None),
        ("../notes.html", "internal", None),
        ("{{ site.baseurl }}/about/", "internal", None),
        ("{% post_url 2019-01-02-x %}", "internal", None),
        ("mailto:team@example.org", "other", None),
        ("www.gsma.com/report", "ngo", "gsma.com"),  # no scheme, but plainly a host
    ],
)
def test_link_types(table: DomainTable, url: str, stype: str, domain: str | None) -> None:
    info = table.classify(url)
    assert (info.source_type, info.domain) == (stype, domain)


def test_site_domains_make_links_internal(table: DomainTable) -> None:
    site = [normalise_site_domain("https://www.Example.org:4000/blog")]
    assert site == ["example.org"]
    assert table.classify("https://blog.example.org/2020/x", site).source_type == "internal"
    assert table.classify("https://example.org.evil.net/x", site).source_type == "other"


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=st.text(max_size=80))
def test_classify_never_fails(table: DomainTable, url: str) -> None:
    info = table.classify(url)
    assert info.source_type in SOURCE_TYPES
    assert info.domain is None or info.domain == info.domain.lower()


_HOSTS = ["www.google.com", "books.google.com", "archive.org", "www.bbc.co.uk", "192.168.1.20", "a.b.ict.go.ke",
          "example.org", "blog.example.org", "[::1]", "EXAMPLE.ORG"]
_PATHS = ["", "/books/x", "/details/isbn_1", "/doi/10.1/x", "/a?isbn=1", "/news/1"]


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(urls=st.lists(st.tuples(st.sampled_from(_HOSTS), st.sampled_from(_PATHS)), max_size=8))
def test_classify_remembers_hosts_not_urls(table: DomainTable, urls: list[tuple[str, str]]) -> None:
    """Hosts are remembered (registered domain, host type) but URL rules are applied to each
    URL: a warm table gives what a fresh one gives, in any order."""
    site = ["example.org"]
    for host, path in urls:
        url = f"https://{host}{path}"
        warm = table.classify(url, site)
        fresh = DomainTable(
            set(table.suffixes) | {"*." + w for w in table.wild_suffixes}, table.hosts, table.suffix_types,
            table.url_rules, table.names, table.name_words, table.country_second_level,
        ).classify(url, site)
        assert warm == fresh


def test_domain_data_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "d.yaml"
    bad.write_text("types:\n  news:\n    hosts: [a.org]\n  ngo:\n    hosts: [a.org]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="a.org"):
        DomainTable.load(bad)
    bad.write_text("types:\n  newspaper:\n    hosts: [a.org]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="newspaper"):
        DomainTable.load(bad)


# -- the cue patterns ---------------------------------------------------------------------------


def test_unbounded_operators_are_refused(tmp_path: Path, src_lens) -> None:
    from ddlens.components.sources import AttributionPatterns

    p = tmp_path / "p.yaml"
    p.write_text("patterns:\n  - id: x\n    left: [{LOWER: as}, {IS_TITLE: true, OP: '+'}]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="operator"):
        AttributionPatterns.load(p)
    with pytest.raises(PatternError):
        TokenPatterns(src_lens.nlp.vocab, {"x": [{"LOWER": "a", "OP": "*"}]})
    p.write_text("patterns:\n  - id: x\n    left: [{LOWER: as}]\n    colour: red\n", encoding="utf-8")
    with pytest.raises(ValueError, match="colour"):
        AttributionPatterns.load(p)


_WORDS = ["according", "to", "as", "The", "the", "World", "Bank", "'s", "2019", "report", "by", "said", "(", ")",
          "found", "that", "a", "Jane", "Doe", ",", "in", "his", "book", "et", "al", ".", "data", "from", "told", "us"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(_WORDS), max_size=40))
def test_token_patterns_equal_spacys_matcher(src_lens, words: list[str]) -> None:
    """The vectorised runner finds exactly what spaCy's Matcher finds, for every cue pattern."""
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

    finder = src_lens.nlp.get_pipe("ddlens_sources")
    doc = Doc(src_lens.nlp.vocab, words=words)
    vocab = src_lens.nlp.vocab
    matcher = Matcher(vocab)
    for p in finder.patterns.patterns:
        for side, toks in (("L", p.left), ("R", p.right)):
            if toks:
                matcher.add(f"{p.id}|{side}", [list(toks)])
    expected = sorted((vocab.strings[k], s, e) for k, s, e in matcher(doc))
    assert sorted(finder.matcher(doc)) == expected


# -- attributions --------------------------------------------------------------------------------

CASES = [
    # (markdown, name, title, year)
    ("According to the Alliance for Affordable Internet, prices fell.", "Alliance for Affordable Internet", None, None),
    ("As Amina Yusuf wrote in 2017, the pilot was too small.", "Amina Yusuf", None, 2017),
    ("Okello and Achieng (2016) found that agents mattered most.", "Okello and Achieng", None, 2016),
    ("In her book, *Small Pilots*, Grace Wanjiru argues for patience.", "Grace Wanjiru", "Small Pilots", None),
    ("A 2019 GSMA report found that usage doubled.", "GSMA", None, 2019),
    ("A 2018 review by the Open Data Institute counted the portals.", "Open Data Institute", None, 2018),
    ("The Kenya ICT Authority's 2020 survey covered every county.", "Kenya ICT Authority", None, 2020),
    ("Research from J-PAL suggests that reminders work.", "J-PAL", None, None),
    ("Data from the Central Bank of Kenya show a rise in transfers.", "Central Bank of Kenya", None, None),
    ("“We count every shilling,” said Peter Otieno, a trader in Kisumu.", "Peter Otieno", None, None),
    ("As our country director, Halima Bello, put it, nobody reads manuals.", "Halima Bello", None, None),
    ("Joseph Mwangi, who ran the helpdesk until 2020, told us the queue never emptied.", "Joseph Mwangi", None, None),
    ("*The Data Diaries* by Ruth Njeri is a good read.", "Ruth Njeri", "The Data Diaries", None),
    ("Verizon's 2021 Breach Trends Report found that phishing led.", "Verizon", "Breach Trends Report", 2021),
    ("Mwangi, Otieno and Wekesa showed that the maps were wrong in 2014.", "Mwangi, Otieno and Wekesa", None, None),
]


@pytest.mark.parametrize(("body", "name", "title", "year"), CASES)
def test_attribution_cues(src_lens, body: str, name: str, title: str | None, year: int | None) -> None:
    found = attributions(src_lens, body)
    assert [a["name"] for a in found] == [name], found
    assert found[0]["title"] == title
    assert found[0]["year"] == year
    assert found[0]["text"] in post(body) or found[0]["text"] in Article.from_text(post(body)).text
    assert found[0]["line"] == 6


@pytest.mark.parametrize(
    "body",
    [
        "Data from Kenya show a rise in transfers.",  # a place, not a source
        "According to the law, records are kept for seven years.",
        "The team said the rollout would take a year.",
        "He said “not yet” and left.",
        "A partner in Mosul put it well: nobody remembered the slides.",
        "Notice that I said “most”, not all.",
        "The Community Health Toolkit already supports case management.",
        "We covered the platform side in an [earlier post](/2020/01/01/x/).",
        # a capitalised sentence opener used in lower case elsewhere in the post is a common word
        "Governments argue that the rules are clear. Few governments publish them.",
    ],
)
def test_not_attributions(src_lens, body: str) -> None:
    assert attributions(src_lens, body) == []


@pytest.mark.parametrize(("digits", "year"), [("2019", 2019), ("٢٠١٩", 2019), ("²⁰¹⁹", None)])
def test_years_in_any_script(src_lens, digits: str, year: int | None) -> None:
    """Decimal digits of any script make a year; superscripts (str.isdigit, but no number
    to int()) are not a year and must not crash the post."""
    (got,) = attributions(src_lens, f"A {digits} GSMA report found that usage doubled.")
    assert (got["name"], got["year"]) == ("GSMA", year)


# fragments that end or start a post mid-cue, so that a batch lays cues across doc boundaries
_PIECES = [body for body, *_ in CASES] + [
    "",
    "According to",
    "the World Bank said “yes”.",
    "as Jane Doe",
    "wrote in 2019.",
    "A [2019 GSMA report](https://www.gsma.com/r) found growth.",
    "[Okello](https://example.org/o) (2016) argued that",
    "Data from Kenya show a rise. The team said the rollout would take a year.",
    "In her book, *Small",
    "Pilots*, Grace Wanjiru argues for patience.",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map(" ".join), min_size=1, max_size=6))
def test_a_batch_equals_each_post_alone(src_lens, bodies: list[str]) -> None:
    """``pipe`` matches the cues of a whole batch at once (docs laid end to end): each post's
    sources are the ones it gets alone."""
    nlp = src_lens.nlp
    finder = nlp.get_pipe("ddlens_sources")

    def docs() -> list:
        return [nlp.get_pipe("ddlens_sentences")(src_lens.make_doc(Article.from_text(post(b)))) for b in bodies]

    alone = [[s.to_dict() for s in finder(d)._.sources] for d in docs()]
    batch = [[s.to_dict() for s in d._.sources] for d in finder.pipe(docs(), batch_size=4)]
    assert batch == alone


# cues around names that start or end with a lower-case token (the, a link, a group, a
# journal, a name head …) or are lower case only
_CUE_TEMPLATES = [
    "According to {}, prices fell.",
    "A 2019 study by {} found that usage doubled.",
    "A 2019 {} report found that usage doubled.",
    "*The Data Diaries* by {} is a good read.",
    "{} found in 2019 that agents mattered.",
    "{}'s Digital Strategy 2020 sets goals.",
    "“We count every shilling,” said {}.",
    "{} says “not yet”.",
    "As {} wrote, the pilot was small.",
    "Data from {} show a rise.",
    "As our country director, {}, put it, nobody reads manuals.",
    "In *The Lean and Patient Startup Handbook*, {} argues that pilots matter.",
    "In her book, *Small Pilots*, {} argues for patience.",
    "In “Small Pilots”, {} tells a story. It found nothing.",
    "Verizon's 2019 {}'s findings are grim.",
    "We read the {}'s new Data Breach Report twice.",
]
_NAMES = [
    "Jane Doe", "the World Bank", "[our researchers](https://example.org/r)", "[UNICEF](https://u.org/x)",
    "[World Bank staff](https://example.org/s)", "journal Nature", "the journal *Evaluation Notes*",
    "researchers at UC Berkeley", "the Open Data community", "the US government", "the data team", "our partners",
    "bell hooks", "18F", "iHub", "GSMA and UNICEF",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cues=st.lists(st.tuples(st.sampled_from(_CUE_TEMPLATES), st.sampled_from(_NAMES)), min_size=1, max_size=4))
def test_skipping_impossible_cues_changes_nothing(src_lens, cues: list[tuple[str, str]]) -> None:
    """Cues that cannot match are not read (a name slot on a lower-case token, where no name
    starts or ends; no reporting verb for a pattern only a verb confirms): reading every cue
    gives the same sources."""
    finder = src_lens.nlp.get_pipe("ddlens_sources")
    body = " ".join(template.format(name) for template, name in cues)
    fast = sources(src_lens, body)
    finder.skip_impossible_cues = False
    try:
        slow = sources(src_lens, body)
    finally:
        finder.skip_impossible_cues = True
    assert fast == slow


def test_merged_with_the_link_on_the_same_phrase(src_lens) -> None:
    got = sources(
        src_lens,
        "As [researchers](https://www.researchgate.net/publication/1_x) wrote in 2013, the kits were abandoned. "
        "See also [our notes](/notes/).",
    )
    assert [s["kind"] for s in got] == ["attribution", "link"]
    a = got[0]
    assert (a["name"], a["year"], a["source_type"], a["domain"]) == ("researchers", 2013, "academic", "researchgate.net")
    assert a["url"] == "https://www.researchgate.net/publication/1_x"


def test_merged_with_a_link_elsewhere_in_the_sentence_not_in_another(src_lens) -> None:
    got = sources(
        src_lens,
        "According to the World Bank, mobile money [grew fast](https://data.worldbank.org/x). "
        "Agents were [busy](https://example.org/agents).",
    )
    assert [(s["kind"], s["url"]) for s in got] == [
        ("attribution", "https://data.worldbank.org/x"),
        ("link", "https://example.org/agents"),
    ]
    assert got[0]["source_type"] == "multilateral"


def test_unlinked_attribution_is_typed_by_its_name(src_lens) -> None:
    (a,) = attributions(src_lens, "According to UNICEF, enrolment rose.")
    assert (a["url"], a["domain"], a["source_type"]) == (None, None, "multilateral")


def test_every_link_appears_once(src_lens) -> None:
    body = (
        "A [2019 GSMA report](https://www.gsma.com/r) found growth, and "
        "[the ITU](https://www.itu.int/x) agrees. ![chart](/img/c.png) [Top](#top)\n\n"
        "<a href=\"https://example.org/html\">raw html</a> and https://example.org/bare too."
    )
    got = sources(src_lens, body)
    urls = [s["url"] for s in got if s["url"]]
    assert sorted(urls) == sorted(
        ["https://www.gsma.com/r", "https://www.itu.int/x", "https://example.org/html", "https://example.org/bare"]
    )
    assert all(s["line"] == 6 for s in got[:2]) and got[-1]["line"] == 8


def test_bare_text_without_an_article(src_lens) -> None:
    doc = src_lens.nlp("First line.\nAccording to the OECD, it works.")
    (s,) = doc._.sources
    assert (s.kind, s.name, s.line) == ("attribution", "OECD", 2)


def test_site_domain_config(tmp_path: Path) -> None:
    lens = ddlens.load(
        components=["ddlens_sentences", "ddlens_sources"], config={"ddlens_sources": {"site_domains": ["www.ourblog.org"]}}
    )
    got = sources(lens, "See [last year](https://ourblog.org/2023/x) and [theirs](https://other.org/y).")
    assert [s["source_type"] for s in got] == ["internal", "other"]


def test_deterministic(src_lens, corpus_dir: Path) -> None:
    path = sorted((corpus_dir / "posts").glob("*.md"))[0]
    assert src_lens.analyze(path).to_dict() == src_lens.analyze(path).to_dict()


def test_dai_post_attributions_merged_with_their_links(shared_corpora: Path, src_lens) -> None:
    result = src_lens.analyze(shared_corpora / "dai-digital" / DAI_POST)
    att = {s.domain: s for s in result.sources if s.kind == "attribution"}
    paper = att["researchgate.net"]
    assert paper.year == 2013 and paper.source_type == "academic" and paper.name
    assert att["academia.edu"].name == "Shafaa Shaaban"
    book = att["amazon.com"]
    assert (book.name, book.title, book.source_type) == ("James Bessen", "Learning by Doing", "book")
    assert all(s.url for s in att.values())


# -- against the labels ----------------------------------------------------------------------------


@pytest.mark.slow
def test_labelled_corpus_targets(corpus_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's bar on corpora/labels.jsonl: link recall 1.0, attribution recall >= 0.85
    and precision >= 0.90 (benchmarks/eval_sources.py, its matching rule)."""
    spec = importlib.util.spec_from_file_location("eval_sources", ROOT / "benchmarks" / "eval_sources.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    import argparse

    mod.evaluate(argparse.Namespace(corpus=corpus_dir, errors=False))
    out = capsys.readouterr().out
    link_recall = float(out.split("recall ")[1].split()[0])
    precision = float(out.split("precision ")[1].split()[0])
    recall = float(out.split("  recall ")[1].split()[0])
    assert link_recall == 1.0 and precision >= 0.90 and recall >= 0.85, out


# -- no runaway patterns ------------------------------------------------------------------------------


def _component_cpu_seconds(lens, body: str) -> tuple[float, int]:
    article = Article.from_text(post(body))
    doc = lens.make_doc(article)
    doc = lens.nlp.get_pipe("ddlens_sentences")(doc)
    finder = lens.nlp.get_pipe("ddlens_sources")
    t0 = time.process_time()  # CPU time: the machine may be shared
    finder(doc)
    return time.process_time() - t0, len(doc._.sources)


@pytest.mark.slow
def test_a_1mb_line_is_read_in_under_a_second(src_lens, corpus_dir: Path) -> None:
    prose = " ".join(
        Article.from_path(p).text.replace("\n", " ") for p in sorted((corpus_dir / "posts").glob("*.md"))[:40]
    )
    line = (prose * (1 + 1_000_000 // len(prose)))[:1_000_000]
    seconds, n = _component_cpu_seconds(src_lens, line)
    assert n > 100  # the cues in it were found
    assert seconds < 1.0, seconds


@pytest.mark.parametrize(
    "run",
    [
        "According to " + " ".join(["Alpha", "Beta", "Gamma", "Delta"] * 6000),
        " ".join(["Alpha"] * 20000) + "'s 2019 Report found that (2013) argued",
        "As " + " ".join(["Bank", "of", "the"] * 9000) + " said “x”",
        "(" + " ".join(["Heeks"] * 20000) + ", 2002)",
    ],
)
def test_a_100kb_capitalised_run_is_read_in_under_a_second(src_lens, run: str) -> None:
    assert len(run) >= 100_000
    seconds, n = _component_cpu_seconds(src_lens, run)
    assert n == 0  # a run longer than any name is not a name
    assert seconds < 1.0, seconds


# -- `ddlens sources` ---------------------------------------------------------------------------------


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "_posts"
    d.mkdir()
    (d / "2024-01-01-a.md").write_text(
        post("According to the [World Bank](https://www.worldbank.org/a), prices fell. "
             "In her book, *Small Pilots*, Grace Wanjiru argues for patience.", "A"),
        encoding="utf-8",
    )
    (d / "2024-02-01-b.md").write_text(
        post("A [2021 World Bank brief](https://blogs.worldbank.org/b) found the same. "
             "See [our notes](https://www.ourblog.org/notes).", "B"),
        encoding="utf-8",
    )
    (d / "2024-03-01-c.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    return d


def test_sources_json(folder: Path) -> None:
    res = runner.invoke(app, ["sources", str(folder), "--site-domain", "ourblog.org"])
    assert res.exit_code == 1  # the broken post is reported, the others still counted
    assert "2024-03-01-c.md" in res.stderr
    report = json.loads(res.stdout)
    assert (report["posts"], report["attributions"]) == (2, 3)
    top = report["domains"][0]
    assert (top["domain"], top["source_type"], top["citations"]) == ("worldbank.org", "multilateral", 2)
    assert [Path(p).name for p in top["posts"]] == ["2024-01-01-a.md", "2024-02-01-b.md"]
    assert "ourblog.org" not in [d["domain"] for d in report["domains"]]  # internal
    assert report["names"][0]["name"] == "World Bank" and report["names"][0]["citations"] == 2
    (work,) = report["works"]
    assert (work["title"], work["by"]) == ("Small Pilots", "Grace Wanjiru")


def test_sources_csv_and_table(folder: Path) -> None:
    res = runner.invoke(app, ["sources", str(folder), "-f", "csv", "--include-internal"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert {r["section"] for r in rows} == {"domain", "name", "work"}
    assert any(r["item"] == "ourblog.org" for r in rows)  # no --site-domain: just another site
    wb = next(r for r in rows if r["section"] == "domain" and r["item"] == "worldbank.org")
    assert (wb["citations"], wb["post_count"]) == ("2", "2")
    res = runner.invoke(app, ["sources", str(folder), "-f", "table", "--top", "1"])
    assert "Most cited domains" in res.stdout and "worldbank.org" in res.stdout
    assert "2 post(s)" in res.stdout


def test_sources_missing_path(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sources", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such file" in res.stderr


# -- --spacy-model: entities sharpen names --------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_ner(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny NER pipeline trained here, on the fly (nothing downloaded)."""
    import random

    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner")
    train = [
        ("According to bell hooks, teaching is a practice of freedom.", [(13, 23, "PERSON")]),
        ("We read bell hooks last year.", [(8, 18, "PERSON")]),
        ("Research from Mombasa shows that ferries are crowded.", [(14, 21, "GPE")]),
        ("Farmers in Mombasa sell fish.", [(11, 18, "GPE")]),
        ("According to Amina Yusuf, the pilot worked.", [(13, 24, "PERSON")]),
        ("Data from Kisumu show growth.", [(10, 16, "GPE")]),
    ]
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in train]
    optimizer = nlp.initialize(lambda: examples)
    for i in range(25):
        random.Random(i).shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("tiny_ner") / "model"
    nlp.to_disk(path)
    return path


@pytest.mark.slow
def test_entities_sharpen_names(tiny_ner: Path, src_lens) -> None:
    body = "According to bell hooks, teaching is a practice of freedom. Research from Mombasa shows that ferries are late."
    plain = [a["name"] for a in attributions(src_lens, body)]
    assert plain == ["Mombasa"]  # capitalisation alone: a lower-case author is missed, a city taken
    lens = ddlens.load(components=["ddlens_sentences", "ddlens_sources"], spacy_model=str(tiny_ner))
    assert lens.nlp.pipe_names[0] == "ner"
    assert [a["name"] for a in attributions(lens, body)] == ["bell hooks"]  # PERSON kept, GPE dropped


@pytest.mark.slow
def test_sources_cli_with_spacy_model(tiny_ner: Path, tmp_path: Path) -> None:
    (tmp_path / "2024-01-01-x.md").write_text(post("According to bell hooks, teaching is freedom."), encoding="utf-8")
    res = runner.invoke(app, ["sources", str(tmp_path), "--spacy-model", str(tiny_ner)])
    assert res.exit_code == 0, res.output
    assert [n["name"] for n in json.loads(res.stdout)["names"]] == ["bell hooks"]
    res = runner.invoke(app, ["sources", str(tmp_path), "--spacy-model", "no_such_pipeline_xyz"])
    assert res.exit_code == 2 and "no_such_pipeline_xyz" in res.stderr

"""`ddlens check` from the command line: output formats, exit codes, configuration files,
`--changed-since` in a temporary git repository, `ddlens rules` / `ddlens rule`, and the
promise that front-matter and Markdown rules do not import spaCy or scikit-learn."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ddlens.cli import app

GOOD = "---\ntitle: Agents as teachers\ndate: 2019-01-15\ntags: [mobile money]\n---\nAgents teach [customers](https://example.org/a).\n"
WARN = "---\ntitle: Without alt text\ndate: 2019-01-16\ntags: [health]\n---\nText.\n\n![](/img/a.png)\n"
ERROR = "---\ntitle: A broken link\ndate: 2019-01-17\ntags: [health]\n---\nSee [the report](htp://example.org/r).\n"
BROKEN = "---\ntitle: Colons: everywhere\ndate: 2019-01-18\n---\nText.\n"


def cli(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture()
def posts(tmp_path: Path) -> Path:
    d = tmp_path / "_posts"
    d.mkdir()
    for name, text in {
        "2019-01-15-good.md": GOOD,
        "2019-01-16-warn.md": WARN,
        "2019-01-17-error.md": ERROR,
        "2019-01-18-broken.md": BROKEN,
    }.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


# -- exit codes ------------------------------------------------------------------------------


def test_exit_codes(posts: Path):
    good, warn, error = (str(posts / n) for n in ("2019-01-15-good.md", "2019-01-16-warn.md", "2019-01-17-error.md"))
    assert cli("check", "--isolated", good).exit_code == 0
    r = cli("check", "--isolated", warn)
    assert r.exit_code == 0 and "DDL007" in r.stdout  # warnings alone do not fail
    assert cli("check", "--isolated", "--fail-on", "warning", warn).exit_code == 1
    assert cli("check", "--isolated", error).exit_code == 1
    assert cli("check", "--isolated", "--exit-zero", error).exit_code == 0
    assert cli("check", "--isolated", str(posts / "2019-01-18-broken.md")).exit_code == 1  # DDL001 is an error
    assert cli("check", "--isolated", "--ignore", "DDL009", error).exit_code == 0


def test_usage_errors_exit_2_with_one_line(posts: Path):
    r = cli("check", str(posts / "missing.md"))
    assert r.exit_code == 2 and r.stderr.strip().endswith("missing.md: no such file or folder")
    r = cli("check", "--select", "DDL999", str(posts))
    assert r.exit_code == 2 and "unknown rule 'DDL999'" in r.stderr and "Traceback" not in r.stderr
    assert cli("check", "--format", "xml", str(posts)).exit_code == 2
    assert cli("check", "--site-root", str(posts / "nope"), str(posts)).exit_code == 2
    assert cli("rule", "DDL999").exit_code == 2


def test_text_output_and_summary(posts: Path):
    r = cli("check", "--isolated", str(posts))
    lines = r.stdout.splitlines()
    assert lines and all(re.match(r"^\S+:\d+:\d+: DDL\d{3} \S", line) for line in lines)
    assert f"{posts / '2019-01-17-error.md'}:6:18: DDL009 " in r.stdout  # the URL's column
    assert f"{posts / '2019-01-18-broken.md'}:2:1: DDL001 " in r.stdout
    assert re.search(r"2 errors and 1 warning in 3 of 4 posts", r.stderr)
    assert cli("check", "--isolated", "-q", str(posts)).stderr == ""


def test_statistics(posts: Path):
    r = cli("check", "--isolated", "--statistics", str(posts))
    rows = [line.split() for line in r.stdout.splitlines()]
    assert sorted(rows) == sorted([["1", "DDL001", "unparsable-post"], ["1", "DDL007", "image-missing-alt"], ["1", "DDL009", "malformed-url"]])
    assert r.exit_code == 1


# -- formats ---------------------------------------------------------------------------------


def test_json_and_jsonl(posts: Path):
    r = cli("check", "--isolated", "--format", "json", str(posts))
    items = json.loads(r.stdout)
    assert {d["code"] for d in items} == {"DDL001", "DDL007", "DDL009"}
    for d in items:
        assert set(d) == {"path", "line", "column", "code", "name", "severity", "message"}
        assert isinstance(d["line"], int) and d["severity"] in ("error", "warning")
    lines = cli("check", "--isolated", "--format", "jsonl", str(posts)).stdout.splitlines()
    assert [json.loads(x) for x in lines] == items
    assert json.loads(cli("check", "--isolated", "-f", "json", str(posts / "2019-01-15-good.md")).stdout) == []


def test_github_annotations(posts: Path):
    out = cli("check", "--isolated", "--format", "github", str(posts)).stdout.splitlines()
    assert len(out) == 3
    pat = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),col=(\d+),title=(DDL\d{3})::(.+)$")
    parsed = [pat.match(x) for x in out]
    assert all(parsed)
    by_code = {m.group(5): m for m in parsed if m}
    assert by_code["DDL007"].group(1) == "warning" and by_code["DDL009"].group(1) == "error"
    assert by_code["DDL009"].group(3, 4) == ("6", "18")
    assert "%3A" not in by_code["DDL009"].group(6)  # messages are data: only %, CR, LF escaped


def test_github_escaping():
    from ddlens.render.check_github import escape_data, escape_property

    assert escape_data("50% done\nnext") == "50%25 done%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_sarif_2_1_0_structure(posts: Path):
    log = json.loads(cli("check", "--isolated", "--format", "sarif", str(posts)).stdout)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "ddlens"
    from ddlens.check import all_rules

    assert [r["id"] for r in rules] == list(all_rules())
    for r in rules:
        assert r["shortDescription"]["text"] and r["help"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "none")
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"DDL001", "DDL007", "DDL009"}
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning") and res["message"]["text"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
    r009 = next(r for r in results if r["ruleId"] == "DDL009")
    assert r009["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 18}
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_uris_are_relative_to_the_source_root(posts: Path):
    log = json.loads(cli("check", "--isolated", "-f", "sarif", "_posts", cwd=posts.parent).stdout)
    run = log["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"_posts/2019-01-16-warn.md", "_posts/2019-01-17-error.md", "_posts/2019-01-18-broken.md"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")


def test_junit_one_testcase_per_post(posts: Path):
    xml = cli("check", "--isolated", "--format", "junit", str(posts)).stdout
    root = ET.fromstring(xml)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 4 and root.get("tests") == "4" and root.get("failures") == "2"
    failing = {Path(c.get("name")).name for c in cases if c.find("failure") is not None}
    assert failing == {"2019-01-17-error.md", "2019-01-18-broken.md"}
    warn = next(c for c in cases if c.get("name").endswith("warn.md"))
    assert "DDL007" in warn.find("system-out").text
    strict = ET.fromstring(cli("check", "--isolated", "-f", "junit", "--fail-on", "warning", str(posts)).stdout)
    assert strict.get("failures") == "3"


def test_junit_survives_control_characters():
    import io

    from ddlens.check.model import Diagnostic, Severity
    from ddlens.render.check_junit import Renderer

    out = io.StringIO()
    r = Renderer(out, rules={}, fail_on=Severity.ERROR)
    r.file("a\x01.md", [Diagnostic("a\x01.md", 1, 1, "DDL009", "malformed-url", Severity.ERROR, "bad \x0b url")])
    r.close()
    assert ET.fromstring(out.getvalue()).find("./testsuite/testcase/failure") is not None


# -- configuration ---------------------------------------------------------------------------


def test_pyproject_config_found_upward_and_ddlens_toml_wins(posts: Path):
    root = posts.parent
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "blog"
            [tool.ddlens]
            ignore = ["DDL007"]
            [tool.ddlens.rules]
            DDL009 = "warning"
            """
        ),
        encoding="utf-8",
    )
    r = cli("check", "--format", "json", str(posts))
    codes = {(d["code"], d["severity"]) for d in json.loads(r.stdout)}
    assert codes == {("DDL001", "error"), ("DDL009", "warning")}
    (posts / ".ddlens.toml").write_text('select = ["DDL007"]\n', encoding="utf-8")
    codes = {d["code"] for d in json.loads(cli("check", "-f", "json", str(posts)).stdout)}
    assert codes == {"DDL001", "DDL007"}  # DDL001 is always reported
    codes = {d["code"] for d in json.loads(cli("check", "-f", "json", "--isolated", str(posts)).stdout)}
    assert codes == {"DDL001", "DDL007", "DDL009"}
    codes = {d["code"] for d in json.loads(cli("check", "-f", "json", "--config", str(root / "pyproject.toml"), str(posts)).stdout)}
    assert codes == {"DDL001", "DDL009"}


def test_bad_config_is_a_usage_error_naming_the_file(posts: Path):
    (posts / ".ddlens.toml").write_text("[rules.DDL016]\nmin-wrds = 3\n", encoding="utf-8")
    r = cli("check", str(posts))
    assert r.exit_code == 2 and ".ddlens.toml" in r.stderr and "unknown option 'min-wrds'" in r.stderr
    (posts / ".ddlens.toml").write_text("select = [\n", encoding="utf-8")
    r = cli("check", str(posts))
    assert r.exit_code == 2 and "invalid TOML" in r.stderr
    (posts / ".ddlens.toml").write_text('[rules]\nDDL007 = "loud"\n', encoding="utf-8")
    assert "severity must be one of" in cli("check", str(posts)).stderr


def test_vocabulary_file_and_cli_vocabulary_from(posts: Path, tmp_path: Path):
    (tmp_path / "tags.yml").write_text("health:\n  label: Health\nmobile money: {}\n", encoding="utf-8")
    (posts / ".ddlens.toml").write_text('vocabulary-file = "../tags.yml"\n', encoding="utf-8")
    r = cli("check", "-f", "json", str(posts))
    assert [d for d in json.loads(r.stdout) if d["code"] == "DDL006"] == []
    (posts / ".ddlens.toml").write_text('vocabulary = ["health"]\n', encoding="utf-8")
    bad = [d for d in json.loads(cli("check", "-f", "json", str(posts)).stdout) if d["code"] == "DDL006"]
    assert [(Path(d["path"]).name, d["line"], d["column"]) for d in bad] == [("2019-01-15-good.md", 4, 8)]


# -- --changed-since -------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e.org"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_checks_only_new_and_modified_posts(tmp_path: Path):
    repo = tmp_path / "blog"
    posts = repo / "_posts"
    posts.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (posts / "2019-01-15-old.md").write_text(ERROR, encoding="utf-8")  # an old problem: not ours to fix now
    (posts / "2019-01-16-edited.md").write_text(GOOD.replace("2019-01-15", "2019-01-16"), encoding="utf-8")
    (posts / "2019-01-17-removed.md").write_text(GOOD.replace("2019-01-15", "2019-01-17").replace("Agents as", "Removed"), encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "checkout", "-q", "-b", "new-posts")
    (posts / "2019-01-16-edited.md").write_text(WARN.replace("2019-01-16", "2019-01-16"), encoding="utf-8")
    _git(repo, "commit", "-q", "-am", "edit")
    (posts / "2019-01-17-removed.md").unlink()
    (posts / "2019-01-18-staged.md").write_text(GOOD.replace("2019-01-15", "2019-01-18").replace("Agents as teachers", "Staged"), encoding="utf-8")
    _git(repo, "add", "_posts/2019-01-18-staged.md")
    # untracked, and with the title of the old (unchanged) post: the corpus rule still sees it
    (posts / "2019-01-19-untracked.md").write_text(ERROR.replace("2019-01-17", "2019-01-19"), encoding="utf-8")
    r = cli("check", "_posts", "--changed-since", "origin/main", "--format", "json", cwd=repo)
    got = {(Path(d["path"]).name, d["code"]) for d in json.loads(r.stdout)}
    assert got == {("2019-01-16-edited.md", "DDL007"), ("2019-01-19-untracked.md", "DDL009"), ("2019-01-19-untracked.md", "DDL014")}
    assert r.exit_code == 1
    junit = ET.fromstring(cli("check", "_posts", "--changed-since", "origin/main", "-f", "junit", cwd=repo).stdout)
    assert sorted(Path(c.get("name")).name for c in junit.iter("testcase")) == [
        "2019-01-16-edited.md",
        "2019-01-18-staged.md",
        "2019-01-19-untracked.md",
    ]
    # changes on main after the branch point are not this branch's changes
    _git(repo, "stash", "-u", "-q")
    _git(repo, "checkout", "-q", "main")
    (posts / "2019-01-20-on-main.md").write_text(ERROR, encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "main moves on")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "checkout", "-q", "new-posts")
    r = cli("check", "_posts", "--changed-since", "origin/main", "-f", "json", cwd=repo)
    assert {Path(d["path"]).name for d in json.loads(r.stdout)} == {"2019-01-16-edited.md"}
    r = cli("check", "_posts", "--changed-since", "HEAD", cwd=repo)
    assert r.exit_code == 0 and "no posts changed since HEAD" in r.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_changed_since_errors(tmp_path: Path):
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    r = cli("check", str(tmp_path), "--changed-since", "main")
    assert r.exit_code == 2 and "needs a git repository" in r.stderr
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "x")
    r = cli("check", str(tmp_path), "--changed-since", "origin/nope")
    assert r.exit_code == 2 and "unknown git revision 'origin/nope'" in r.stderr and "fetch-depth" in r.stderr


# -- rules / rule ----------------------------------------------------------------------------


def test_rules_and_rule_commands():
    from ddlens.check import all_rules

    out = cli("rules").stdout.splitlines()
    assert [line.split()[0] for line in out] == list(all_rules())
    assert out[3].split()[:3] == ["DDL004", "date-filename-mismatch", "warning"]
    data = json.loads(cli("rules", "--format", "json").stdout)
    assert {d["code"]: d["default_severity"] for d in data}["DDL016"] == "off"
    doc = cli("rule", "DDL004").stdout
    assert doc.startswith("DDL004 date-filename-mismatch\n") and "Fix:" in doc
    assert cli("rule", "image-missing-alt").stdout.startswith("DDL007 image-missing-alt\n")
    assert "min-words = 300" in cli("rule", "ddl016").stdout


# -- lazy imports ----------------------------------------------------------------------------

_PROBE = """
import atexit, sys
heavy = ("spacy", "sklearn", "thinc", "skops")
atexit.register(lambda: sys.__stderr__.write("LOADED=" + ",".join(m for m in heavy if m in sys.modules) + "\\n"))
sys.argv = ["ddlens", "check", *sys.argv[1:]]
from ddlens.cli import main
main()
"""


def _probe(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120)
    line = [x for x in proc.stderr.splitlines() if x.startswith("LOADED=")]
    assert line, proc.stderr
    return line[-1][len("LOADED="):]


def test_default_rules_import_neither_spacy_nor_sklearn(posts: Path):
    assert _probe(str(posts / "2019-01-16-warn.md")) == ""
    assert _probe("--select", "ALL", "--ignore", "DDL017,DDL018", str(posts)) == ""


@pytest.mark.slow
def test_nlp_rules_do_import_spacy(posts: Path):
    assert "spacy" in _probe("--select", "DDL017", str(posts / "2019-01-15-good.md")).split(",")


# -- pre-commit hook and GitHub Actions example ----------------------------------------------


def _parse_check_args(args: list[str]):
    """Parse `ddlens check ...` arguments with the real CLI, without running the check."""
    import typer.main

    group = typer.main.get_command(app)
    ctx = group.make_context("ddlens", ["check", *args], resilient_parsing=False)
    cmd = group.get_command(ctx, "check")
    return cmd.make_context("check", list(args), parent=ctx)


def test_pre_commit_hook_is_valid(root: Path, posts: Path):
    import shlex

    import yaml

    hooks = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    hook = next(h for h in hooks if h["id"] == "ddlens-check")
    for key in ("id", "name", "entry", "language"):
        assert isinstance(hook[key], str) and hook[key]
    assert hook["language"] == "python" and hook["require_serial"] is True and "markdown" in hook["types"]
    entry = shlex.split(hook["entry"])
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert entry[0] == "ddlens" and re.search(r'^ddlens = "ddlens\.cli:main"', pyproject, re.M)
    assert entry[1] == "check"
    # pre-commit appends the staged file names
    files = [str(posts / "2019-01-15-good.md"), str(posts / "2019-01-16-warn.md")]
    ctx = _parse_check_args([*entry[2:], *hook.get("args", []), *files])
    assert [str(p) for p in ctx.params["paths"]] == files
    assert cli(*entry[1:], "--isolated", *files).exit_code == 0


def test_github_actions_example_is_valid_and_runs(root: Path, tmp_path: Path):
    import shlex

    import yaml

    wf = yaml.safe_load((root / "docs" / "github-actions-example.yml").read_text(encoding="utf-8"))
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert "pull_request" in on and wf["name"]
    job = next(iter(wf["jobs"].values()))
    assert job["runs-on"] and all(("uses" in s) != ("run" in s) for s in job["steps"])
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # --changed-since needs the base branch history
    run_line = next(s["run"] for s in job["steps"] if "ddlens check" in s.get("run", ""))
    argv = shlex.split(run_line)
    assert argv[:2] == ["ddlens", "check"] and "--changed-since" in argv and argv[argv.index("--format") + 1] == "github"
    ctx = _parse_check_args(argv[2:])
    assert ctx.params["changed_since"] == "origin/main" and ctx.params["fmt"].value == "github"
    if shutil.which("git") is None:
        return
    # run the very command line in a repository shaped like the example expects
    repo = tmp_path / "blog"
    (repo / "_posts").mkdir(parents=True)
    (repo / "_posts" / "2019-01-15-good.md").write_text(GOOD, encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    (repo / "_posts" / "2019-01-17-error.md").write_text(ERROR, encoding="utf-8")
    r = cli(*argv[1:], cwd=repo)
    assert r.exit_code == 1
    assert r.stdout.startswith("::error file=_posts/2019-01-17-error.md,line=6,col=18,title=DDL009::")


def test_docs_list_every_rule_as_the_registry_does(root: Path):
    from ddlens.check import all_rules

    doc = (root / "docs" / "check.md").read_text(encoding="utf-8")
    for code, r in all_rules().items():
        assert f"| {code} | `{r.name}` | {r.default.value} | {r.summary}" in doc, code

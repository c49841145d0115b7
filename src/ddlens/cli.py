"""The ``ddlens`` command line: a thin Typer layer over the Python API.

Exit codes (like ruff): 0 all went well; 1 some input had problems (each reported on
stderr as ``path:line: reason``) or, for ``check``, error diagnostics were found;
2 usage error, missing path or internal failure.
"""

from __future__ import annotations

import contextlib
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Iterator, List, Optional, TextIO

import typer

from . import __version__

app = typer.Typer(
    name="ddlens",
    help=(
        "Read digital-development articles (Markdown posts with YAML front matter) and report their "
        "themes, named frameworks, cited sources and transformation pillars."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


train_app = typer.Typer(
    help="Train ddlens models reproducibly from labelled posts (saved with skops).",
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")


# Arguments and options several folder commands share (one definition, one help text)
PostPaths = Annotated[List[Path], typer.Argument(help="Post files, folders (walked for *.md and *.markdown) or globs.")]
OutputFile = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
GlobPattern = Annotated[Optional[str], typer.Option("--glob", help="File name pattern for folders, e.g. '*.markdown'.")]
Jobs = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (0 = one per core). Output order is unchanged.")]
MaxBytes = Annotated[int, typer.Option("--max-bytes", help="Larger files are reported, not analysed.")]
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def load_or_fail(**kwargs: Any) -> Any:
    """``ddlens.load(**kwargs)``; a configuration error is one line on stderr and exit 2."""
    from . import load

    try:
        return load(**kwargs)
    except ValueError as exc:
        raise fail(str(exc)) from None


class AnalyzeFormat(str, Enum):
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    table = "table"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ddlens {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """ddlens: what digital-development articles say."""


def fail(message: str, code: int = 2) -> "typer.Exit":
    typer.echo(f"ddlens: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def open_output(output: Optional[Path]) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        return
    try:
        fh = output.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    with fh:
        yield fh


def collect_paths(paths: List[Path], pattern: Optional[str]) -> list[Path]:
    from .files import MissingPath, iter_post_paths

    try:
        return list(iter_post_paths(paths, pattern))
    except MissingPath as exc:
        raise fail(str(exc)) from None


def progress_iter(items: Iterator[Any], total: int, label: str) -> Iterator[Any]:
    """Wrap an iterator in a progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty() or total < 2:
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True
    ) as bar:
        task = bar.add_task(label, total=total)
        for x in items:
            yield x
            bar.advance(task)


def report_error(err: Any) -> None:
    typer.echo(str(err), err=True)


class FolderRun:
    """What every folder command does with the posts it reads: stream their analyses with a
    progress bar, report each unreadable post in one line on stderr, and exit 1 at the end
    if there were any (every other post still counted)."""

    def __init__(self, files: list[Path], label: str) -> None:
        self.files = files
        self.label = label
        self.failures = 0

    def analyses(self, lens: Any, jobs: int = 1) -> Iterator[Any]:
        import os

        from .postfile import ArticleError

        n_jobs = (os.cpu_count() or 1) if jobs == 0 else max(1, jobs)
        for outcome in progress_iter(lens.analyze_many(self.files, n_process=n_jobs), len(self.files), self.label):
            if isinstance(outcome, ArticleError):
                self.failures += 1
                report_error(outcome)
            else:
                yield outcome

    def finish(self) -> None:
        if self.failures:
            typer.echo(f"ddlens: {self.failures} of {len(self.files)} file(s) could not be analysed", err=True)
            raise typer.Exit(1)


@app.command()
def analyze(
    paths: PostPaths,
    fmt: AnalyzeFormat = typer.Option(AnalyzeFormat.json, "--format", "-f", help="Output format."),
    output: OutputFile = None,
    glob: GlobPattern = None,
    jobs: Jobs = 1,
    spacy_model: Optional[str] = typer.Option(
        None, "--spacy-model", help="An installed spaCy pipeline whose entities sharpen source names (optional)."
    ),
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
    cache: bool = typer.Option(
        True, "--cache/--no-cache", help="Reuse results for unchanged files ($DDLENS_CACHE_DIR or the user cache folder)."
    ),
    taxonomy: Optional[str] = typer.Option(
        None, "--taxonomy", help="Taxonomy for `pillars`: a shipped name (see `ddlens pillars --help`) or a YAML file."
    ),
    frameworks: Optional[List[Path]] = typer.Option(
        None, "--frameworks", metavar="FILE", help="A frameworks patterns file (JSONL) to add to the shipped list (repeatable)."
    ),
) -> None:
    """Analyse posts and print one record per post (see `ddlens schema`).

    Files that cannot be read are reported on stderr as `path:line: reason`; every other
    file is still analysed, and the exit code is 1.
    """

    from . import load
    from .render import get_renderer

    files = collect_paths(paths, glob)
    try:
        config = {**(pillars_config(taxonomy) or {}), **frameworks_config(frameworks)}
        # with the cache on, the pipeline is built at the first post not in the cache: an
        # unchanged folder is re-read without loading spaCy or the models at all
        lens = load(spacy_model=spacy_model, max_bytes=max_bytes, cache=cache, config=config or None, lazy=cache)
    except ValueError as exc:
        raise fail(str(exc)) from None
    run = FolderRun(files, "analysing")
    with open_output(output) as out:
        renderer = get_renderer(fmt.value, out)
        try:
            for analysis in run.analyses(lens, jobs):
                renderer.write(analysis)
        except ValueError as exc:  # a configuration error found when the lazy pipeline was built
            raise fail(str(exc)) from None
        renderer.close()
    run.finish()


@app.command()
def schema() -> None:
    """Print the JSON Schema of one analysis record (the shape of `ddlens analyze` output)."""
    from importlib import resources

    typer.echo(resources.files("ddlens").joinpath("analysis.schema.json").read_text(encoding="utf-8"), nl=False)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    github = "github"
    sarif = "sarif"
    junit = "junit"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"


def _codes(value: Optional[List[str]]) -> tuple[str, ...]:
    return tuple(c.strip() for v in (value or []) for c in v.split(",") if c.strip())


@app.command()
def check(
    paths: List[Path] = typer.Argument(..., metavar="PATH", help="Post files, folders (walked for *.md and *.markdown) or globs."),
    fmt: CheckFormat = typer.Option(CheckFormat.text, "--format", "-f", help="Output format."),
    output: OutputFile = None,
    glob: GlobPattern = None,
    changed_since: Optional[str] = typer.Option(
        None, "--changed-since", metavar="REF", help="Check only posts added or modified since this git revision (untracked included)."
    ),
    select: Optional[List[str]] = typer.Option(None, "--select", metavar="CODES", help="Rules to run instead of the configured set (codes, names, prefixes, ALL; comma-separated)."),
    extend_select: Optional[List[str]] = typer.Option(None, "--extend-select", metavar="CODES", help="Rules to run in addition."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", metavar="CODES", help="Rules not to run."),
    config: Optional[Path] = typer.Option(None, "--config", help="Use this .ddlens.toml or pyproject.toml instead of searching upward."),
    isolated: bool = typer.Option(False, "--isolated", help="Ignore configuration files."),
    vocabulary_from: Optional[List[Path]] = typer.Option(None, "--vocabulary-from", metavar="DIR", help="Learn the tag vocabulary from the posts in DIR (DDL006)."),
    site_root: Optional[Path] = typer.Option(None, "--site-root", metavar="DIR", help="Resolve internal links under this folder (DDL010)."),
    fail_on: FailOn = typer.Option(FailOn.error, "--fail-on", help="Lowest severity that makes the exit code 1."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when problems are found."),
    statistics: bool = typer.Option(False, "--statistics", help="Print the number of diagnostics per rule instead of the diagnostics."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary line on stderr."),
    max_bytes: int = typer.Option(10 * 1024 * 1024, "--max-bytes", help="Larger files are reported (DDL001), not checked."),
) -> None:
    """Check posts for front-matter, Markdown and content problems (see `ddlens rules`).

    Prints `path:line:col: CODE message` per problem. Exit code 0: no error-severity
    problem (or none at --fail-on); 1: at least one; 2: usage error, missing path, bad
    configuration or internal failure.
    """
    from .check import CheckConfigError, ConfigResolver, Overrides, all_rules, check_paths
    from .check.model import Severity
    from .render.diagnostics import get_check_renderer

    try:
        overrides = Overrides(
            select=_codes(select) if select else None,
            extend_select=_codes(extend_select),
            ignore=_codes(ignore),
            vocabulary_from=tuple(vocabulary_from or ()),
            site_root=site_root,
        )
        for folder in (*overrides.vocabulary_from, *((site_root,) if site_root else ())):
            if not folder.is_dir():
                raise CheckConfigError(f"{folder}: no such folder")
        resolver = ConfigResolver(overrides, config_file=config, isolated=isolated)
        result = check_paths(list(paths), resolver=resolver, pattern=glob, changed_since=changed_since, max_bytes=max_bytes)
    except CheckConfigError as exc:
        raise fail(str(exc)) from None
    threshold = Severity(fail_on.value)
    rules = all_rules()
    with open_output(output) as out:
        if statistics:
            counts: dict[str, int] = {}
            for d in result.all():
                counts[d.code] = counts.get(d.code, 0) + 1
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                r = rules[code]
                out.write(f"{n:>6}  {code}  {r.name}\n")
        else:
            renderer = get_check_renderer(fmt.value, out, rules=rules, fail_on=threshold)
            for path in result.files:
                renderer.file(path, result.diagnostics.get(path, []))
            renderer.close()
    for message in result.internal_errors:
        typer.echo(f"ddlens: internal error: {message}", err=True)
    if not quiet:
        n_err, n_warn = result.count(Severity.ERROR), result.count(Severity.WARNING)
        n_posts = len({d.path for d in result.all()})
        if not result.files:
            what = f"no posts changed since {changed_since}" if changed_since else "no posts found"
            typer.echo(f"ddlens: {what}", err=True)
        elif n_err or n_warn:
            typer.echo(
                f"ddlens: {n_err} error{'s' if n_err != 1 else ''} and {n_warn} warning{'s' if n_warn != 1 else ''} "
                f"in {n_posts} of {len(result.files)} post{'s' if len(result.files) != 1 else ''}",
                err=True,
            )
        else:
            typer.echo(f"ddlens: {len(result.files)} post{'s' if len(result.files) != 1 else ''} checked, no problems", err=True)
    if result.internal_errors:
        raise typer.Exit(2)
    if result.failed(threshold) and not exit_zero:
        raise typer.Exit(1)


class RulesFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("rules")
def rules_cmd(
    fmt: RulesFormat = typer.Option(RulesFormat.text, "--format", "-f", help="Output format."),
) -> None:
    """List the `ddlens check` rules: code, name, default severity, what each finds."""
    import json

    from .check import all_rules

    rules = all_rules()
    if fmt is RulesFormat.json:
        typer.echo(json.dumps([r.to_dict() for r in rules.values()], indent=2))
        return
    width = max(len(r.name) for r in rules.values())
    for r in rules.values():
        typer.echo(f"{r.code}  {r.name:<{width}}  {r.default.value:<7}  {r.summary}")


@app.command("rule")
def rule_cmd(code: str = typer.Argument(..., help="A rule code (DDL004) or name (date-filename-mismatch).")) -> None:
    """Explain one `ddlens check` rule: why it matters, how to fix it, its options."""
    from .check import CheckConfigError, get_rule

    try:
        r = get_rule(code)
    except CheckConfigError as exc:
        raise fail(str(exc)) from None
    typer.echo(r.describe(), nl=False)


def pillars_config(taxonomy: Optional[str], model: Optional[Path] = None) -> Optional[dict[str, dict[str, Any]]]:
    """Pipeline config for `ddlens_pillars` from --taxonomy/--model. The model file is named
    explicitly so that result caches key on its bytes; without a trained model, say so."""
    if taxonomy is None and model is None:
        return None
    from .taxonomy import DEFAULT_TAXONOMY, TaxonomyError, load_taxonomy

    try:
        tax = load_taxonomy(taxonomy or DEFAULT_TAXONOMY)
    except TaxonomyError as exc:
        raise fail(str(exc)) from None
    cfg: dict[str, Any] = {"taxonomy": taxonomy or DEFAULT_TAXONOMY}
    path = model if model is not None else tax.model_path()
    if path is not None and (model is not None or path.is_file()):
        cfg["model"] = str(path)
    else:
        typer.echo(
            f"ddlens: taxonomy {tax.name!r} has no trained model: scores count its phrases and are not calibrated "
            f"(train one with `ddlens train pillars CORPUS --taxonomy {taxonomy} --out FILE`)",
            err=True,
        )
    return {"ddlens_pillars": cfg}


class SummaryFormat(str, Enum):
    """Output of the folder summaries (pillars, themes)."""

    json = "json"
    table = "table"


@app.command("pillars")
def pillars_cmd(
    paths: PostPaths,
    fmt: SummaryFormat = typer.Option(SummaryFormat.json, "--format", "-f", help="Output format."),
    taxonomy: str = typer.Option(
        "transformation-pillars",
        "--taxonomy",
        help="A shipped taxonomy (transformation-pillars, principles-for-digital-development) or a YAML file.",
    ),
    model: Optional[Path] = typer.Option(None, "--model", help="A model trained by `ddlens train pillars` for the taxonomy."),
    top: int = typer.Option(5, "--top", help="Posts with the strongest evidence to list per pillar."),
    output: OutputFile = None,
    glob: GlobPattern = None,
    jobs: Jobs = 1,
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
) -> None:
    """Which pillars a folder of posts addresses: the share of posts per pillar, per year,
    the combinations, and the posts with the strongest evidence (with sentences and lines)."""
    import json

    from .pillar_summary import render_table, summarize

    files = collect_paths(paths, glob)
    config = pillars_config(taxonomy, model)
    lens = load_or_fail(components=["ddlens_sentences", "ddlens_pillars"], config=config, max_bytes=max_bytes)
    scorer = lens.nlp.get_pipe("ddlens_pillars")
    run = FolderRun(files, "scoring")
    analyses = list(run.analyses(lens, jobs))
    summary = summarize(analyses, scorer.taxonomy, method=scorer.method, failed=run.failures, top=max(0, top))
    with open_output(output) as out:
        if fmt is SummaryFormat.table:
            render_table(summary, out)
        else:
            out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    run.finish()


@train_app.command("pillars")
def train_pillars_cmd(
    corpus: Path = typer.Argument(..., help="A labelled corpus folder (with labels.jsonl) or a labels .jsonl file."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the model (.skops)."),
    taxonomy: str = typer.Option(
        "transformation-pillars", "--taxonomy", help="A shipped taxonomy name or a YAML file; labels come from its labels_key."
    ),
    folds: int = typer.Option(5, "--folds", help="Cross-validation folds for calibration checks and thresholds."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fold assignment."),
    phrase_weight: Optional[float] = typer.Option(
        None, "--phrase-weight", help="Weight of the taxonomy-phrase features (default 0.1; 0 = off)."
    ),
    c: Optional[float] = typer.Option(None, "--C", help="Inverse regularisation strength (default 10)."),
) -> None:
    """Train the pillar classifier for a taxonomy from labelled posts (deterministic: the
    same corpus and options give a byte-identical file). Compare settings with
    benchmarks/eval_pillars.py before changing the defaults."""
    import dataclasses

    from .pillar_model import ModelConfig
    from .taxonomy import TaxonomyError, load_taxonomy
    from .train.pillars import CorpusError, train

    config = ModelConfig()
    if phrase_weight is not None:
        if phrase_weight < 0:
            raise fail("--phrase-weight must be 0 or more")
        config = dataclasses.replace(config, phrase_weight=phrase_weight)
    if c is not None:
        if c <= 0:
            raise fail("--C must be positive")
        config = dataclasses.replace(config, C=c)

    try:
        tax = load_taxonomy(taxonomy)
    except TaxonomyError as exc:
        raise fail(str(exc)) from None
    try:
        result = train(corpus, tax, out, config=config, folds=folds, seed=seed)
    except CorpusError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise fail(f"{len(exc.problems)} problem(s) in the labelled corpus; no model written", 1) from None
    except (ValueError, OSError) as exc:
        raise fail(str(exc).splitlines()[0]) from None
    key = tax.labels_key or tax.name
    typer.echo(
        f"trained {tax.name} on {result.posts} post(s)"
        + (f" ({result.skipped} without '{key}' labels skipped)" if result.skipped else "")
    )
    width = max(len(i) for i in tax.ids)
    typer.echo(f"{'category':<{width}}  positives  threshold  cv-F1")
    for i in tax.ids:
        typer.echo(f"{i:<{width}}  {result.positives[i]:>9}  {result.thresholds[i]:>9.2f}  {result.cv_f1[i]:.3f}")
    typer.echo(f"macro-F1 {result.macro_f1:.3f} ({folds}-fold, out of fold; thresholds tuned on the same folds)")
    typer.echo(f"wrote {out} (sha256 {result.sha256})")


class SourcesFormat(str, Enum):
    json = "json"
    table = "table"
    csv = "csv"


@app.command("sources")
def sources_cmd(
    paths: PostPaths,
    fmt: SourcesFormat = typer.Option(SourcesFormat.json, "--format", "-f", help="Output format."),
    top: int = typer.Option(20, "--top", help="Keep the N most cited domains, names and works (0 = all)."),
    site_domain: Optional[List[str]] = typer.Option(
        None, "--site-domain", help="The blog's own domain (repeatable): links to it are internal, not cited domains."
    ),
    include_internal: bool = typer.Option(False, "--include-internal", help="Count internal links among the domains."),
    spacy_model: Optional[str] = typer.Option(
        None, "--spacy-model", help="An installed spaCy pipeline whose PERSON/ORG/WORK_OF_ART entities sharpen names."
    ),
    output: OutputFile = None,
    glob: GlobPattern = None,
    jobs: Jobs = 1,
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
) -> None:
    """Who a folder of posts cites: the most cited domains, names (people, organisations,
    publications) and works, with counts and the posts that cite them.

    Counts: `citations` is how many times, `posts` how many posts; lists are ordered by
    posts, then citations. Files that cannot be read are reported on stderr and the exit
    code is 1; the others are still counted.
    """

    from .citations import CitationIndex, write_report

    files = collect_paths(paths, glob)
    config = {"ddlens_sources": {"site_domains": list(site_domain or [])}}
    lens = load_or_fail(components=["ddlens_sentences", "ddlens_sources"], config=config, spacy_model=spacy_model, max_bytes=max_bytes)
    index = CitationIndex(include_internal=include_internal)
    run = FolderRun(files, "reading sources")
    for analysis in run.analyses(lens, jobs):
        index.add(analysis)
    with open_output(output) as out:
        write_report(index.to_dict(top=max(0, top)), fmt.value, out)
    run.finish()


class FrameworksFormat(str, Enum):
    json = "json"
    jsonl = "jsonl"
    table = "table"


def frameworks_config(files: Optional[List[Path]]) -> dict[str, dict[str, Any]]:
    """Pipeline config adding the user's patterns files (checked here, one line per problem)."""
    if not files:
        return {}
    from .components.frameworks import PatternsError, load_patterns

    for f in files:
        try:
            load_patterns(f)
        except PatternsError as exc:
            raise fail(str(exc)) from None
    return {"ddlens_frameworks": {"patterns": [str(f) for f in files]}}


@app.command("frameworks")
def frameworks_cmd(
    paths: PostPaths,
    candidates: bool = typer.Option(
        False, "--candidates", help="List unlisted framework names found before a head noun, as patterns-file lines."
    ),
    frameworks: Optional[List[Path]] = typer.Option(
        None, "--frameworks", metavar="FILE", help="A patterns file (JSONL, like models/frameworks.jsonl) to add (repeatable)."
    ),
    fmt: FrameworksFormat = typer.Option(FrameworksFormat.json, "--format", "-f", help="Output format."),
    min_posts: int = typer.Option(1, "--min-posts", help="Only list names found in at least this many posts."),
    output: OutputFile = None,
    glob: GlobPattern = None,
    jobs: Jobs = 1,
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
) -> None:
    """Named frameworks across a folder: per framework its posts, mentions and one example.

    With --candidates, the capitalised names found before a head noun (framework,
    approach, model, principles, standard, toolkit, index, method...) that are not in the
    list, with counts, one JSON object per line in the patterns-file format: edit the
    category, keep the lines you want, and pass the file back with --frameworks.
    """

    from .framework_summary import FrameworkIndex, write_records

    files = collect_paths(paths, glob)
    config = frameworks_config(frameworks)
    lens = load_or_fail(components=["ddlens_sentences", "ddlens_frameworks"], config=config, max_bytes=max_bytes)
    finder = lens.nlp.get_pipe("ddlens_frameworks")
    index = FrameworkIndex(candidates=candidates, entries=finder.entries)
    run = FolderRun(files, "finding frameworks")
    for analysis in run.analyses(lens, jobs):
        index.add(analysis)
    with open_output(output) as out:
        write_records(index.records(min_posts=max(1, min_posts)), fmt.value, out, candidates=candidates)
    run.finish()


@app.command("themes")
def themes_cmd(
    paths: PostPaths,
    k: Optional[int] = typer.Option(None, "--k", "-k", min=1, help="Number of themes (default: about sqrt(posts/2), 2 to 10)."),
    top_terms: int = typer.Option(10, "--terms", min=1, help="Top terms to list per theme."),
    fmt: SummaryFormat = typer.Option(SummaryFormat.json, "--format", "-f", help="Output format."),
    output: OutputFile = None,
    glob: GlobPattern = None,
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
) -> None:
    """Themes of a folder of posts: a topic model (NMF on TF-IDF of keyphrase candidates,
    fixed random_state), each theme with its top terms, its posts and a count per year."""
    from .article import Article, ArticleError
    from .framework_summary import write_themes
    from .topics import CorpusThemes

    files = collect_paths(paths, glob)
    model = CorpusThemes(k=k, top_terms=top_terms)
    failures = 0
    for f in progress_iter(iter(files), len(files), "reading"):
        try:
            model.add(Article.from_path(f, max_bytes=max_bytes))
        except ArticleError as exc:
            failures += 1
            report_error(exc)
    try:
        result = model.result()
    except ValueError as exc:
        raise fail(str(exc)) from None
    with open_output(output) as out:
        write_themes(result, fmt.value, out)
    if failures:
        typer.echo(f"ddlens: {failures} of {len(files)} file(s) could not be read", err=True)
        raise typer.Exit(1)


@train_app.command("themes")
def train_themes_cmd(
    corpus: Path = typer.Argument(..., help="A folder of posts (e.g. corpora/)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the table (JSON), e.g. models/themes_df.json."),
    min_df: int = typer.Option(2, "--min-df", min=1, help="Leave out phrases found in fewer posts."),
    glob: GlobPattern = None,
) -> None:
    """Build the background document-frequency table of the keyphrase scorer from a folder
    of posts (deterministic: the same posts give the same bytes)."""
    from .files import MissingPath
    from .train.themes import train

    try:
        result = train(corpus, out, min_df=min_df, pattern=glob)
    except MissingPath as exc:
        raise fail(str(exc)) from None
    except (ValueError, OSError) as exc:
        raise fail(str(exc).splitlines()[0]) from None
    for e in result.errors:
        typer.echo(e, err=True)
    typer.echo(f"{result.posts} post(s), {result.phrases} phrase(s) with df >= {min_df}")
    typer.echo(f"wrote {out} (sha256 {result.sha256})")
    if result.errors:
        raise typer.Exit(1)


class TagFormat(str, Enum):
    json = "json"
    jsonl = "jsonl"
    table = "table"
    csv = "csv"


def _train_tags(files: list[Path], key: str, min_count: int, report: bool = True) -> tuple[Any, int, int, int]:
    """Read ``files`` and fit a tag model on those with tags. Returns (model, tagged posts,
    posts read, read failures); unreadable posts are reported if ``report``. Raises
    TagTrainingError."""
    from .train.tags import fit_tag_model, read_tagged

    examples, errors = read_tagged(progress_iter(iter(files), len(files), "reading"), key)
    for err in errors if report else ():
        report_error(err)
    model = fit_tag_model(examples, min_count=min_count)
    return model, sum(1 for e in examples if e.tags), len(examples), len(errors)


@train_app.command("tags")
def train_tags_cmd(
    paths: List[Path] = typer.Argument(..., help="The blog's posts: folders (walked for *.md and *.markdown), files or globs."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the model (.skops)."),
    key: str = typer.Option("tags", "--key", help="The front-matter key that holds a post's tags (list or comma string)."),
    min_count: int = typer.Option(3, "--min-count", help="Learn only tags on at least this many posts."),
    glob: GlobPattern = None,
) -> None:
    """Learn a blog's own tag vocabulary from its tagged posts (deterministic: the same posts
    give a byte-identical file). Use it with `ddlens tag DIR --model FILE` or
    `ddlens.load(config={"ddlens_tags": {"model": FILE}})`. Quality on real blogs:
    benchmarks/bench_tags.py."""
    import hashlib

    from .modelio import ModelError
    from .train.tags import TagTrainingError, save_tag_model

    if min_count < 1:
        raise fail("--min-count must be 1 or more")
    files = collect_paths(paths, glob)
    try:
        model, tagged, read, failed = _train_tags(files, key, min_count)
    except TagTrainingError as exc:
        raise fail(f"no model written: {exc}", 1) from None
    try:
        data = save_tag_model(model, out)
    except (OSError, ModelError) as exc:
        raise fail(f"cannot write {out}: {getattr(exc, 'strerror', None) or exc}") from None
    m = model.meta
    typer.echo(
        f"trained on {tagged} tagged post(s) of {read} read"
        + (f" ({read - tagged} without '{key}' skipped)" if read > tagged else "")
        + f": {m['tags']} tag(s) on {min_count}+ posts"
    )
    typer.echo(
        f"cross-validated micro-F1 {m['cv_micro_f1']:.3f} ({m['folds']}-fold, out of fold; thresholds tuned on the same folds); "
        f"at most {model.max_tags or 'any number of'} tag(s) per post"
    )
    typer.echo(f"wrote {out} (sha256 {hashlib.sha256(data).hexdigest()[:16]})")
    if failed:
        typer.echo(f"ddlens: {failed} file(s) could not be read", err=True)
        raise typer.Exit(1)


@app.command("tag")
def tag_cmd(
    paths: PostPaths,
    model: Optional[Path] = typer.Option(
        None, "--model", "-m", help="A tag model from `ddlens train tags`. Without it, one is trained on these posts first."
    ),
    fmt: TagFormat = typer.Option(TagFormat.json, "--format", "-f", help="Output format of the records."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the records to this file instead of stdout."),
    write: bool = typer.Option(False, "--write", help="Write the findings into each post's front matter (under --key)."),
    add_tags: bool = typer.Option(False, "--add-tags", help="With --write: also append missing suggested tags to the post's tags."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print a unified diff of what --write would change; write nothing."),
    key: str = typer.Option("ddlens", "--key", help="Front-matter key for ddlens' findings."),
    tags_key: str = typer.Option("tags", "--tags-key", help="The front-matter key of the post's own tags."),
    min_count: int = typer.Option(3, "--min-count", help="Without --model: learn only tags on at least this many posts."),
    glob: GlobPattern = None,
    jobs: Jobs = 1,
    max_bytes: MaxBytes = DEFAULT_MAX_BYTES,
) -> None:
    """Suggest tags from the blog's own vocabulary and, with --write, store ddlens' findings
    (assigned pillars, frameworks, top themes, suggested tags) in each post's front matter.

    The edit is surgical: nothing else in the file changes (other keys, their order and
    quoting, comments, blank lines, the body, line endings, a BOM), each file is replaced
    atomically, and a second run changes nothing (with --add-tags, pass --model: retraining
    would learn from the tags the first run added). With --dry-run the diff goes to stdout and
    the records only to --output. Ends with a summary on stderr: posts read, written,
    unchanged, failed. Exit code 1 if any post could not be read or written.
    """
    import os
    import tempfile

    from .article import ArticleError
    from .render import get_renderer

    if add_tags and not (write or dry_run):
        raise fail("--add-tags changes files: use it with --write (or --dry-run to see the diff)")
    if key == tags_key:
        raise fail("--key and --tags-key must differ")
    editing = write or dry_run
    files = collect_paths(paths, glob)
    failed = 0
    tmpdir: Optional[tempfile.TemporaryDirectory[str]] = None
    config: dict[str, dict[str, Any]] = {}
    try:
        if model is not None:
            config["ddlens_tags"] = {"model": str(model)}
        else:
            from .train.tags import TagTrainingError, save_tag_model

            where = ", ".join(str(p) for p in paths)
            typer.echo(f"ddlens: no --model given: training a tag model on the tagged posts in {where} first", err=True)
            try:
                trained, tagged, _, _ = _train_tags(files, tags_key, min_count, report=False)  # analysis reports them
            except TagTrainingError as exc:
                typer.echo(f"ddlens: no tag model ({exc}); suggested_tags stay empty", err=True)
            else:
                tmpdir = tempfile.TemporaryDirectory(prefix="ddlens-tags-")
                path = os.path.join(tmpdir.name, "tags.skops")
                save_tag_model(trained, path)
                config["ddlens_tags"] = {"model": path}
                typer.echo(
                    f"ddlens: learned {trained.meta['tags']} tag(s) from {tagged} tagged post(s) "
                    f"(cross-validated micro-F1 {trained.meta['cv_micro_f1']:.3f}); "
                    "save it with `ddlens train tags` and pass --model to reuse it",
                    err=True,
                )
        lens = load_or_fail(max_bytes=max_bytes, config=config or None)
        n_jobs = (os.cpu_count() or 1) if jobs == 0 else max(1, jobs)
        counts = {"read": 0, "written": 0, "unchanged": 0}
        with contextlib.ExitStack() as stack:
            renderer = None
            if output is not None or not dry_run:  # with --dry-run, stdout carries the diff
                renderer = get_renderer(fmt.value, stack.enter_context(open_output(output)))
            outcomes = lens.analyze_many(files, n_process=n_jobs)
            for path, outcome in zip(files, progress_iter(outcomes, len(files), "tagging")):
                if isinstance(outcome, ArticleError):
                    failed += 1
                    report_error(outcome)
                    continue
                counts["read"] += 1
                if renderer is not None:
                    renderer.write(outcome)
                if editing and not _write_back(path, outcome, key, tags_key, add_tags, dry_run, counts):
                    failed += 1
            if renderer is not None:
                renderer.close()
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()
    verb = "would be written" if dry_run else "written"
    if editing:
        summary = f"{counts['read']} read, {counts['written']} {verb}, {counts['unchanged']} unchanged, {failed} failed"
    else:
        summary = f"{counts['read']} read, 0 written (use --write), {failed} failed"
    typer.echo(f"ddlens: {summary}", err=True)
    if failed:
        raise typer.Exit(1)


def _write_back(
    path: Path, analysis: Any, key: str, tags_key: str, add_tags: bool, dry_run: bool, counts: dict[str, int]
) -> bool:
    """Plan and (unless dry_run) apply one post's front-matter edit; False on failure."""
    from .writeback import WriteBackError, apply, findings_mapping, plan

    suggested = [t.tag for t in analysis.suggested_tags] if add_tags else []
    try:
        edit = plan(path, findings_mapping(analysis), key=key, add_tags=suggested, tags_key=tags_key)
        if not edit.changed:
            counts["unchanged"] += 1
            return True
        if dry_run:
            sys.stdout.write(edit.diff())
        else:
            apply(edit)
    except WriteBackError as exc:
        report_error(exc)
        return False
    counts["written"] += 1
    return True


def main() -> None:
    """Console-script entry point: usage errors exit 2, unexpected failures exit 2 with one line."""
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("ddlens: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # one line, not a traceback; DDLENS_DEBUG=1 shows it
        import os

        if os.environ.get("DDLENS_DEBUG"):
            raise
        typer.echo(f"ddlens: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()

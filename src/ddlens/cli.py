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
from typing import Any, Iterator, List, Optional, TextIO

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


@app.command()
def analyze(
    paths: List[Path] = typer.Argument(..., help="Post files, folders (walked for *.md and *.markdown) or globs."),
    fmt: AnalyzeFormat = typer.Option(AnalyzeFormat.json, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    glob: Optional[str] = typer.Option(None, "--glob", help="File name pattern for folders, e.g. '*.markdown'."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Worker processes (0 = one per core). Output order is unchanged."),
    spacy_model: Optional[str] = typer.Option(
        None, "--spacy-model", help="An installed spaCy pipeline whose entities sharpen source names (optional)."
    ),
    max_bytes: int = typer.Option(10 * 1024 * 1024, "--max-bytes", help="Larger files are reported, not analysed."),
    cache: bool = typer.Option(
        True, "--cache/--no-cache", help="Reuse results for unchanged files ($DDLENS_CACHE_DIR or the user cache folder)."
    ),
) -> None:
    """Analyse posts and print one record per post (see `ddlens schema`).

    Files that cannot be read are reported on stderr as `path:line: reason`; every other
    file is still analysed, and the exit code is 1.
    """
    import os

    from . import load
    from .article import ArticleError
    from .render import get_renderer

    files = collect_paths(paths, glob)
    try:
        lens = load(spacy_model=spacy_model, max_bytes=max_bytes, cache=cache)
    except ValueError as exc:
        raise fail(str(exc)) from None
    n_jobs = (os.cpu_count() or 1) if jobs == 0 else max(1, jobs)
    failures = 0
    with open_output(output) as out:
        renderer = get_renderer(fmt.value, out)
        for outcome in progress_iter(lens.analyze_many(files, n_process=n_jobs), len(files), "analysing"):
            if isinstance(outcome, ArticleError):
                failures += 1
                report_error(outcome)
            else:
                renderer.write(outcome)
        renderer.close()
    if failures:
        typer.echo(f"ddlens: {failures} of {len(files)} file(s) could not be analysed", err=True)
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of one analysis record (the shape of `ddlens analyze` output)."""
    from importlib import resources

    typer.echo(resources.files("ddlens").joinpath("analysis.schema.json").read_text(encoding="utf-8"), nl=False)


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

"""Runs the rules over posts and collects diagnostics.

Order of work: find the posts (folders, files, globs; ``--changed-since`` narrows them),
parse each one (a post that cannot be parsed becomes a DDL001 diagnostic), run the
per-post rules, then the corpus rules (which compare posts), then — only if some post has
a rule enabled that needs it — the ddlens NLP pipeline for the analysis rules. Suppression
comments are applied last. Output order is deterministic: posts in input order,
diagnostics by line, column and code.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..article import DEFAULT_MAX_BYTES, Article, ArticleError
from .config import CheckConfig, ConfigResolver
from .context import PostContext
from .model import CheckConfigError, Diagnostic, Rule, Severity, all_rules, get_rule
from .suppress import Suppressions, parse_suppressions

__all__ = ["CheckResult", "Corpus", "PostSummary", "check_paths", "check_files"]

_SKIP_DIRS = {"_site", "node_modules", "vendor", ".git", ".jekyll-cache", ".sass-cache"}


_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-")


def _slug_of(stem: str) -> str:
    m = _DATED.match(stem)
    return stem[m.end() :] if m else stem


@dataclass
class PostSummary:
    """What the corpus rules need of one post: read from its front matter only."""

    key: Path  # resolved path
    display: str
    title: Any = None
    slug: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _summary(path: Path, display: str, metadata: dict[str, Any]) -> PostSummary:
    slug = metadata.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        slug = _slug_of(path.stem)
    return PostSummary(Path(os.path.abspath(path)), display, metadata.get("title"), slug.strip(), metadata)


def _front_matter_only(path: Path) -> dict[str, Any]:
    """The front matter of a post that is not checked (errors: empty)."""
    from ..frontmatter_io import FrontMatterError, load_yaml, split_front_matter

    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            head = fh.read(300_000)
        split = split_front_matter(head)
        if split.fm_text is None:
            return {}
        return load_yaml(split.fm_text, split.fm_start_line)
    except (OSError, FrontMatterError, ValueError):
        return {}


class SiteIndex:
    """Files and posts under a site root, for DDL010."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))

    @cached_property
    def _posts(self) -> tuple[set[str], set[str]]:
        names: set[str] = set()
        slugs: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
            parts = Path(dirpath).relative_to(self.root).parts
            if "_posts" not in parts and "_drafts" not in parts:
                continue
            inner = parts[parts.index("_posts" if "_posts" in parts else "_drafts") + 1 :]
            for f in filenames:
                stem, ext = os.path.splitext(f)
                if ext.lower() not in (".md", ".markdown", ".html", ".textile"):
                    continue
                names.add(stem)
                names.add("/".join((*inner, stem)))
                slugs.add(_slug_of(stem).casefold())
        return names, slugs

    @property
    def post_names(self) -> set[str]:
        return self._posts[0]

    def resolves(self, path: str, post_dir: Path) -> bool:
        rel = path.lstrip("/")
        bases = [self.root] if path.startswith("/") else [post_dir, self.root]
        for base in bases:
            p = Path(os.path.normpath(base / rel)) if rel else base
            cands = [p]
            if rel:  # a page 'about.md' is served as /about.html or, with a permalink, /about/
                cands += [p.with_name(p.name + ext) for ext in (".md", ".markdown", ".html")]
                if p.suffix == ".html":
                    cands += [p.with_suffix(".md"), p.with_suffix(".markdown")]
            for c in cands:
                if c.is_file():
                    return True
            if p.is_dir() and any((p / i).is_file() for i in ("index.html", "index.md", "index.markdown", "index.htm")):
                return True
        segs = [s for s in path.split("/") if s]
        if segs:
            last = segs[-1]
            if last.endswith(".html"):
                last = last[:-5]
            if last.casefold() in self._posts[1]:
                return True
        return False


class Corpus:
    """Every post in the checked folders (checked or not), for the cross-post rules."""

    def __init__(self, universe: Sequence[Path], displays: dict[Path, str]) -> None:
        self.universe = list(universe)
        self.displays = displays
        self.checked: dict[Path, PostSummary] = {}  # resolved path -> summary from its Article
        self._vocab: dict[Any, Vocabulary | None] = {}
        self._sites: dict[Path, SiteIndex] = {}

    @staticmethod
    def key(path: Path) -> Path:
        return Path(os.path.abspath(path))

    def add_checked(self, path: Path, display: str, metadata: dict[str, Any]) -> None:
        self.checked[self.key(path)] = _summary(path, display, metadata)

    def summary(self, path: Path) -> PostSummary:
        return self.checked[self.key(path)]

    @cached_property
    def summaries(self) -> list[PostSummary]:
        out = []
        for p in self.universe:
            k = self.key(p)
            s = self.checked.get(k)
            if s is None:
                s = _summary(p, self.displays.get(k, str(p)), _front_matter_only(p))
            out.append(s)
        return out

    def _index(self, keyfunc) -> dict[str, list[PostSummary]]:  # type: ignore[no-untyped-def]
        idx: dict[str, list[PostSummary]] = {}
        for s in self.summaries:
            k = keyfunc(s)
            if k is not None:
                idx.setdefault(k, []).append(s)
        return idx

    @cached_property
    def by_slug(self) -> dict[str, list[PostSummary]]:
        from .rules_corpus import slug_key

        return self._index(slug_key)

    @cached_property
    def by_title(self) -> dict[str, list[PostSummary]]:
        from .rules_corpus import title_key

        return self._index(lambda s: title_key(s.title))

    def vocabulary_for(self, config: CheckConfig, keys: Sequence[str]) -> "Vocabulary | None":
        """The tag vocabulary of a config: configured tags, and tag counts over the posts in
        ``vocabulary_from`` (None when neither is configured)."""
        ck = (config.key, config.vocabulary, tuple(keys))
        if ck not in self._vocab:
            self._vocab[ck] = self._build_vocabulary(config, keys)
        return self._vocab[ck]

    def _build_vocabulary(self, config: CheckConfig, keys: Sequence[str]) -> "Vocabulary | None":
        if config.vocabulary is None and not config.vocabulary_from:
            return None
        counts: dict[str, int] = {}
        own: dict[Path, frozenset[str]] = {}
        if config.vocabulary_from:
            from ..files import iter_post_paths
            from .rules_frontmatter import raw_tags

            for p in iter_post_paths(config.vocabulary_from):
                k = self.key(p)
                s = self.checked.get(k)
                md = s.metadata if s is not None else _front_matter_only(p)
                tags = frozenset(t for key in keys for t in raw_tags(md, key))
                own[k] = tags
                for t in tags:
                    counts[t] = counts.get(t, 0) + 1
        return Vocabulary(config.vocabulary or frozenset(), counts, own)

    def site_index(self, root: Path) -> SiteIndex:
        k = self.key(root)
        if k not in self._sites:
            self._sites[k] = SiteIndex(k)
        return self._sites[k]


@dataclass
class Vocabulary:
    """Allowed tags: the configured ones, plus tags used by enough *other* posts."""

    configured: frozenset[str]
    counts: dict[str, int]  # tag -> number of posts in vocabulary-from that use it
    own: dict[Path, frozenset[str]]  # post -> its tags (so a post does not vouch for itself)

    def tags_for(self, post: Path, min_count: int) -> frozenset[str]:
        mine = self.own.get(Corpus.key(post), frozenset())
        learned = {t for t, c in self.counts.items() if c - (1 if t in mine else 0) >= max(1, min_count)}
        return self.configured | learned


@dataclass
class CheckResult:
    files: list[str] = field(default_factory=list)  # display paths, in order
    diagnostics: dict[str, list[Diagnostic]] = field(default_factory=dict)
    internal_errors: list[str] = field(default_factory=list)

    def all(self) -> list[Diagnostic]:
        return [d for f in self.files for d in self.diagnostics.get(f, [])]

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.all() if d.severity is severity)

    def failed(self, fail_on: Severity) -> bool:
        return any(d.severity.rank >= fail_on.rank for d in self.all())


def _resolve_code(raw: str) -> str | None:
    try:
        return get_rule(raw).code
    except CheckConfigError:
        return None


@dataclass
class _Post:
    path: Path
    display: str
    config: CheckConfig
    source: str | None = None
    article: Article | None = None
    ctx: PostContext | None = None
    found: list[tuple[Rule, int, int, str]] = field(default_factory=list)


def _read(path: Path, max_bytes: int) -> tuple[str | None, Article | None, ArticleError | None]:
    """(source text, article, error): the text survives a front-matter error (for suppressions)."""
    name = str(path)
    try:
        if path.is_dir():
            return None, None, ArticleError(name, "is a folder, not a file")
        size = path.stat().st_size
        if size > max_bytes:
            return None, None, ArticleError(
                name, f"file is too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        return None, None, ArticleError(name, exc.strerror or str(exc))
    source: str | None = None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return source, Article.from_bytes(data, name), None
    except ArticleError as exc:
        return source, None, exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a parser bug must not stop the run
        return source, None, ArticleError(name, f"the post could not be parsed: {type(exc).__name__}: {exc}")


def check_files(
    files: Sequence[Path],
    resolver: ConfigResolver,
    universe: Sequence[Path] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CheckResult:
    """Check ``files`` (display paths are ``str(path)``); ``universe`` are the posts the
    corpus rules compare them with (default: ``files``)."""
    rules = all_rules()
    universe = list(universe) if universe is not None else list(files)
    displays = {Corpus.key(p): str(p) for p in universe}
    displays.update({Corpus.key(p): str(p) for p in files})
    corpus = Corpus(universe, displays)
    result = CheckResult()
    posts: list[_Post] = []
    r001 = rules["DDL001"]
    for path in files:
        display = str(path)
        post = _Post(path, display, resolver.for_path(path))
        posts.append(post)
        result.files.append(display)
        post.source, post.article, err = _read(path, max_bytes)
        if err is not None:
            line = err.line or 1
            post.found.append((r001, line, 1, err.reason))
            continue
        assert post.article is not None
        if post.source is None:
            post.source = post.article.source
        corpus.add_checked(path, display, post.article.metadata)
        post.ctx = PostContext(path=path, display=display, article=post.article, config=post.config, corpus=corpus)

    by_scope: dict[str, list[Rule]] = {}
    for r in rules.values():
        by_scope.setdefault(r.scope, []).append(r)

    def run(post: _Post, r: Rule, *args: Any) -> None:
        assert post.ctx is not None and r.func is not None
        post.ctx.code = r.code
        try:
            for f in r.func(post.ctx, *args):
                post.found.append((r, f.line, f.column, f.message))
        except Exception as exc:  # a bug in a rule: report it, keep checking the others
            result.internal_errors.append(f"{post.display}: rule {r.code} failed: {type(exc).__name__}: {exc}")

    for scope in ("post", "corpus"):
        for post in posts:
            if post.ctx is None:
                continue
            for r in by_scope.get(scope, []):
                if post.config.enabled(r.code):
                    run(post, r)

    analysis_rules = by_scope.get("analysis", [])
    needy = [p for p in posts if p.ctx is not None and any(p.config.enabled(r.code) for r in analysis_rules)]
    if needy:
        for post, analysis in zip(needy, _analyses(needy, analysis_rules)):
            for r in analysis_rules:
                if post.config.enabled(r.code):
                    if isinstance(analysis, ArticleError):
                        post.found.append((r001, analysis.line or 1, 1, analysis.reason))
                        break
                    run(post, r, analysis)

    for post in posts:
        sup = parse_suppressions(post.source or "", _resolve_code)
        diags = _diagnostics(post, sup, rules)
        result.diagnostics[post.display] = diags
    return result


def _analyses(posts: Sequence[_Post], analysis_rules: Sequence[Rule]) -> Iterable[Any]:
    """One Analysis (or ArticleError) per post, from a pipeline with just the components needed."""
    from ..pipeline import DEFAULT_COMPONENTS

    needed = {r.needs for r in analysis_rules if any(p.config.enabled(r.code) for p in posts)}
    missing = sorted(n for n in needed if n not in DEFAULT_COMPONENTS)
    if missing:
        codes = ", ".join(r.code for r in analysis_rules if r.needs in missing)
        raise CheckConfigError(f"rule {codes} needs the {', '.join(missing)} component, which this ddlens does not have")
    last = max(DEFAULT_COMPONENTS.index(n) for n in needed if n)  # type: ignore[arg-type]
    components = tuple(DEFAULT_COMPONENTS[: last + 1])
    lens = _LENSES.get(components)
    if lens is None:
        from ..lens import load

        lens = _LENSES[components] = load(components=list(components))
    return lens.analyze_many([p.article for p in posts])


_LENSES: dict[tuple[str, ...], Any] = {}  # pipelines loaded in this process, by component list


def _diagnostics(post: _Post, sup: Suppressions, rules: dict[str, Rule]) -> list[Diagnostic]:
    out: set[Diagnostic] = set()
    for r, line, col, message in post.found:
        if r.code == "DDL001":
            sev = Severity.ERROR  # an unreadable post is never passed silently: not configurable
        else:
            sev = post.config.severity(r.code)
            if sev is Severity.OFF or sup.suppressed(r.code, line):
                continue
        out.add(Diagnostic(post.display, line, col, r.code, r.name, sev, message))
    r020 = rules["DDL020"]
    sev020 = post.config.severity("DDL020")
    if sev020 is not Severity.OFF:
        for line, col, message in sup.problems:
            if not sup.suppressed("DDL020", line):
                out.add(Diagnostic(post.display, line, col, r020.code, r020.name, sev020, message))
    return sorted(out, key=Diagnostic.sort_key)


def check_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    resolver: ConfigResolver | None = None,
    pattern: str | None = None,
    changed_since: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CheckResult:
    """Check the posts named by ``paths`` (files, folders, globs). The Python entry point of
    ``ddlens check``. Raises :class:`CheckConfigError` for usage problems (missing path,
    bad configuration, unknown git revision)."""
    from ..files import MissingPath, iter_post_paths

    try:
        universe = list(iter_post_paths(paths, pattern))
    except MissingPath as exc:
        raise CheckConfigError(str(exc)) from None
    files = universe
    if changed_since is not None:
        from .changed import changed_files

        first = Path(os.fspath(paths[0])) if paths else Path(".")
        cwd = first if first.is_dir() else first.parent
        changed = changed_files(changed_since, Path(os.path.abspath(cwd)) if str(cwd) else Path.cwd())
        files = [p for p in universe if Path(os.path.realpath(p)) in changed or Corpus.key(p) in changed]
    return check_files(files, resolver or ConfigResolver(), universe=universe, max_bytes=max_bytes)

"""``Lens``: a loaded ddlens pipeline that turns posts into :class:`Analysis` results."""

from __future__ import annotations

import os
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence, Union

from .analysis import Analysis, analysis_from_dict
from .postfile import DEFAULT_MAX_BYTES, ArticleError, read_post_bytes

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from .article import Article
    from spacy.tokens import Doc

# spaCy, scikit-learn and the models are imported only when a post has to be analysed: a
# re-run whose posts are all in the result cache never loads them (seconds of start-up)

__all__ = ["Lens", "load", "analysis_from_doc"]

Input = Union["Article", str, "os.PathLike[str]", Any]
Outcome = Union[Analysis, ArticleError]


def count_words(doc: "Doc") -> int:
    """Tokens that are neither punctuation nor whitespace."""
    import numpy as np
    from spacy.attrs import IS_PUNCT, IS_SPACE

    if not len(doc):
        return 0
    arr = doc.to_array([IS_PUNCT, IS_SPACE])
    # the flags are 0 or 1: OR-ing the two columns is any(axis=1) without a generic reduction
    return int(len(doc) - np.count_nonzero(arr[:, 0] | arr[:, 1]))


def analysis_from_doc(doc: "Doc") -> Analysis:
    """Collect what the components put on ``doc._`` into one :class:`Analysis`."""
    a: "Article | None" = doc._.article
    date = a.date if a is not None else None
    return Analysis(
        path=a.path if a is not None else None,
        title=a.title if a is not None else None,
        date=date.isoformat() if date is not None else None,
        authors=tuple(a.authors) if a is not None else (),
        tags=tuple(a.tags) if a is not None else (),
        words=count_words(doc),
        themes=tuple(doc._.themes or ()),
        frameworks=tuple(doc._.frameworks or ()),
        sources=tuple(doc._.sources or ()),
        pillars=tuple(doc._.pillars or ()),
        suggested_tags=tuple(doc._.suggested_tags or ()),
    )


def _release(doc: "Doc") -> None:
    """Drop what the components stored on a Doc nobody will see again. ``doc._.framework_spans``
    holds Spans, which hold the Doc: a reference cycle that only a full cyclic GC frees, which
    runs rarely, so without this RSS grew by ~100 MB over the first few thousand posts."""
    doc.user_data.clear()


class Lens:
    """A ddlens pipeline. Make one with :func:`ddlens.load`; reuse it for many posts."""

    def __init__(
        self, nlp: "Language | None" = None, options: Mapping[str, Any] | None = None, build: "Callable[[], Language] | None" = None
    ) -> None:
        if nlp is None and build is None:
            raise TypeError("Lens needs a spaCy Language or a function that builds one")
        self._nlp = nlp
        self._build = build
        self.options = dict(options or {})
        self.max_bytes = int(self.options.get("max_bytes", DEFAULT_MAX_BYTES))
        self.cache = None
        cache_opt = self.options.get("cache")
        if cache_opt:
            from .cache import ResultCache

            self.cache = ResultCache(None if cache_opt is True else cache_opt)
        self._salt: str | None = None

    @property
    def nlp(self) -> "Language":
        """The spaCy pipeline, built on first use when the Lens was loaded lazily."""
        if self._nlp is None:
            assert self._build is not None
            self._nlp = self._build()
        return self._nlp

    @property
    def loaded(self) -> bool:
        """Whether the pipeline has been built (a lazy Lens builds it at its first cache miss)."""
        return self._nlp is not None

    @property
    def salt(self) -> str:
        """Fingerprint of version, code, models and configuration (part of every cache key)."""
        if self._salt is None:
            from .cache import config_fingerprint

            self._salt = config_fingerprint(self.options)
        return self._salt

    # -- single post ----------------------------------------------------------------------
    def article(self, x: Input) -> "Article":
        from .article import Article

        return Article.coerce(x, max_bytes=self.max_bytes)

    def make_doc(self, article: "Article") -> "Doc":
        doc = self.nlp.make_doc(article.text)
        doc._.article = article
        return doc

    def analyze(self, x: Input) -> Analysis:
        """Analyse one post: a path (``pathlib.Path``), Markdown text (``str``), a
        ``frontmatter.Post`` or an :class:`Article`. Raises :class:`ArticleError` on bad input."""
        article = self.article(x)
        doc = self.nlp(self.make_doc(article))
        try:
            return analysis_from_doc(doc)
        finally:
            _release(doc)

    # -- many posts -----------------------------------------------------------------------
    def analyze_many(self, items: Iterable[Input], n_process: int = 1, batch_size: int = 64) -> Iterator[Outcome]:
        """Stream one outcome per input, in input order: an :class:`Analysis`, or the
        :class:`ArticleError` that says why that post could not be read."""
        try:
            if n_process != 1:
                from .parallel import analyze_parallel

                yield from analyze_parallel(self, items, n_process=n_process)
                return
            it = iter(items)
            while True:
                chunk = list(islice(it, batch_size))
                if not chunk:
                    return
                yield from self._analyze_chunk(chunk)
        finally:
            if self.cache is not None:
                self.cache.evict(force=n_process != 1)

    def _analyze_chunk(self, chunk: Sequence[Input]) -> Iterator[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(chunk)
        keys: dict[int, str] = {}
        pending: list[tuple["Doc", int]] = []
        for i, x in enumerate(chunk):
            try:
                if self.cache is not None and isinstance(x, os.PathLike):
                    name = os.fspath(x)
                    data = read_post_bytes(x, self.max_bytes)
                    key = self.cache.key(self.salt, name, data)
                    hit = self.cache.get(key)
                    if hit is not None:
                        outcomes[i] = analysis_from_dict(hit)
                        continue
                    keys[i] = key
                    from .article import Article

                    article = Article.from_bytes(data, name)
                else:
                    article = self.article(x)
                pending.append((self.make_doc(article), i))
            except ArticleError as exc:
                outcomes[i] = exc
        if not pending:  # every post came from the cache (or failed): nothing to load
            yield from (o for o in outcomes if o is not None)
            return
        for doc, i in self.nlp.pipe(pending, as_tuples=True):
            result = analysis_from_doc(doc)
            _release(doc)
            outcomes[i] = result
            if i in keys and self.cache is not None:
                self.cache.put(keys[i], result.to_dict())
        for o in outcomes:
            assert o is not None
            yield o


def load(
    components: Sequence[str] | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    spacy_model: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    cache: bool | str | os.PathLike[str] | None = None,
    lazy: bool = False,
) -> Lens:
    """Load the ddlens pipeline: offline, from the shipped models, no download.

    components: ddlens factory names to run (default: all).
    config: per-component settings, e.g. ``{"ddlens_pillars": {"taxonomy": "my.yaml"}}``.
    spacy_model: an installed spaCy pipeline to run first, for extra NER (optional).
    max_bytes: larger files are reported as errors instead of analysed.
    cache: reuse results for unchanged files given as paths: True for the user cache folder
        (``$DDLENS_CACHE_DIR`` or the platform's), or a folder. Off by default in the API.
    lazy: build the pipeline at the first post that needs it, not now: with a warm cache a
        run may never need it. Configuration errors then surface at that post.
    """
    options = {"max_bytes": max_bytes, "components": components, "config": config, "spacy_model": spacy_model}
    if cache:
        options["cache"] = cache if cache is True else os.fspath(cache)

    def build() -> "Language":
        from .pipeline import build_nlp

        return build_nlp(components=components, config=config, spacy_model=spacy_model)

    return Lens(None if lazy else build(), options, build=build)

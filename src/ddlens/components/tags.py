"""``ddlens_tags``: tags a post could carry, from a tag model trained on a blog's own posts.

Added to the pipeline only when a model is configured::

    ddlens.load(config={"ddlens_tags": {"model": "tags.skops"}})

The model (``ddlens train tags DIR --out tags.skops``, :mod:`ddlens.train.tags`) reads
the post's title, excerpt and body; ``doc._.suggested_tags`` gets the tags at or above
their thresholds, best first, as :class:`ddlens.analysis.TagSuggestion`. Every suggested
tag is listed, including those the post already has.
"""

from __future__ import annotations

import os
from functools import lru_cache
from itertools import islice
from typing import Any, Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from ..analysis import TagSuggestion
from ..extensions import register_extensions


@lru_cache(maxsize=4)
def _load(resolved: str, _mtime_ns: int, _size: int) -> Any:
    from ..train.tags import load_tag_model

    return load_tag_model(resolved)


def load_cached(path: str) -> Any:
    """The tag model at ``path`` (reloaded when the file changes). Raises ModelError."""
    from ..modelio import ModelError

    resolved = os.path.realpath(path)
    try:
        st = os.stat(resolved)
    except OSError as exc:
        raise ModelError(path, f"cannot read tag model: {exc.strerror}") from None
    return _load(resolved, st.st_mtime_ns, st.st_size)


class TagSuggester:
    def __init__(self, name: str = "ddlens_tags", model: str = "") -> None:
        if not model:
            raise ValueError(
                "ddlens_tags needs a tag model: config {'model': 'tags.skops'} (train one with `ddlens train tags DIR --out FILE`)"
            )
        self.name = name
        self.model_path = model
        self.model = load_cached(model)
        register_extensions()

    @staticmethod
    def fields(doc: Doc) -> tuple[str, str, str]:
        from ..train.tags import post_fields

        article = doc._.article
        return post_fields(article if article is not None else doc.text)

    def suggest(self, docs: list[Doc]) -> None:
        for doc, found in zip(docs, self.model.suggest([self.fields(d) for d in docs])):
            doc._.suggested_tags = [TagSuggestion(tag, score) for tag, score in found]

    def __call__(self, doc: Doc) -> Doc:
        self.suggest([doc])
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        it = iter(stream)
        while True:
            batch = list(islice(it, batch_size))
            if not batch:
                return
            self.suggest(batch)
            yield from batch


@Language.factory("ddlens_tags", default_config={"model": ""})
def make_tags(nlp: Language, name: str, model: str) -> TagSuggester:
    return TagSuggester(name, model)

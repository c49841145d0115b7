"""Builds the one spaCy ``Language`` ddlens runs: a blank English pipeline (or a pipeline
the user names, for extra NER) plus the ddlens components, each a registered factory.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import spacy
from spacy.language import Language

from . import components as _registers_factories  # noqa: F401  (importing registers them)
from .extensions import register_extensions

__all__ = ["DEFAULT_COMPONENTS", "build_nlp"]

# Order matters: later components read what earlier ones set.
DEFAULT_COMPONENTS: tuple[str, ...] = (
    "ddlens_sentences",
    "ddlens_frameworks",
    "ddlens_sources",
    "ddlens_themes",
    "ddlens_pillars",
)

MAX_LENGTH = 2**30  # ddlens' default pipeline has no parser: long texts are fine


def build_nlp(
    components: Sequence[str] | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    spacy_model: str | None = None,
) -> Language:
    """A ``Language`` with the ddlens components.

    components: factory names, in order (default :data:`DEFAULT_COMPONENTS`).
    config: per-component config, e.g. ``{"ddlens_pillars": {"taxonomy": "x.yaml"}}``.
    spacy_model: name or path of an installed spaCy pipeline whose components run first
    (its entities can sharpen source names); nothing requires one.
    """
    register_extensions()
    config = config or {}
    if spacy_model:
        try:
            nlp = spacy.load(spacy_model)
        except OSError as exc:
            raise ValueError(f"cannot load spaCy pipeline {spacy_model!r}: {exc}") from None
    else:
        nlp = spacy.blank("en")
    nlp.max_length = MAX_LENGTH
    names = list(DEFAULT_COMPONENTS if components is None else components)
    if components is None and "ddlens_tags" in config:  # optional: needs a trained tag model
        names.append("ddlens_tags")
    has_sents = any(p in nlp.pipe_names for p in ("parser", "senter", "sentencizer"))
    for name in names:
        if name == "ddlens_sentences" and has_sents:
            continue
        nlp.add_pipe(name, config=dict(config.get(name, {})))
    return nlp

"""``ddlens_sources``: the sources a post cites.

Every hyperlink of the post's Article becomes a ``kind: "link"`` source with its sentence
and line.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from ..analysis import Source
from ..extensions import register_extensions
from ..textutil import clean_sentence, sentence_at


class SourceFinder:
    def __init__(self, name: str = "ddlens_sources") -> None:
        self.name = name
        register_extensions()

    def link_sources(self, doc: Doc) -> list[Source]:
        article = doc._.article
        if article is None:
            return []
        out: list[Source] = []
        for link in article.links:
            if link.url.startswith("#"):
                continue  # in-page anchors cite nothing
            sent = sentence_at(doc, link.start)
            out.append(
                Source(
                    kind="link",
                    text=link.text,
                    sentence=clean_sentence(sent.text) if sent is not None else "",
                    line=link.line,
                    url=link.url,
                )
            )
        return out

    def __call__(self, doc: Doc) -> Doc:
        doc._.sources = self.link_sources(doc)
        return doc


@Language.factory("ddlens_sources")
def make_sources(nlp: Language, name: str) -> SourceFinder:
    return SourceFinder(name)

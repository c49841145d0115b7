"""Every ``Doc._`` extension ddlens uses, registered in one place.

Components set them; :func:`ddlens.lens.analysis_from_doc` reads them.

- ``doc._.article``: the :class:`ddlens.Article` the text came from (None for bare text)
- ``doc._.frameworks``: list of :class:`ddlens.analysis.Framework`
- ``doc._.framework_spans``: the matched framework mention spans (label = framework id)
- ``doc._.themes``: list of :class:`ddlens.analysis.Theme`
- ``doc._.sources``: list of :class:`ddlens.analysis.Source`
- ``doc._.pillars``: list of :class:`ddlens.analysis.Pillar`
- ``doc._.suggested_tags``: list of :class:`ddlens.analysis.TagSuggestion`
"""

from __future__ import annotations

from spacy.tokens import Doc

DOC_EXTENSIONS = (
    "article",
    "frameworks",
    "framework_spans",
    "themes",
    "sources",
    "pillars",
    "suggested_tags",
)


def register_extensions() -> None:
    """Register the extensions (idempotent). List-valued ones default to None, not a shared list."""
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


def line_of(doc: Doc, char_offset: int) -> int:
    """1-based source line of a character of ``doc.text`` (the text's own line without an Article)."""
    article = doc._.article
    if article is not None:
        return article.line_of(char_offset)
    return doc.text.count("\n", 0, char_offset) + 1


register_extensions()

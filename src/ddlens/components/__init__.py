"""ddlens spaCy components, one factory per module. Importing this package registers them."""

from . import frameworks, pillars, sentences, sources, tags, themes  # noqa: F401

__all__ = ["frameworks", "pillars", "sentences", "sources", "tags", "themes"]

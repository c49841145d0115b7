"""ddlens spaCy components, one factory per module. Importing this package registers them."""

from . import frameworks, sentences, sources, themes  # noqa: F401

__all__ = ["frameworks", "sentences", "sources", "themes"]

"""ddlens spaCy components, one factory per module. Importing this package registers them."""

from . import sentences, sources  # noqa: F401

__all__ = ["sentences", "sources"]

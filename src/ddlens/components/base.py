"""What the ddlens components share: stateless serialisation, and batch-wise processing."""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

from spacy.tokens import Doc
from spacy.util import minibatch

__all__ = ["StatelessComponent", "BatchComponent"]

T = TypeVar("T", bound="StatelessComponent")


class StatelessComponent:
    """spaCy's serialisation hooks for a component that is rebuilt from its config alone
    (its patterns, taxonomies and models are reloaded from their files): nothing to save."""

    def to_bytes(self, **_: object) -> bytes:
        return b""

    def from_bytes(self: T, _data: bytes, **_: object) -> T:
        return self

    def to_disk(self, *_: object, **__: object) -> None:
        return None

    def from_disk(self: T, *_: object, **__: object) -> T:
        return self


class BatchComponent(StatelessComponent):
    """A component that does its work on a batch of Docs at once (``process``): ``nlp.pipe``
    hands it batches through :meth:`pipe`, a single ``nlp(text)`` a batch of one."""

    def process(self, docs: Sequence[Doc]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, doc: Doc) -> Doc:
        self.process([doc])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 64) -> Iterator[Doc]:
        # batches beyond 64 Docs gain little and only hold more arrays at once
        for batch in minibatch(docs, size=max(1, min(int(batch_size), 64))):
            self.process(batch)
            yield from batch

"""``ddlens_pillars``: how a post stands against a taxonomy (default: the transformation pillars).

Config:

- ``taxonomy``: a shipped taxonomy name (``transformation-pillars``,
  ``principles-for-digital-development``) or the path of a YAML file (:mod:`ddlens.taxonomy`);
- ``model``: a model trained for that taxonomy by ``ddlens train pillars``; by default the
  one the taxonomy file names (``model:``). A taxonomy without a trained model is scored
  by counting its phrases (:class:`ddlens.pillar_model.PhraseScorer`): scores are then
  not calibrated probabilities, and ``method`` says ``"phrases"``.

Sets ``doc._.pillars``: one :class:`ddlens.analysis.Pillar` per category, in taxonomy
order, with the calibrated ``score``, ``assigned`` (score >= the category's
cross-validated threshold) and, for assigned categories, up to three evidence sentences
with their source lines: the sentences whose features raise that category's score most.
Docs are scored in batches in ``pipe`` (one vectorisation and one sparse product per
batch); sentence contributions come from the linear model, not from re-scoring sentences.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from ..analysis import Pillar, PillarEvidence
from ..extensions import line_of, register_extensions
from ..modelio import ModelError
from ..pillar_model import PhraseScorer, PillarModel, doc_segments, load_model
from ..taxonomy import DEFAULT_TAXONOMY, Taxonomy, load_taxonomy
from ..textutil import clean_sentence, doc_text, token_starts
from .base import BatchComponent

__all__ = ["PillarScorer", "make_pillars", "MAX_EVIDENCE"]

MAX_EVIDENCE = 3


def resolve_model(taxonomy: Taxonomy, model: str | Path | None) -> PillarModel | None:
    """The trained model for ``taxonomy``: the one given, else the one the taxonomy names
    if that file exists, else None. Raises :class:`ModelError` if it was trained for
    other categories."""
    if model:
        path = Path(model).expanduser()
    else:
        path = taxonomy.model_path()
        if path is None or not path.is_file():
            return None
    loaded = load_model(path)
    if loaded.ids != taxonomy.ids:
        raise ModelError(
            path,
            f"model was trained for categories {', '.join(loaded.ids)} of taxonomy {loaded.taxonomy.name!r}, "
            f"not for {', '.join(taxonomy.ids)} of {taxonomy.name!r}",
        )
    return loaded


class PillarScorer(BatchComponent):
    def __init__(
        self,
        name: str = "ddlens_pillars",
        taxonomy: str | Taxonomy = DEFAULT_TAXONOMY,
        model: str | Path | None = None,
        tokenizer: Any = None,
    ) -> None:
        register_extensions()
        self.name = name
        self.tokenizer = tokenizer  # for titles: the pipeline's own (None: a blank English one)
        self.taxonomy = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(taxonomy)
        self.model = resolve_model(self.taxonomy, model)
        self.scorer: PillarModel | PhraseScorer = self.model if self.model is not None else PhraseScorer(self.taxonomy)
        self.method = "model" if self.model is not None else "phrases"
        self.labels = [c.label for c in self.taxonomy.categories]  # the taxonomy file's labels win
        self.thresholds = np.asarray(self.scorer.thresholds, dtype=np.float64)

    def process(self, docs: Sequence[Doc]) -> None:
        self.set_pillars(docs)

    def set_pillars(self, docs: Sequence[Doc]) -> None:
        segments, bounds, heads = doc_segments(docs, self.tokenizer)
        scores, contributions = self.scorer.explain(segments)
        for doc, sents, n_head, score, contrib in zip(docs, bounds, heads, scores, contributions):
            doc._.pillars = self.pillars_for(doc, sents, score, contrib[n_head:])

    def pillars_for(self, doc: Doc, sents: np.ndarray, score: np.ndarray, contrib: np.ndarray) -> list[Pillar]:
        """``sents``: (start, end) token bounds of the sentences behind ``contrib``'s rows."""
        out = []
        for k, cat in enumerate(self.taxonomy.categories):
            assigned = bool(score[k] >= self.thresholds[k])
            evidence = self.evidence(doc, sents, contrib[:, k]) if assigned else ()
            out.append(Pillar(id=cat.id, label=self.labels[k], score=float(score[k]), assigned=assigned, evidence=evidence))
        return out

    @staticmethod
    def evidence(doc: Doc, sents: np.ndarray, contrib: np.ndarray) -> tuple[PillarEvidence, ...]:
        """Up to :data:`MAX_EVIDENCE` sentences with the largest positive contribution
        (stable: ties keep text order; repeated sentences count once)."""
        if not len(contrib):
            return ()
        order = np.argsort(-contrib, kind="stable")
        chosen: list[PillarEvidence] = []
        seen: set[str] = set()
        starts = token_starts(doc)
        text = doc_text(doc)
        for i in order:
            if contrib[i] <= 0 or len(chosen) == MAX_EVIDENCE:
                break
            a, b = int(sents[i, 0]), int(sents[i, 1])
            start = int(starts[a])
            # the sentence's characters up to the next sentence; clean_sentence folds the
            # trailing whitespace that Span.text would leave out
            sentence = clean_sentence(text[start : int(starts[b]) if b < len(doc) else len(text)])
            if sentence in seen:
                continue
            seen.add(sentence)
            chosen.append(PillarEvidence(sentence=sentence, line=line_of(doc, start)))
        return tuple(chosen)



@Language.factory(
    "ddlens_pillars",
    default_config={"taxonomy": DEFAULT_TAXONOMY, "model": None},
)
def make_pillars(nlp: Language, name: str, taxonomy: str, model: Optional[str]) -> PillarScorer:
    return PillarScorer(name, taxonomy=taxonomy, model=model, tokenizer=nlp.tokenizer)

"""A vectorised runner for fixed-length spaCy ``Matcher`` token patterns.

The attribution cues are written as ordinary spaCy Matcher patterns (and checked by adding
them to a real :class:`spacy.matcher.Matcher`), but they are *run* here: spaCy evaluates
``{"LOWER": {"IN": [...]}}`` predicates in Python for every token and pattern, which
measured ~14 µs per token for ddlens' ~30 cue patterns (2.8 s for a 1 MB post). This
runner evaluates each distinct token test once per document over numpy arrays, then
advances the (start, position) states of every pattern in bulk.

Supported (validated on load): attributes ``ORTH``, ``TEXT``, ``LOWER``, ``NORM``,
``SHAPE``, ``PREFIX``, ``SUFFIX`` with a string or ``{"IN": [...]}`` / ``{"NOT_IN": [...]}``;
boolean flags ``IS_ALPHA IS_ASCII IS_DIGIT IS_LOWER IS_UPPER IS_TITLE IS_PUNCT IS_SPACE
IS_STOP LIKE_NUM LIKE_URL LIKE_EMAIL``; operators ``?`` (optional) and ``!`` (negation).
Unbounded operators (``*``, ``+``, ``{n,}``) are refused: every pattern has a fixed
maximum length, so matching is linear in the document length. The result equals spaCy's
``Matcher`` (a property the tests check against it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from spacy.attrs import IDS
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

__all__ = ["TokenPatterns", "PatternError"]

_STRING_ATTRS = ("ORTH", "TEXT", "LOWER", "NORM", "SHAPE", "PREFIX", "SUFFIX")
_FLAG_ATTRS = (
    "IS_ALPHA",
    "IS_ASCII",
    "IS_DIGIT",
    "IS_LOWER",
    "IS_UPPER",
    "IS_TITLE",
    "IS_PUNCT",
    "IS_SPACE",
    "IS_STOP",
    "LIKE_NUM",
    "LIKE_URL",
    "LIKE_EMAIL",
)


class PatternError(ValueError):
    """A token pattern this runner cannot run (or spaCy would not accept)."""


@dataclass(frozen=True)
class _Test:
    attr: str  # the array column
    kind: str  # "eq" | "in" | "not_in" | "flag"
    values: tuple[Any, ...]


@dataclass(frozen=True)
class _Step:
    tests: tuple[_Test, ...]
    optional: bool
    negated: bool


def _column(attr: str) -> str:
    return "ORTH" if attr == "TEXT" else attr


class TokenPatterns:
    """Named fixed-length token patterns, run over a Doc in one vectorised pass.

    >>> import spacy
    >>> nlp = spacy.blank("en")
    >>> tp = TokenPatterns(nlp.vocab, {"acc": [{"LOWER": "according"}, {"LOWER": "to"}]})
    >>> tp(nlp("Well, according to them."))
    [('acc', 2, 4)]
    """

    def __init__(self, vocab: Vocab, patterns: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.vocab = vocab
        self.names: list[str] = []
        self._steps: list[tuple[_Step, ...]] = []
        check = Matcher(vocab)
        for name, pattern in patterns.items():
            try:
                check.add(name, [list(pattern)])  # spaCy's own validation of the syntax
            except Exception as exc:  # noqa: BLE001 - spaCy raises several types here
                raise PatternError(f"pattern {name!r}: {exc}") from None
            self.names.append(name)
            self._steps.append(tuple(self._compile(name, tok) for tok in pattern))
        self.columns = sorted({t.attr for steps in self._steps for s in steps for t in s.tests})

    # -- compiling ---------------------------------------------------------------------
    def _hash(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, str):
            raise PatternError(f"expected a string, got {value!r}")
        return int(self.vocab.strings.add(value))

    def _compile(self, name: str, tok: Mapping[str, Any]) -> _Step:
        if not isinstance(tok, Mapping) or not tok:
            raise PatternError(f"pattern {name!r}: each token pattern must be a non-empty mapping")
        op = tok.get("OP")
        if op not in (None, "?", "!"):
            raise PatternError(f"pattern {name!r}: operator {op!r} is not allowed (only '?' and '!': no unbounded repeats)")
        tests: list[_Test] = []
        for key, value in tok.items():
            if key == "OP":
                continue
            if key in _STRING_ATTRS:
                col = _column(key)
                if isinstance(value, str):
                    tests.append(_Test(col, "eq", (self._hash(value),)))
                elif isinstance(value, Mapping) and len(value) == 1 and set(value) <= {"IN", "NOT_IN"}:
                    (pred, vals), = value.items()
                    if not isinstance(vals, (list, tuple)):
                        raise PatternError(f"pattern {name!r}: {key} {pred} needs a list")
                    hashes = tuple(sorted({self._hash(v) for v in vals}))
                    tests.append(_Test(col, "in" if pred == "IN" else "not_in", hashes))
                else:
                    raise PatternError(f"pattern {name!r}: unsupported value for {key}: {value!r}")
            elif key in _FLAG_ATTRS:
                if not isinstance(value, bool):
                    raise PatternError(f"pattern {name!r}: {key} takes true or false")
                tests.append(_Test(key, "flag", (value,)))
            else:
                raise PatternError(f"pattern {name!r}: attribute {key!r} is not supported here")
        return _Step(tuple(tests), optional=op == "?", negated=op == "!")

    # -- running -----------------------------------------------------------------------
    def _masks(self, doc: Doc) -> dict[_Test, np.ndarray]:
        n = len(doc)
        cols = self.columns
        arr = doc.to_array([IDS[c] for c in cols]).reshape(n, len(cols)) if n else np.zeros((0, len(cols)), "uint64")
        uniq: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        out: dict[_Test, np.ndarray] = {}
        for steps in self._steps:
            for step in steps:
                for t in step.tests:
                    if t in out:
                        continue
                    col = arr[:, cols.index(t.attr)] if n else np.zeros(0, "uint64")
                    if t.kind == "flag":
                        m = (col != 0) if t.values[0] else (col == 0)
                    elif t.kind == "eq":
                        m = col == np.uint64(t.values[0])
                    else:
                        if t.attr not in uniq:
                            u, inv = np.unique(col, return_inverse=True)
                            uniq[t.attr] = (u, inv.reshape(-1))
                        u, inv = uniq[t.attr]
                        hit = np.isin(u, np.array(t.values, dtype="uint64"))
                        m = hit[inv] if t.kind == "in" else ~hit[inv]
                    out[t] = m
        return out

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        """Every match as (pattern name, start, end), like ``Matcher(doc)`` without a key
        hash: sorted by start, end and pattern order."""
        found: list[tuple[int, int, int]] = []
        order = {name: k for k, name in enumerate(self.names)}
        for name, (starts, ends) in self.spans(doc).items():
            k = order[name]
            found.extend((s, e, k) for s, e in zip(starts.tolist(), ends.tolist()))
        found.sort()
        return [(self.names[k], s, e) for s, e, k in found]

    def spans(self, doc: Doc) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The matches of each pattern that has any, as two int64 arrays (starts, ends),
        sorted by start then end, without duplicates."""
        n = len(doc)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if not n:
            return out
        masks = self._masks(doc)
        ones = np.ones(n, dtype=bool)
        for k, steps in enumerate(self._steps):
            step_ok = []
            for step in steps:
                m = ones
                for t in step.tests:
                    m = m & masks[t]
                step_ok.append(~m if step.negated else m)
            # states: parallel arrays of (start, next position). A match must pass the first
            # required step, so it can only start a few tokens (the optional steps before it)
            # ahead of a token that passes it.
            first = next((i for i, st in enumerate(steps) if not st.optional), None)
            if first is None:
                starts = np.arange(n, dtype=np.int64)
            else:
                hits = np.flatnonzero(step_ok[first]).astype(np.int64)
                starts = np.unique(np.concatenate([hits - d for d in range(first + 1)]))
                starts = starts[starts >= 0]
            pos = starts.copy()
            for step, ok in zip(steps, step_ok):
                inside = pos < n
                adv = np.zeros(len(pos), dtype=bool)
                adv[inside] = ok[pos[inside]]
                if step.optional:
                    starts = np.concatenate([starts, starts[adv]])
                    pos = np.concatenate([pos, pos[adv] + 1])
                else:
                    starts, pos = starts[adv], pos[adv] + 1
                if not len(starts):
                    break
            keep = pos > starts  # spaCy never returns empty matches
            starts, pos = starts[keep], pos[keep]
            if not len(starts):
                continue
            pairs = np.unique(np.stack([starts, pos], axis=1), axis=0)
            out[self.names[k]] = (pairs[:, 0], pairs[:, 1])
        return out

"""A vectorised runner for fixed-length spaCy ``Matcher`` token patterns.

The attribution cues are written as ordinary spaCy Matcher patterns (and checked by adding
them to a real :class:`spacy.matcher.Matcher`), but they are *run* here: spaCy evaluates
``{"LOWER": {"IN": [...]}}`` predicates in Python for every token and pattern, which
measured ~14 µs per token for ddlens' ~30 cue patterns (2.8 s for a 1 MB post). This
runner compiles the patterns into small per-attribute tables (for each value a pattern
names, which steps it passes; one shared row for every other value), looks each token up
once per attribute, then advances the (pattern, start, position) states of all patterns
together, one step at a time, over numpy arrays: a handful of array operations per
document and step, whatever the number of patterns.

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
        self._build_tables()

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

    # -- tables (built once) -----------------------------------------------------------
    def _build_tables(self) -> None:
        """Every distinct step gets a column; each token attribute a small table saying, per
        value, which steps' tests on that attribute it passes. A string attribute only needs
        a row for the values some pattern names, plus one shared row for every other value,
        so the tables are fixed in size and a document is looked up, never hashed or scanned
        per pattern."""
        steps: list[_Step] = []
        sid: dict[_Step, int] = {}
        for pattern in self._steps:
            for step in pattern:
                if step not in sid:
                    sid[step] = len(steps)
                    steps.append(step)
        n_steps = len(steps)
        self._negated = np.array([s.negated for s in steps], dtype=bool)
        self._optional = np.array([s.optional for s in steps], dtype=bool)
        self._lengths = np.array([len(p) for p in self._steps], dtype=np.int64)
        width = max((len(p) for p in self._steps), default=0)
        self._step_at = np.zeros((len(self._steps), max(width, 1)), dtype=np.intp)
        for k, pattern in enumerate(self._steps):
            for t, step in enumerate(pattern):
                self._step_at[k, t] = sid[step]
        # the first required step of each pattern (a match must pass it); -1: all optional
        self._first = np.array(
            [next((t for t, st in enumerate(p) if not st.optional), -1) for p in self._steps], dtype=np.int64
        )
        self._keys: list[np.ndarray | None] = []
        self._tables: list[np.ndarray] = []
        for col in self.columns:
            if col in _FLAG_ATTRS:
                values: list[Any] = [0, 1]
                keys = None
            else:
                hashes = sorted({v for st in steps for t in st.tests if t.attr == col for v in t.values})
                keys = np.array(hashes, dtype=np.uint64)
                values = [*hashes, None]  # None: any value no pattern names
            table = np.ones((len(values), n_steps), dtype=bool)
            for j, step in enumerate(steps):
                tests = [t for t in step.tests if t.attr == col]
                for i, v in enumerate(values):
                    table[i, j] = all(_passes(t, v) for t in tests)
            self._keys.append(keys)
            self._tables.append(table)
        first_step = self._step_at[np.arange(len(self._first)), np.maximum(self._first, 0)]
        # per column, each value's verdict on every pattern's first required step
        self._first_tables = [np.ascontiguousarray(t[:, first_step]) for t in self._tables]
        self._first_negated = self._negated[first_step]
        self._no_required = self._first < 0
        self._lead = np.maximum(self._first, 0)
        self._max_lead = int(self._lead.max(initial=0))

    def _rows(self, doc: Doc) -> list[np.ndarray]:
        """Per column, each token's row in that column's table."""
        n = len(doc)
        cols = self.columns
        if not cols:
            return []
        arr = doc.to_array([IDS[c] for c in cols]).reshape(n, len(cols))
        rows: list[np.ndarray] = []
        for j, keys in enumerate(self._keys):
            col = arr[:, j]
            if keys is None:
                rows.append((col != 0).astype(np.intp))
                continue
            if not len(keys):  # only empty lists name values: every token is "any other value"
                rows.append(np.zeros(n, dtype=np.intp))
                continue
            at = np.minimum(np.searchsorted(keys, col), len(keys) - 1)
            rows.append(np.where(keys[at] == col, at, len(keys)))
        return rows

    # -- running -----------------------------------------------------------------------
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

    def _ok(self, rows: list[np.ndarray], pos: np.ndarray, step: np.ndarray) -> np.ndarray:
        """Whether the token at each ``pos`` passes the matching ``step``."""
        ok = np.ones(len(pos), dtype=bool)
        for table, row in zip(self._tables, rows):
            ok &= table[row[pos], step]
        return ok ^ self._negated[step]

    def spans(self, doc: Doc) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The matches of each pattern that has any, as two int64 arrays (starts, ends),
        sorted by start then end, without duplicates.

        All patterns advance together, one step at a time: a state is (pattern, start,
        position), and the states only ever start a few tokens (the optional steps before
        it) ahead of a token that passes the pattern's first required step."""
        n = len(doc)
        if not n or not self.names:
            return {}
        rows = self._rows(doc)
        first = self._first
        hit = np.ones((n, len(first)), dtype=bool)
        for table, row in zip(self._first_tables, rows):
            hit &= table[row]
        hit ^= self._first_negated
        hit[:, self._no_required] = True  # only optional steps: a match may start anywhere
        # a match may start up to `lead` tokens (the optional steps before the first
        # required one) ahead of a hit
        can_start = hit
        for d in range(1, self._max_lead + 1):
            cols = self._lead >= d
            if d < n:
                if can_start is hit:
                    can_start = hit.copy()
                can_start[:-d, cols] |= hit[d:, cols]
        start, pat = np.nonzero(can_start)
        start = start.astype(np.int64)
        pat = pat.astype(np.int64)
        pos = start.copy()
        done_pat: list[np.ndarray] = []
        done_start: list[np.ndarray] = []
        done_end: list[np.ndarray] = []
        for t in range(self._step_at.shape[1] + 1):
            if not len(pat):
                break
            done = self._lengths[pat] <= t
            if done.any():
                done_pat.append(pat[done])
                done_start.append(start[done])
                done_end.append(pos[done])
                live = ~done
                pat, start, pos = pat[live], start[live], pos[live]
                if not len(pat):
                    break
            step = self._step_at[pat, t]
            ok = np.zeros(len(pos), dtype=bool)
            inside = pos < n
            ok[inside] = self._ok(rows, pos[inside], step[inside])
            stay = self._optional[step]  # an optional step may also be skipped
            pat = np.concatenate([pat[stay], pat[ok]])
            start = np.concatenate([start[stay], start[ok]])
            pos = np.concatenate([pos[stay], pos[ok] + 1])
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if not done_pat:
            return out
        pat = np.concatenate(done_pat)
        start = np.concatenate(done_start)
        end = np.concatenate(done_end)
        keep = end > start  # spaCy never returns empty matches
        pat, start, end = pat[keep], start[keep], end[keep]
        if not len(pat):
            return out
        order = np.lexsort((end, start, pat))
        pat, start, end = pat[order], start[order], end[order]
        new = np.ones(len(pat), dtype=bool)
        new[1:] = (pat[1:] != pat[:-1]) | (start[1:] != start[:-1]) | (end[1:] != end[:-1])
        pat, start, end = pat[new], start[new], end[new]
        bounds = np.flatnonzero(np.r_[True, pat[1:] != pat[:-1], True])
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            out[self.names[int(pat[a])]] = (start[a:b], end[a:b])
        return out


def _passes(test: _Test, value: Any) -> bool:
    """Whether a token whose ``test.attr`` is ``value`` passes ``test`` (``value`` None: a
    string no pattern names; 0/1 for a flag)."""
    if test.kind == "flag":
        return bool(value) == test.values[0]
    if test.kind == "not_in":
        return value not in test.values
    return value in test.values  # "eq" and "in"

"""A vectorised runner for fixed-length spaCy ``Matcher`` token patterns.

The attribution cues are written as ordinary spaCy Matcher patterns (and checked by adding
them to a real :class:`spacy.matcher.Matcher`), but they are *run* here: spaCy evaluates
``{"LOWER": {"IN": [...]}}`` predicates in Python for every token and pattern, which
measured ~14 µs per token for ddlens' ~30 cue patterns (2.8 s for a 1 MB post). This
runner compiles the patterns into small per-attribute tables (for each value a pattern
names, which steps it passes; one shared row for every other value), looks each token up
once per attribute, then advances the (pattern, start, position) states of all patterns
together, one step at a time, over numpy arrays: a handful of array operations per
step, whatever the number of patterns, for a whole batch of documents laid end to end
(``spans_batch``).

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

__all__ = ["HashIndex", "PatternError", "TokenPatterns"]

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


_MAX_GROUP_CELLS = 1 << 23  # one group's table: rows (attributes' row counts multiplied) x steps
_MAX_HASH_BITS = 20  # largest direct-mapped lookup table: 2**20 slots


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
        so the tables are fixed in size. Attributes are then grouped (while the product of
        their row counts times the steps stays under 8 M cells) into one table per group,
        indexed by a token's "class": a document costs one hash lookup per token and
        attribute, whatever the patterns."""
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
        # per column: how a token's value becomes a row, and the rows' verdicts on each step
        self._lookups: list[HashIndex | None] = []
        tables: list[np.ndarray] = []
        for col in self.columns:
            if col in _FLAG_ATTRS:
                values: list[Any] = [0, 1]
                self._lookups.append(None)
            else:
                hashes = sorted({v for st in steps for t in st.tests if t.attr == col for v in t.values})
                values = [*hashes, None]  # None: any value no pattern names
                self._lookups.append(HashIndex(np.array(hashes, dtype=np.uint64)))
            table = np.ones((len(values), n_steps), dtype=bool)
            for j, step in enumerate(steps):
                tests = [t for t in step.tests if t.attr == col]
                for i, v in enumerate(values):
                    table[i, j] = all(_passes(t, v) for t in tests)
            tables.append(table)
        # groups of columns, each with one table over the product of their rows
        self._groups: list[list[tuple[int, int]]] = []  # per group: (column, stride)
        self._group_tables: list[np.ndarray] = []
        group: list[int] = []
        size = 1
        for j, table in enumerate(tables + [None]):  # type: ignore[list-item]
            if table is not None and size * len(table) * max(n_steps, 1) <= _MAX_GROUP_CELLS:
                group.append(j)
                size *= len(table)
                continue
            if group:
                strides, stride = [], 1
                for c in group:
                    strides.append(stride)
                    stride *= len(tables[c])
                classes = np.arange(size)
                combined = np.ones((size, n_steps), dtype=bool)
                for c, st_ in zip(group, strides):
                    combined &= tables[c][(classes // st_) % len(tables[c])]
                self._groups.append(list(zip(group, strides)))
                self._group_tables.append(combined)
            group, size = ([j], len(table)) if table is not None else ([], 1)
        # where matches can start: each pattern's first required step (-1: only optional steps)
        first = np.array([next((t for t, st in enumerate(p) if not st.optional), -1) for p in self._steps], dtype=np.int64)
        first_step = self._step_at[np.arange(len(first)), np.maximum(first, 0)]
        self._first_tables = [np.ascontiguousarray(t[:, first_step]) for t in self._group_tables]
        self._first_negated = self._negated[first_step]
        self._no_required = first < 0
        self._lead = np.maximum(first, 0)  # optional steps before the first required one
        self._max_lead = int(self._lead.max(initial=0))
        # a token can start a match only if its class in the first group passes some
        # pattern's first step, unless a pattern may start anywhere (negated or optional)
        self._anywhere = bool((self._first_negated | self._no_required).any()) or not self._group_tables
        could_start = self._first_tables[0].any(axis=1) if self._group_tables else np.zeros(0, dtype=bool)
        self._could_start = np.r_[could_start, False]  # and the gap row (below): never
        # with a single group (the usual case), each step's verdict for each class, negation
        # applied, and one more row for the gap after each document, where nothing passes:
        # a state's step is then one lookup
        self._fused: np.ndarray | None = None
        if len(self._group_tables) == 1:
            table = self._group_tables[0] ^ self._negated
            self._fused = np.vstack([table, np.zeros((1, n_steps), dtype=bool)])

    def _classes(self, table: np.ndarray) -> list[np.ndarray]:
        """Each row's class (row in each group's table); ``table`` holds ``self.columns``."""
        out: list[np.ndarray] = []
        for group in self._groups:
            cls = np.zeros(len(table), dtype=np.intp)
            for c, stride in group:
                lookup = self._lookups[c]
                col = table[:, c]
                row = (col != 0).astype(np.intp) if lookup is None else lookup.rows(col)
                cls += row * stride if stride != 1 else row
            out.append(cls)
        return out

    def arrays(self, doc: Doc) -> np.ndarray:
        """The token attributes :meth:`spans_batch` reads: ``doc.to_array(self.columns)``."""
        if not self.columns:
            return np.zeros((len(doc), 0), dtype=np.uint64)
        return doc.to_array([IDS[c] for c in self.columns]).reshape(len(doc), len(self.columns))

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

    def _ok(self, classes: list[np.ndarray], is_gap: np.ndarray, pos: np.ndarray, step: np.ndarray) -> np.ndarray:
        """Whether the token at each ``pos`` passes the matching ``step`` (never at a gap:
        a state stops at its document's end)."""
        if self._fused is not None:
            return self._fused[classes[0][pos], step]  # gaps have their own row
        ok = np.zeros(len(pos), dtype=bool)
        inside = ~is_gap[pos]
        pos, step = pos[inside], step[inside]
        verdict = np.ones(len(pos), dtype=bool)
        for table, cls in zip(self._group_tables, classes):
            verdict &= table[cls[pos], step]
        ok[inside] = verdict ^ self._negated[step]
        return ok

    def spans(self, doc: Doc) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The matches of each pattern that has any, as two int64 arrays (starts, ends),
        sorted by start then end, without duplicates."""
        return self.spans_batch([self.arrays(doc)])[1]

    @staticmethod
    def lay_out(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Several documents' token arrays (all with the same columns) laid end to end, each
        followed by one gap row of zeros: (table, offsets), where document ``i``'s token
        ``t`` is row ``offsets[i] + t`` and ``offsets[-1]`` is the number of rows."""
        lens = np.array([len(a) for a in arrays], dtype=np.int64)
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lens + 1, out=offsets[1:])
        width = max((a.shape[1] for a in arrays), default=0)
        gap = np.zeros((1, width), dtype=np.uint64)
        table = np.concatenate([part for a in arrays for part in (a.astype(np.uint64, copy=False), gap)] or [gap[:0]])
        return table, offsets

    def spans_batch(self, arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """The matches in several documents at once, given each one's :meth:`arrays` (all
        with the same number of columns: more may follow the matcher's, they are ignored):
        :meth:`lay_out`, then :meth:`spans_laid_out`. Returns (offsets, spans)."""
        table, offsets = self.lay_out(arrays)
        return offsets, self.spans_laid_out(table, offsets)

    def spans_laid_out(self, table: np.ndarray, offsets: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The matches in documents laid end to end by :meth:`lay_out`: per pattern with
        matches, (starts, ends) in the table's rows, sorted by start then end, without
        duplicates.

        No step passes a gap row, so no match crosses from one document into the next, and
        each numpy operation below runs once per batch instead of once per document.
        All patterns advance together, one step at a time: a state is (pattern, start,
        position), and the states only ever start a few tokens (the optional steps before
        it) ahead of a token that passes the pattern's first required step."""
        lens = np.diff(offsets) - 1
        total = int(offsets[-1])
        if not int(lens.sum()) or not self.names:
            return {}
        is_gap = np.zeros(total, dtype=bool)
        is_gap[offsets[1:] - 1] = True
        classes = self._classes(table)
        if self._fused is not None:
            classes[0][is_gap] = len(self._fused) - 1  # the row where no step passes
        if self._anywhere:
            cand = np.flatnonzero(~is_gap)
        else:
            cand = np.flatnonzero(self._could_start[classes[0]] & ~is_gap)
        hit = np.ones((len(cand), len(self.names)), dtype=bool)
        for t, cls in zip(self._first_tables, classes):
            hit &= t[cls[cand]]
        hit ^= self._first_negated
        hit[:, self._no_required] = True  # only optional steps: a match may start anywhere
        i, pat = np.nonzero(hit)
        start = cand[i].astype(np.int64)
        pat = pat.astype(np.int64)
        if self._max_lead:
            # a pattern with optional steps before its first required one may also start up
            # to `lead` tokens before a hit; each (start, pattern) is one state however many
            # hits reach it. Not before the hit's document's first token: such a state could
            # never pass the gap to reach the hit, so it is not made
            early = self._lead[pat] > 0
            if early.any():
                es, ep = start[early], pat[early]
                lead = self._lead[ep]
                floor = np.repeat(offsets[:-1], lens + 1)[es]  # the hit's document's first token
                starts, pats = [es], [ep]
                for d in range(1, self._max_lead + 1):
                    back = (lead >= d) & (es - d >= floor)
                    starts.append(es[back] - d)
                    pats.append(ep[back])
                n_pat = len(self.names)
                cells = np.sort(np.concatenate(starts) * n_pat + np.concatenate(pats))
                cells = cells[np.r_[True, cells[1:] != cells[:-1]]]  # np.unique, minus its hashing
                start = np.concatenate([start[~early], cells // n_pat])
                pat = np.concatenate([pat[~early], cells % n_pat])
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
            ok = self._ok(classes, is_gap, pos, step)
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


class HashIndex:
    """Each hash value's row in a string attribute's table (``len(keys)``: a value no pattern
    names); :meth:`contains` says which values are keys. The keys are MurmurHash values,
    whose bits are uniform, so some ``bits`` of them usually index a small direct-mapped
    table without collisions: one gather per token, several times faster than a binary
    search. Falls back to the binary search otherwise."""

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys
        self.n = len(keys)
        self.slot_key: np.ndarray | None = None
        if not self.n:
            return
        for bits in range(max(4, (4 * self.n).bit_length()), _MAX_HASH_BITS + 1):
            mask = (1 << bits) - 1
            for shift in range(0, 64 - bits + 1, 8):
                slots = ((keys >> np.uint64(shift)) & np.uint64(mask)).astype(np.intp)
                if len(np.unique(slots)) == self.n:
                    self.shift, self.mask = np.uint64(shift), np.uint64(mask)
                    self.slot_key = np.zeros(mask + 1, dtype=np.uint64)
                    self.slot_row = np.full(mask + 1, self.n, dtype=np.intp)
                    self.slot_key[slots] = keys
                    self.slot_row[slots] = np.arange(self.n)
                    return

    def rows(self, col: np.ndarray) -> np.ndarray:
        if not self.n:
            return np.zeros(len(col), dtype=np.intp)
        if self.slot_key is not None:
            slot = ((col >> self.shift) & self.mask).astype(np.intp)
            return np.where(self.slot_key[slot] == col, self.slot_row[slot], self.n)
        at = np.minimum(np.searchsorted(self.keys, col), self.n - 1)
        return np.where(self.keys[at] == col, at, self.n)

    def contains(self, col: np.ndarray) -> np.ndarray:
        """Whether each value of ``col`` is one of the keys."""
        return self.rows(col) < self.n


def _passes(test: _Test, value: Any) -> bool:
    """Whether a token whose ``test.attr`` is ``value`` passes ``test`` (``value`` None: a
    string no pattern names; 0/1 for a flag)."""
    if test.kind == "flag":
        return bool(value) == test.values[0]
    if test.kind == "not_in":
        return value not in test.values
    return value in test.values  # "eq" and "in"

"""Split a post into front matter and body, and load the front matter safely.

The split is done by hand (not by python-frontmatter's loader) because ddlens needs
the exact character offset where the body starts, to map findings back to source
lines, and because the YAML must be loaded with limits: no object-constructing tags,
no alias bombs, no unbounded nesting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _FastLoader
except ImportError:  # pragma: no cover
    _FastLoader = None  # type: ignore[assignment,misc]

BOM = "\ufeff"
MAX_ALIASES = 1000
MAX_EXPANDED_NODES = 50_000  # what the front matter would hold with every alias expanded
MAX_DEPTH = 50
MAX_FRONT_MATTER_CHARS = 256 * 1024


class FrontMatterError(ValueError):
    """The front matter could not be read. ``line`` is 1-based in the source file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Split:
    """Where the parts of a post lie in its text (BOM removed; offsets into that text)."""

    has_bom: bool
    fm_text: str | None  # the YAML between the fences, or None when there is no front matter
    fm_start_line: int  # 1-based line of the first YAML line (the line after the opening fence)
    body_offset: int  # character offset of the body in the (BOM-less) text
    body_line: int  # 1-based line where the body starts


def split_front_matter(text: str) -> Split:
    """Find a leading ``---`` fenced YAML block. Unclosed fences are an error."""
    has_bom = text.startswith(BOM)
    if has_bom:
        text = text[1:]
    first_nl = text.find("\n")
    first = text if first_nl < 0 else text[:first_nl]
    if first.rstrip("\r \t") != "---":
        return Split(has_bom, None, 1, 0, 1)
    pos = first_nl + 1 if first_nl >= 0 else len(text)
    line_no = 2
    start = pos
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        line = text[pos:end].rstrip("\r \t")
        if line in ("---", "..."):
            body_offset = len(text) if nl < 0 else nl + 1
            return Split(has_bom, text[start:pos], 2, body_offset, line_no + 1)
        if pos - start > MAX_FRONT_MATTER_CHARS:
            break
        pos = len(text) if nl < 0 else nl + 1
        line_no += 1
    raise FrontMatterError("front matter is not closed: no '---' line after the opening '---'", line=1)


_CONSTRUCT_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError)


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs and deep nesting before constructing anything."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D401
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                event = self.peek_event()
                raise FrontMatterError(
                    f"front matter uses more than {MAX_ALIASES} YAML aliases",
                    line=event.start_mark.line + 1 if event.start_mark else None,
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                event = self.peek_event()
                raise FrontMatterError(
                    f"front matter is nested more than {MAX_DEPTH} levels deep",
                    line=event.start_mark.line + 1 if event.start_mark else None,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # A tagged or out-of-range scalar (``!!int abc``, ``date: 2020-13-45``) makes the
        # constructor raise ValueError/KeyError/...: name the value and its line instead.
        try:
            return super().construct_object(node, deep=deep)
        except FrontMatterError:
            raise
        except _CONSTRUCT_ERRORS as exc:
            value = str(node.value)[:60]
            detail = str(exc).splitlines()[0] if str(exc) else ""
            why = f" ({detail})" if isinstance(exc, ValueError) and detail and value not in detail else ""
            raise FrontMatterError(
                f"front matter value {value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}{why}",
                line=node.start_mark.line + 1,
            ) from None


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes with aliases expanded, computed in time linear in the real nodes."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = 1  # guards against recursive aliases
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        total = min(total, MAX_EXPANDED_NODES + 1)
        memo[key] = total
        return total

    return size(root)


def _needs_limits(fm: str) -> bool:
    # Aliases, or enough brackets/indentation to nest deeply, send us to the careful loader.
    return "*" in fm or "&" in fm or fm.count("[") + fm.count("{") > 20 or len(fm) > 16384


def load_yaml(fm_text: str, first_line: int) -> dict[str, Any]:
    """Load front matter YAML safely; errors carry the 1-based source line."""
    try:
        data = None
        fast = _FastLoader is not None and not _needs_limits(fm_text)
        if fast:
            try:
                data = yaml.load(fm_text, Loader=_FastLoader)  # noqa: S506 - CSafeLoader is safe
            except _CONSTRUCT_ERRORS:  # a value that cannot be built: the careful loader says where
                fast = False
        if not fast:
            loader = _LimitedLoader(fm_text)
            try:
                node = loader.get_single_node()
                if node is not None and _expanded_size(node) > MAX_EXPANDED_NODES:
                    raise FrontMatterError(
                        f"front matter YAML aliases expand to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?)", 1
                    )
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
    except FrontMatterError as exc:
        line = None if exc.line is None else exc.line + first_line - 1
        raise FrontMatterError(exc.message, line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise FrontMatterError(f"invalid YAML in front matter: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(f"invalid YAML in front matter: {exc}".splitlines()[0], first_line) from None
    except RecursionError:
        raise FrontMatterError("front matter is nested too deeply", first_line) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            f"front matter is a YAML {type(data).__name__}, not a mapping of keys to values", first_line
        )
    return {str(k): v for k, v in data.items()}

"""Write ddlens' findings into a post's front matter without changing anything else.

python-frontmatter (and any load/dump round trip through PyYAML) re-formats the whole
YAML block: key order, quoting, comments and blank lines are lost. This module edits the
front matter *surgically* instead. It parses the YAML only to learn where things are
(node marks), then splices text into the original string:

- the top-level mapping under ``key`` (default ``ddlens``) is replaced in place when it
  exists, or appended at the end of the front matter when it does not;
- with ``add_tags``, missing tags are appended to the post's own tag list in the style
  it already has (block list, flow list or comma-separated string), or a block list is
  added when the post has none.

Every other character stays: other keys and their order, quoting, comments, blank
lines, the body, line endings (CRLF files get CRLF lines) and a UTF-8 BOM. A post
without front matter gets one. Each edit is verified before it is written: the edited
front matter is re-parsed, every other key must load to the same value, in the same
order, and the body must be unchanged; if not, the post is reported and left alone.

Writes are atomic (temporary file in the same folder, fsync, ``os.replace``; mode
kept), and a file that changed since it was read is not overwritten.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import LocatedError
from .frontmatter_io import (
    BOM,
    FrontMatterError,
    _FastLoader,
    _LimitedLoader,
    _needs_limits,
    load_yaml,
    split_front_matter,
)

__all__ = [
    "DEFAULT_KEY",
    "WriteBackError",
    "Edit",
    "findings_mapping",
    "update_text",
    "plan",
    "apply",
    "atomic_write",
    "unified_diff",
]

DEFAULT_KEY = "ddlens"
DEFAULT_TAGS_KEY = "tags"
TOP_THEMES = 5
_DUMP_WIDTH = 1 << 20  # never fold long strings: a folded line would be a needless diff
_PLAIN_SAFE_IN_LIST = re.compile(r"^[^,:#\n\r\t]+$")  # can follow ", " inside a plain scalar


class WriteBackError(LocatedError):
    """A post whose front matter cannot be edited safely. ``str()`` is ``path:line: reason``."""

    def __init__(self, reason: str, path: str | None = None, line: int | None = None) -> None:
        super().__init__(path, reason, line)


# -- what is written ----------------------------------------------------------------------
def _clean(s: Any) -> str:
    """One line of text: whitespace runs (newlines included) become one space."""
    return " ".join(str(s).split())


def findings_mapping(analysis: Any, top_themes: int = TOP_THEMES) -> dict[str, list[str]]:
    """The mapping ``ddlens tag --write`` stores: assigned pillar ids, framework names, the
    top themes and the suggested tags, in a fixed key order. Accepts an ``Analysis`` or its
    ``to_dict()``."""
    d = analysis if isinstance(analysis, dict) else analysis.to_dict()

    def uniq(items: Iterable[Any]) -> list[str]:
        out: list[str] = []
        for x in items:
            s = _clean(x)
            if s and s not in out:
                out.append(s)
        return out

    return {
        "pillars": uniq(p["id"] for p in d.get("pillars", []) if p.get("assigned")),
        "frameworks": uniq(f["name"] for f in d.get("frameworks", [])),
        "themes": uniq(t["phrase"] for t in d.get("themes", []))[:top_themes],
        "suggested_tags": uniq(t["tag"] for t in d.get("suggested_tags", [])),
    }


def _dump_entry(key: str, value: Any, indent: int, nl: str) -> str:
    """``key: value`` as deterministic block YAML (safe_dump, no folding), indented and with
    the file's line ending."""
    text = yaml.safe_dump(
        {key: value},
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=_DUMP_WIDTH,
        indent=2,
    )
    pad = " " * indent
    return "".join(pad + line + nl for line in text.splitlines())


def _scalar_repr(value: str, flow: bool) -> str:
    """How ``value`` is written as one list item (block ``- x`` or flow ``[x]`` context)."""
    text = yaml.safe_dump([value], default_flow_style=flow, allow_unicode=True, width=_DUMP_WIDTH).strip()
    return text[1:-1].strip() if flow else text[2:]


# -- locating things in the front matter ----------------------------------------------------
def _line_start(s: str, index: int) -> int:
    return s.rfind("\n", 0, index) + 1


def _line_end(s: str, index: int) -> int:
    """Index just after the newline that ends the line holding ``index``."""
    nl = s.find("\n", index)
    return len(s) if nl < 0 else nl + 1


def _compose(fm: str, first_line: int) -> Node | None:
    """The YAML node tree of the front matter, with marks (character offsets). Composed by
    the same parser :func:`ddlens.frontmatter_io.load_yaml` reads with (libyaml when built
    in; the limited pure-Python loader for front matter with aliases or deep nesting), so
    that what ddlens can read, it can edit."""
    try:
        if _FastLoader is not None and not _needs_limits(fm):
            return yaml.compose(fm, Loader=_FastLoader)  # noqa: S506 - CSafeLoader is safe
        loader = _LimitedLoader(fm)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except FrontMatterError as exc:
        raise WriteBackError(exc.message, line=None if exc.line is None else exc.line + first_line - 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise WriteBackError(
            f"invalid YAML in front matter: {exc.problem or exc.context}",
            line=mark.line + first_line if mark is not None else first_line,
        ) from None
    except yaml.YAMLError as exc:
        raise WriteBackError(f"invalid YAML in front matter: {str(exc).splitlines()[0]}", line=first_line) from None


@dataclass
class _Entry:
    key: Any
    key_node: Node
    value: Node
    start: int  # start of the key's line
    indent: int


def _entries(fm: str, root: Node | None, first_line: int) -> tuple[list[_Entry], int]:
    if root is None:
        return [], 0
    if not isinstance(root, MappingNode):
        raise WriteBackError("front matter is not a mapping of keys to values", line=first_line)
    if root.flow_style:
        raise WriteBackError("front matter is a flow mapping ({...}); ddlens edits block mappings only", line=first_line)
    out: list[_Entry] = []
    indent = None
    for k, v in root.value:
        ks = k.start_mark.index
        start = _line_start(fm, ks)
        prefix = fm[start:ks]
        line = k.start_mark.line + first_line
        if prefix.strip(" ") or not isinstance(k, ScalarNode):
            raise WriteBackError("front matter key is not a plain 'key:' line; ddlens cannot edit it safely", line=line)
        if indent is None:
            indent = len(prefix)
        elif len(prefix) != indent:
            raise WriteBackError("front matter keys are not aligned", line=line)
        out.append(_Entry(k.value, k, v, start, len(prefix)))
    return out, indent or 0


def _trim_tail(fm: str, start: int, end: int) -> int:
    """Move ``end`` back over trailing blank and comment-only lines (they stay in place)."""
    first_line_end = _line_end(fm, start)
    while end > first_line_end:
        prev = _line_start(fm, end - 1)
        stripped = fm[prev:end].strip()
        if stripped and not stripped.startswith("#"):
            break
        end = prev
    return end


def _only(entries: list[_Entry], key: str, first_line: int) -> _Entry | None:
    hits = [e for e in entries if e.key == key]
    if len(hits) > 1:
        raise WriteBackError(
            f"front matter has the key {key!r} {len(hits)} times", line=hits[1].key_node.start_mark.line + first_line
        )
    return hits[0] if hits else None


def _tag_list(value: Any) -> list[str]:
    """The tags a front-matter value holds, read like ddlens reads them (see Article.tags)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else [value]
    out: list[str] = []
    for x in items:
        if isinstance(x, (dict, list)):
            continue
        s = str(x).strip()
        if s:
            out.append(s)
    return out


# -- the edit -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Splice:
    start: int
    end: int
    text: str


def _tags_splices(
    fm: str, entry: _Entry | None, current: list[str], missing: list[str], indent: int, nl: str, tags_key: str, first_line: int
) -> tuple[list[_Splice], str, list[str]]:
    """Splices that append ``missing`` to the tag list, or (when the post has no tag key)
    the text of a new tag entry to append at the end; and the tags that are added (a tag
    that the list's style cannot hold, such as one with a comma in a comma-separated
    string, is left out)."""
    if not missing:
        return [], "", []
    return _tags_edit(fm, entry, current, missing, indent, nl, tags_key, first_line)


def _tags_edit(
    fm: str, entry: _Entry | None, current: list[str], missing: list[str], indent: int, nl: str, tags_key: str, first_line: int
) -> tuple[list[_Splice], str, list[str]]:
    if entry is None:
        return [], _dump_entry(tags_key, missing, indent, nl), missing
    v = entry.value
    line = v.start_mark.line + first_line
    if isinstance(v, SequenceNode):
        if any(not isinstance(item, ScalarNode) for item in v.value):
            raise WriteBackError(f"'{tags_key}' holds nested lists or mappings; tags not added", line=line)
        if v.flow_style:
            if not v.value:
                close = v.end_mark.index - 1
                if fm[close : close + 1] != "]":
                    raise WriteBackError(f"cannot find the end of the '{tags_key}' list", line=line)
                return [_Splice(close, close, ", ".join(_scalar_repr(t, True) for t in missing))], "", missing
            at = v.value[-1].end_mark.index
            return [_Splice(at, at, "".join(", " + _scalar_repr(t, True) for t in missing))], "", missing
        last = v.value[-1]
        ls = _line_start(fm, last.start_mark.index)
        prefix = fm[ls : last.start_mark.index]
        if not re.fullmatch(r"[ \t]*-[ \t]+", prefix):
            raise WriteBackError(f"the '{tags_key}' list is laid out in a way ddlens cannot extend", line=line)
        at = _line_end(fm, last.end_mark.index)
        if at == len(fm) and not fm.endswith("\n"):
            raise WriteBackError(f"cannot find the end of the '{tags_key}' list", line=line)
        return [_Splice(at, at, "".join(prefix + _scalar_repr(t, False) + nl for t in missing))], "", missing
    if isinstance(v, ScalarNode):
        if v.tag == "tag:yaml.org,2002:null":
            if v.start_mark.index == v.end_mark.index:  # `tags:` with nothing after it
                at = _line_end(fm, entry.key_node.end_mark.index)
                pad = " " * entry.indent
                return [_Splice(at, at, "".join(pad + "- " + _scalar_repr(t, False) + nl for t in missing))], "", missing
            flow = "[" + ", ".join(_scalar_repr(t, True) for t in missing) + "]"
            return [_Splice(v.start_mark.index, v.end_mark.index, flow)], "", missing
        if v.style not in (None, "", "'", '"'):
            raise WriteBackError(f"'{tags_key}' is a block scalar; tags not added", line=line)
        plain = v.style in (None, "")
        addable = [t for t in missing if "," not in t and (not plain or _PLAIN_SAFE_IN_LIST.match(t))]
        if not addable:
            return [], "", []
        sep = ", " if current else ""
        if plain:
            return [_Splice(v.end_mark.index, v.end_mark.index, sep + ", ".join(addable))], "", addable
        at = v.end_mark.index - 1
        if v.style == "'":
            return [_Splice(at, at, sep + ", ".join(t.replace("'", "''") for t in addable))], "", addable
        esc = [t.replace("\\", "\\\\").replace('"', '\\"') for t in addable]
        return [_Splice(at, at, sep + ", ".join(esc))], "", addable
    raise WriteBackError(f"'{tags_key}' is a mapping, not a list of tags", line=line)


def _splice(s: str, splices: list[_Splice]) -> str:
    """Apply non-overlapping splices in one left-to-right pass (an insertion at the point
    where a replacement starts goes before it)."""
    out: list[str] = []
    cursor = 0
    for sp in sorted(splices, key=lambda x: (x.start, x.end)):
        if sp.start < cursor:
            raise WriteBackError("internal error: overlapping front-matter edits")
        out.append(s[cursor : sp.start])
        out.append(sp.text)
        cursor = sp.end
    out.append(s[cursor:])
    return "".join(out)


def _same(a: Any, b: Any) -> bool:
    return bool(a == b) or repr(a) == repr(b)  # repr: NaN and friends


def update_text(
    text: str,
    mapping: Mapping[str, Any] | None,
    key: str = DEFAULT_KEY,
    add_tags: Sequence[str] = (),
    tags_key: str = DEFAULT_TAGS_KEY,
    path: str | None = None,
) -> tuple[str, list[str]]:
    """The post ``text`` with ``mapping`` stored under ``key`` (None: leave ``key`` alone)
    and the tags of ``add_tags`` that it lacks (compared case-insensitively) appended to its
    ``tags_key`` list. Returns the new text and the tags actually added.

    Raises :class:`WriteBackError` when the front matter cannot be edited safely."""
    try:
        return _update_text(text, mapping, key, add_tags, tags_key)
    except WriteBackError as exc:
        exc.path = path
        raise
    except FrontMatterError as exc:
        raise WriteBackError(exc.message, path, exc.line) from None


def _update_text(
    text: str, mapping: Mapping[str, Any] | None, key: str, add_tags: Sequence[str], tags_key: str
) -> tuple[str, list[str]]:
    bom = BOM if text.startswith(BOM) else ""
    t = text[len(bom) :]
    split = split_front_matter(t)
    if split.fm_text is None:
        first_nl = t.find("\n")
        nl = "\r\n" if first_nl > 0 and t[first_nl - 1] == "\r" else "\n"
        head, fm, tail = "---" + nl, "", "---" + nl + t
        first_line = 2
    else:
        first_nl = t.find("\n")
        nl = "\r\n" if t[first_nl - 1] == "\r" else "\n"
        fm_start = first_nl + 1
        fm_end = fm_start + len(split.fm_text)
        head, fm, tail = t[:fm_start], split.fm_text, t[fm_end:]
        first_line = split.fm_start_line
    old_values = load_yaml(fm, first_line)
    root = _compose(fm, first_line)
    entries, indent = _entries(fm, root, first_line)

    splices: list[_Splice] = []
    appended = ""

    # tags first: if both are appended at the end, the tag list comes before our mapping
    tags_entry = _only(entries, tags_key, first_line)
    current = _tag_list(old_values.get(tags_key))
    have = {c.casefold() for c in current}
    missing: list[str] = []
    for tag in add_tags:
        tag = _clean(tag)
        if tag and tag.casefold() not in have:
            have.add(tag.casefold())
            missing.append(tag)
    if missing and tags_key == key:
        raise WriteBackError(f"the tags key and the ddlens key are both {key!r}")
    tag_splices, tag_text, added = _tags_splices(fm, tags_entry, current, missing, indent, nl, tags_key, first_line)
    splices += tag_splices
    appended += tag_text

    mine = _only(entries, key, first_line)
    if mapping is not None:
        value = {str(k): v for k, v in mapping.items()}
        block = _dump_entry(key, value, indent, nl)
        if mine is not None:
            i = entries.index(mine)
            end = entries[i + 1].start if i + 1 < len(entries) else len(fm)
            end = _trim_tail(fm, mine.start, end)
            splices.append(_Splice(mine.start, end, block))
        else:
            appended += block

    if not splices and not appended:
        return text, []
    if fm and not fm.endswith("\n"):  # cannot happen for a closed front matter; be safe
        raise WriteBackError("front matter does not end with a line break", line=first_line)
    new_fm = _splice(fm, splices) + appended
    new_text = bom + head + new_fm + tail

    _verify(t, new_text[len(bom) :], old_values, key, mapping, tags_key, current + added, first_line)
    return new_text, added


def _verify(
    old: str,
    new: str,
    old_values: dict[str, Any],
    key: str,
    mapping: Mapping[str, Any] | None,
    tags_key: str,
    tags: list[str],
    first_line: int,
) -> None:
    """Refuse an edit that changes anything but ``key`` and the appended tags."""
    fail = "ddlens could not edit the front matter without changing other values; file left alone"
    old_split = split_front_matter(old)
    new_split = split_front_matter(new)
    if new_split.fm_text is None or new[new_split.body_offset :] != old[old_split.body_offset :]:
        raise WriteBackError(fail + " (body)", line=first_line)
    new_values = load_yaml(new_split.fm_text, first_line)
    others_old = [k for k in old_values if k not in (key, tags_key)]
    others_new = [k for k in new_values if k not in (key, tags_key)]
    if others_old != others_new or any(not _same(old_values[k], new_values[k]) for k in others_old):
        raise WriteBackError(fail, line=first_line)
    if mapping is not None and not _same(new_values.get(key), {str(k): v for k, v in mapping.items()}):
        raise WriteBackError(fail + f" ({key!r} did not read back)", line=first_line)
    if mapping is None and not _same(new_values.get(key), old_values.get(key)):
        raise WriteBackError(fail + f" ({key!r})", line=first_line)
    if _tag_list(new_values.get(tags_key)) != tags:
        raise WriteBackError(fail + f" ({tags_key!r})", line=first_line)
    was = old_values.get(tags_key)
    if isinstance(was, (list, str)) and type(new_values.get(tags_key)) is not type(was):
        raise WriteBackError(fail + f" ({tags_key!r} changed type)", line=first_line)
    if tags == _tag_list(was) and not _same(new_values.get(tags_key), was):
        raise WriteBackError(fail + f" ({tags_key!r})", line=first_line)


# -- files --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edit:
    """A planned change to one file: its bytes now and after the edit."""

    path: str
    old: bytes
    new: bytes
    added_tags: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return unified_diff(self.old, self.new, self.path)


def plan(
    path: str | os.PathLike[str],
    mapping: Mapping[str, Any] | None,
    key: str = DEFAULT_KEY,
    add_tags: Sequence[str] = (),
    tags_key: str = DEFAULT_TAGS_KEY,
) -> Edit:
    """Read ``path`` and work out its edit (nothing is written). Raises WriteBackError."""
    name = os.fspath(path)
    try:
        old = Path(path).read_bytes()
    except OSError as exc:
        raise WriteBackError(exc.strerror or str(exc), name) from None
    try:
        text = old.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WriteBackError(f"not UTF-8 text (byte 0x{old[exc.start]:02x} at offset {exc.start})", name) from None
    new_text, added = update_text(text, mapping, key, add_tags, tags_key, path=name)
    return Edit(name, old, new_text.encode("utf-8") if new_text is not text else old, tuple(added))


def apply(edit: Edit) -> bool:
    """Write a planned edit atomically; False when there was nothing to change. Raises
    WriteBackError if the file changed since it was read (it is then left alone)."""
    if not edit.changed:
        return False
    atomic_write(edit.path, edit.new, expected=edit.old)
    return True


def atomic_write(path: str | os.PathLike[str], data: bytes, expected: bytes | None = None) -> None:
    """Replace the file at ``path`` by ``data`` so that readers (and a crash) see either
    the old or the new content, never a mix: write a temporary file in the same folder,
    fsync it, give it the old file's mode, ``os.replace`` it over the target, fsync the
    folder. A symlink is followed (its target is replaced, the link stays). With
    ``expected``, the file must still hold exactly those bytes just before the replace."""
    name = os.fspath(path)
    target = os.path.realpath(name)
    folder = os.path.dirname(target) or "."
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise WriteBackError(exc.strerror or str(exc), name) from None
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".ddlens-tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except (OSError, AttributeError):
                pass  # not permitted (not root): the file keeps our ownership
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        if expected is not None:
            try:
                now = Path(target).read_bytes()
            except OSError:
                now = None
            if now != expected:
                raise WriteBackError("file changed while ddlens was working on it; not written", name)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: str) -> None:
    if os.name != "posix":  # pragma: no cover
        return
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(dfd)


def unified_diff(old: bytes, new: bytes, path: str) -> str:
    """A ``git diff``-style unified diff of two versions of a file (empty when equal)."""
    if old == new:
        return ""
    a = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    b = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)

"""Taxonomies as data: the categories ddlens scores posts against, read from YAML.

ddlens ships ``models/taxonomies/transformation-pillars.yaml`` (the default) and
``models/taxonomies/principles-for-digital-development.yaml``; a user can bring their
own file. The format::

    name: my-taxonomy              # slug; what --taxonomy names (required)
    label: My taxonomy             # human title (required)
    description: ...               # optional
    labels_key: my-taxonomy        # key of the labels in a corpus' labels.jsonl (default: name)
    model: my-taxonomy.skops       # trained classifier, relative to this file (optional)
    categories:                    # at least one
      - id: some-category          # slug, unique
        label: Some category
        definition: What counts, and what does not.
        phrases: [indicative phrase, another one]       # at least one
        counter_examples: [look-alike phrase]            # optional

Phrases are matched case-insensitively on word boundaries, with punctuation inside a
phrase ignored ("co-design" = "co design"). A bad file raises :class:`TaxonomyError`,
whose ``str()`` is one line ``path:line: reason``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .errors import LocatedError
from .resources import models_dir

__all__ = [
    "Category",
    "Taxonomy",
    "TaxonomyError",
    "DEFAULT_TAXONOMY",
    "available_taxonomies",
    "load_taxonomy",
    "phrase_key",
]

DEFAULT_TAXONOMY = "transformation-pillars"
MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_PHRASE_TOKENS = 8
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_WORD = re.compile(r"(?u)\b\w+\b")
_STR = "tag:yaml.org,2002:str"
_TOP_KEYS = {"name", "label", "description", "labels_key", "model", "version", "source", "categories"}
_CAT_KEYS = {"id", "label", "definition", "phrases", "counter_examples"}


def phrase_key(phrase: str) -> str:
    """The normal form phrases are matched in: lowercase word tokens joined by spaces."""
    return " ".join(_WORD.findall(phrase.lower()))


class TaxonomyError(LocatedError, ValueError):
    """A taxonomy that cannot be used. ``str()`` is one line: ``path:line: reason``."""

    where_unknown = "<taxonomy>"


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    definition: str
    phrases: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "definition": self.definition,
            "phrases": list(self.phrases),
            "counter_examples": list(self.counter_examples),
        }


@dataclass(frozen=True)
class Taxonomy:
    name: str
    label: str
    categories: tuple[Category, ...]
    description: str = ""
    labels_key: str = ""
    model: str | None = None  # as written in the file (relative to it)
    path: str | None = None  # the YAML it came from (absolute)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.categories)

    def category(self, cid: str) -> Category:
        for c in self.categories:
            if c.id == cid:
                return c
        raise KeyError(cid)

    def model_path(self) -> Path | None:
        """The trained model the file points to (resolved against the file's folder), if any."""
        if not self.model:
            return None
        p = Path(self.model).expanduser()
        if not p.is_absolute() and self.path:
            p = (Path(self.path).parent / p).resolve()
        return p

    def to_dict(self) -> dict[str, Any]:
        """Plain data (no path): what a trained model stores to know what it was trained on."""
        return {
            "name": self.name,
            "label": self.label,
            "description": self.description,
            "labels_key": self.labels_key,
            "categories": [c.to_dict() for c in self.categories],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: str | None = None) -> "Taxonomy":
        return cls(
            name=d["name"],
            label=d["label"],
            description=d.get("description", ""),
            labels_key=d.get("labels_key") or d["name"],
            categories=tuple(
                Category(
                    id=c["id"],
                    label=c["label"],
                    definition=c["definition"],
                    phrases=tuple(c["phrases"]),
                    counter_examples=tuple(c.get("counter_examples", ())),
                )
                for c in d["categories"]
            ),
            path=path,
        )


def taxonomies_dir() -> Path:
    return models_dir() / "taxonomies"


def available_taxonomies() -> list[str]:
    """Names of the shipped taxonomies."""
    d = taxonomies_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def resolve_taxonomy(name_or_path: str | Path) -> Path:
    """The YAML file a ``--taxonomy`` value names: a shipped name or a path."""
    s = str(name_or_path)
    p = Path(s).expanduser()
    looks_like_path = isinstance(name_or_path, Path) or "/" in s or "\\" in s or p.suffix in (".yaml", ".yml")
    if looks_like_path or p.is_file():
        if not p.is_file():
            raise TaxonomyError(s, "taxonomy file not found")
        return p
    shipped = taxonomies_dir() / f"{s}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(available_taxonomies()) or "none"
    raise TaxonomyError(s, f"unknown taxonomy (shipped: {names}; or give the path of a YAML file)")


def load_taxonomy(name_or_path: str | Path = DEFAULT_TAXONOMY) -> Taxonomy:
    """Load and validate a taxonomy by shipped name or by path. Cached per file version."""
    path = resolve_taxonomy(name_or_path)
    st = path.stat()
    return _load_cached(str(path.resolve()), st.st_mtime_ns, st.st_size, str(path))


@lru_cache(maxsize=32)
def _load_cached(resolved: str, _mtime: int, _size: int, shown: str) -> Taxonomy:
    return parse_taxonomy(Path(resolved), shown=shown)


def parse_taxonomy(path: Path, shown: str | None = None) -> Taxonomy:
    shown = shown or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaxonomyError(shown, f"cannot read taxonomy: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise TaxonomyError(shown, f"taxonomy file is larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TaxonomyError(shown, f"taxonomy is not UTF-8 (byte {exc.start})") from None
    tax = _Validator(shown).taxonomy(text)
    return Taxonomy(**{**tax.__dict__, "path": str(path.resolve())})


class _Validator:
    """Checks the composed YAML node tree, so every error can name its line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.nodes = 0

    def fail(self, reason: str, node: yaml.Node | None = None) -> TaxonomyError:
        line = node.start_mark.line + 1 if node is not None and node.start_mark is not None else None
        return TaxonomyError(self.path, reason, line)

    def compose(self, text: str) -> yaml.Node:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            reason = f"invalid YAML: {exc.problem or exc.context or 'syntax error'}"
            raise TaxonomyError(self.path, reason, mark.line + 1 if mark else None) from None
        except yaml.YAMLError as exc:
            raise TaxonomyError(self.path, f"invalid YAML: {str(exc).splitlines()[0]}") from None
        except RecursionError:
            raise TaxonomyError(self.path, "invalid YAML: nested too deeply") from None
        if node is None:
            raise TaxonomyError(self.path, "taxonomy file is empty", 1)
        return node

    def mapping(self, node: yaml.Node, what: str, allowed: set[str]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(f"{what} must be a mapping of keys to values", node)
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            self.count()
            if not isinstance(k, yaml.ScalarNode):
                raise self.fail(f"{what}: keys must be plain words", k)
            key = str(k.value)
            if key not in allowed:
                raise self.fail(f"{what}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", k)
            if key in out:
                raise self.fail(f"{what}: key {key!r} appears twice", k)
            out[key] = (k, v)
        return out

    def count(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise TaxonomyError(self.path, f"taxonomy has more than {MAX_NODES} YAML nodes")

    def string(self, node: yaml.Node, what: str, allow_empty: bool = False) -> str:
        self.count()
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
            raise self.fail(f"{what} must be a string", node)
        s = " ".join(str(node.value).split())
        if not s and not allow_empty:
            raise self.fail(f"{what} must not be empty", node)
        return s

    def slug(self, node: yaml.Node, what: str) -> str:
        s = self.string(node, what)
        if not _SLUG.match(s):
            raise self.fail(f"{what} {s!r} must be a slug: lowercase letters, digits, '-' or '_'", node)
        return s

    def phrases(self, node: yaml.Node, what: str, required: bool) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(f"{what} must be a list of strings", node)
        out: list[str] = []
        for item in node.value:
            s = self.string(item, f"{what} item")
            key = phrase_key(s)
            if not key:
                raise self.fail(f"{what} item {s!r} has no words to match", item)
            if len(key.split()) > MAX_PHRASE_TOKENS:
                raise self.fail(f"{what} item {s!r} is longer than {MAX_PHRASE_TOKENS} words", item)
            out.append(s)
        if required and not out:
            raise self.fail(f"{what} must list at least one phrase", node)
        return tuple(out)

    def taxonomy(self, text: str) -> Taxonomy:
        root = self.compose(text)
        top = self.mapping(root, "taxonomy", _TOP_KEYS)
        for req in ("name", "label", "categories"):
            if req not in top:
                raise self.fail(f"taxonomy: missing required key {req!r}", root)
        name = self.slug(top["name"][1], "name")
        label = self.string(top["label"][1], "label")
        description = self.string(top["description"][1], "description", allow_empty=True) if "description" in top else ""
        labels_key = self.string(top["labels_key"][1], "labels_key") if "labels_key" in top else name
        model = self.string(top["model"][1], "model") if "model" in top else None
        for opt in ("version", "source"):
            if opt in top:
                v = top[opt][1]
                if not isinstance(v, yaml.ScalarNode):
                    raise self.fail(f"{opt} must be a single value", v)
        cats_node = top["categories"][1]
        if not isinstance(cats_node, yaml.SequenceNode) or not cats_node.value:
            raise self.fail("categories must be a non-empty list", cats_node)
        cats: list[Category] = []
        seen: dict[str, int] = {}
        for i, cnode in enumerate(cats_node.value, 1):
            what = f"category {i}"
            if isinstance(cnode, yaml.MappingNode):  # name it by its id when it has one
                for k, v in cnode.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == "id" and isinstance(v, yaml.ScalarNode) and v.value:
                        what = f"category {str(v.value)[:64]!r}"
            fields = self.mapping(cnode, what, _CAT_KEYS)
            for req in ("id", "label", "definition", "phrases"):
                if req not in fields:
                    raise self.fail(f"{what}: missing required key {req!r}", cnode)
            cid = self.slug(fields["id"][1], f"category {i} id")
            what = f"category {cid!r}"
            if cid in seen:
                raise self.fail(f"{what}: id already used by category {seen[cid]}", fields["id"][1])
            seen[cid] = i
            cats.append(
                Category(
                    id=cid,
                    label=self.string(fields["label"][1], f"{what} label"),
                    definition=self.string(fields["definition"][1], f"{what} definition"),
                    phrases=self.phrases(fields["phrases"][1], f"{what} phrases", required=True),
                    counter_examples=(
                        self.phrases(fields["counter_examples"][1], f"{what} counter_examples", required=False)
                        if "counter_examples" in fields
                        else ()
                    ),
                )
            )
        return Taxonomy(
            name=name,
            label=label,
            categories=tuple(cats),
            description=description,
            labels_key=labels_key,
            model=model,
            path=self.path,
        )

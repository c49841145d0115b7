"""``ddlens check`` configuration: ``[tool.ddlens]`` in ``pyproject.toml`` or a ``.ddlens.toml``.

Each checked post uses the nearest configuration found walking up from its folder: in
each folder, ``.ddlens.toml`` (its keys at the top level) wins over a ``pyproject.toml``
that has a ``[tool.ddlens]`` table; a ``pyproject.toml`` without one is passed over.
Paths in a configuration are relative to the folder of the file that holds it.

    [tool.ddlens]
    select = ["ALL"]                 # rules to run (codes, names, code prefixes, "ALL");
                                     # default: every rule whose default severity is not off
    extend-select = ["DDL016"]       # add rules to the default set
    ignore = ["DDL004", "duplicate-title"]
    required-keys = ["title", "date", "author"]      # DDL019
    vocabulary = ["agriculture", "health"]           # the allowed tags (DDL006) ...
    vocabulary-file = "_data/tags.yml"               # ... and/or a file of them (.txt, .yml, .json)
    vocabulary-from = ["_posts"]                     # learn the vocabulary from these posts
    site-root = "."                                  # resolve internal links (DDL010)

    [tool.ddlens.rules]
    DDL007 = "error"                                 # a severity: error | warning | off
    too-few-words = { severity = "warning", min-words = 400 }

Unknown keys of ``[tool.ddlens]`` are left alone (other ddlens commands read that table
too); unknown rules, unknown rule options and badly typed values are errors (exit 2).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .model import CheckConfigError, Rule, Severity, all_rules, get_rule, rules_matching

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["CheckConfig", "ConfigResolver", "Overrides", "load_config_file", "find_config_file"]

CONFIG_NAMES = (".ddlens.toml", "pyproject.toml")


@dataclass(frozen=True)
class Overrides:
    """Settings from the command line; they win over configuration files."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    vocabulary_from: tuple[Path, ...] = ()
    site_root: Path | None = None


@dataclass
class CheckConfig:
    """The settings one post is checked with."""

    source: Path | None = None  # the file they came from (None: built-in defaults)
    severities: dict[str, Severity] = field(default_factory=dict)  # code -> effective severity
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> option values
    required_keys: tuple[str, ...] = ()
    vocabulary: frozenset[str] | None = None
    vocabulary_from: tuple[Path, ...] = ()
    site_root: Path | None = None

    def severity(self, code: str) -> Severity:
        return self.severities.get(code, Severity.OFF)

    def enabled(self, code: str) -> bool:
        return self.severity(code) is not Severity.OFF

    def option(self, code: str, name: str) -> Any:
        return self.options[code][name]

    @property
    def key(self) -> tuple[Any, ...]:
        """Hashable identity, to share caches (learned vocabularies) between equal configs."""
        return (str(self.source), self.vocabulary_from, self.site_root)


def _norm(key: str) -> str:
    return key.strip().replace("_", "-").lower()


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise CheckConfigError(f"{where}: expected a list of strings, got {value!r}")


def _paths(value: Any, base: Path, where: str) -> tuple[Path, ...]:
    return tuple((base / p) for p in _str_list(value, where))


def _read_vocabulary_file(path: Path, where: str) -> frozenset[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CheckConfigError(f"{where}: cannot read vocabulary file {path}: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml", ".json"):
        import json

        import yaml

        try:
            data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as exc:
            raise CheckConfigError(f"{where}: {path} is not valid {suffix[1:].upper()}: {str(exc).splitlines()[0]}") from None
        if isinstance(data, dict):  # e.g. a Jekyll _data/tags.yml keyed by tag
            data = list(data.keys())
        if not isinstance(data, list):
            raise CheckConfigError(f"{where}: {path} must hold a list of tags")
        words = []
        for item in data:
            if isinstance(item, dict):  # [{name: ..., ...}] or [{tag: ...}]
                item = item.get("name", item.get("tag", item.get("slug")))
            if item is not None:
                words.append(str(item).strip())
        return frozenset(w for w in words if w)
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def load_config_file(path: Path) -> dict[str, Any] | None:
    """The ddlens table of a config file: ``.ddlens.toml`` whole, ``pyproject.toml``'s
    ``[tool.ddlens]`` (None when it has none)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise CheckConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CheckConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        table = tool.get("ddlens") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise CheckConfigError(f"{path}: [tool.ddlens] must be a table")
        return table
    return data


def find_config_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest config at or above folder ``start``."""
    d = start.resolve()
    for folder in (d, *d.parents):
        for name in CONFIG_NAMES:
            p = folder / name
            if p.is_file():
                table = load_config_file(p)
                if table is not None:
                    return p, table
    return None


def build_config(table: Mapping[str, Any] | None, source: Path | None, overrides: Overrides) -> CheckConfig:
    """Resolve a config table (or the defaults) plus command-line overrides."""
    table = {_norm(k): v for k, v in (table or {}).items()}
    where = str(source) if source else "defaults"
    base = source.parent if source else Path.cwd()
    rules = all_rules()

    def selectors(key: str) -> list[Rule]:
        out: list[Rule] = []
        for s in _str_list(table.get(key, []), f"{where}: {key}"):
            out.extend(rules_matching(s, f"{where}: {key}"))
        return out

    if overrides.select is not None:
        selected = {r.code for s in overrides.select for r in rules_matching(s, "--select")}
    elif "select" in table:
        selected = {r.code for r in selectors("select")}
    else:
        selected = {code for code, r in rules.items() if r.on_by_default}
    selected |= {r.code for r in selectors("extend-select")}
    selected |= {r.code for s in overrides.extend_select for r in rules_matching(s, "--extend-select")}
    ignored = {r.code for r in selectors("ignore")}
    ignored |= {r.code for s in overrides.ignore for r in rules_matching(s, "--ignore")}

    options: dict[str, dict[str, Any]] = {code: dict(r.options) for code, r in rules.items()}
    explicit: dict[str, Severity] = {}
    rule_tables = table.get("rules", {})
    if not isinstance(rule_tables, dict):
        raise CheckConfigError(f"{where}: [rules] must be a table")
    for key, value in rule_tables.items():
        r = _rule_for(key, where)
        here = f"{where}: rules.{key}"
        if isinstance(value, str):
            explicit[r.code] = Severity.parse(value, here)
            continue
        if not isinstance(value, dict):
            raise CheckConfigError(f"{here}: expected a severity or a table")
        for opt, v in value.items():
            name = _norm(opt).replace("-", "_")
            if name == "severity":
                explicit[r.code] = Severity.parse(v, here)
                continue
            if name not in r.options:
                known = ", ".join(k.replace("_", "-") for k in r.options) or "none"
                raise CheckConfigError(f"{here}: unknown option {opt!r} (options: {known})")
            options[r.code][name] = _coerce_option(r.options[name], v, f"{here}.{opt}")

    severities: dict[str, Severity] = {}
    for code, r in rules.items():
        if code in explicit:
            sev = explicit[code]
        elif code in selected:
            sev = r.default if r.on_by_default else r.enabled_severity
        else:
            sev = Severity.OFF
        if code in ignored:
            sev = Severity.OFF
        severities[code] = sev

    vocabulary: frozenset[str] | None = None
    if "vocabulary" in table:
        vocabulary = frozenset(_str_list(table["vocabulary"], f"{where}: vocabulary"))
    if "vocabulary-file" in table:
        if not isinstance(table["vocabulary-file"], str):
            raise CheckConfigError(f"{where}: vocabulary-file must be a path string")
        from_file = _read_vocabulary_file(base / table["vocabulary-file"], f"{where}: vocabulary-file")
        vocabulary = from_file | (vocabulary or frozenset())
    vocab_from = _paths(table.get("vocabulary-from", []), base, f"{where}: vocabulary-from")
    if overrides.vocabulary_from:
        vocab_from = tuple(overrides.vocabulary_from)
    site_root = None
    if "site-root" in table:
        if not isinstance(table["site-root"], str):
            raise CheckConfigError(f"{where}: site-root must be a path string")
        site_root = base / table["site-root"]
    if overrides.site_root is not None:
        site_root = overrides.site_root
    for p in vocab_from + ((site_root,) if site_root else ()):
        if not p.is_dir():
            raise CheckConfigError(f"{where}: {p}: no such folder")
    return CheckConfig(
        source=source,
        severities=severities,
        options=options,
        required_keys=_str_list(table.get("required-keys", []), f"{where}: required-keys"),
        vocabulary=vocabulary,
        vocabulary_from=vocab_from,
        site_root=site_root,
    )


def _rule_for(key: str, where: str) -> Rule:
    try:
        return get_rule(key)
    except CheckConfigError:
        raise CheckConfigError(f"{where}: rules: unknown rule {key!r}; `ddlens rules` lists them") from None


def _coerce_option(default: Any, value: Any, where: str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise CheckConfigError(f"{where}: expected a whole number >= 0, got {value!r}")
    elif isinstance(default, (list, tuple)):
        return _str_list(value, where)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    else:
        return value
    raise CheckConfigError(f"{where}: expected {type(default).__name__}, got {value!r}")


class ConfigResolver:
    """Finds (and caches, per folder) the configuration each post is checked with."""

    def __init__(self, overrides: Overrides | None = None, config_file: Path | None = None, isolated: bool = False):
        self.overrides = overrides or Overrides()
        self._by_dir: dict[Path, CheckConfig] = {}
        self._by_file: dict[Path, CheckConfig] = {}
        self._fixed: CheckConfig | None = None
        if config_file is not None:
            if not config_file.is_file():
                raise CheckConfigError(f"{config_file}: no such config file")
            table = load_config_file(config_file)
            self._fixed = build_config(table or {}, config_file, self.overrides)
        elif isolated:
            self._fixed = build_config(None, None, self.overrides)

    def for_path(self, path: Path) -> CheckConfig:
        if self._fixed is not None:
            return self._fixed
        folder = Path(os.path.abspath(path)).parent
        got = self._by_dir.get(folder)
        if got is None:
            found = find_config_file(folder)
            if found is None:
                got = self._config(None, None)
            else:
                got = self._config(found[0], found[1])
            self._by_dir[folder] = got
        return got

    def _config(self, source: Path | None, table: dict[str, Any] | None) -> CheckConfig:
        key = source.resolve() if source else Path("<defaults>")
        if key not in self._by_file:
            self._by_file[key] = build_config(table, source, self.overrides)
        return self._by_file[key]

    def configs(self) -> Iterable[CheckConfig]:
        if self._fixed is not None:
            return [self._fixed]
        return list(self._by_file.values())


"""The vocabulary of ``ddlens check``: severities, diagnostics, rules and the rule registry.

A rule is declared once, with its stable code (``DDL001``…), a kebab-case name, a default
severity, its options and its documentation, by decorating the function that checks it::

    @rule("DDL007", "image-missing-alt", Severity.WARNING, family="markdown", summary=..., doc=...)
    def image_missing_alt(ctx):
        for img in ctx.article.images:
            if not img.alt.strip():
                yield ctx.at(img.line, img.column, "image has no alt text; ...")

Nothing here imports spaCy or scikit-learn.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

__all__ = [
    "Severity",
    "Diagnostic",
    "Finding",
    "Rule",
    "RULES",
    "rule",
    "all_rules",
    "get_rule",
    "CheckConfigError",
]


class CheckConfigError(ValueError):
    """A usage or configuration problem (exit code 2), as one line."""


class Severity(str, enum.Enum):
    OFF = "off"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"off": 0, "warning": 1, "error": 2}[self.value]

    @classmethod
    def parse(cls, value: Any, where: str) -> "Severity":
        if isinstance(value, Severity):
            return value
        if isinstance(value, str):
            v = value.strip().lower()
            if v in ("warn",):
                v = "warning"
            for s in cls:
                if s.value == v:
                    return s
        raise CheckConfigError(f"{where}: severity must be one of error, warning, off (got {value!r})")


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in one post. ``line`` and ``column`` are 1-based (column in characters)."""

    path: str
    line: int
    column: int
    code: str
    name: str
    severity: Severity
    message: str

    def sort_key(self) -> tuple[int, int, str, str]:
        return (self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"


@dataclass(frozen=True)
class Finding:
    """What a rule function yields: a position and a message (the runner adds the rest)."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    default: Severity
    family: str  # frontmatter | markdown | content | corpus | meta
    summary: str  # one line: what it finds
    doc: str  # why it matters, how to fix, examples (plain text / Markdown)
    func: Callable[..., Iterable[Finding]] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    scope: str = "post"  # post | corpus | analysis
    needs: str | None = None  # for scope "analysis": the ddlens component it needs
    enabled_severity: Severity = Severity.WARNING  # severity when an "off" rule is selected
    inert_without: str | None = None  # a config key without which the rule does nothing

    @property
    def on_by_default(self) -> bool:
        return self.default is not Severity.OFF

    def describe(self) -> str:
        """The full documentation shown by ``ddlens rule CODE``."""
        lines = [f"{self.code} {self.name}", "", self.summary, ""]
        sev = self.default.value
        if self.default is Severity.OFF:
            sev += f" (select it to enable; then {self.enabled_severity.value})"
        lines.append(f"Default severity: {sev}")
        if self.inert_without:
            lines.append(f"Does nothing until `{self.inert_without}` is configured.")
        if self.scope == "analysis":
            lines.append(f"Runs the ddlens NLP pipeline (up to {self.needs}); slower than the other rules.")
        if self.scope == "corpus":
            lines.append("Compares the checked posts with each other (and with the other posts in the checked folders).")
        if self.options:
            lines.append("")
            lines.append("Options (in [tool.ddlens.rules." + self.code + "]):")
            for k, v in self.options.items():
                lines.append(f"  {k.replace('_', '-')} = {_toml_value(v)}")
        lines.append("")
        lines.append(self.doc.strip())
        if self.code != "DDL001":  # unreadable posts cannot be suppressed
            lines.append("")
            lines.append(
                f"Suppress in a post: <!-- ddlens: disable-next-line={self.code} --> (next line) "
                f"or <!-- ddlens: disable={self.code} --> (whole file)."
            )
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "family": self.family,
            "default_severity": self.default.value,
            "summary": self.summary,
            "options": {k.replace("_", "-"): v for k, v in self.options.items()},
            "scope": self.scope,
        }


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return repr(v)


RULES: dict[str, Rule] = {}
_CODE = re.compile(r"^DDL\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def rule(
    code: str,
    name: str,
    default: Severity,
    *,
    family: str,
    summary: str,
    doc: str,
    options: Mapping[str, Any] | None = None,
    scope: str = "post",
    needs: str | None = None,
    enabled_severity: Severity = Severity.WARNING,
    inert_without: str | None = None,
) -> Callable[[Callable[..., Iterable[Finding]]], Callable[..., Iterable[Finding]]]:
    """Register a rule (decorator). Codes and names must be unique and well formed."""
    if not _CODE.match(code) or not _NAME.match(name):
        raise ValueError(f"bad rule code or name: {code} {name}")

    def deco(func: Callable[..., Iterable[Finding]]) -> Callable[..., Iterable[Finding]]:
        if code in RULES or any(r.name == name for r in RULES.values()):
            raise ValueError(f"rule {code} {name} registered twice")
        RULES[code] = Rule(
            code=code,
            name=name,
            default=default,
            family=family,
            summary=summary,
            doc=doc,
            func=func,
            options=dict(options or {}),
            scope=scope,
            needs=needs,
            enabled_severity=enabled_severity if default is Severity.OFF else default,
            inert_without=inert_without,
        )
        return func

    return deco


def all_rules() -> dict[str, Rule]:
    """Every rule, by code, in code order (importing the rule modules registers them)."""
    from . import rules_content, rules_corpus, rules_frontmatter, rules_markdown  # noqa: F401

    return dict(sorted(RULES.items()))


def get_rule(key: str) -> Rule:
    """A rule by code (``DDL004``, case-insensitive) or name (``date-filename-mismatch``)."""
    rules = all_rules()
    k = key.strip()
    if k.upper() in rules:
        return rules[k.upper()]
    for r in rules.values():
        if r.name == k.lower():
            return r
    raise CheckConfigError(f"unknown rule {key!r}; `ddlens rules` lists them")


def rules_matching(selector: str, where: str) -> list[Rule]:
    """Rules a selector names: ``ALL``, a code, a code prefix (``DDL01``) or a name."""
    rules = all_rules()
    s = selector.strip()
    if s.upper() == "ALL":
        return list(rules.values())
    if s.upper().startswith("DDL") and s[3:].isdigit():
        hits = [r for r in rules.values() if r.code.startswith(s.upper())]
        if hits:
            return hits
    for r in rules.values():
        if r.name == s.lower():
            return [r]
    raise CheckConfigError(f"{where}: unknown rule {selector!r}; `ddlens rules` lists them")

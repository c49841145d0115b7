"""``ddlens check --format sarif``: a SARIF 2.1.0 log (for GitHub code scanning and other
static-analysis dashboards), with the metadata of every rule and one result per
diagnostic. Columns are counted in Unicode code points (``columnKind``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence, TextIO
from urllib.parse import quote

from .. import __version__
from ..check.model import Diagnostic, Rule, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.OFF: "none"}


def artifact_uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId): a relative path under %SRCROOT% (the current folder), else a file URI."""
    if not os.path.isabs(path):
        rel = os.path.normpath(path).replace(os.sep, "/")
        if not rel.startswith("../"):
            return quote(rel), "%SRCROOT%"
    return Path(os.path.abspath(path)).as_uri(), None


class Renderer:
    def __init__(self, out: TextIO, *, rules: Mapping[str, Rule], fail_on: Severity) -> None:
        self.out = out
        self.rules = list(rules.values())
        self.index = {r.code: i for i, r in enumerate(self.rules)}
        self.results: list[dict[str, Any]] = []
        self.artifacts: list[dict[str, Any]] = []
        self.artifact_index: dict[str, int] = {}

    def file(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        uri, base = artifact_uri(path)
        if path not in self.artifact_index:
            self.artifact_index[path] = len(self.artifacts)
            loc: dict[str, Any] = {"uri": uri}
            if base:
                loc["uriBaseId"] = base
            self.artifacts.append({"location": loc})
        for d in diagnostics:
            art: dict[str, Any] = {"uri": uri, "index": self.artifact_index[path]}
            if base:
                art["uriBaseId"] = base
            result: dict[str, Any] = {
                "ruleId": d.code,
                "level": _LEVEL[d.severity],
                "message": {"text": d.message},
                "locations": [
                    {"physicalLocation": {"artifactLocation": art, "region": {"startLine": d.line, "startColumn": d.column}}}
                ],
            }
            if d.code in self.index:
                result["ruleIndex"] = self.index[d.code]
            self.results.append(result)

    def close(self) -> None:
        rules = [
            {
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.summary},
                "help": {"text": r.describe()},
                "defaultConfiguration": {"level": _LEVEL[r.default], "enabled": r.on_by_default},
                "properties": {"tags": [r.family]},
            }
            for r in self.rules
        ]
        log = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "ddlens", "version": __version__, "semanticVersion": __version__, "rules": rules}},
                    "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri().rstrip("/") + "/"}},
                    "columnKind": "unicodeCodePoints",
                    "artifacts": self.artifacts,
                    "results": self.results,
                }
            ],
        }
        self.out.write(json.dumps(log, ensure_ascii=False, indent=2) + "\n")
        self.out.flush()

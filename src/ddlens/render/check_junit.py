"""``ddlens check --format junit``: JUnit XML with one test case per checked post. A post
fails when it has a diagnostic at or above ``--fail-on``; all of its diagnostics are in the
failure text, lower ones alone go to ``system-out``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Mapping, Sequence, TextIO

from ..check.model import Diagnostic, Rule, Severity


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(s: str) -> str:
    """Text with the characters XML 1.0 cannot hold replaced (U+FFFD)."""
    return _NOT_XML.sub("\ufffd", s)


class Renderer:
    def __init__(self, out: TextIO, *, rules: Mapping[str, Rule], fail_on: Severity) -> None:
        self.out = out
        self.fail_on = fail_on
        self.suite = ET.Element("testsuite", name="ddlens check")
        self.tests = 0
        self.failures = 0

    def file(self, path: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.tests += 1
        case = ET.SubElement(self.suite, "testcase", classname="ddlens.check", name=xml_safe(path), file=xml_safe(path))
        failing = [d for d in diagnostics if d.severity.rank >= self.fail_on.rank]
        text = xml_safe("\n".join(str(d) for d in diagnostics))
        if failing:
            self.failures += 1
            codes = sorted({d.code for d in failing})
            n = len(failing)
            fail = ET.SubElement(
                case, "failure", message=f"{n} problem{'s' if n != 1 else ''} ({', '.join(codes)})", type="ddlens.check"
            )
            fail.text = text
        elif diagnostics:
            ET.SubElement(case, "system-out").text = text

    def close(self) -> None:
        for el in (self.suite,):
            el.set("tests", str(self.tests))
            el.set("failures", str(self.failures))
            el.set("errors", "0")
            el.set("skipped", "0")
        root = ET.Element(
            "testsuites", name="ddlens check", tests=str(self.tests), failures=str(self.failures), errors="0"
        )
        root.append(self.suite)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(ET.tostring(root, encoding="unicode"))
        self.out.write("\n")
        self.out.flush()

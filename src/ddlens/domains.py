"""What a cited URL points at: its registered domain (computed offline) and its source type.

Both come from data in ``models/``: ``public-suffixes.txt`` (a small subset of the Public
Suffix List) and ``source-domains.yaml`` (hosts, suffixes and URL rules per type; read its
header for the order the rules apply in). Nothing is downloaded.

>>> table = DomainTable.load()
>>> table.registered_domain("www.ict.go.ke")
'ict.go.ke'
>>> table.classify("https://www.researchgate.net/publication/1").source_type
'academic'
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

import yaml

from .resources import model_path

__all__ = [
    "SOURCE_TYPES",
    "DomainTable",
    "LinkInfo",
    "normalise_site_domain",
]

SOURCE_TYPES = (
    "academic",
    "book",
    "government",
    "multilateral",
    "ngo",
    "foundation",
    "news",
    "social",
    "company",
    "internal",
    "other",
)
_WEB_SCHEMES = ("http", "https", "ftp", "ftps")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]{0,30}):")
_BARE_WWW = re.compile(r"^www\.[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,8}(?=$|[/?#:])")
_LABEL = re.compile(r"^[a-z0-9_\-\u00a0-\uffff]{1,63}$")


@dataclass(frozen=True)
class LinkInfo:
    """The typed view of one URL: ``domain`` is None for relative and non-web URLs."""

    url: str
    host: str | None
    domain: str | None
    source_type: str


def _host_of(netloc_url: str) -> str | None:
    try:
        host = urlsplit(netloc_url).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if not host:
        return None
    host = host.strip(".").lower()
    return host or None


def normalise_site_domain(value: str) -> str:
    """``https://www.Example.org:4000/blog`` -> ``example.org``; a bare host is kept (lower case)."""
    v = value.strip()
    if "//" not in v:
        v = "//" + v
    host = _host_of(v) or ""
    if host.startswith("www."):
        host = host[4:]
    return host


class DomainTable:
    """Registered domains and source types from the shipped data (or your own files)."""

    def __init__(
        self,
        suffixes: Iterable[str],
        hosts: Mapping[str, str],
        suffix_types: Mapping[str, str],
        url_rules: Iterable[Mapping[str, str]] = (),
        names: Mapping[str, str] | None = None,
        name_words: Mapping[str, str] | None = None,
        country_second_level: Mapping[str, str] | None = None,
    ) -> None:
        self.suffixes: frozenset[str] = frozenset(s for s in suffixes if not s.startswith("*."))
        self.wild_suffixes: frozenset[str] = frozenset(s[2:] for s in suffixes if s.startswith("*."))
        self.hosts = dict(hosts)
        self.suffix_types = dict(suffix_types)
        self.url_rules = [dict(r) for r in url_rules]
        self.names = dict(names or {})
        self.name_words = dict(name_words or {})
        self.country_second_level = dict(country_second_level or {})
        # per host: its registered domain and the type its name gives (used when no URL rule
        # matches); a pure function of the host and the data above
        self._by_host: dict[str, tuple[str | None, str]] = {}

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, domains: str | Path | None = None, suffixes: str | Path | None = None) -> "DomainTable":
        return _load(str(domains or model_path("source-domains.yaml")), str(suffixes or model_path("public-suffixes.txt")))

    # -- registered domain -------------------------------------------------------------------
    def public_suffix(self, host: str) -> str:
        """The longest listed public suffix of ``host`` (its last label when none is listed)."""
        labels = host.split(".")
        for i in range(len(labels)):
            cand = ".".join(labels[i:])
            if cand in self.suffixes:
                return cand
            if i + 1 < len(labels) and ".".join(labels[i + 1 :]) in self.wild_suffixes:
                return cand
        return labels[-1]

    def registered_domain(self, host: str | None) -> str | None:
        """``www.bbc.co.uk`` -> ``bbc.co.uk``; an IP address or ``localhost`` is returned as is."""
        if not host:
            return None
        host = host.strip(".").lower()
        if not host:
            return None
        if ":" in host or _is_ipv4(host):
            return host
        suffix = self.public_suffix(host)
        if host == suffix:
            return host
        rest = host[: -len(suffix) - 1]
        return rest.rsplit(".", 1)[-1] + "." + suffix

    # -- typing ------------------------------------------------------------------------------
    def classify(self, url: str, site_domains: Iterable[str] = ()) -> LinkInfo:
        """The registered domain and source type of a link's URL (as written in the post)."""
        u = url.strip()
        if _is_liquid_url(u):
            return LinkInfo(url, None, None, "internal")
        m = _SCHEME.match(u)
        scheme = m.group(1).lower() if m else ""
        if scheme and scheme not in _WEB_SCHEMES:
            # mailto:, tel:, data: … are not web pages; a Windows path C:\ is a local file
            return LinkInfo(url, None, None, "internal" if len(scheme) == 1 else "other")
        if scheme or u.startswith("//"):
            host = _host_of(u if scheme else "http:" + u)
        elif _BARE_WWW.match(u):
            host = _host_of("//" + u)  # [x](www.example.org): meant as external
        else:
            return LinkInfo(url, None, None, "internal")  # relative: the post's own site
        if host is None:
            return LinkInfo(url, None, None, "other")
        known = self._by_host.get(host)
        if known is None:
            if len(self._by_host) >= _BY_HOST_MAX:
                self._by_host.clear()
            known = self._by_host[host] = (self.registered_domain(host), self._host_type(host))
        domain, host_type = known
        for sd in site_domains:
            if sd and (host == sd or host.endswith("." + sd)):
                return LinkInfo(url, host, domain, "internal")
        return LinkInfo(url, host, domain, self._rule_type(host, u) or host_type)

    def _rule_type(self, host: str, url: str) -> str | None:
        """The type of the first URL rule that matches, if any."""
        if not self.url_rules:
            return None
        rest = _after_host(url).lower()
        for rule in self.url_rules:
            rhost = rule.get("host")
            if rhost and not (host == rhost or host.endswith("." + rhost)):
                continue
            prefix = rule.get("path_prefix")
            if prefix and not rest.startswith(prefix):
                continue
            needle = rule.get("contains")
            if needle and needle not in rest:
                continue
            return rule["type"]
        return None

    def _host_type(self, host: str) -> str:
        """The type the host's name gives: a listed host or parent domain, a suffix, a
        country's second level; else "other"."""
        labels = host.split(".")
        suffix = self.public_suffix(host)
        n_suffix = suffix.count(".") + 1
        # longest host first: a host, then each parent domain down to the registered one
        for i in range(0, max(1, len(labels) - n_suffix)):
            cand = ".".join(labels[i:])
            t = self.hosts.get(cand)
            if t is None:
                wild = ".".join(labels[i : len(labels) - n_suffix]) + ".*"
                t = self.hosts.get(wild)
            if t is not None:
                return t
        for i in range(len(labels)):
            t = self.suffix_types.get(".".join(labels[i:]))
            if t is not None:
                return t
        if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-1].isalpha():
            t = self.country_second_level.get(labels[-2])
            if t is not None:
                return t
        return "other"

    def type_of_name(self, name: str | None) -> str | None:
        """The source type a prose name implies (``World Bank`` -> multilateral), else None."""
        if not name:
            return None
        n = name[4:] if name[:4] in ("The ", "the ") else name
        t = self.names.get(n) or self.names.get(name)
        if t is not None:
            return t
        for word in n.replace(",", " ").split():
            t = self.name_words.get(word)
            if t is not None:
                return t
        return None


_IPV4_CHARS = frozenset("0123456789.")
_BY_HOST_MAX = 20_000


def _is_ipv4(host: str) -> bool:
    if not _IPV4_CHARS.issuperset(host):
        return False  # IPv4Address only takes ASCII digits and dots; its ValueError costs ~20 µs
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _is_liquid_url(u: str) -> bool:
    if u.startswith(("{{", "{%")):
        return True
    # https://{{ site.host }}/x : the host itself is templated
    head = u.split("//", 1)[1] if "//" in u[:12] else ""
    return head.startswith(("{{", "{%"))


def _after_host(u: str) -> str:
    """The path, query and fragment of an absolute URL (what follows the host and port)."""
    i = u.find("//")
    if i < 0:
        return u
    j = i + 2
    n = len(u)
    while j < n and u[j] not in "/?#":
        j += 1
    return u[j:]


def _check_type(t: Any, where: str) -> str:
    if t not in SOURCE_TYPES:
        raise ValueError(f"{where}: unknown source type {t!r} (one of {', '.join(SOURCE_TYPES)})")
    return str(t)


@lru_cache(maxsize=8)
def _load(domains_path: str, suffixes_path: str) -> DomainTable:
    suffixes: list[str] = []
    with open(suffixes_path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            s = line.strip().lower()
            if not s or s.startswith("#"):
                continue
            bare = s[2:] if s.startswith("*.") else s
            if not all(_LABEL.match(p) for p in bare.split(".")):
                raise ValueError(f"{suffixes_path}:{lineno}: not a domain suffix: {s!r}")
            suffixes.append(s)
    with open(domains_path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    hosts: dict[str, str] = {}
    names: dict[str, str] = {}
    name_words: dict[str, str] = {}
    for t, spec in (data.get("types") or {}).items():
        _check_type(t, f"{domains_path}: types")
        spec = spec or {}
        for h in spec.get("hosts") or []:
            h = str(h).strip().lower()
            if h in hosts and hosts[h] != t:
                raise ValueError(f"{domains_path}: host {h!r} is listed as both {hosts[h]} and {t}")
            hosts[h] = t
        for n in spec.get("names") or []:
            names.setdefault(str(n), t)
        for w in spec.get("name_words") or []:
            name_words.setdefault(str(w), t)
    suffix_types = {str(k).lower(): _check_type(v, f"{domains_path}: suffixes.{k}") for k, v in (data.get("suffixes") or {}).items()}
    rules = []
    for i, r in enumerate(data.get("url_rules") or []):
        if not isinstance(r, dict) or "type" not in r or not ({"host", "contains", "path_prefix"} & set(r)):
            raise ValueError(f"{domains_path}: url_rules[{i}] needs a type and one of host, path_prefix, contains")
        _check_type(r["type"], f"{domains_path}: url_rules[{i}]")
        rules.append({k: str(v).lower() if k != "type" else str(v) for k, v in r.items()})
    second = {
        str(k).lower(): _check_type(v, f"{domains_path}: country_second_level.{k}")
        for k, v in (data.get("country_second_level") or {}).items()
    }
    return DomainTable(suffixes, hosts, suffix_types, rules, names, name_words, second)

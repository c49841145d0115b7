"""Markdown rules: links, images, the excerpt separator, and the suppression comments."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

from .context import PostContext
from .model import Finding, Severity, rule

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
KNOWN_SCHEMES = frozenset(
    "http https mailto tel sms ftp ftps sftp ssh git irc ircs news nntp data geo urn doi "
    "callto skype whatsapp tg zoommtg webcal feed magnet bitcoin slack spotify maps".split()
)
_HTTP_TYPOS = frozenset(
    "htp htps htttp htttps hhtp hhtps http: ttp ttps htpp htpps hptt hptts htt htts httpss httsp"
    " htpt htpts http2 hhttp hhttps".split()
)
_HOST_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$", re.UNICODE)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_COMMON_TLD = re.compile(r"^(?:[a-z0-9-]+\.)+(?:com|org|net|gov|edu|int|info)(?:[/?#:]|$)", re.IGNORECASE)
_LIQUID = ("{{", "{%")


def url_problem(url: str) -> str | None:
    """Why ``url`` (as written in a link or image) is malformed, or None when it looks fine."""
    u = url.strip()
    if not u or u.startswith("#") or any(t in u for t in _LIQUID):
        return None
    low = u.lower()
    if re.match(r"^https?//", low):
        return "is missing ':' after the scheme (write https://…)"
    if re.match(r"^https?:/?(?!/)", low):
        return "needs '//' after the scheme (write https://host/…)"
    if re.match(r"^https?://+https?:?/", low):
        return "has its scheme written twice"
    if any(ch.isspace() for ch in u):
        return "contains whitespace (encode spaces as %20)"
    if re.match(r"^[a-z]:[\\/]", low) or low.startswith("file:"):
        return "points at a file on the author's computer, which readers cannot open"
    if "\\" in u:
        return "contains backslashes (use '/')"
    m = _SCHEME.match(u)
    if m:
        scheme = m.group(1).lower()
        if scheme in ("http", "https"):
            return _http_problem(u)
        if scheme == "mailto":
            addr = u[7:].split("?", 1)[0]
            if "@" not in unquote(addr):
                return "is a mailto: link without an email address"
            return None
        if scheme in KNOWN_SCHEMES:
            return None
        if scheme in _HTTP_TYPOS:
            return f"has the scheme '{m.group(1)}:', a typo of http or https"
        return None
    if u.startswith("//"):
        return _http_problem("https:" + u)
    if low.startswith("www.") or _COMMON_TLD.match(low):
        return "has no scheme, so it is read as a path on this site (write https://…)"
    if re.match(r"^[^/@\s]+@[^/@\s]+\.[a-z]{2,}$", low):
        return "looks like an email address (write mailto:…)"
    return None


def _http_problem(u: str) -> str | None:
    try:
        parts = urlsplit(u)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError as exc:
        return f"cannot be parsed ({exc})"
    del port
    host = parts.hostname
    if not parts.netloc or not host:
        return "has no host name"
    if host.startswith("[") or ":" in host:  # IPv6 literal
        return None
    if host == "localhost":
        return "points at localhost, which readers cannot reach"
    if _IPV4.match(host):
        return None
    labels = host.rstrip(".").split(".")
    if len(labels) < 2:
        return f"has the host '{host}', which is not a full domain name"
    for label in labels:
        if not _HOST_LABEL.match(label):
            return f"has an invalid host name '{host}'"
    if labels[-1].isdigit():
        return f"has an invalid host name '{host}'"
    return None


def _url_column(ctx: PostContext, line: int, column: int, url: str) -> int:
    """Column of ``url`` on ``line`` at or after ``column`` (else ``column``)."""
    if 1 <= line <= len(ctx.source_lines) and url:
        at = ctx.source_lines[line - 1].find(url, max(0, column - 1))
        if at >= 0:
            return at + 1
    return column


@rule(
    "DDL009",
    "malformed-url",
    Severity.ERROR,
    family="markdown",
    summary="A link or image URL is malformed: no host, a misspelt scheme, whitespace, a local file path.",
    doc="""
Why: a malformed URL is a broken link for every reader, and it is easy to miss in review
because the link text looks fine.

Reported: `http//…` or `https:/…` (missing ':' or '/'), `htp://…` (a scheme typo),
`http://http://…`, a host that is not a domain name (`https://www`, `https://example..org`,
a bad port), a space inside the URL, `www.example.org/…` without a scheme (the site would
read it as a local path), an email address without `mailto:`, a `file:` URL or a Windows
path, backslashes, `http://localhost`. URLs built with Liquid (`{{ site.baseurl }}`) are
not checked here (see DDL010).

Fix: write the full URL.

    [the 2019 report](https://www.gsma.com/mobilemoney/report-2019/)
""",
)
def malformed_url(ctx: PostContext) -> Iterator[Finding]:
    for link in ctx.article.links:
        if link.kind == "bare":
            continue
        why = url_problem(link.url)
        if why:
            col = _url_column(ctx, link.line, link.column, link.url)
            yield ctx.at(link.line, col, f"link URL '{_short(link.url)}' {why}")
    for img in ctx.article.images:
        why = url_problem(img.src)
        if why:
            col = _url_column(ctx, img.line, img.column, img.src)
            yield ctx.at(img.line, col, f"image URL '{_short(img.src)}' {why}")


def _short(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


_FILE_ALT = re.compile(r"^[\w\s().,+-]*\.(?:jpe?g|png|gif|svg|webp|bmp|tiff?)$|^(?:img|dsc|image|screenshot)[-_ ]?\d+$", re.I)


@rule(
    "DDL007",
    "image-missing-alt",
    Severity.WARNING,
    family="markdown",
    summary="An image has no alt text (or its alt text is just its file name).",
    options={"flag_filename_alt": True},
    doc="""
Why: alt text is what screen-reader users hear and what everyone sees when the image
fails to load. An image without it, or with its file name as alt text
("IMG_2041.jpg"), says nothing.

Fix: describe what the image shows, in the post's language.

    ![Community health workers comparing DHIS2 dashboards on a tablet](/uploads/dhis2.jpg)
    <img src="/uploads/dhis2.jpg" alt="Community health workers comparing DHIS2 dashboards">

A purely decorative image can keep an empty alt with a suppression comment on the line
before it: `<!-- ddlens: disable-next-line=DDL007 -->`. Option `flag-filename-alt`
(default true) also reports alt text that is only a file name.
""",
)
def image_missing_alt(ctx: PostContext) -> Iterator[Finding]:
    for img in ctx.article.images:
        alt = img.alt.strip()
        if not alt:
            yield ctx.at(img.line, img.column, f"image '{_short(img.src, 60)}' has no alt text; describe what it shows")
        elif ctx.option("flag_filename_alt") and _FILE_ALT.match(alt):
            yield ctx.at(img.line, img.column, f"image alt text '{_short(alt, 60)}' is a file name; describe what it shows")


def _hidden_content(ctx: PostContext, link) -> bool:  # type: ignore[no-untyped-def]
    """True when an empty-text link holds something that is not text: an image
    (``[![alt](src)](url)``, ``<a href=…><img …></a>``) or a Liquid tag (``{% image … %}``).
    The anchor is read from the source, from the link's opening ``[`` or ``<a`` up to its
    ``](`` or ``</a>``, across lines."""
    if not 1 <= link.line <= len(ctx.source_lines):
        return False
    src = ctx.article.source
    line_start = sum(len(x) + 1 for x in ctx.source_lines[: link.line - 1])
    here = line_start + link.column - 1
    opener = "<a" if link.kind == "html" else "["
    start = src.rfind(opener, line_start, here + 1)
    start = start if start >= 0 else max(line_start, here - 3)
    closer = "</a" if link.kind == "html" else "]("
    end = (src.lower() if link.kind == "html" else src).find(closer, start, start + 4000)
    anchor = src[start : end if end >= 0 else here + 1]
    if link.kind == "html" and ">" in anchor:
        anchor = anchor[anchor.index(">") + 1 :]  # the link's content, not its href
    if "![" in anchor or "<img" in anchor.lower() or "{%" in anchor or "{{" in anchor:
        return True
    last = link.line + anchor.count("\n")
    return any(link.line <= img.line <= last for img in ctx.article.images if (img.line, img.column) >= (link.line, start - line_start))


@rule(
    "DDL008",
    "placeholder-link",
    Severity.WARNING,
    family="markdown",
    summary="A link has an empty or '#' URL, no text, or placeholder text such as 'click here'.",
    options={"placeholder_texts": ["click here", "here", "link", "this link", "click", "read more here"]},
    doc="""
Why: `[report](#)` and `[report]()` are unfinished links; a link with no text is invisible,
and "click here" tells screen-reader users (who often list a page's links) nothing about
where it goes.

Fix: give the link its real URL, and text that names the target.

    Read [GSMA's 2019 State of the Industry report](https://www.gsma.com/sotir/).

Option `placeholder-texts`: the link texts reported (compared ignoring case and trailing
punctuation).
""",
)
def placeholder_link(ctx: PostContext) -> Iterator[Finding]:
    placeholders = {p.casefold() for p in ctx.option("placeholder_texts")}
    for link in ctx.article.links:
        if link.kind in ("bare", "autolink"):
            continue
        url = link.url.strip()
        if not url:
            yield ctx.at(link.line, link.column, f"link '{_short(link.text, 40)}' has an empty URL; add where it should go")
        elif url == "#":
            yield ctx.at(link.line, link.column, f"link '{_short(link.text, 40)}' points at '#', a placeholder; add the real URL")
        text = link.text.strip()
        if not text:
            if not _hidden_content(ctx, link):
                yield ctx.at(link.line, link.column, f"link to '{_short(url, 60)}' has no text; write what it links to")
        elif text.casefold().strip(" .,:;!?»›→") in placeholders:
            yield ctx.at(
                link.line, link.column, f"link text '{text}' does not say where it goes; describe the target instead"
            )


_LIQUID_PREFIX = re.compile(r"^\{\{-?\s*site\.(?:url|baseurl)\s*-?\}\}", re.I)
_LIQUID_FILTER = re.compile(r"""^\{\{-?\s*(['"])(?P<path>[^'"]*)\1\s*\|\s*(?:relative_url|absolute_url)\s*-?\}\}$""")
_POST_URL = re.compile(r"^\{%-?\s*post_url\s+(?P<name>\S+)\s*-?%\}")
_LINK_TAG = re.compile(r"^\{%-?\s*link\s+(?P<path>\S+)\s*-?%\}")


@rule(
    "DDL010",
    "unresolved-internal-link",
    Severity.WARNING,
    family="markdown",
    summary="An internal link or image does not resolve to a file or post under the site root.",
    options={
        "baseurl": "",
        "site_urls": [],
        "ignore_paths": ["/tags/*", "/tag/*", "/categories/*", "/category/*", "/feed.xml", "/atom.xml", "/page*"],
    },
    inert_without="site-root (--site-root DIR)",
    doc="""
Why: a moved image or a renamed post breaks every link to it, and nothing warns until a
reader clicks.

A link is internal when it has no scheme and no host (`/uploads/map.png`,
`../2019/01/15/post/`, `{{ site.baseurl }}/about/`, `{% post_url 2019-01-15-slug %}`), or
when its host is one of `site-urls`. It resolves when the path (without `baseurl`,
query and fragment) names a file under the site root (also as `.md`, `.markdown`,
`.html`, or a folder's `index.html`/`index.md`), a file beside the post, or when its
last path segment is the slug of a post under the site root (posts are published at
permalinks that ddlens cannot compute). `{% post_url NAME %}` must name a post file.
Paths matching `ignore-paths` (generated pages such as tag archives) are skipped.

Fix: correct the path, or add the missing file.
""",
)
def unresolved_internal_link(ctx: PostContext) -> Iterator[Finding]:
    root = ctx.config.site_root
    if root is None:
        return
    site = ctx.corpus.site_index(root)
    base = ctx.option("baseurl").rstrip("/")
    hosts = {urlsplit(u if "//" in u else "https://" + u).hostname for u in ctx.option("site_urls")}
    targets = [(link.url, link.line, link.column, "link") for link in ctx.article.links if link.kind != "bare"]
    targets += [(img.src, img.line, img.column, "image") for img in ctx.article.images]
    for url, line, col, what in targets:
        path = _internal_path(url, hosts)
        if path is None:
            continue
        if path.startswith("post_url:"):
            name = path[len("post_url:") :]
            if name not in site.post_names:
                yield ctx.at(line, col, f"{{% post_url {name} %}} names no post under {_rel(root)}; check the file name")
            continue
        if base and (path == base or path.startswith(base + "/")):
            path = path[len(base) :] or "/"
        if any(fnmatch.fnmatch(path, pat) for pat in ctx.option("ignore_paths")):
            continue
        if site.resolves(path, Path(os.path.abspath(ctx.path)).parent):
            continue
        yield ctx.at(line, col, f"internal {what} '{_short(url, 80)}' does not resolve under {_rel(root)}; fix the path")


def _rel(p: Path) -> str:
    try:
        r = os.path.relpath(p)
    except ValueError:
        return str(p)
    return r if not r.startswith("../../") else str(p)


def _internal_path(url: str, own_hosts: set[str | None]) -> str | None:
    """The site path an internal URL names (unquoted, no query or fragment), else None."""
    u = url.strip()
    if not u or u.startswith("#"):
        return None
    m = _POST_URL.match(u)
    if m:
        return "post_url:" + m.group("name")
    m = _LINK_TAG.match(u)
    if m:
        u = "/" + m.group("path").lstrip("/")
    m = _LIQUID_FILTER.match(u)
    if m:
        u = m.group("path")
    while True:
        m = _LIQUID_PREFIX.match(u)
        if not m:
            break
        u = u[m.end() :]
        if not u.startswith("/"):
            u = "/" + u
    if any(t in u for t in _LIQUID):
        return None
    if _SCHEME.match(u) or u.startswith("//"):
        parts = urlsplit(u if not u.startswith("//") else "https:" + u)
        if parts.scheme not in ("http", "https", "") or not own_hosts or parts.hostname not in own_hosts:
            return None
        u = parts.path or "/"
    if url_problem(u):
        return None  # reported by DDL009
    path = u.split("#", 1)[0].split("?", 1)[0]
    return unquote(path) if path else None


@rule(
    "DDL015",
    "missing-excerpt-separator",
    Severity.OFF,
    family="markdown",
    summary="The post has no excerpt separator (and no `excerpt:` in its front matter).",
    options={"separator": "<!--more-->"},
    doc="""
Why: without a separator (or an explicit `excerpt:`), Jekyll uses the whole first
paragraph as the excerpt on index pages and in feeds, which may be an image, a long
paragraph or a quote.

Fix: put the separator after the paragraph that should serve as the excerpt:

    The ministry's new dashboards reached every district in March.

    <!--more-->

Option `separator` is the site-wide separator (a post's own `excerpt_separator:` front
matter is honoured too). Off by default; enable it with
`extend-select = ["DDL015"]`.
""",
)
def missing_excerpt_separator(ctx: PostContext) -> Iterator[Finding]:
    a = ctx.article
    if a.has_excerpt_separator or "excerpt" in a.metadata or ctx.option("separator") in a.body:
        return
    yield ctx.at(ctx.body_line, 1, f"post has no excerpt separator; add {ctx.option('separator')} after the opening paragraph")


@rule(
    "DDL020",
    "invalid-suppression",
    Severity.WARNING,
    family="meta",
    scope="meta",
    summary="A `ddlens:` suppression comment is malformed or names an unknown rule.",
    doc="""
Why: a suppression comment with a typo suppresses nothing, silently.

Fix: write `<!-- ddlens: disable=CODE -->` (whole file) or
`<!-- ddlens: disable-next-line=CODE,CODE -->` (the next line), with rule codes or names
from `ddlens rules`; in front matter use `# ddlens: disable-next-line=CODE`.
""",
)
def invalid_suppression(ctx: PostContext) -> Iterator[Finding]:  # emitted by the runner
    return iter(())

"""Every page a demo user can reach, in a real browser, for every role, in Chinese and English.

Starting from the home page and the navigation, a breadth-first walk over same-origin links
(a few URLs per URL shape: ``/cases/12/`` and ``/cases/31/`` are one shape) at a phone's width
(390 px). Each page fails the test on:

- horizontal overflow (``scrollWidth > innerWidth``: the page scrolls sideways on a phone);
- a console error or an uncaught script error;
- in zh-Hans, Latin words outside a short allow-list (API, PDF, DOCX, Open311, …) and outside
  what users typed (source names, post texts, user names: marked ``translate="no"`` or in form
  fields, code and links' addresses);
- a raw code (``bulletin.create``, ``in_progress``), ``None``, or an error's internals
  (``[Errno …]``, ``Traceback``) in the text;
- and every link found answering 4xx/5xx.

Run against a running server while working on the pages::

    .venv/bin/python -m tests.web.test_every_page http://127.0.0.1:8000 demo_analyst PASSWORD zh-hans
"""

from __future__ import annotations

import re
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest

if __name__ != "__main__":
    from .browser import Demo, demo_fixture, launch

PER_SHAPE = 2  # pages rendered per URL shape
CHECK_PER_SHAPE = 6  # links whose status is checked per URL shape
MAX_PAGES = 90  # per role and language
ROLES = ("demo_admin", "demo_analyst", "demo_handler", "demo_reviewer", "demo_leader")

# Where a crawl does not go: signing out, Django's admin (its own translations), the API's JSON
# and OpenAPI pages, and files (their status is still checked).
SKIP = re.compile(r"^/(accounts/logout|admin/|api/|open311/|i18n/|static/)")
FILES = re.compile(
    r"(\.(docx|pdf|xlsx|csv|png|jpg|zip|json|xml|txt)$|/download/|/attachments?/\d+|/evidence/\d+|/export|/pdf/|/docx/)"
)

# Latin words that are right in the Chinese UI: product and format names, and what users typed
# is excluded by the page itself (translate="no").
ALLOWED_LATIN = {
    "API", "PDF", "DOCX", "XLSX", "CSV", "HTML", "Open311", "GeoReport", "Qingting", "RSS", "Atom",
    "IMAP", "JSON", "JSONL", "HTTP", "HTTPS", "URL", "SMTP", "WeCom", "DingTalk", "Feishu", "Slack",
    "OpenAPI", "Excel", "Webhook", "webhook", "ECharts", "GB", "ID", "LibreOffice", "SLA", "CST",
    "UTC", "English", "TF", "IDF", "AND", "OR", "NOT", "NEAR", "KB", "MB", "TSV", "STARTTLS", "TLS", "SSL",
    "ICP", "LED", "www",
}  # fmt: skip
EMOTICON = re.compile(r"\[[\u4e00-\u9fff]{0,4}[a-z]{2,12}\]")  # [doge], [笑cry]
# Not: source:x (query syntax), text=内容 (field mappings), {period} (template placeholders).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_@./:{-])[A-Za-z][A-Za-z]+(?![A-Za-z0-9_@/:=}-])")
RAW = [
    (re.compile(r"(?<![\w./@-])[a-z]+\.[a-z]+_?[a-z_]*(?![\w./-])"), "a dotted code"),
    (re.compile(r"(?<![\w./@-])[a-z]+_[a-z_]+(?![\w./-])"), "a snake_case code"),
    (re.compile(r"\bNone\b(?! [a-z])"), "None"),
    (re.compile(r"\[Errno|Traceback|Error: |Exception\b"), "an error's internals"),
]
NOT_CODES = {"example.org", "example.com", "gov.cn", "www.gov", "qinghe.gov"}

# Text a page shows that users typed or that names things outside the product: skipped in the
# language checks. Form fields, code, and anything the templates mark translate="no".
TEXT_JS = """() => {
  const skip = 'script, style, noscript, code, pre, textarea, select, input, [translate=no], '
    + '.usertext, .post, .posts, .kw, .casetext';
  const out = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) { out.push(child.textContent); continue; }
      if (child.nodeType !== 1 || child.matches(skip)) continue;
      const style = getComputedStyle(child);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      walk(child);
    }
    out.push(' ');
  };
  walk(document.body);
  return out.join(' ').replace(/\\s+/g, ' ');
}"""
ATTR_JS = """() => Array.from(document.querySelectorAll('[placeholder], [title], [aria-label]'))
  .filter(e => !e.closest('[translate=no]'))
  .map(e => [e.getAttribute('placeholder'), e.getAttribute('title'), e.getAttribute('aria-label')]
    .filter(Boolean).join(' ')).join(' ')"""
OVERFLOW_JS = """() => {
  const w = window.innerWidth;
  if (document.documentElement.scrollWidth <= w) return null;
  const wide = Array.from(document.querySelectorAll('body *'))
    .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.scrollbox, .chart'))
    .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''));
  return document.documentElement.scrollWidth + ' > ' + w + ' (' + wide.join(', ') + ')';
}"""


def shape(path_and_query: str) -> str:
    """``/cases/12/?page=2`` → ``/cases/N/?page``: pages of one shape are rendered a few times."""
    parts = urlsplit(path_and_query)
    path = re.sub(r"\d+", "N", parts.path)
    path = re.sub(r"/[a-z0-9-]*_[a-z0-9_-]*(?=/)", "/S", path)  # /…/case_closure_rate/: a code in the path
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    base: str
    lang: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def problem(self, url: str, what: str) -> None:
        self.problems.append(f"[{self.lang}] {url}: {what}")


def _latin(text: str, usernames: set[str]) -> set[str]:
    found = set()
    for word in LATIN_WORD.findall(text):
        if word in ALLOWED_LATIN or word in usernames or word.upper() in ALLOWED_LATIN:
            continue
        found.add(word)
    return found


def _raw(text: str, usernames: set[str]) -> set[str]:
    found = set()
    for pattern, name in RAW:
        for m in pattern.findall(text):
            if m in NOT_CODES or m in usernames:
                continue
            if not m.endswith((".org", ".com", ".cn", ".net", ".docx", ".pdf", ".xml")):
                found.add(f"{name} “{m}”")
    return found


def crawl(browser: Any, base: str, user: str, password: str, lang: str) -> Crawl:
    """Sign in as ``user`` in ``lang`` and walk the site; return what was visited and found."""
    result = Crawl(base, lang)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": lang, "url": base}])
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(str(e)))
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    usernames = {u for u in ROLES} | {user, "demo_liuwan"}

    seen_shapes: dict[str, int] = {}
    checked_shapes: dict[str, int] = {}
    checked: set[str] = set()
    queue: deque[str] = deque(["/"])
    queued = {"/"}
    while queue and len(result.visited) < MAX_PAGES:
        url = queue.popleft()
        console.clear()
        try:
            response = page.goto(base + url)
        except Exception as exc:  # a link that downloads a file: its status was checked
            if "Download is starting" in str(exc):
                continue
            raise
        page.wait_for_load_state("load")
        page.wait_for_timeout(150)  # charts draw after load
        result.visited.append(url)
        status = response.status if response else 0
        if status >= 400:
            result.problem(url, f"answers {status}")
            continue
        overflow = page.evaluate(OVERFLOW_JS)
        if overflow:
            result.problem(url, f"horizontal overflow at 390 px: {overflow}")
        for message in console:
            result.problem(url, f"console error: {message[:200]}")
        text = page.evaluate(TEXT_JS) + " " + page.evaluate(ATTR_JS)
        text = EMOTICON.sub(" ", text)  # [doge], [cry]: emoticon codes inside what people posted
        if lang == "zh-hans":
            latin = _latin(text, usernames)
            if latin:
                result.problem(url, "untranslated: " + ", ".join(sorted(latin)[:12]))
        raw = _raw(text, usernames)
        if raw:
            result.problem(url, "raw text: " + ", ".join(sorted(raw)[:8]))
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        for href in hrefs:
            target = _same_origin(base, url, href)
            if target is None or SKIP.match(target):
                continue
            key = shape(target)
            if target not in checked and checked_shapes.get(key, 0) < CHECK_PER_SHAPE:
                checked.add(target)
                checked_shapes[key] = checked_shapes.get(key, 0) + 1
                if FILES.search(urlsplit(target).path) or target not in queued:
                    got = context.request.get(base + target, max_redirects=5)
                    if got.status >= 400:
                        result.problem(url, f"link {target} answers {got.status}")
                        continue
            if FILES.search(urlsplit(target).path) or target in queued:
                continue
            if seen_shapes.get(key, 0) >= PER_SHAPE:
                continue
            seen_shapes[key] = seen_shapes.get(key, 0) + 1
            queued.add(target)
            queue.append(target)
    context.close()
    return result


def _same_origin(base: str, current: str, href: str | None) -> str | None:
    """The path and query of ``href`` if it stays on this site (else None)."""
    if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    href = urldefrag(href)[0]
    if href.startswith(base):
        href = href[len(base) :]
    if href.startswith("//") or re.match(r"^[a-z]+:", href):
        return None
    if not href.startswith("/"):
        href = current.rsplit("/", 1)[0] + "/" + href if "?" not in href[:1] else current.split("?")[0] + href
    return href or "/"


if __name__ != "__main__":
    pytestmark = pytest.mark.slow
    sync_api = pytest.importorskip("playwright.sync_api")
    server = demo_fixture("qingting-every-page", days=3)

    @pytest.mark.parametrize("lang", ["zh-hans", "en"])
    @pytest.mark.parametrize("user", ROLES)
    def test_every_page(server: Demo, user: str, lang: str) -> None:
        with sync_api.sync_playwright() as p:
            browser = launch(p)
            try:
                result = crawl(browser, server.base, user, server.creds[user], lang)
            finally:
                browser.close()
        assert len(result.visited) >= 8, result.visited  # the walk went somewhere
        assert result.problems == [], "\n".join(result.problems)


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    base_url, who, secret, language = sys.argv[1:5]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        r = crawl(b, base_url, who, secret, language)
        b.close()
    print(f"{len(r.visited)} pages:", " ".join(r.visited))
    print("\n".join(r.problems) or "no problems")

"""The dashboard in a real browser (issue 15): a `qingting demo` database, `qingting serve`,
Debian's chromium. At 1440 and 390 px: the period selector changes the period (今日 by the hour,
30天, 自定义 with two dates), the word cloud draws words on its canvas and a click on one searches
for it, the key-figure tiles are there — with no console error and no sideways scroll.

Screenshots go to ``$QINGTING_ARTIFACTS_DIR/browser-dashboard`` (default: a pytest temporary
directory); ``QINGTING_DOCS_SCREENSHOTS=1`` also refreshes every role's first page in
``docs/screenshots/home-<role>-<width>.png`` and ``docs/screenshots/dashboard.png``.
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .browser import Demo, artifacts_fixture, demo_fixture, launch, sign_in

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

server = demo_fixture("qingting-dashboard-e2e", days=7)
artifacts = artifacts_fixture("browser-dashboard")

# Pixels of the word cloud's canvas that are not background: words were drawn.
INKED_JS = """() => {
  const c = document.querySelector('#wordcloud canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""
OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
# ECharts sets the pointer cursor on its own box while a clickable word is under the mouse.
POINTER_JS = (
    "() => Array.from(document.querySelectorAll('#wordcloud, #wordcloud *')).some(e => e.style.cursor === 'pointer')"
)


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    return errors


def _wait_for_words(page: Any) -> int:
    page.wait_for_selector("#wordcloud canvas")
    page.wait_for_function(f"({INKED_JS})() > 500", timeout=15_000)
    return int(page.evaluate(INKED_JS))


@pytest.mark.parametrize("width", [1440, 390])
def test_period_selector_and_word_cloud(server: Demo, artifacts: Path, width: int) -> None:
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            sign_in(page, server.base, "demo_analyst", server.creds["demo_analyst"])
            errors = _watch(page)
            page.goto(server.base + "/")
            sync_api.expect(page.locator("#period a.active")).to_have_text("7天")
            sync_api.expect(page.locator("#key-figures .tile")).to_have_count(4)
            assert _wait_for_words(page) > 500
            assert page.evaluate(OVERFLOW_JS) <= 0, "the dashboard scrolls sideways"
            page.screenshot(path=str(artifacts / f"dashboard-7d-{width}.png"), full_page=True)

            page.click("#period a[data-period=today]")
            page.wait_for_url("**/?period=today")
            sync_api.expect(page.locator("#period a.active")).to_have_text("今日")
            sync_api.expect(page.locator("h2", has_text="今日每小时信息量")).to_be_visible()
            page.click("#period a[data-period='30d']")
            page.wait_for_url("**/?period=30d")
            sync_api.expect(page.locator("#period a.active")).to_have_text("30天")
            assert page.evaluate(OVERFLOW_JS) <= 0

            # 自定义: open it, give two dates, show.
            page.click("#period summary")
            first, last = date.today() - timedelta(days=5), date.today() - timedelta(days=1)
            page.fill("#period input[name=from]", first.isoformat())
            page.fill("#period input[name=to]", last.isoformat())
            assert page.evaluate(OVERFLOW_JS) <= 0, "the custom period's fields scroll sideways"
            page.click("#period button[type=submit]")
            page.wait_for_url("**period=custom**")
            sync_api.expect(page.locator("#period summary.active")).to_be_visible()
            assert first.isoformat() in page.locator(".pagehead .muted").inner_text()
            assert page.locator("text=以虚线表示").count() == 0  # a period ending yesterday has no partial day

            # A click on a word searches for it.
            page.click("#period a[data-period='7d']")
            page.wait_for_url("**/?period=7d")
            _wait_for_words(page)
            canvas = page.locator("#wordcloud canvas")
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            words = page.evaluate(
                "() => JSON.parse(document.getElementById('chart-data').textContent).words.map(w => w[0])"
            )
            clicked = False
            for dx in range(0, int(box["width"]), 12):  # find a word along the middle line
                for dy in (0, -14, 14):
                    page.mouse.move(box["x"] + dx, box["y"] + box["height"] / 2 + dy)
                    if page.evaluate(POINTER_JS):
                        page.mouse.click(box["x"] + dx, box["y"] + box["height"] / 2 + dy)
                        clicked = True
                        break
                if clicked:
                    break
            assert clicked, "no word under the pointer along the cloud's middle"
            page.wait_for_url(lambda url: "/search/" in url)
            query = parse_qs(urlsplit(page.url).query).get("q", [""])[0]
            assert query in words, (page.url, words)
            sync_api.expect(page.locator("h1")).to_have_text("检索")
            page.screenshot(path=str(artifacts / f"dashboard-search-{width}.png"))
            assert errors == [], "\n".join(errors)
        finally:
            browser.close()


def test_first_pages_screenshots(server: Demo, artifacts: Path) -> None:
    """Each role's first page at 1440 and 390 px, without sideways scroll or console errors
    (copied into docs/screenshots when QINGTING_DOCS_SCREENSHOTS is set)."""
    roles = {"admin": "demo_admin", "leader": "demo_leader", "reviewer": "demo_reviewer",
             "handler": "demo_handler", "analyst": "demo_analyst"}  # fmt: skip
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        try:
            for role, user in roles.items():
                for width in (1440, 390):
                    page = browser.new_page(viewport={"width": width, "height": 900})
                    errors = _watch(page)
                    sign_in(page, server.base, user, server.creds[user])
                    if role == "analyst":
                        _wait_for_words(page)
                    page.wait_for_timeout(800)  # charts' entry animation
                    assert page.evaluate(OVERFLOW_JS) <= 0, f"{role} at {width} px scrolls sideways"
                    assert errors == [], "\n".join(errors)
                    path = artifacts / f"home-{role}-{width}.png"
                    page.screenshot(path=str(path), full_page=True)
                    if os.environ.get("QINGTING_DOCS_SCREENSHOTS"):
                        shutil.copy(path, DOCS / path.name)
                        if role == "analyst" and width == 1440:
                            page.screenshot(path=str(DOCS / "dashboard.png"))
                    page.close()
        finally:
            browser.close()

"""The browser flow, end to end: a real `qingting demo` database, `qingting serve`, and Debian's
chromium driven by Playwright — sign in, read the dashboard, open an event, search, switch language.

Screenshots are kept as artifacts in ``$QINGTING_ARTIFACTS_DIR/browser`` (default: a pytest
temporary directory, printed in the test output).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .browser import Demo, artifacts_fixture, demo_fixture, launch

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")


server = demo_fixture("qingting-e2e", days=3)
artifacts = artifacts_fixture("browser")


def test_sign_in_dashboard_event_search_language(server: Demo, artifacts: Path) -> None:
    base = server.base
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        # An English browser: the product still opens in Chinese.
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="en-US")
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(base + "/")
        assert "/accounts/login/" in page.url
        page.fill("#id_username", "demo_analyst")
        page.fill("#id_password", server.creds["demo_analyst"])
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        sync_api.expect(page.locator("h1")).to_have_text("仪表盘")
        page.wait_for_selector("[data-chart=volume] canvas")  # ECharts drew, from our static files
        page.screenshot(path=str(artifacts / "1-dashboard.png"), full_page=True)

        page.click(".eventlist a >> nth=0")
        page.wait_for_url(re.compile(r".*/events/\d+/$"))
        assert page.locator("h1").inner_text().strip()
        page.wait_for_selector("[data-chart=timeline] canvas")
        page.screenshot(path=str(artifacts / "2-event.png"), full_page=True)

        page.click("nav.mainnav >> text=检索")
        page.fill("#id_q", "停水")
        page.click("form.filters button[type=submit]")
        page.wait_for_selector("#results mark")  # HTMX swapped in highlighted results
        assert "停水" in page.locator("#results mark").first.inner_text()
        page.screenshot(path=str(artifacts / "3-search.png"), full_page=True)

        # The selector submits the language form on change; Django redirects back to this page,
        # now in English. Wait for that page (not just any navigation) before moving on.
        page.select_option("select[name=language]", "en")
        sync_api.expect(page.locator("nav.mainnav")).to_contain_text("Search", timeout=15_000)
        page.goto(base + "/")
        sync_api.expect(page.locator("h1")).to_have_text("Dashboard")
        page.screenshot(path=str(artifacts / "4-dashboard-en.png"), full_page=True)
        browser.close()
    assert dialogs == [] and errors == []

"""The event page of the demo in Chromium on a 390 px phone: the storyline (脉络) and the
sentiment-over-time chart render, with no console error and no sideways scroll (decision 0104)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .browser import Demo, artifacts_fixture, demo_fixture, launch, sign_in

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")

server = demo_fixture("qingting-eventpage-e2e", days=3)
artifacts = artifacts_fixture("eventpage")

OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_the_demo_event_page_on_a_phone(server: Demo, artifacts: Path) -> None:
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{m.text} {m.location}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        sign_in(page, server.base, "demo_analyst", server.creds["demo_analyst"])

        # The water outage story: the county's water bureau answered on its official account.
        page.goto(server.base + "/events/?sort=heat")
        # Its row by the story's keyword: the headline the engine picks varies with the demo's hours.
        row = page.locator("#results tbody tr", has=page.locator(".kw .tag", has_text="停水")).first
        row.locator("a").first.click()
        page.wait_for_url(re.compile(r".*/events/\d+/$"))
        page.wait_for_selector("[data-chart=sentiment-time] canvas")  # ECharts drew it, under the CSP
        page.wait_for_selector("[data-chart=timeline] canvas")
        story = page.locator("#storyline")
        sync_api.expect(story).to_contain_text("首条信息")
        sync_api.expect(story).to_contain_text("高峰")
        sync_api.expect(story).to_contain_text("官方回应")
        assert page.locator("#storyline li.moment").count() >= 3
        sync_api.expect(page.locator("#response-effect")).to_contain_text("回应前负面占比")
        for section in ("#event-warnings", "#event-cases", "#event-bulletins"):
            assert page.locator(section).is_visible()
        page.screenshot(path=str(artifacts / "event-390.png"), full_page=True)
        assert page.evaluate(OVERFLOW_JS) <= 0, "the event page scrolls sideways at 390 px"
        browser.close()
    assert errors == []

"""In a real browser on a `qingting demo` database: an analyst corrects a post's sentiment in one
click on an event page and sees it marked corrected; the admin's model page shows the version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..browser import Demo, artifacts_fixture, demo_fixture, launch

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")

server = demo_fixture("qingting-sentiment-e2e", days=3)
artifacts = artifacts_fixture("sentiment")


def _sign_in(page: object, base: str, user: str, password: str) -> None:
    page.goto(base + "/accounts/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", user)  # type: ignore[attr-defined]
    page.fill("#id_password", password)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # type: ignore[attr-defined]


def test_one_click_correction_and_the_model_page(server: Demo, artifacts: Path) -> None:
    base = server.base
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _sign_in(page, base, "demo_analyst", server.creds["demo_analyst"])
        page.goto(base + "/")
        page.click(".eventlist a >> nth=0")
        page.wait_for_url(re.compile(r".*/events/\d+/$"))
        event_url = page.url
        post = page.locator("li.post").filter(has=page.locator("form.sentiment-correct")).first
        button = post.locator("form.sentiment-correct button").first
        target = button.get_attribute("value")
        button.click()
        page.wait_for_url(event_url)
        sync_api.expect(page.locator(".messages .success")).to_contain_text("已校正")
        assert page.locator("li.post .corrected").count() >= 1
        page.screenshot(path=str(artifacts / "1-corrected.png"), full_page=True)
        assert target in ("negative", "neutral", "positive")

        admin = browser.new_page(viewport={"width": 1366, "height": 900})
        _sign_in(admin, base, "demo_admin", server.creds["demo_admin"])
        admin.goto(base + "/sentiment/models/")
        sync_api.expect(admin.locator("h1")).to_have_text("情感模型")
        assert admin.locator("tr.version").count() >= 1
        admin.screenshot(path=str(artifacts / "2-models.png"), full_page=True)
        assert not errors, errors
        browser.close()

"""In a real browser (Debian's chromium, Playwright): add an RSS source served on loopback, press
"test", save, "run now", and see the items. Screenshots are kept in
``$QINGTING_ARTIFACTS_DIR/sources`` (default: a pytest temporary directory, printed)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from _loopback import LoopbackServer, send

from ..browser import artifacts_fixture, launch, require_chromium, sign_in
from ..conftest import PASSWORD
from .conftest import rss, serve_django

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")


artifacts = artifacts_fixture("sources")


def test_add_test_save_run_and_see_items(
    admins: dict[str, Any], server: LoopbackServer, allow_loopback: str,
    artifacts: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    require_chromium()
    from qingting.web.monitoring.models import Item, Source

    # Playwright's sync API runs an event loop in this thread; the ORM calls below happen while
    # no browser call is in flight.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    def handler(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, rss([1, 2, 3], title="柳湾镇停水 <水位>"), "application/rss+xml", headers={"ETag": '"v1"'})

    server.routes["/feed.xml"] = handler
    feed_url = server.url("/feed.xml")
    for port in serve_django():
        _browse(f"http://localhost:{port}", feed_url, artifacts)
    source = Source.objects.get(name="东街道新闻")
    assert Item.objects.filter(source=source).count() == 3 and source.last_success_at is not None


def _browse(base: str, feed_url: str, artifacts: Path) -> None:
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1366, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, "east_admin", PASSWORD)

        page.goto(base + "/sources/")
        page.click(".pagehead .actions a")  # 添加信息源
        page.wait_for_url(base + "/sources/add/")
        page.fill("#id_name", "东街道新闻")
        page.select_option("#id_connector", "rss")
        assert page.locator("#id_link_pattern").is_hidden()  # only the chosen type's fields show
        page.fill("#id_url", feed_url)
        page.click("#test-button")
        page.wait_for_selector("#preview-result")
        preview = page.locator("#preview-result").inner_text()
        assert "柳湾镇停水" in preview and "utf-8" in preview and "2026-11-22" in preview
        page.screenshot(path=str(artifacts / "1-test-preview.png"), full_page=True)
        # Testing stored nothing: the list does not know the source yet.
        listing = context.new_page()
        listing.goto(base + "/sources/")
        assert "东街道新闻" not in listing.locator("#sources").inner_text()
        listing.close()

        page.click("#save-button")
        page.wait_for_url(base + "/sources/")
        row = page.locator("tr", has_text="东街道新闻")
        page.screenshot(path=str(artifacts / "2-saved.png"), full_page=True)
        row.locator("button.run-now").click()
        page.wait_for_url(base + "/sources/")
        sync_api.expect(page.locator(".messages")).to_contain_text("3")
        page.screenshot(path=str(artifacts / "3-run-now.png"), full_page=True)

        page.goto(base + "/search/?q=停水")
        sync_api.expect(page.locator("#results")).to_contain_text("柳湾镇停水")
        page.screenshot(path=str(artifacts / "4-items.png"), full_page=True)
        browser.close()
    assert errors == []

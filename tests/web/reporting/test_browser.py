"""The reports flow in a real browser: `qingting demo`, `qingting serve`, Debian's chromium.

An analyst gets last month's monthly report in two clicks (the nav's 报告, then 生成报告); an admin
edits the demo template and sees the live preview follow the typing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..browser import Demo, artifacts_fixture, demo_fixture, launch, sign_in

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")


server = demo_fixture("qingting-reports-e2e", days=3, serve_args=["--no-scheduler"], expect="reports: template")
artifacts = artifacts_fixture("browser")


def test_monthly_report_in_two_clicks_and_template_preview(server: Demo, artifacts: Path) -> None:
    base = server.base
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, "demo_analyst", server.creds["demo_analyst"])

        page.click("nav.mainnav >> text=报告")  # click 1
        page.wait_for_url(base + "/reports/")
        archive = page.locator("#archive").inner_text()
        # the demo's archived report: last month's, or yesterday's when the 3-day stream misses last month
        assert ("舆情月报" in archive or "舆情日报" in archive) and "自动生成（演示）" in archive
        page.click("#generate button[type=submit]")  # click 2: the defaults — last month's monthly report
        page.wait_for_url(re.compile(r".*/reports/\d+/$"))
        assert "舆情月报" in page.locator("h1").inner_text()
        assert "demo_analyst" in page.locator(".meta").inner_text()
        frame = page.frame_locator("iframe.reportframe")
        sync_api.expect(frame.locator("body")).to_contain_text("总体态势")
        page.screenshot(path=str(artifacts / "reports-1-view.png"), full_page=True)
        with page.expect_download() as download:
            page.click("text=下载 DOCX")
        assert download.value.suggested_filename.endswith(".docx")

        context = browser.new_context(viewport={"width": 1366, "height": 900})
        admin = context.new_page()
        admin.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(admin, base, "demo_admin", server.creds["demo_admin"])
        admin.goto(base + "/reports/templates/")
        admin.click("text=青禾县舆情月报（演示）")
        sync_api.expect(admin.locator("#preview")).to_contain_text("总体态势", timeout=30_000)
        admin.fill("#id_lead", "浏览器里改写的开头语。")
        sync_api.expect(admin.locator("#preview")).to_contain_text("浏览器里改写的开头语", timeout=30_000)
        admin.screenshot(path=str(artifacts / "reports-2-template.png"), full_page=True)
        browser.close()
    assert errors == []

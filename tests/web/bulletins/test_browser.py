"""The bulletin flow in a real browser: event → draft bulletin → submit → the leader signs with
instructions → issued, against a `qingting demo` database served by `qingting serve`.

Screenshots are kept in ``$QINGTING_ARTIFACTS_DIR/browser-bulletins`` (default: a pytest temporary
directory, printed in the output).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..browser import Demo, artifacts_fixture, demo_fixture, launch, sign_in

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")


server = demo_fixture("qingting-bulletins-e2e", days=3)
artifacts = artifacts_fixture("browser-bulletins")


def test_event_to_issued_bulletin(server: Demo, artifacts: Path) -> None:
    base, creds = server.base, server.creds
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        errors: list[str] = []
        analyst = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
        analyst.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(analyst, base, "demo_analyst", creds["demo_analyst"])

        # Click 1: an event from the board. Click 2: "new bulletin" — the event page's button
        # when the lead has included templates/bulletins/_add_to_bulletin.html there, else the
        # same event ticked in the bulletin picker.
        analyst.goto(base + "/events/")
        analyst.click("#results a[href*='/events/'] >> nth=0")
        analyst.wait_for_url(re.compile(r".*/events/\d+/$"))
        event_id = re.search(r"/events/(\d+)/$", analyst.url).group(1)  # type: ignore[union-attr]
        if analyst.locator("[data-test=new-bulletin]").count():
            analyst.click("[data-test=new-bulletin]")
        else:
            analyst.goto(f"{base}/bulletins/new/?event={event_id}")
            analyst.click("[data-test=create-draft]")
        analyst.wait_for_url(re.compile(r".*/bulletins/\d+/edit/$"))
        bulletin_url = analyst.url.replace("edit/", "")
        analyst.wait_for_selector("iframe.bulletin-preview")

        # Typing updates the live preview (HTMX) without saving.
        analyst.fill("#id_assessment", "网民关注度持续上升，浏览器测试研判")
        preview = analyst.frame_locator("iframe.bulletin-preview")
        sync_api.expect(preview.locator("body")).to_contain_text("浏览器测试研判", timeout=20_000)
        analyst.fill("#id_recommendations", "主管部门当日发布权威信息\n专人回应网民留言")
        analyst.click("#bulletin-form button[type=submit]")
        analyst.wait_for_url(re.compile(r".*/edit/$"))
        sync_api.expect(preview.locator("body")).to_contain_text("专人回应网民留言", timeout=20_000)
        analyst.screenshot(path=str(artifacts / "1-compose.png"), full_page=True)
        analyst.select_option("#id_to_user", label="demo_leader")
        analyst.click("[data-test=submit]")
        sync_api.expect(analyst.locator(".status")).to_have_text("待签批")
        analyst.screenshot(path=str(artifacts / "2-submitted.png"), full_page=True)

        leader = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
        leader.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(leader, base, "demo_leader", creds["demo_leader"])
        leader.goto(bulletin_url)
        leader.fill("#id_instructions", "请县水务局今日内回应，结果报网信办。")
        leader.click("[data-test=sign]")
        sync_api.expect(leader.locator(".status")).to_have_text("已签批")
        number = leader.locator(".issue-number").inner_text()
        assert re.fullmatch(r"〔\d{4}〕第\d+期", number), number
        leader.screenshot(path=str(artifacts / "3-signed.png"), full_page=True)

        analyst.goto(bulletin_url)
        analyst.click("[data-test=issue]")
        sync_api.expect(analyst.locator(".status")).to_have_text("已印发", timeout=60_000)
        with analyst.expect_download() as download:
            analyst.click("[data-test=docx]")
        path = download.value.path()
        from docx import Document as open_docx

        text = "\n".join(p.text for p in open_docx(str(path)).paragraphs)
        assert "舆情专报" in text and "专人回应网民留言" in text
        analyst.screenshot(path=str(artifacts / "4-issued.png"), full_page=True)
        browser.close()
    assert errors == []

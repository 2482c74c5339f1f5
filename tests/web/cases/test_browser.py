"""A handler's day in a real browser: a `qingting demo` database, `qingting serve`, Debian's chromium.

Sign in as the demo handler, open my queue, open a case, claim it, write the public reply, answer;
the reviewer (dispatcher) closes it; the timeline shows every step. A second tab acting on a stale
page gets the conflict message. Screenshots are kept in ``$QINGTING_ARTIFACTS_DIR/browser-cases``
(default: a pytest temporary directory, printed in the output); ``QINGTING_DOCS_SCREENSHOTS=1``
also copies them to ``docs/screenshots/cases-*.png``.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from ..browser import Demo, artifacts_fixture, demo_fixture, launch, sign_in

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


server = demo_fixture("qingting-cases-e2e", days=7, expect=r"^cases: \d+ demo cases made")
artifacts = artifacts_fixture("browser-cases")


def _act(page: Any, action: str, reason: str = "") -> None:
    form = page.locator(f'form[data-action="{action}"]')
    if reason:
        form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")


def test_handler_claims_replies_answers_and_the_case_is_closed(server: Demo, artifacts: Path) -> None:
    base, creds = server.base, server.creds
    shots: list[Path] = []

    def shot(page: Any, name: str) -> None:
        path = artifacts / f"cases-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    with sync_api.sync_playwright() as p:
        browser = launch(p)
        handler = browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        handler.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(handler, base, "demo_handler", creds["demo_handler"])

        # My queue, from the nav; the demo assigned cases to this handler.
        handler.click("nav.mainnav >> text=诉求办理")
        sync_api.expect(handler.locator("h1")).to_have_text("我的待办")
        row = handler.locator("#results tbody tr", has=handler.locator("text=已派单")).first
        sync_api.expect(row).to_be_visible()
        shot(handler, "queue")

        # HTMX filter: only cases waiting to be claimed.
        handler.select_option("#id_status", "assigned")
        handler.wait_for_url(re.compile(r".*status=assigned.*"))
        sync_api.expect(handler.locator("#results tbody tr").first).to_contain_text("已派单")

        row = handler.locator("#results tbody tr").first
        number = row.locator("td").first.inner_text().strip()
        row.locator("td a").first.click()
        handler.wait_for_url(re.compile(r".*/cases/\d+/$"))
        case_url = handler.url
        sync_api.expect(handler.locator("#case-status")).to_have_text("已派单")
        sync_api.expect(handler.locator("#deadlines")).to_contain_text("办结期限")

        # A second tab keeps the page as it is now (version before claiming).
        stale = browser.new_page(viewport={"width": 1366, "height": 900})
        stale.context.add_cookies(handler.context.cookies())
        stale.goto(case_url)

        _act(handler, "claim")
        sync_api.expect(handler.locator("#case-status")).to_have_text("办理中")
        sync_api.expect(handler.locator(".messages")).to_contain_text("已完成：认领")
        shot(handler, "claimed")

        # One public reply path: the answer (the next step, shown open) carries the reply.
        sync_api.expect(handler.locator("#reply-hint")).to_be_visible()
        answer = handler.locator('form[data-action="answer"] textarea[name=reply]')
        answer.fill("您好，已联系施工单位，夜间22点后停止施工。感谢您的监督。")
        _act(handler, "answer")
        sync_api.expect(handler.locator("#case-status")).to_have_text("已答复")
        sync_api.expect(handler.locator("#replies .reply").last).to_contain_text("夜间22点后停止施工")
        shot(handler, "answered")

        # The stale tab tries to act: a clear conflict message, nothing changed.
        stale.locator('form[data-action="claim"] button[type=submit]').click()
        sync_api.expect(stale.locator("#case-error")).to_contain_text("有人刚刚修改了这个案件")
        sync_api.expect(stale.locator("#case-status")).to_have_text("已答复")
        shot(stale, "conflict")
        stale.close()

        # The reviewer (dispatcher) closes it.
        reviewer = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        reviewer.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(reviewer, base, "demo_reviewer", creds["demo_reviewer"])
        reviewer.goto(case_url)
        _act(reviewer, "close", reason="已电话回访，群众满意。")
        sync_api.expect(reviewer.locator("#case-status")).to_have_text("已办结")
        timeline = reviewer.locator("#timeline")
        for step in ("认领", "答复", "办结", "已电话回访，群众满意。"):
            sync_api.expect(timeline).to_contain_text(step)
        sync_api.expect(reviewer.locator("#deadlines")).to_contain_text("按时完成")
        shot(reviewer, "closed")

        # The closed case is gone from the handler's queue, and the figures page draws its charts.
        handler.goto(base + "/cases/")
        sync_api.expect(handler.locator("#results")).not_to_contain_text(number)
        handler.goto(base + "/cases/metrics/")
        handler.wait_for_selector("[data-case-chart=counts] canvas")
        sync_api.expect(handler.locator("#unit-figures")).to_contain_text("%")
        shot(handler, "metrics")
        browser.close()
    assert errors == []
    if os.environ.get("QINGTING_DOCS_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        for path in shots:
            shutil.copy(path, DOCS / path.name)

"""The warnings flow in a real browser (Debian's chromium via Playwright) against `qingting serve`:
write a scheme and watch the live preview (with a malformed expression), open the warning the
stream raised, acknowledge it. Screenshots go to ``$QINGTING_ARTIFACTS_DIR/browser-warnings``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..browser import artifacts_fixture, launch, qingting, require_chromium, serve

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
PASSWORD = "Qt-browser-pass-2026!"

# Run inside `qingting manage shell`: an organisation, a scheme, and a stream that raises a warning.
SETUP = f"""
from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role, UnitKind
from qingting.web.monitoring import services as monitoring
from qingting.web.warnings import services
unit = accounts.unit_create(actor=None, code="liuwan", name="柳湾镇", kind=UnitKind.TOWNSHIP)
admin = accounts.user_create(actor=None, username="w_admin", password="{PASSWORD}", email="a@example.invalid")
accounts.membership_grant(actor=None, user=admin, unit=unit, role=Role.ADMIN)
source = monitoring.source_create(actor=None, unit=unit, name="柳湾论坛", kind="forum")
scheme = monitoring.scheme_create(actor=None, unit=unit, name="供水保障", expression="停水", sources=[source])
rules = [{{"tier": 4, "min_window_items": 5}}, {{"tier": 3, "min_window_items": 8}}]
services.rules_set(actor=admin, scheme=scheme, rules=rules)
t = 1767225600
records = [dict(id=f"w{{i}}", text=f"柳湾镇停水了，什么时候恢复供水？第{{i}}条", time=t + 30 * i) for i in range(9)]
records.append(dict(id="evil", text='停水 <script>alert("x")</script>', time=t + 400))
records.append(dict(id="calm", text="荷花节开幕，人很多", time=t + 420))
monitoring.ingest_items(scheme=scheme, source=source, records=records)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    data = tmp_path_factory.mktemp("qingting-warnings-e2e")
    qingting(["migrate"], data)
    qingting(["manage", "shell", "-c", SETUP], data)
    with serve(data) as base:
        yield base


artifacts = artifacts_fixture("browser-warnings")


def test_write_a_scheme_see_the_preview_open_and_acknowledge_a_warning(server: str, artifacts: Path) -> None:
    expect = sync_api.expect
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(server + "/warnings/")
        page.fill("#id_username", "w_admin")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server + "/warnings/")
        expect(page.locator("nav.mainnav .badge")).to_have_text("1")  # one unread warning
        expect(page.locator("#warning-table .tier").first).to_contain_text("Ⅲ级（黄色）")

        # The scheme editor: type, and the preview follows (debounced HTMX).
        page.click('a:has-text("供水保障")')
        page.fill("#expression", "")
        page.type("#expression", "停水 OR 荷花", delay=30)
        expect(page.locator("#preview-count")).to_contain_text("有 11 条命中", timeout=10_000)
        expect(page.locator("#preview-items mark", has_text="停水").first).to_be_visible()
        expect(page.locator("#preview-items mark").first).to_have_text("荷花")  # newest first
        assert page.locator("#preview-items script").count() == 0  # hostile text shown as text
        expect(page.locator("#preview-items")).to_contain_text('<script>alert("x")</script>')
        page.screenshot(path=str(artifacts / "1-scheme-preview.png"), full_page=True)
        page.fill("#expression", "")
        page.type("#expression", "(停水 OR 断水", delay=30)
        expect(page.locator("#preview-error")).to_contain_text("右括号", timeout=10_000)
        page.screenshot(path=str(artifacts / "2-scheme-error.png"), full_page=True)

        # Open the warning and acknowledge it.
        page.goto(server + "/warnings/")
        page.click("#warning-table tbody a >> nth=0")
        expect(page.locator("#warning-reason")).to_contain_text("1 小时内")
        expect(page.locator("#warning-status")).to_have_text("待处理")
        page.screenshot(path=str(artifacts / "3-warning.png"), full_page=True)
        page.click("#ack")
        expect(page.locator("#warning-status")).to_have_text("已确认")
        assert page.locator("nav.mainnav .badge").count() == 0  # seen now
        page.screenshot(path=str(artifacts / "4-acknowledged.png"), full_page=True)
        browser.close()
    assert dialogs == [] and errors == []

"""The reports flow in a real browser: `qingting demo`, `qingting serve`, Debian's chromium.

An analyst gets last month's monthly report in two clicks (the nav's 报告, then 生成报告); an admin
edits the demo template and sees the live preview follow the typing.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env["QINGTING_DATA_DIR"] = str(data_dir)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    data = tmp_path_factory.mktemp("qingting-reports-e2e")
    demo = subprocess.run(
        [sys.executable, "-m", "qingting.cli", "demo", "--no-serve", "--days", "3", "--scale", "0.1"],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "reports: template" in demo.stdout
    creds = dict(re.findall(r"^\s+(demo_\w+)\s+(\S+)\s+\w+$", demo.stdout, re.M))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qingting.cli", "serve", "--port", str(port), "--no-migrate", "--no-scheduler"],
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(base + "/accounts/login/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("qingting serve did not answer within 30 s")
        yield {"base": base, "creds": creds}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("QINGTING_ARTIFACTS_DIR")
    path = Path(root) / "browser" if root else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sign_in(page: Any, base: str, user: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_monthly_report_in_two_clicks_and_template_preview(server: dict[str, Any], artifacts: Path) -> None:
    base = server["base"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _sign_in(page, base, "demo_analyst", server["creds"]["demo_analyst"])

        page.click("nav.mainnav >> text=报告")  # click 1
        page.wait_for_url(base + "/reports/")
        archive = page.locator("#archive").inner_text()
        # the demo's archived report: last month's, or yesterday's when the 3-day stream misses last month
        assert ("舆情月报" in archive or "舆情日报" in archive) and "system (demo)" in archive
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
        _sign_in(admin, base, "demo_admin", server["creds"]["demo_admin"])
        admin.goto(base + "/reports/templates/")
        admin.click("text=青禾县舆情月报（演示）")
        sync_api.expect(admin.locator("#preview")).to_contain_text("总体态势", timeout=30_000)
        admin.fill("#id_lead", "浏览器里改写的开头语。")
        sync_api.expect(admin.locator("#preview")).to_contain_text("浏览器里改写的开头语", timeout=30_000)
        admin.screenshot(path=str(artifacts / "reports-2-template.png"), full_page=True)
        browser.close()
    assert errors == []

"""The browser flow, end to end: a real `qingting demo` database, `qingting serve`, and Debian's
chromium driven by Playwright — sign in, read the dashboard, open an event, search, switch language.

Screenshots are kept as artifacts in ``$QINGTING_ARTIFACTS_DIR/browser`` (default: a pytest
temporary directory, printed in the test output).
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
    data = tmp_path_factory.mktemp("qingting-e2e")
    demo = subprocess.run(
        [sys.executable, "-m", "qingting.cli", "demo", "--no-serve", "--days", "3", "--scale", "0.1"],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    creds = dict(re.findall(r"^\s+(demo_\w+)\s+(\S+)\s+\w+$", demo.stdout, re.M))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qingting.cli", "serve", "--port", str(port), "--no-migrate"],
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/accounts/login/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("qingting serve did not answer within 20 s")
        yield {"base": base, "creds": creds}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("QINGTING_ARTIFACTS_DIR")
    path = Path(root) / "browser" if root else tmp_path_factory.mktemp("browser-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    print(f"browser screenshots in {path}")
    return path


def test_sign_in_dashboard_event_search_language(server: dict[str, Any], artifacts: Path) -> None:
    base = server["base"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        # An English browser: the product still opens in Chinese.
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="en-US")
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))

        page.goto(base + "/")
        assert "/accounts/login/" in page.url
        page.fill("#id_username", "demo_analyst")
        page.fill("#id_password", server["creds"]["demo_analyst"])
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

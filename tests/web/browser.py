"""One harness for the browser tests: a real `qingting serve` on loopback (on a `qingting demo`
database or one a test sets up), Debian's chromium driven by Playwright, and screenshot folders.

Each test module keeps its own module-scoped server (the tests change data)::

    server = demo_fixture("qingting-e2e", days=3)  # a Demo: base URL, credentials, demo output
    artifacts = artifacts_fixture("browser")  # where the screenshots go

Without chromium the tests skip with the reason — except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# The demo prints one line per account: "  demo_analyst  <password>  <role>".
CREDENTIALS = re.compile(r"^\s+(demo_\w+)\s+(\S+)\s+\w+$", re.M)


def require_chromium() -> None:
    """Skip (fail under ``CI=true``) when Debian's chromium is not installed."""
    if CHROMIUM.exists():
        return
    reason = f"needs Debian's chromium at {CHROMIUM}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " — required under CI=true")
    pytest.skip(reason)


def env(data_dir: Path) -> dict[str, str]:
    """This process's environment without Qingting/Django settings, pointed at ``data_dir``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    clean["QINGTING_DATA_DIR"] = str(data_dir)
    return clean


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def qingting(args: Sequence[str], data_dir: Path, timeout: int = 600) -> str:
    """Run ``qingting <args>`` on ``data_dir``; assert it succeeded and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "qingting.cli", *args],
        env=env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextmanager
def serve(data_dir: Path, *extra: str, wait: float = 30.0) -> Iterator[str]:
    """``qingting serve`` on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qingting.cli", "serve", "--port", str(port), "--no-migrate", *extra],
        env=env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                with urllib.request.urlopen(base + "/accounts/login/", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"qingting serve did not answer within {wait:.0f} s")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Demo:
    base: str  # http://127.0.0.1:<port>
    creds: dict[str, str]  # demo user name → password, as the demo printed them
    stdout: str  # everything `qingting demo` printed
    data_dir: Path


@contextmanager
def demo_server(data_dir: Path, *, days: int, scale: float = 0.1, serve_args: Sequence[str] = ()) -> Iterator[Demo]:
    """``qingting demo --no-serve`` into ``data_dir``, then ``qingting serve`` on it.

    Skips (fails under ``CI=true``) without chromium before spending time on the demo.
    """
    require_chromium()
    stdout = qingting(["demo", "--no-serve", "--days", str(days), "--scale", str(scale)], data_dir)
    creds = dict(CREDENTIALS.findall(stdout))
    with serve(data_dir, *serve_args) as base:
        yield Demo(base=base, creds=creds, stdout=stdout, data_dir=data_dir)


def demo_fixture(
    name: str, *, days: int, scale: float = 0.1, serve_args: Sequence[str] = (), expect: str | None = None
) -> Any:
    """A module-scoped fixture: :func:`demo_server` in a fresh temporary ``name`` directory.

    ``expect``: a regular expression (multiline) the demo's output must contain.
    """

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
        with demo_server(tmp_path_factory.mktemp(name), days=days, scale=scale, serve_args=serve_args) as demo:
            if expect is not None:
                assert re.search(expect, demo.stdout, re.M), demo.stdout[-2000:]
            yield demo

    return server


def artifacts_fixture(name: str) -> Any:
    """A module-scoped fixture: :func:`artifacts_dir` ``name``."""

    @pytest.fixture(scope="module")
    def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
        return artifacts_dir(tmp_path_factory, name)

    return artifacts


def artifacts_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """``$QINGTING_ARTIFACTS_DIR/<name>``, or a fresh pytest temporary directory; printed."""
    root = os.environ.get("QINGTING_ARTIFACTS_DIR")
    path = Path(root) / name if root else tmp_path_factory.mktemp(name)
    path.mkdir(parents=True, exist_ok=True)
    print(f"{name} screenshots in {path}")
    return path


def launch(playwright: Any) -> Any:
    """Debian's chromium, headless, through Playwright — watched for Content-Security-Policy
    violations: ``close()`` fails the test if any page reported one (a script or handler the
    policy blocked is a feature that silently stopped working)."""
    return CspWatchedBrowser(playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"]))


class CspWatchedBrowser:
    """A Playwright browser whose pages report CSP violations to ``violations``."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def _watch(self, page: Any) -> Any:
        def console(message: Any) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                self.violations.append(f"{page.url}: {message.text}")

        page.on("console", console)
        return page

    def new_page(self, *args: Any, **kwargs: Any) -> Any:
        return self._watch(self._browser.new_page(*args, **kwargs))

    def new_context(self, *args: Any, **kwargs: Any) -> Any:
        context = self._browser.new_context(*args, **kwargs)
        context.on("page", self._watch)
        return context

    def close(self) -> None:
        self._browser.close()
        assert not self.violations, "Content-Security-Policy violations:\n" + "\n".join(self.violations)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


def sign_in(page: Any, base: str, user: str, password: str) -> None:
    """Sign in through the login form and wait for the first page (each role has its own)."""
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.startswith(base) and "/accounts/login/" not in url)

"""``qingting serve`` in embedded mode polls due sources from its own thread, and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _loopback import LoopbackServer, send

from web.conftest import real_engine_or_fail

from .conftest import rss

SETUP = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    from qingting.web.accounts import services as accounts
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Source

    unit = accounts.unit_create(actor=None, code="u", name="柳湾镇", kind="township")
    source = services.source_create(actor=None, unit=unit, name="镇新闻", url=sys.argv[1])
    Source.objects.filter(pk=source.pk).update(config={"connector": "rss"})
    services.scheme_create(actor=None, unit=unit, name="供水", sources=[source])
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[str], timeout: float = 120.0) -> None:
    """Wait until ``proc`` accepts connections on ``port`` (a loaded machine starts it slowly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(1.0)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listened on port {port} within {timeout:.0f} s")


@pytest.mark.slow
def test_serve_polls_a_due_source_and_stops_on_ctrl_c(tmp_path: Path, server: LoopbackServer) -> None:
    real_engine_or_fail()
    server.routes["/feed"] = lambda h: send(h, 200, rss([1, 2, 3]), "application/rss+xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env.update(
        QINGTING_DATA_DIR=str(tmp_path / "data"),
        QINGTING_FETCH_ALLOW_HOSTS="localhost",  # the operator's allow-list lets it reach the loopback feed
        QINGTING_SCHEDULER_TICK="0.2",
    )
    setup = subprocess.run(
        [sys.executable, "-c", SETUP, server.url("/feed")], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr[-2000:]

    qingting = Path(sys.executable).parent / "qingting"
    serve = subprocess.Popen(
        [str(qingting), "serve", "--no-migrate", "--port", str(free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db_path = tmp_path / "data" / "qingting.sqlite3"
    try:
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline and serve.poll() is None:
            db = sqlite3.connect(db_path, timeout=10)
            count = db.execute("SELECT COUNT(*) FROM monitoring_item").fetchone()[0]
            db.close()
            if count == 3:
                break
            time.sleep(0.2)
        assert count == 3, "the scheduler did not store the feed's items"
        time.sleep(1.0)  # a few more ticks: the source is not due again, so no second request
        assert server.hits["/feed"] == 1
    finally:
        serve.send_signal(signal.SIGINT)
        out, err = serve.communicate(timeout=60)
    assert serve.returncode == 0, err[-2000:]
    assert "polling due sources every 0.2 s, 4 at a time" in out
    db = sqlite3.connect(db_path)
    failures, next_run, success = db.execute(
        "SELECT consecutive_failures, next_run_at, last_success_at FROM monitoring_source"
    ).fetchone()
    db.close()
    assert failures == 0 and next_run is not None and success is not None


@pytest.mark.slow
def test_no_scheduler_flag_and_the_standalone_scheduler_command(tmp_path: Path, server: LoopbackServer) -> None:
    real_engine_or_fail()
    server.routes["/feed"] = lambda h: send(h, 200, rss([1, 2]), "application/rss+xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env.update(QINGTING_DATA_DIR=str(tmp_path / "data"), QINGTING_FETCH_ALLOW_HOSTS="localhost",
               QINGTING_SCHEDULER_TICK="0.2")  # fmt: skip
    setup = subprocess.run(
        [sys.executable, "-c", SETUP, server.url("/feed")], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr[-2000:]
    qingting = str(Path(sys.executable).parent / "qingting")

    port = free_port()
    web_only = subprocess.Popen(
        [qingting, "serve", "--no-migrate", "--no-scheduler", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for_port(port, web_only)
    except AssertionError:
        web_only.kill()
        out, err = web_only.communicate(timeout=60)
        raise AssertionError(err[-2000:]) from None
    time.sleep(3.0)  # ~15 ticks' worth once up: a scheduler would have polled by now
    web_only.send_signal(signal.SIGINT)
    out, err = web_only.communicate(timeout=60)
    assert web_only.returncode == 0, err[-2000:]
    assert "polling due sources" not in out and server.hits["/feed"] == 0

    scheduler = subprocess.Popen(
        [qingting, "scheduler"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    db_path = tmp_path / "data" / "qingting.sqlite3"
    try:
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline and scheduler.poll() is None and count < 2:
            db = sqlite3.connect(db_path, timeout=10)
            count = db.execute("SELECT COUNT(*) FROM monitoring_item").fetchone()[0]
            db.close()
            time.sleep(0.2)
        assert count == 2
    finally:
        scheduler.send_signal(signal.SIGINT)
        out, err = scheduler.communicate(timeout=60)
    assert scheduler.returncode == 0, err[-2000:]
    assert "polling due sources every 0.2 s" in out and server.hits["/feed"] == 1

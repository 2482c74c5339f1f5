"""Server mode: a real Celery worker over the real Redis and PostgreSQL polls and ingests.

Needs Redis (``QINGTING_TEST_BROKER_URL``, default redis://127.0.0.1:6379/5) and PostgreSQL
(the server of ``QINGTING_DATABASE_URL``, default postgres://postgres@127.0.0.1:5432/postgres);
each run uses its own database and queue. Skipped with the reason when they are not reachable,
except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from _loopback import LoopbackServer, send

from web.conftest import real_engine_or_fail

from .conftest import rss

pytestmark = pytest.mark.server

BROKER = os.environ.get("QINGTING_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")
PG = os.environ.get("QINGTING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
QINGTING = str(Path(sys.executable).parent / "qingting")

SETUP = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    from qingting.web.accounts import services as accounts
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Source
    from qingting.workers.tasks import dispatch_due_sources, ingest_batch

    unit = accounts.unit_create(actor=None, code="u", name="柳湾镇", kind="township")
    feed = services.source_create(actor=None, unit=unit, name="镇新闻", url=sys.argv[1])
    Source.objects.filter(pk=feed.pk).update(config={"connector": "rss"})
    hotline = services.source_create(actor=None, unit=unit, name="热线", kind="hotline")
    scheme = services.scheme_create(actor=None, unit=unit, name="供水", sources=[feed, hotline])
    dispatch_due_sources.delay()  # beat's task: queues a poll of the feed, which is due
    records = [{"id": f"h{i}", "text": f"柳湾镇停水第{i}天，热线打不通", "time": 1_795_300_000 + i} for i in range(2)]
    ingest_batch.delay(scheme.pk, hotline.pk, records)
    ingest_batch.delay(scheme.pk, hotline.pk, records)  # a repeated batch stores nothing twice
    print(feed.pk, hotline.pk)
    """
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database and a private queue on the real Redis; dropped afterwards."""
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_connect_timeout=2).ping()
    except Exception as exc:
        _unavailable(f"Redis not reachable at {BROKER}: {exc}")
    try:
        import psycopg

        admin = psycopg.connect(_with_db(PG, "postgres"), autocommit=True, connect_timeout=3)
    except Exception as exc:
        _unavailable(f"PostgreSQL not reachable at {PG}: {exc}")
    name = f"qingting_workers_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"database": _with_db(PG, name), "queue": f"qingting-test-{name}"}
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        queue = f"qingting-test-{name}"
        redis.Redis.from_url(BROKER).delete(queue, f"_kombu.binding.{queue}")


def _env(tmp_path: Path, services: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env.update(
        QINGTING_DATA_DIR=str(tmp_path / "data"),
        QINGTING_DATABASE_URL=services["database"],
        QINGTING_BROKER_URL=BROKER,
        QINGTING_QUEUE=services["queue"],
        QINGTING_FETCH_ALLOW_HOSTS="localhost",
        **extra,
    )
    return env


def _rows(database: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(database) as conn:
        return list(conn.execute(sql).fetchall())


@pytest.mark.slow
def test_worker_polls_due_sources_and_ingests_batches(
    tmp_path: Path, services: dict[str, str], server: LoopbackServer
) -> None:
    real_engine_or_fail()
    server.routes["/feed"] = lambda h: send(h, 200, rss([1, 2, 3]), "application/rss+xml")
    env = _env(tmp_path, services)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP, server.url("/feed")], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    feed_id, hotline_id = (int(x) for x in setup.stdout.split())

    worker = subprocess.Popen(
        [QINGTING, "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        counts: dict[int, int] = {}
        while time.monotonic() < deadline and worker.poll() is None:
            counts = dict(_rows(services["database"], "SELECT source_id, COUNT(*) FROM monitoring_item GROUP BY 1"))
            if counts == {feed_id: 3, hotline_id: 2}:
                break
            time.sleep(0.3)
        assert counts == {feed_id: 3, hotline_id: 2}
        time.sleep(1.0)  # the repeated batch has run too (one worker process, tasks in order)
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: finish the running task, then exit
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-3000:]
    assert _rows(services["database"], "SELECT COUNT(*) FROM monitoring_item") == [(5,)]
    ((failures, next_run, success),) = _rows(
        services["database"],
        f"SELECT consecutive_failures, next_run_at, last_success_at FROM monitoring_source WHERE id = {feed_id}",
    )
    assert failures == 0 and next_run is not None and success is not None
    assert server.hits["/feed"] == 1


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"QINGTING_BROKER_URL": "redis://:secret@127.0.0.1:1/0"}, "Error: cannot reach the broker at redis://:***@"),
        ({"QINGTING_DATABASE_URL": "postgres://postgres@127.0.0.1:1/none"}, "Error: cannot use the database:"),
    ],
)
def test_unreachable_broker_or_database_is_one_clear_line(
    tmp_path: Path, services: dict[str, str], override: dict[str, str], message: str
) -> None:
    env = {**_env(tmp_path, services), **override}
    done = subprocess.run([QINGTING, "worker"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(message) and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and "secret" not in done.stderr


KILL_SETUP = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    from qingting.web.accounts import services as accounts
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Source
    from qingting.workers.tasks import poll_source

    unit = accounts.unit_create(actor=None, code="k", name="柳湾镇", kind="township")
    feed = services.source_create(actor=None, unit=unit, name="慢新闻", url=sys.argv[1])
    Source.objects.filter(pk=feed.pk).update(config={"connector": "rss"})
    services.scheme_create(actor=None, unit=unit, name="供水", sources=[feed])
    poll_source.delay(feed.pk)
    print(feed.pk)
    """
)


@pytest.mark.slow
def test_a_worker_process_killed_mid_task_loses_nothing(
    tmp_path: Path, services: dict[str, str], server: LoopbackServer
) -> None:
    real_engine_or_fail()
    first_request = threading.Event()

    def slow_then_fast(h: Any) -> None:
        if not first_request.is_set():
            first_request.set()
            time.sleep(3)  # the worker process is killed while it waits for this answer
        send(h, 200, rss([7, 8, 9]), "application/rss+xml")

    server.routes["/slow"] = slow_then_fast
    env = _env(tmp_path, services)
    # The module's database is shared with the first test: every query below names this source.
    setup = subprocess.run(
        [sys.executable, "-c", KILL_SETUP, server.url("/slow")], env=env, capture_output=True, text=True, timeout=120
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    feed_id = int(setup.stdout.split()[0])
    worker = subprocess.Popen(
        [QINGTING, "worker", "--concurrency", "1", "--loglevel", "WARNING"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first_request.wait(60), "the worker never started the poll"
        children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 1
        os.kill(int(children[0]), signal.SIGKILL)  # the pool process dies mid-task
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline and worker.poll() is None:
            count = _rows(services["database"], f"SELECT COUNT(*) FROM monitoring_item WHERE source_id = {feed_id}")[0][
                0
            ]
            if count == 3:
                break
            time.sleep(0.3)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    # The task was handed back and run again by the replacement process: stored once, nothing lost.
    assert count == 3, err[-3000:]
    assert server.hits["/slow"] == 2
    ids = _rows(services["database"], f"SELECT external_id FROM monitoring_item WHERE source_id = {feed_id}")
    assert sorted(i for (i,) in ids) == ["n-7", "n-8", "n-9"]


PARALLEL_SETUP = textwrap.dedent(
    """
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    from qingting.web.accounts import services as accounts
    from qingting.web.monitoring import services
    from qingting.workers.tasks import ingest_batch

    unit = accounts.unit_create(actor=None, code="p", name="城关镇", kind="township")
    source = services.source_create(actor=None, unit=unit, name="论坛", kind="forum")
    water = services.scheme_create(actor=None, unit=unit, name="供水", sources=[source])
    roads = services.scheme_create(actor=None, unit=unit, name="道路", sources=[source])
    stories = ["城关镇停水两天了", "滨河路施工噪音太大", "学区划分有争议", "荷花节人很多"]
    for b in range(24):
        records = [
            {"id": f"p{b}-{i}", "text": f"{stories[(b + i) % 4]}（{b}-{i}）", "time": 1_795_300_000 + 60 * b + i}
            for i in range(50)
        ]
        ingest_batch.delay((water, roads)[b % 2].pk, source.pk, records)
        if b % 6 == 0:
            ingest_batch.delay(water.pk, source.pk, records)  # a repeat: nothing twice
    print(source.pk, water.pk, roads.pk, unit.pk)
    """
)


@pytest.mark.slow
def test_two_workers_store_in_parallel_and_every_scheme_matches_every_item_once(
    tmp_path: Path, services: dict[str, str]
) -> None:
    real_engine_or_fail()
    env = _env(tmp_path, services)
    setup = subprocess.run([sys.executable, "-c", PARALLEL_SETUP], env=env, capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr[-3000:]
    source_id, water_id, roads_id, unit_id = (int(x) for x in setup.stdout.split())
    workers = [
        subprocess.Popen(
            [QINGTING, "worker", "--concurrency", "1", "--loglevel", "WARNING"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    db = services["database"]
    try:
        deadline = time.monotonic() + 180
        state: list[tuple[Any, ...]] = []
        while time.monotonic() < deadline and all(w.poll() is None for w in workers):
            state = _rows(
                db,
                f"SELECT (SELECT COUNT(*) FROM monitoring_item WHERE source_id = {source_id}),"
                f" (SELECT COUNT(*) FROM monitoring_item WHERE pending AND source_id = {source_id})",
            )
            if state == [(1200, 0)]:
                break
            time.sleep(0.5)
    finally:
        errors = []
        for w in workers:
            w.send_signal(signal.SIGTERM)
            errors.append(w.communicate(timeout=120)[1])
    assert state == [(1200, 0)], "\n".join(e[-2000:] for e in errors)
    assert all(w.returncode == 0 for w in workers), "\n".join(e[-2000:] for e in errors)
    # The module's database is shared with the other tests: every query names this test's rows.
    ours = f"scheme_id IN ({water_id}, {roads_id})"
    matched = dict(
        _rows(db, f"SELECT scheme_id, COUNT(DISTINCT item_id) FROM monitoring_schemeitem WHERE {ours} GROUP BY 1")
    )
    assert matched == {water_id: 1200, roads_id: 1200}
    assert _rows(db, f"SELECT COUNT(*) FROM monitoring_schemeitem WHERE {ours}") == [(2400,)]
    # ONE engine for the organisation (the unit is its own root), which saw each item exactly once.
    engine = f"SELECT items_ingested FROM monitoring_pipelinestate WHERE organisation_id = {unit_id}"
    assert _rows(db, engine) == [(1200,)]
    of_source_placed = f"SELECT COUNT(*) FROM monitoring_item WHERE source_id = {source_id} AND event_id IS NOT NULL"
    assert _rows(db, of_source_placed) == [(1200,)]
    of_source = f"FROM monitoring_item WHERE source_id = {source_id}"
    assert _rows(db, f"SELECT COUNT(*) {of_source} AND sentiment_label = ''") == [(0,)]
    assert _rows(db, f"SELECT COUNT(*) FROM monitoring_item_search WHERE item_id IN (SELECT id {of_source})") == [
        (1200,)
    ]

"""A worker killed with SIGKILL in the middle of a batch loses no accepted item and duplicates none.

A child process ingests batches into a file database and kills itself with SIGKILL inside the
third batch's transaction (after its items were inserted, before commit). A second process then
re-sends every batch. The database must hold each record exactly once, with the engine state
counting exactly those items and every item's event present.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import real_engine_or_fail

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0, interactive=False)
    from qingting.web.accounts.models import Unit
    from qingting.web.accounts import services as accounts
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Scheme, Source

    unit = Unit.objects.filter(code="u").first() or accounts.unit_create(
        actor=None, code="u", name="单位", kind="office")
    source = Source.objects.filter(name="s").first() or services.source_create(actor=None, unit=unit, name="s")
    scheme = Scheme.objects.filter(name="k").first() or services.scheme_create(
        actor=None, unit=unit, name="k", sources=[source])

    kill_in = int(os.environ.get("QT_KILL_IN_BATCH", "0"))
    batch_no = 0
    from qingting.web.monitoring.services import engine

    original_index = engine._index

    def index_then_maybe_die(items, source=None):
        original_index(items, source)
        if batch_no == kill_in:
            os.kill(os.getpid(), signal.SIGKILL)  # inside the transaction, items already inserted

    engine._index = index_then_maybe_die
    stories = ["柳湾镇停水两天了", "城关镇学区划分有争议", "滨河路施工噪音太大", "荷塘乡荷花节人很多"]
    for batch_no in range(1, 6):
        records = [
            {"id": f"b{batch_no}-{i}", "text": f"{stories[i % 4]}（{batch_no}-{i}）",
             "time": 1_767_225_600 + 600 * batch_no + i}
            for i in range(40)
        ]
        result = services.ingest_items(scheme=scheme, source=source, records=records)
        print(f"batch {batch_no} created {result.created} skipped {result.skipped}", flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_mid_batch_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env.update(QINGTING_DATA_DIR=str(tmp_path / "data"), QT_TESTS_DIR=str(Path(__file__).parent))
    real_engine_or_fail()

    killed = subprocess.run(
        [sys.executable, str(script)], env={**env, "QT_KILL_IN_BATCH": "3"}, capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert killed.stdout.splitlines() == ["batch 1 created 40 skipped 0", "batch 2 created 40 skipped 0"]

    db = sqlite3.connect(tmp_path / "data" / "qingting.sqlite3")
    # Batches 1-2 committed; batch 3 rolled back completely (WAL recovery on open).
    assert db.execute("SELECT COUNT(*) FROM monitoring_item").fetchone() == (80,)
    assert db.execute("SELECT items_ingested FROM monitoring_pipelinestate").fetchone() == (80,)
    db.close()

    resumed = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert resumed.stdout.splitlines() == [
        "batch 1 created 0 skipped 40",
        "batch 2 created 0 skipped 40",
        "batch 3 created 40 skipped 0",
        "batch 4 created 40 skipped 0",
        "batch 5 created 40 skipped 0",
    ]
    db = sqlite3.connect(tmp_path / "data" / "qingting.sqlite3")
    ids = [row[0] for row in db.execute("SELECT external_id FROM monitoring_item")]
    assert len(ids) == len(set(ids)) == 200
    assert set(ids) == {f"b{b}-{i}" for b in range(1, 6) for i in range(40)}
    assert db.execute("SELECT items_ingested FROM monitoring_pipelinestate").fetchone() == (200,)
    orphans = db.execute(
        "SELECT COUNT(*) FROM monitoring_item i LEFT JOIN monitoring_event e ON e.id = i.event_id "
        "WHERE i.event_id IS NOT NULL AND e.id IS NULL"
    ).fetchone()
    assert orphans == (0,)
    fts_rows = db.execute("SELECT COUNT(*) FROM monitoring_item_fts").fetchone()
    assert fts_rows == (200,)
    db.close()

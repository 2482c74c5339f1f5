"""Polls, file imports and uploads store first; each scheme's engine catches up afterwards.

The engine's work (events, search, counts) and the ``batch_ingested`` signal (warnings) come from
``pipeline_catch_up`` — run by ``qingting import`` or by the periodic job ``monitoring.catch_up``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from _loopback import LoopbackServer, send
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from qingting.web.collect import services
from qingting.web.monitoring.models import Item, SchemeItem, Source
from qingting.web.monitoring.services import pending_count, pipeline_catch_up_all, polling
from qingting.web.monitoring.signals import batch_ingested
from web.conftest import PASSWORD

from .conftest import rss


def _feed(admins: dict[str, Any], server: LoopbackServer, ids: list[int]) -> Source:
    server.routes["/feed"] = lambda h: send(h, 200, rss(ids), "application/rss+xml")
    return services.source_save(actor=admins["east_admin"], unit=admins["east"], name="镇新闻", connector="rss",
                                url=server.url("/feed"), scheme=admins["east_scheme"])  # fmt: skip


def test_a_poll_stores_only_and_the_catch_up_job_analyses_and_signals(
    admins: dict[str, Any], server: LoopbackServer, allow_loopback: str, django_capture_on_commit_callbacks: Any
) -> None:
    scheme = admins["east_scheme"]
    source = _feed(admins, server, [1, 2, 3])
    report = polling.source_poll(source_id=source.pk)
    assert not report.failed and report.created == 3 and report.scheme_ids == (scheme.pk,)
    items = Item.objects.filter(source=source)
    assert items.count() == 3 and not items.filter(event__isnull=False).exists()  # no engine ran
    assert items.filter(pending=True).count() == 3 and report.organisation_id == admins["office"].pk
    assert report.as_dict()["scheme_ids"] == [scheme.pk]

    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    batch_ingested.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert pipeline_catch_up_all() >= 3  # what the periodic job monitoring.catch_up runs
    finally:
        batch_ingested.disconnect(receiver)
    assert pending_count(scheme) == 0
    assert items.filter(event__isnull=False).count() == 3
    signalled = {i for s in seen for i in s["item_ids"]}
    assert set(items.values_list("pk", flat=True)) <= signalled
    assert all(s["scheme_events"].get(scheme.pk) for s in seen)  # the scheme hears of its events
    assert SchemeItem.objects.filter(scheme=scheme, item__source=source).count() == 3


def test_items_contacts_and_fetch_state_are_one_transaction(
    admins: dict[str, Any], server: LoopbackServer, allow_loopback: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _feed(admins, server, [1, 2])

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("contacts table is gone")

    monkeypatch.setattr(polling, "contacts_store", broken)
    report = polling.source_poll(source_id=source.pk)
    assert report.failed and "storing items failed" in " ".join(report.errors)
    # Storing the contacts failed, so the items (and their pending placements) were not kept either.
    assert not Item.objects.filter(source=source).exists()
    assert not SchemeItem.objects.filter(item__source=source).exists()
    source.refresh_from_db()
    assert source.fetch_state == {} and source.consecutive_failures == 1
    monkeypatch.undo()
    assert polling.source_poll(source_id=source.pk).created == 2


@pytest.fixture()
def cli() -> click.Group:
    from qingting.cli import main

    return main


def test_import_catches_up_unless_told_not_to(cli: click.Group, admins: dict[str, Any], tmp_path: Path) -> None:
    scheme = admins["east_scheme"]
    source = services.source_save(actor=None, unit=admins["east"], name="导出", connector="file", scheme=scheme,
                                  options={"fields": {"id": "编号", "text": "内容"}})  # fmt: skip
    p = tmp_path / "a.csv"
    p.write_text("编号,内容\n1,柳湾镇停水了\n2,\n3,柳湾镇什么时候恢复供水\n", encoding="utf-8")
    runner = CliRunner()
    first = runner.invoke(cli, ["import", str(p), "--source", "导出"])
    assert first.exit_code == 0, first.output
    assert "3 records read, 2 stored" in first.stdout and "line 3" in first.stderr
    assert f"organisation {admins['office'].pk}: 2 items analysed" in first.stdout
    assert pending_count(scheme) == 0 and Item.objects.filter(source=source, event__isnull=False).count() == 2

    q = tmp_path / "b.csv"
    q.write_text("编号,内容\n4,东街路灯坏了\n", encoding="utf-8")
    later = runner.invoke(cli, ["import", str(q), "--source", "导出", "--no-catch-up"])
    assert later.exit_code == 0, later.output
    assert "1 stored" in later.stdout and "monitoring.catch_up" in later.stdout
    assert pending_count(scheme) == 1
    again = runner.invoke(cli, ["import", str(q), "--source", "导出"])
    assert "0 stored, 1 already stored" in again.stdout and "analysed" not in again.stdout
    assert pending_count(scheme) == 1  # nothing new stored: left to the periodic job


def test_upload_stores_and_says_the_engine_follows(admins: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    scheme = admins["east_scheme"]
    source = services.source_save(actor=admins["east_admin"], unit=admins["east"], name="上传", connector="file",
                                  scheme=scheme, options={"fields": {"id": "编号", "text": "内容"}})  # fmt: skip
    east = Client()
    assert east.login(username="east_admin", password=PASSWORD)
    body = "编号,内容\n1,路灯坏了\n2,小区停水\n".encode()
    response = east.post(
        reverse("collect:import", args=[source.pk]),
        {"file": SimpleUploadedFile("x.csv", body), "fields": "id=编号,text=内容"},
    )
    assert response.status_code == 200 and 'id="import-pending"' in response.content.decode()
    assert response.context["run"].created == 2 and pending_count(scheme) == 2
    assert pipeline_catch_up_all() == 2 and pending_count(scheme) == 0

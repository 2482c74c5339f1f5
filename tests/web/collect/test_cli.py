"""``qingting source add|run|list`` and ``qingting import`` into the database, through CliRunner."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import click
import pytest
from _loopback import LoopbackServer, send
from click.testing import CliRunner

from qingting.web.collect.models import ImportRun
from qingting.web.monitoring.models import Item, Source

from .conftest import rss


@pytest.fixture
def cli() -> click.Group:
    from qingting.cli import main

    return main


def test_add_run_list_a_feed(cli: click.Group, monitored: dict[str, Any], server: LoopbackServer,
                             allow_loopback: str) -> None:  # fmt: skip
    def handler(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            send(h, 304, headers={"ETag": '"v1"'})
        else:
            send(h, 200, rss([1, 2, 3, 4]), "application/rss+xml", headers={"ETag": '"v1"'})

    server.routes["/feed"] = handler
    runner = CliRunner()
    added = runner.invoke(cli, ["source", "add", "东街道新闻", "--kind", "rss", "--url", server.url("/feed"),
                                "--unit", "east", "--scheme", "east-方案", "--every", "10"])  # fmt: skip
    assert added.exit_code == 0, added.output
    source = Source.objects.get(name="东街道新闻")
    assert source.poll_interval == 600 and source.schemes.filter(name="east-方案").exists()
    ran = runner.invoke(cli, ["source", "run", "东街道新闻"])
    assert ran.exit_code == 0, ran.output
    assert "4 new items stored" in ran.output and Item.objects.filter(source=source).count() == 4
    again = runner.invoke(cli, ["source", "run", str(source.pk)])
    assert again.exit_code == 0 and "not modified" in again.output
    listed = runner.invoke(cli, ["source", "list"])
    assert listed.exit_code == 0 and "东街道新闻" in listed.output and "ok" in listed.output
    # Clear errors, never a traceback.
    bad = runner.invoke(cli, ["source", "add", "x", "--kind", "rss", "--url", "https://x.example/", "--unit", "nope"])
    assert bad.exit_code == 2 and "no unit with code 'nope'" in bad.output
    missing = runner.invoke(cli, ["source", "run", "no such source"])
    assert missing.exit_code == 1 and "no source named" in missing.output
    push = runner.invoke(cli, ["source", "add", "推送", "--kind", "push", "--unit", "east"])
    assert push.exit_code == 0 and "token:" in push.output
    not_polled = runner.invoke(cli, ["source", "run", "推送"])
    assert not_polled.exit_code == 1 and "nothing to poll" in not_polled.output


def test_import_stores_names_bad_lines_and_is_idempotent(cli: click.Group, monitored: dict[str, Any],
                                                         tmp_path: Path) -> None:  # fmt: skip
    runner = CliRunner()
    added = runner.invoke(cli, ["source", "add", "留言板导出", "--kind", "file", "--unit", "east",
                                "--fields", "id=编号,text=内容,time=发布时间,author=网名"])  # fmt: skip
    assert added.exit_code == 0, added.output
    p = tmp_path / "留言.csv"
    p.write_text(
        "编号,内容,发布时间,网名\n1,路灯坏了,2026-11-20 08:00,张三\n2,,2026-11-20 09:00,李四\n"
        "3,垃圾没人收,not a time,王五\n4,小区停水,2026-11-21 10:00,赵六\n",
        encoding="utf-8",
    )
    first = runner.invoke(cli, ["import", str(p), "--source", "留言板导出"])
    assert first.exit_code == 0, first.output
    assert "4 records read, 2 stored, 0 already stored, 2 refused" in first.stdout
    assert "line 3" in first.stderr and "text" in first.stderr and "line 4" in first.stderr
    source = Source.objects.get(name="留言板导出")
    stored = Item.objects.filter(source=source)
    assert sorted(stored.values_list("external_id", flat=True)) == ["1", "4"]
    assert not stored.filter(author_pseudonym="张三").exists()
    again = runner.invoke(cli, ["import", str(p), "--source", "留言板导出"])
    assert "4 records read, 0 stored, 2 already stored, 2 refused" in again.stdout
    assert stored.count() == 2 and ImportRun.objects.filter(source=source).count() == 2
    # JSONL with the mapping given on the command line.
    j = tmp_path / "posts.jsonl"
    j.write_text("\n".join(json.dumps({"pid": f"j{i}", "body": f"第{i}条"}, ensure_ascii=False) for i in range(5)))
    third = runner.invoke(cli, ["import", str(j), "--source", str(source.pk), "--fields", "id=pid,text=body"])
    assert third.exit_code == 0 and "5 stored" in third.stdout
    bad = runner.invoke(cli, ["import", str(j), "--source", "留言板导出", "--fields", "body=x"])
    assert bad.exit_code == 2 and "unknown field 'body'" in bad.output

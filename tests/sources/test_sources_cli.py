"""``qingting source test`` and ``qingting import`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import orjson
from _loopback import LoopbackServer, send
from click.testing import CliRunner
from test_sources_pages import PARA, article
from test_sources_rss import rss

from qingting.cli import main


def test_source_test_prints_items_encoding_and_errors_without_storing(server: LoopbackServer) -> None:
    server.routes["/feed"] = lambda h: send(h, 200, rss(3, "gb2312"), "application/rss+xml")
    r = CliRunner().invoke(main, ["source", "test", server.url("/feed"), "--allow-host", "localhost"])
    assert r.exit_code == 0, r.output
    assert "HTTP 200, encoding gb18030, 3 items, 0 errors" in r.output
    assert "2026-11-22 00:00  [gb18030]  市民反映道路拥堵 0" in r.output
    assert "Nothing was stored." in r.output
    few = CliRunner().invoke(main, ["source", "test", server.url("/feed"), "--allow-host", "localhost", "--limit", "1"])
    assert "3 items, 0 errors" in few.output and "… and 2 more" in few.output and "ERROR" not in few.output


def test_source_test_refuses_loopback_unless_allowed(server: LoopbackServer) -> None:
    server.routes["/feed"] = lambda h: send(h, 200, rss(1), "application/rss+xml")
    r = CliRunner().invoke(main, ["source", "test", server.url("/feed")])
    assert r.exit_code == 1 and "ERROR BlockedAddressError: refused: localhost resolves to the non-public" in r.output
    assert server.hits["/feed"] == 0


def test_source_test_page_kind_with_and_without_a_link_pattern(server: LoopbackServer) -> None:
    server.routes["/list"] = lambda h: send(h, 200, b'<a href="/n/1.html">1</a>', "text/html")
    server.routes["/n/1.html"] = lambda h: send(h, 200, article("停车难有回应", PARA, "gbk"), "text/html")
    base = ["source", "test", "--kind", "page", "--allow-host", "localhost"]
    listing = CliRunner().invoke(main, [*base, server.url("/list"), "--link-pattern", r"/n/\d+"])
    assert listing.exit_code == 0 and "[gb18030]  停车难有回应" in listing.output
    single = CliRunner().invoke(main, [*base, server.url("/n/1.html"), "--json"])
    data = orjson.loads(single.stdout)  # logs may go to stderr; the JSON is on stdout
    assert single.exit_code == 0 and data["items"][0]["title"] == "停车难有回应" and data["encoding"] == "gb18030"
    bad = CliRunner().invoke(main, [*base, server.url("/list"), "--link-pattern", "(["])
    assert bad.exit_code == 2 and "link_pattern is not a valid regular expression" in bad.output


def test_import_streams_a_mapped_file_to_json_lines(tmp_path: Path) -> None:
    # The connectors' stand-alone import (no database); `qingting import` itself stores into the
    # platform (tests/web/collect/test_cli.py).
    from qingting.sources.cli import import_command as main_import

    p = tmp_path / "留言.csv"
    p.write_text("编号,内容,网名\n1,路灯坏了,张三\n2,,李四\n", encoding="utf-8")
    r = CliRunner().invoke(main_import, [str(p), "--source", "board", "--fields", "id=编号,text=内容,author=网名"])
    assert r.exit_code == 0
    lines = [orjson.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert [(x["id"], x["text"], x["source"]) for x in lines] == [("1", "路灯坏了", "board")]
    assert "张三" not in r.output and len(lines[0]["author"]) == 32
    assert ": line 3 (id 2): text: empty" in r.stderr and "1 items read, 1 records with errors" in r.stderr
    bad = CliRunner().invoke(main_import, [str(p), "--source", "b", "--fields", "body=内容"])
    assert bad.exit_code == 2 and "unknown field 'body'" in bad.output

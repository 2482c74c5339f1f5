"""Inspecting a feed or a site over real loopback HTTP: what is found, what is bounded, bad input."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import orjson
import pytest
from _loopback import LoopbackServer, make_fetcher, send
from click.testing import CliRunner

from qingting.cli import main
from qingting.core.inspection import CST, DAY
from qingting.core.wording import WordingRule
from qingting.sources.channelcheck import inspect_url
from qingting.sources.sitecrawl import CrawlLimits, crawl_site

NOW = time.time()


def day(days_ago: float) -> str:
    return (datetime.now(CST) - timedelta(days=days_ago)).date().isoformat()


def page(title: str, body: str, charset: str | None = "utf-8") -> bytes:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<html><head>{meta}<title>{title}</title></head><body>{body}</body></html>".encode(charset or "utf-8")


def html(body: bytes, ctype: str = "text/html; charset=utf-8"):
    return lambda h: send(h, 200, body, ctype)


def column(name: str, entries: list[tuple[str, str, float]]) -> bytes:
    items = "".join(f'<li><a href="{u}">{t}</a><span>{day(d)}</span></li>' for t, u, d in entries)
    return page(f"{name} - 青禾县人民政府", f"<h1>{name}</h1><ul>{items}</ul>")


def small_site(server: LoopbackServer, *, home_days_ago: float = 1) -> None:
    server.routes["/"] = html(
        page(
            "青禾县人民政府",
            '<a href="/news/">新闻动态</a><a href="/notice/">通知公告</a><a href="/policy/">政策解读</a>'
            '<a href="/old.html">已删除的页面</a><a href="/files/plan.pdf">规划</a>'
            f'<ul><li><a href="/news/1.html">县卫计委召开会议</a> {day(home_days_ago)}</li></ul>',
        )
    )
    server.routes["/news/"] = html(
        column(
            "新闻动态",
            [("县卫计委召开会议", "/news/1.html", home_days_ago), ("二", "/news/2.html", 5), ("三", "/news/3.html", 9)],
        )
    )
    server.routes["/notice/"] = html(
        column("通知公告", [("a", "/news/1.html", 300), ("b", "/news/2.html", 310), ("c", "/news/3.html", 320)])
    )
    server.routes["/policy/"] = html(page("政策解读", "暂无信息"))
    for k in (1, 2, 3):
        server.routes[f"/news/{k}.html"] = html(page(f"新闻{k}", "<p>昨天县卫计委召开会议。张三县长出席。</p>"))
    server.routes["/files/plan.pdf"] = lambda h: send(h, 200, b"%PDF-1.4 " + b"x" * 200_000, "application/pdf")


RULES = [WordingRule("县卫计委", "县卫生健康委员会"), WordingRule("张三县长", "张三副县长", serious=True)]


def test_a_site_crawl_finds_dead_links_columns_and_wording_with_evidence(server: LoopbackServer) -> None:
    small_site(server)
    result, crawl = inspect_url(
        server.url("/"), kind="site", fetcher=make_fetcher(), wording_rules=RULES, typos=False, messages=[]
    )
    assert crawl is not None and crawl.facts.pages == 7
    by = {f.code: f for f in result.findings}
    assert by["dead_link"].params["url"] == server.url("/old.html")
    assert by["dead_link"].evidence == "已删除的页面" and by["dead_link"].where == server.url("/")
    assert by["stale_column"].params["name"] == "通知公告"
    assert by["empty_column"].params["name"] == "政策解读"
    assert by["wording_serious"].evidence == "张三县长出席。"
    assert by["wording_serious"].where.startswith(server.url("/news/"))
    assert result.verdict == "fail" and [f.code for f in result.vetoes] == ["wording_serious"]
    assert server.hits["/files/plan.pdf"] == 1  # an attachment is checked, not read (the 64 KB probe)


def test_the_crawl_is_polite_robots_and_bounded_in_pages(server: LoopbackServer) -> None:
    links = "".join(f'<a href="/p/{k}.html">{k}</a>' for k in range(50))
    server.routes["/"] = html(page("首页", links + f"<span>{day(1)}</span>"))
    for k in range(50):
        server.routes[f"/p/{k}.html"] = html(page(str(k), "正文"))
    server.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nDisallow: /p/4\n")
    crawl = crawl_site(server.url("/"), fetcher=make_fetcher(), limits=CrawlLimits(max_pages=20, delay=0))
    assert crawl.facts.pages == 20 and crawl.facts.budget == "pages" and crawl.facts.unchecked_links > 0
    assert server.hits["/p/4.html"] == 0 and server.hits["/p/40.html"] == 0
    assert crawl.facts.dead_links == ()


def test_the_crawl_is_bounded_in_time(server: LoopbackServer) -> None:
    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(0.3)
        send(h, 200, page("慢", "正文"), "text/html")

    server.routes["/"] = html(page("首页", "".join(f'<a href="/s/{k}">{k}</a>' for k in range(40)) + day(1)))
    for k in range(40):
        server.routes[f"/s/{k}"] = slow
    started = time.monotonic()
    crawl = crawl_site(server.url("/"), fetcher=make_fetcher(), limits=CrawlLimits(max_seconds=2.0, delay=0))
    assert time.monotonic() - started < 4.0
    assert crawl.facts.budget == "time" and crawl.facts.pages < 40


def test_a_site_that_times_out_is_undetermined_not_failed(server: LoopbackServer) -> None:
    def hang(h: BaseHTTPRequestHandler) -> None:
        time.sleep(3)
        send(h, 200, b"late", "text/html")

    server.routes["/"] = hang
    fetcher = make_fetcher(timeout=0.5, deadline=1.0, retries=0)
    result, _ = inspect_url(server.url("/"), kind="site", fetcher=fetcher, typos=False, messages=[])
    assert result.verdict == "undetermined" and not result.vetoes
    (fault,) = [f for f in result.findings if f.code == "unreadable"]
    assert fault.message.startswith("Could not read " + server.url("/"))


def test_a_redirect_loop_is_a_clear_finding(server: LoopbackServer) -> None:
    server.routes["/"] = lambda h: send(h, 302, b"", headers={"Location": "/a"})
    server.routes["/a"] = lambda h: send(h, 302, b"", headers={"Location": "/"})
    result, _ = inspect_url(server.url("/"), kind="site", fetcher=make_fetcher(), typos=False, messages=[])
    assert result.verdict == "undetermined"
    assert any("redirect" in f.message for f in result.findings if f.code == "unreadable")


def test_a_fifty_megabyte_page_is_refused_and_the_rest_is_inspected(server: LoopbackServer) -> None:
    small_site(server)

    def huge(h: BaseHTTPRequestHandler) -> None:  # no Content-Length: streamed until we hang up
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"<p>" + "很长的页面".encode() * 20_000 + b"</p>"
        for _ in range(50 * 1024 * 1024 // len(chunk)):
            h.wfile.write(chunk)

    server.routes["/news/2.html"] = huge
    fetcher = make_fetcher(max_bytes=2 * 1024 * 1024)
    result, crawl = inspect_url(server.url("/"), kind="site", fetcher=fetcher, typos=False, messages=[])
    assert crawl is not None and crawl.bytes < 10 * 1024 * 1024
    (fault,) = [f for f in result.findings if f.code == "unreadable"]
    assert "too large" in fault.message and fault.params["where"] == server.url("/news/2.html")
    assert result.verdict == "pass"  # a page we refused to read is no fault found in the site


def test_a_gbk_page_without_a_charset_is_read_correctly(server: LoopbackServer) -> None:
    small_site(server)
    body = page("新闻1", "<p>今天县卫计委发布通知。</p>", charset=None).decode().encode("gbk")
    server.routes["/news/1.html"] = lambda h: send(h, 200, body, "text/html")
    result, _ = inspect_url(server.url("/"), kind="site", fetcher=make_fetcher(), wording_rules=RULES, typos=False)
    evidence = {f.evidence for f in result.findings if f.code == "wording"}
    assert "今天县卫计委发布通知。" in evidence


def test_a_private_address_is_refused_unless_allowed(server: LoopbackServer) -> None:
    small_site(server)
    fetcher = make_fetcher(allow_hosts=frozenset())
    result, _ = inspect_url(server.url("/"), kind="site", fetcher=fetcher, typos=False, messages=[])
    assert result.verdict == "undetermined" and sum(server.hits.values()) == 0
    assert any("non-public address" in f.message for f in result.findings)


def rss(items: list[tuple[str, str | None]]) -> bytes:
    out = "".join(
        f"<item><title>{t}</title><link>http://x/{k}</link>" + (f"<pubDate>{d}</pubDate>" if d else "") + "</item>"
        for k, (t, d) in enumerate(items)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>号</title>'
    return f"{head}{out}</channel></rss>".encode()


def rfc822(days_ago: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(NOW - days_ago * DAY))


def test_an_rss_feed_silent_for_three_weeks_fails(server: LoopbackServer) -> None:
    body = rss([(f"第{k}条", rfc822(21 + 3 * k)) for k in range(10)])
    server.routes["/feed.xml"] = lambda h: send(h, 200, body, "application/rss+xml")
    result, crawl = inspect_url(server.url("/feed.xml"), kind="rss", fetcher=make_fetcher(), typos=False)
    assert crawl is None and result.verdict == "fail"
    assert result.vetoes[0].code == "silent" and result.vetoes[0].evidence == "第0条"


def test_an_rss_feed_with_no_dates_is_undetermined(server: LoopbackServer) -> None:
    body = rss([(f"第{k}条", None) for k in range(5)])
    server.routes["/feed.xml"] = lambda h: send(h, 200, body, "application/rss+xml")
    result, _ = inspect_url(server.url("/feed.xml"), kind="rss", fetcher=make_fetcher(), typos=False)
    assert result.verdict == "undetermined"
    assert any(f.message.startswith("Could not read the publication dates") for f in result.findings)


def test_not_a_feed_is_undetermined(server: LoopbackServer) -> None:
    server.routes["/feed.xml"] = lambda h: send(h, 200, b"<html><body>hello</body></html>", "text/html")
    result, _ = inspect_url(server.url("/feed.xml"), kind="rss", fetcher=make_fetcher(), typos=False)
    assert result.verdict == "undetermined" and any("lists no entries" in f.message for f in result.findings)


@pytest.mark.parametrize("url", ["ftp://example.org/", "not a url"])
def test_a_bad_url_is_a_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        crawl_site(url, fetcher=make_fetcher())


def test_cli_prints_verdict_score_and_evidence_and_stores_nothing(server: LoopbackServer, tmp_path: Path) -> None:
    small_site(server, home_days_ago=20)
    wording = tmp_path / "wording.tsv"
    wording.write_text("县卫计委 => 县卫生健康委员会\n", encoding="utf-8")
    args = ["channel", "inspect", server.url("/"), "--kind", "site", "--allow-host", "localhost", "--no-typos"]
    r = CliRunner().invoke(main, [*args, "--wording", str(wording), "--delay", "0"])
    assert r.exit_code == 1, r.output
    first = r.output.splitlines()[0]
    assert first.startswith("不合格 (fail)  score ") and "/100" in first
    assert "[VETO 单项否决] The home page shows nothing newer than" in r.output
    assert f"Dead link {server.url('/old.html')} (HTTP 404)" in r.output and "evidence: 已删除的页面" in r.output
    assert "evidence: 昨天县卫计委召开会议。" in r.output and "Nothing was stored." in r.output
    j = CliRunner().invoke(main, [*args, "--json"])
    data = orjson.loads(j.stdout)  # the server thread may log a reset probe to stderr
    assert j.exit_code == 1 and data["verdict_label"] == "不合格" and data["crawl"]["requests"] >= 7


def test_cli_feed_passes_and_refuses_loopback_unless_allowed(server: LoopbackServer) -> None:
    body = rss([(f"第{k}条", rfc822(1 + 2 * k)) for k in range(60)])
    server.routes["/feed.xml"] = lambda h: send(h, 200, body, "application/rss+xml")
    ok = CliRunner().invoke(main, ["channel", "inspect", server.url("/feed.xml"), "--allow-host", "localhost"])
    assert ok.exit_code == 0 and ok.output.startswith("合格 (pass)  score 100/100"), ok.output
    refused = CliRunner().invoke(main, ["channel", "inspect", server.url("/feed.xml"), "--no-typos"])
    assert refused.exit_code == 3 and "无法判定" in refused.output and "non-public address" in refused.output
    assert server.hits["/feed.xml"] == 1


def test_suspected_typos_come_from_the_proofreader_and_cost_nothing(server: LoopbackServer) -> None:
    small_site(server)
    server.routes["/news/3.html"] = html(page("新闻3", "<p>这次会议布署了下一阶段工作。</p>"))
    result, _ = inspect_url(server.url("/"), kind="site", fetcher=make_fetcher(), messages=[])
    typos = [f for f in result.findings if f.code == "typo"]
    (found,) = [f for f in typos if f.where == server.url("/news/3.html")]
    assert (found.params["text"], found.params["suggestion"]) == ("布", "部")
    assert found.evidence == "这次会议布署了下一阶段工作。"
    # Suspects (a checker also doubts place names like 青禾) are for a person: they cost nothing.
    assert all(f.points == 0 and f.severity == "note" for f in typos) and result.score == 100 - 2 - 2 - 1

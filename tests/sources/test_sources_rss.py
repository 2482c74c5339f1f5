"""The RSS/Atom connector against a real loopback server."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from _loopback import LoopbackServer, make_fetcher, send

from qingting.sources.rss import RssConnector
from qingting.sources.types import Connector, FetchState, pseudonymise

KEY = b"test-key"


def rss(n: int, encoding: str = "utf-8", title: str = "市民反映道路拥堵") -> bytes:
    items = "".join(
        f"<item><title>{title} {i}</title><link>http://news.example/a/{i}.html</link>"
        f"<guid>news-{i}</guid><pubDate>Sun, 22 Nov 2026 0{i % 10}:00:00 +0800</pubDate>"
        f"<author>reporter{i}@news.example</author>"
        f"<description>&lt;p&gt;第{i}条：早高峰&lt;b&gt;拥堵&lt;/b&gt;&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</description></item>"
        for i in range(n)
    )
    doc = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>新闻</title>'
        f"<language>zh-cn</language>{items}</channel></rss>"
    )
    return doc.encode("gbk" if encoding.lower() in ("gbk", "gb2312") else encoding)


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>臺北新聞</title>
<entry><id>tag:tw,2026:1</id><title>臺北市公車改線</title><link href="/n/1"/>
<updated>2026-11-22T08:00:00Z</updated><content type="html">&lt;p&gt;市民說明&lt;/p&gt;</content></entry>
</feed>""".encode()


def test_rss_in_gbk_is_decoded_and_items_are_complete(server: LoopbackServer) -> None:
    server.routes["/feed"] = lambda h: send(h, 200, rss(3, "gb2312"), "application/rss+xml")
    c = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher())
    assert isinstance(c, Connector)
    r = c.fetch(FetchState())
    assert r.errors == () and not r.failed and r.encoding == "gb18030" and r.http_status == 200
    assert [i.external_id for i in r.items] == ["news-0", "news-1", "news-2"]
    first = r.items[0]
    assert first.title == "市民反映道路拥堵 0"
    assert first.text == "第0条：早高峰拥堵"  # HTML converted, script dropped
    assert first.url == "http://news.example/a/0.html"
    assert first.published_at == 1795276800.0  # 2026-11-22 00:00 +08:00
    assert first.author_pseudonym == pseudonymise("reporter0@news.example", KEY)
    assert "reporter0" not in repr(first)
    assert first.lang == "zh-cn"


def test_wrong_declared_encoding_is_overruled(server: LoopbackServer) -> None:
    # The server and the XML declaration both say UTF-8, the bytes are GBK.
    body = rss(2, "gbk").replace(b'encoding="gbk"', b'encoding="utf-8"')
    server.routes["/feed"] = lambda h: send(h, 200, body, "text/xml; charset=utf-8")
    r = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher()).fetch(FetchState())
    assert r.encoding == "gb18030" and r.items[0].title == "市民反映道路拥堵 0"


def test_atom_relative_links_resolve_against_the_feed_url(server: LoopbackServer) -> None:
    server.routes["/atom"] = lambda h: send(h, 200, ATOM, "application/atom+xml")
    r = RssConnector(server.url("/atom"), key=KEY, fetcher=make_fetcher()).fetch(FetchState())
    (item,) = r.items
    assert item.external_id == "tag:tw,2026:1" and item.title == "臺北市公車改線" and item.text == "市民說明"
    assert item.url == server.url("/n/1") and item.published_at == 1795334400.0


def test_re_poll_of_unchanged_feed_is_one_conditional_request(server: LoopbackServer) -> None:
    def handler(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"abc"':
            h.send_response(304)
            h.send_header("ETag", '"abc"')
            h.end_headers()
            return
        send(h, 200, rss(5), "application/rss+xml", {"ETag": '"abc"'})

    server.routes["/feed"] = handler
    c = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher())
    first = c.fetch(FetchState())
    assert len(first.items) == 5
    again = c.fetch(first.state)
    assert again.not_modified and again.items == () and again.errors == () and again.requests == 1
    assert server.hits["/feed"] == 2 and again.state.etag == '"abc"'


def test_truncated_feed_keeps_the_complete_entries_and_records_the_fault(server: LoopbackServer) -> None:
    body = rss(4)
    cut = body[: body.index(b"<item>", body.index(b"news-2")) + 30]  # entries 0..2 complete, 3 cut
    server.routes["/feed"] = lambda h: send(h, 200, cut, "application/rss+xml")
    r = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher()).fetch(FetchState())
    ids = [i.external_id for i in r.items]
    assert ids[:3] == ["news-0", "news-1", "news-2"]
    assert "not well-formed" in r.errors[0].what and r.errors[0].where.endswith("/feed")
    assert all(i.title for i in r.items)  # the cut entry is an error, never an empty item


def test_garbage_instead_of_a_feed_is_a_failed_poll(server: LoopbackServer) -> None:
    server.routes["/feed"] = lambda h: send(h, 200, b"\x00\x01 this is not xml <<<", "application/rss+xml")
    r = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher()).fetch(FetchState())
    assert r.failed and r.items == () and any("not an RSS or Atom feed" in e.what for e in r.errors)


def test_http_failure_keeps_the_previous_validators(server: LoopbackServer) -> None:
    server.routes["/feed"] = lambda h: send(h, 500, b"")
    state = FetchState(etag='"old"', last_modified="Sun, 22 Nov 2026 10:00:00 GMT")
    r = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher(retries=0)).fetch(state)
    assert r.failed and r.http_status == 500 and r.errors[0].kind == "HTTPStatusError"
    assert r.state == state  # the next poll is still conditional


def test_external_entities_are_never_fetched(server: LoopbackServer) -> None:
    evil = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{server.url("/secret")}">]>'
        '<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>&x;</title></item></channel></rss>'
    ).encode()
    server.routes["/feed"] = lambda h: send(h, 200, evil, "application/rss+xml")
    server.routes["/secret"] = lambda h: send(h, 200, b"SECRET")
    r = RssConnector(server.url("/feed"), key=KEY, fetcher=make_fetcher()).fetch(FetchState())
    assert server.hits["/secret"] == 0
    assert all("SECRET" not in i.title for i in r.items)

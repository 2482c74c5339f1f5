"""The web-page connector: list page → article pages, against a real loopback server."""

from __future__ import annotations

import pytest
from _loopback import LoopbackServer, make_fetcher, send

from qingting.sources.pages import PageConnector
from qingting.sources.types import FetchState

KEY = b"k"
PARA = "市民反映老城区停车难问题，市政府今天作出回应，将在年底前新建三处公共停车场，缓解居民停车压力。"
TW = "臺北市民反映老城區停車難問題，市政府今天作出回應，將在年底前新建三處公共停車場，緩解居民停車壓力。"


def article(title: str, para: str, charset: str) -> bytes:
    html = (
        f'<html><head><meta charset="{charset}"><title>{title} - 新闻网</title>'
        '<meta property="article:published_time" content="2026-11-20T09:00:00+08:00"></head>'
        f"<body><nav>首页 | 新闻 | 关于</nav><article><h1>{title}</h1><p>{para}</p><p>{para}</p>"
        f"<p>预计明年完工。</p></article><footer>版权所有 2026</footer></body></html>"
    )
    if charset == "big5":
        for simp, trad in (("新闻网", "新聞網"), ("首页", "首頁"), ("新闻", "新聞"), ("关于", "關於"), ("预计", "預計"),
                           ("权", "權")):  # fmt: skip
            html = html.replace(simp, trad)
    return html.encode(charset)


def list_page(links: list[str]) -> bytes:
    anchors = "".join(f'<li><a href="{u}">新闻</a></li>' for u in links)
    html = f'<html><head><meta charset="gbk"></head><body><ul>{anchors}</ul><a href="/about">关于</a></body></html>'
    return html.encode("gbk")


@pytest.fixture()
def site(server: LoopbackServer) -> LoopbackServer:
    server.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nDisallow: /n/secret\n")
    server.routes["/list"] = lambda h: send(
        h, 200, list_page(["/n/1.html", "/n/2.html", "/n/3.html", "/n/secret.html", "/n/broken.html"]), "text/html"
    )
    server.routes["/n/1.html"] = lambda h: send(h, 200, article("停车难有回应", PARA, "gbk"), "text/html")
    server.routes["/n/2.html"] = lambda h: send(h, 200, article("臺北停車", TW, "big5"), "text/html")
    server.routes["/n/3.html"] = lambda h: send(h, 200, article("UTF8新闻", PARA, "utf-8"), "text/html; charset=utf-8")
    server.routes["/n/broken.html"] = lambda h: send(h, 500, b"")
    server.routes["/n/secret.html"] = lambda h: send(h, 200, article("secret", PARA, "utf-8"))
    return server


def test_list_page_articles_are_extracted_in_their_encodings(site: LoopbackServer) -> None:
    c = PageConnector(site.url("/list"), r"/n/[^/]+\.html$", key=KEY, fetcher=make_fetcher(retries=0), delay=0)
    r = c.fetch(FetchState())
    assert r.encoding == "gb18030"
    by_url = {i.external_id: i for i in r.items}
    assert set(by_url) == {site.url("/n/1.html"), site.url("/n/2.html"), site.url("/n/3.html")}
    gbk = by_url[site.url("/n/1.html")]
    assert gbk.title == "停车难有回应" and PARA in gbk.text and "版权所有" not in gbk.text and "首页" not in gbk.text
    assert gbk.extra["encoding"] == "gb18030" and gbk.published_at is not None
    assert TW in by_url[site.url("/n/2.html")].text
    assert by_url[site.url("/n/2.html")].extra["encoding"] == "big5hkscs"
    kinds = {e.where.rsplit("/", 1)[-1]: e.kind for e in r.errors}
    assert kinds == {"secret.html": "RobotsDisallowedError", "broken.html": "HTTPStatusError"}
    assert site.hits["/n/secret.html"] == 0 and site.hits["/about"] == 0


def test_re_poll_fetches_only_new_articles(site: LoopbackServer) -> None:
    c = PageConnector(site.url("/list"), r"/n/\d+\.html$", key=KEY, fetcher=make_fetcher(retries=0), delay=0)
    first = c.fetch(FetchState())
    assert len(first.items) == 3
    site.routes["/list"] = lambda h: send(h, 200, list_page(["/n/4.html", "/n/1.html", "/n/2.html"]), "text/html")
    site.routes["/n/4.html"] = lambda h: send(h, 200, article("新的一条", PARA, "utf-8"), "text/html")
    again = c.fetch(first.state)
    assert [i.external_id for i in again.items] == [site.url("/n/4.html")]
    assert site.hits["/n/1.html"] == 1 and again.requests == 2


def test_no_matching_link_and_robots_on_the_list_page(site: LoopbackServer) -> None:
    r = PageConnector(site.url("/list"), r"/nothing/", key=KEY, fetcher=make_fetcher(), delay=0).fetch(FetchState())
    assert r.items == () and "no link on the list page matches" in r.errors[0].what
    site.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nDisallow: /\n")
    r = PageConnector(site.url("/list"), r"/n/", key=KEY, fetcher=make_fetcher(), delay=0).fetch(FetchState())
    assert r.failed and r.errors[0].kind == "RobotsDisallowedError" and site.hits["/list"] == 1


def test_invalid_link_pattern_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="link_pattern"):
        PageConnector("http://x.example/", "([", key=KEY)


def test_xhtml_list_page_with_an_xml_declaration(server: LoopbackServer) -> None:
    xhtml = '<?xml version="1.0" encoding="gbk"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
    server.routes["/list"] = lambda h: send(
        h, 200, (xhtml + '<a href="/n/1.html">新闻</a></body></html>').encode("gbk")
    )
    server.routes["/n/1.html"] = lambda h: send(h, 200, article("停车难有回应", PARA, "gbk"), "text/html")
    r = PageConnector(server.url("/list"), r"/n/", key=KEY, fetcher=make_fetcher(), delay=0).fetch(FetchState())
    assert r.encoding == "gb18030" and [i.title for i in r.items] == ["停车难有回应"]


def test_articles_are_spaced_by_the_delay_or_the_robots_crawl_delay(site: LoopbackServer) -> None:
    waits: list[float] = []
    c = PageConnector(
        site.url("/list"), r"/n/\d+\.html$", key=KEY, fetcher=make_fetcher(), delay=0.5, sleep=waits.append
    )
    assert len(c.fetch(FetchState()).items) == 3 and waits == [0.5, 0.5]
    site.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nCrawl-delay: 4\n")
    waits.clear()
    c = PageConnector(
        site.url("/list"), r"/n/\d+\.html$", key=KEY, fetcher=make_fetcher(), delay=0.5, sleep=waits.append
    )
    assert len(c.fetch(FetchState()).items) == 3 and waits == [4.0, 4.0]

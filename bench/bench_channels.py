"""Inspection of a 200-page site on loopback (issue 13 target: ≤ 60 s, bounded in pages, bytes, time).

One command::

    .venv/bin/python bench/bench_channels.py [--pages 200] [--columns 10] [--delay 0.1] [--no-typos]

A real HTTP server on 127.0.0.1 serves a synthetic government site: a home page linking to
``--columns`` column pages, each listing dated articles, article pages of ~1,500 characters of
Chinese text (with an outdated institution name to find), a few dead links and a PDF attachment.
``qingting.sources.channelcheck.inspect_url(kind="site")`` crawls it with the default limits
(polite delay ``--delay`` s between requests, robots.txt read) and scores it, typo check included.
Reference in the same run: the same pages fetched one after another with ``urllib`` (no parsing,
no delay), so the ratio says what the crawl and the checks cost over bare transfer.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
import time
import urllib.request
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = (
    "为深入贯彻落实县委、县政府关于优化营商环境的决策部署，县工商局会同有关部门开展专项行动，"
    "对全县农贸市场、商超和校园周边食品经营户进行全面检查，共出动执法人员120人次，检查经营户360家，"
    "督促整改问题隐患45处。下一步，我县将持续加强监管，切实保障人民群众舌尖上的安全。"
)


def build_site(pages: int, columns: int) -> dict[str, bytes]:
    today = date.today()
    articles = max(columns, pages - 1 - columns)
    site: dict[str, bytes] = {}

    def page(title: str, body: str) -> bytes:
        return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'.encode()

    home_links = "".join(f'<a href="/c{c}/">栏目{c}</a>' for c in range(columns))
    home_news = "".join(
        f'<li><a href="/c0/{i}.html">要闻{i}</a> {(today - timedelta(days=i)).isoformat()}</li>' for i in range(5)
    )
    site["/"] = page("青禾县人民政府", f"{home_links}<ul>{home_news}</ul><a href='/gone.html'>旧链接</a>")
    for c in range(columns):
        per_column = articles // columns + (1 if c < articles % columns else 0)
        age0 = 1 if c < columns - 2 else 400  # two stale columns
        entries = "".join(
            f'<li><a href="/c{c}/{i}.html">栏目{c}文章{i}</a>'
            f"<span>{(today - timedelta(days=age0 + i)).isoformat()}</span></li>"
            for i in range(per_column)
        )
        site[f"/c{c}/"] = page(f"栏目{c}", f"<h1>栏目{c}</h1><ul>{entries}</ul><a href='/files/f{c}.pdf'>附件</a>")
        for i in range(per_column):
            body = f"<h1>栏目{c}文章{i}</h1><p>{(today - timedelta(days=age0 + i)).isoformat()}</p>"
            body += f"<p>{TEXT}</p>" * 3 + f"<a href='/missing/{c}-{i % 3}.html'>相关</a>"
            site[f"/c{c}/{i}.html"] = page(f"栏目{c}文章{i}", body)
    site["/robots.txt"] = b"User-agent: *\nAllow: /\n"
    return site


def serve(site: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, head_only: bool) -> None:
            path = self.path
            if path.startswith("/files/"):
                body, ctype, status = b"%PDF-1.4 " + b"x" * 50_000, "application/pdf", 200
            else:
                data = site.get(path)
                body, status = (data, 200) if data is not None else (b"not found", 404)
                ctype = "text/plain" if path == "/robots.txt" else "text/html; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        def do_GET(self) -> None:
            self._send(False)

        def do_HEAD(self) -> None:
            self._send(True)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--columns", type=int, default=10)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--no-typos", action="store_true")
    args = ap.parse_args()

    from qingting.core.wording import WordingRule
    from qingting.sources.channelcheck import inspect_url
    from qingting.sources.http import FetchPolicy, SafeFetcher
    from qingting.sources.sitecrawl import CrawlLimits

    site = build_site(args.pages, args.columns)
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    html_pages = [p for p in site if p != "/robots.txt"]
    try:
        t0 = time.perf_counter()
        for p in html_pages:
            with urllib.request.urlopen(base + p) as r:
                r.read()
        reference = time.perf_counter() - t0

        fetcher = SafeFetcher(FetchPolicy(allow_hosts=frozenset({"127.0.0.1"})))
        limits = CrawlLimits(max_pages=args.pages, delay=args.delay)
        t0 = time.perf_counter()
        result, crawl = inspect_url(
            base + "/",
            kind="site",
            fetcher=fetcher,
            limits=limits,
            wording_rules=[WordingRule("县工商局", "县市场监督管理局")],
            typos=not args.no_typos,
        )
        seconds = time.perf_counter() - t0
    finally:
        server.shutdown()
    assert crawl is not None
    codes: dict[str, int] = {}
    for f in result.findings:
        codes[f.code] = codes.get(f.code, 0) + 1
    print(f"site: {len(html_pages)} HTML pages on loopback, {args.columns} columns; delay {args.delay} s")
    print(f"reference (urllib, sequential, no parsing): {reference:.2f} s")
    print(
        f"inspection: {seconds:.1f} s for {crawl.facts.pages} pages, {crawl.requests} requests, "
        f"{crawl.bytes / 1e6:.1f} MB, budget stop: {crawl.facts.budget or 'none'}; "
        f"ratio to reference {seconds / reference:.0f}×; politeness floor {crawl.requests * args.delay:.1f} s"
    )
    print(f"verdict {result.verdict_label} {result.score:.0f}; findings {codes}")
    print("target ≤ 60 s:", "met" if seconds <= 60 else "NOT met")


if __name__ == "__main__":
    main()

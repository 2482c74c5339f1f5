"""One poll cycle over N feeds on a loopback server, then a re-poll of the unchanged feeds.

Targets (issue 4): the first cycle over 500 feeds completes in <= 60 s; re-polling an unchanged
feed costs one conditional request and stores nothing.

The server runs in its own process (so it does not share the client's GIL) and serves N
synthetic feeds of realistic size (20-40 entries of 300-1,500 Chinese characters, 30-150 KB),
a third in GBK, half gzip-compressed, each with an ETag. Feeds are spread over 50 host names
that all resolve to 127.0.0.1 (allow-listed), so the per-host limit behaves as on the web.

    .venv/bin/python bench/bench_sources.py [--feeds 500] [--workers 8] [--per-host 2]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import multiprocessing as mp
import random
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from qingting.sources.http import FetchPolicy, SafeFetcher
from qingting.sources.rss import RssConnector
from qingting.sources.schedule import PollJob, run_poll_cycle
from qingting.sources.types import FetchState

HOSTS = 50
CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
    "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
    "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
    "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
    "必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
    "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信"
    "马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
    "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存"
    "候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
)


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(CHARS, k=n))


def _feed(i: int) -> tuple[bytes, str, bool]:
    """Feed ``i``: body bytes (maybe gzip), its ETag, whether gzipped."""
    rng = random.Random(i)
    gbk = i % 3 == 0
    enc = "gbk" if gbk else "utf-8"
    entries = []
    for k in range(rng.randint(20, 40)):
        entries.append(
            f"<item><title>{_text(rng, rng.randint(8, 24))}</title><link>http://site{i}.example/a/{k}.html</link>"
            f"<guid>feed{i}-{k}</guid><pubDate>Sun, 22 Nov 2026 {k % 24:02d}:00:00 +0800</pubDate>"
            f"<description><![CDATA[<p>{_text(rng, rng.randint(300, 1500))}</p>]]></description></item>"
        )
    doc = (
        f'<?xml version="1.0" encoding="{enc}"?><rss version="2.0"><channel><title>{_text(rng, 6)}</title>'
        f"<link>http://site{i}.example/</link>{''.join(entries)}</channel></rss>"
    ).encode(enc)
    etag = '"' + hashlib.sha1(doc).hexdigest()[:16] + '"'
    zipped = i % 2 == 0
    return (gzip.compress(doc, 6) if zipped else doc), etag, zipped


def _serve(n: int, port_out: mp.Queue, counts: Any) -> None:  # type: ignore[type-arg]
    feeds = [_feed(i) for i in range(n)]

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            i = int(self.path.split("/")[-1].split(".")[0])
            body, etag, zipped = feeds[i]
            with counts.get_lock():
                counts[0] += 1
                if self.headers.get("If-None-Match"):
                    counts[1] += 1
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            if zipped:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    httpd.daemon_threads = True
    httpd.request_queue_size = 256
    port_out.put(
        (
            httpd.server_address[1],
            sum(len(f[0]) for f in feeds),
            sum(len(gzip.decompress(f[0])) if f[2] else len(f[0]) for f in feeds),
        )
    )
    httpd.serve_forever()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--per-host", type=int, default=2)
    args = ap.parse_args()

    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    counts = mp.Array("l", 2)
    proc = mp.Process(target=_serve, args=(args.feeds, q, counts), daemon=True)
    proc.start()
    port, wire_bytes, xml_bytes = q.get(timeout=120)
    hosts = [f"feeds{h}.bench.test" for h in range(HOSTS)]
    fetcher = SafeFetcher(
        FetchPolicy(allow_hosts=frozenset(hosts), max_bytes=10 * 1024 * 1024),
        resolver=lambda host, port: ["127.0.0.1"],  # every bench host is this loopback server
    )

    def jobs(states: list[FetchState]) -> list[PollJob]:
        out = []
        for i in range(args.feeds):
            host = hosts[i % HOSTS]
            c = RssConnector(f"http://{host}:{port}/feed/{i}.xml", key=b"bench", fetcher=fetcher)
            out.append(PollJob(f"feed{i}", host, c, states[i]))
        return out

    t0 = time.perf_counter()
    first = run_poll_cycle(jobs([FetchState()] * args.feeds), max_workers=args.workers, per_host=args.per_host)
    t1 = time.perf_counter()
    requests_first = counts[0]
    items = sum(len(o.result.items) for o in first)
    errors = sum(len(o.result.errors) for o in first)
    encodings = sorted({str(o.result.encoding) for o in first})
    second = run_poll_cycle(jobs([o.result.state for o in first]), max_workers=args.workers, per_host=args.per_host)
    t2 = time.perf_counter()
    repoll_requests = counts[0] - requests_first
    conditional = counts[1]
    not_modified = sum(o.result.not_modified for o in second)
    stored_again = sum(len(o.result.items) for o in second)
    proc.terminate()

    print("bench_sources: one poll cycle over RSS feeds on a loopback server (server in its own process)")
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"settings: feeds={args.feeds} hosts={HOSTS} workers={args.workers} per_host={args.per_host}")
    print(f"data: synthetic, seeded: {wire_bytes / 1e6:.1f} MB on the wire, {xml_bytes / 1e6:.1f} MB of XML")
    print(f"first cycle:  {t1 - t0:6.2f} s  ({args.feeds / (t1 - t0):.0f} feeds/s, {items} items, {errors} errors, "
          f"encodings {', '.join(encodings)})  target <= 60 s: {'PASS' if t1 - t0 <= 60 else 'FAIL'}")  # fmt: skip
    print(f"re-poll:      {t2 - t1:6.2f} s  {repoll_requests} requests for {args.feeds} feeds "
          f"({repoll_requests / args.feeds:.2f} per feed), {conditional} conditional, {not_modified} not modified, "
          f"{stored_again} items to store  target 1 request/feed, 0 items: "
          f"{'PASS' if repoll_requests == args.feeds == not_modified and stored_again == 0 else 'FAIL'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

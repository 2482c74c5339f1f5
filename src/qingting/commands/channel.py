"""``qingting channel inspect``: inspect a feed or a site against the national indicators, storing nothing.

The platform adds ``channel list`` and ``channel run`` (stored channels) to the same group
(:mod:`qingting.web.channels.cli`).

Exit status: 0 合格 (pass), 1 不合格 (fail), 3 无法判定 (could not decide: what we could not
read leaves the silence check open), 2 a usage error.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

__all__ = ["channel_group", "register"]

EXIT = {"pass": 0, "fail": 1, "undetermined": 3}
SEVERITY = {"veto": "VETO 单项否决", "deduction": "DEDUCT", "unreadable": "COULD NOT READ", "note": "NOTE"}


def register(group: click.Group) -> None:
    """Add the ``channel`` group to the ``qingting`` command."""
    group.add_command(channel_group)


@click.group(name="channel")
def channel_group() -> None:
    """Channels (阵地): inspect a feed or site; list and inspect the registered channels."""


@channel_group.command(name="inspect")
@click.argument("url")
@click.option(
    "--kind",
    type=click.Choice(["rss", "site"]),
    default="rss",
    show_default=True,
    help="rss: the RSS/Atom feed of an account; site: crawl a website (bounded).",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Allow this host even if it resolves to a private or loopback address (repeatable).",
)
@click.option(
    "--wording",
    "wording_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The organisation's standard-wording list: 'wrong => right' or wrong<TAB>right<TAB>kind<TAB>serious.",
)
@click.option("--max-pages", type=click.IntRange(1, 5000), default=200, show_default=True, help="Site: pages to read.")
@click.option(
    "--max-seconds", type=click.FloatRange(1, 3600), default=120.0, show_default=True, help="Site: the whole crawl."
)
@click.option(
    "--delay", type=click.FloatRange(0, 60), default=0.1, show_default=True, help="Site: seconds between requests."
)
@click.option(
    "--timeout", type=click.FloatRange(0.5, 600), default=15.0, show_default=True, help="Seconds per request."
)
@click.option("--no-typos", is_flag=True, help="Skip the typo check (it loads a dictionary).")
@click.option("--json", "as_json", is_flag=True, help="Print the inspection as JSON.")
def inspect_command(
    url: str,
    kind: str,
    allow_hosts: tuple[str, ...],
    wording_path: str | None,
    max_pages: int,
    max_seconds: float,
    delay: float,
    timeout: float,
    no_typos: bool,
    as_json: bool,
) -> None:
    """Inspect URL and print the verdict (合格 / 不合格), the score and every finding with its evidence.

    Nothing is stored. The checks follow 政府网站与政务新媒体检查指标 (2019): no update for 14 days
    fails (单项否决); for a site, dead links and stale or empty columns cost points.

    \b
    Examples:
      qingting channel inspect https://www.example.gov.cn/rss.xml
      qingting channel inspect https://www.example.gov.cn/ --kind site --wording wording.tsv
    """
    from qingting.core.inspection import day_label
    from qingting.core.wording import parse_wording_rules
    from qingting.sources.channelcheck import inspect_url
    from qingting.sources.http import FetchPolicy, SafeFetcher
    from qingting.sources.sitecrawl import CrawlLimits

    rules = []
    if wording_path:
        try:
            with open(wording_path, encoding="utf-8") as handle:
                rules = parse_wording_rules(handle, where=wording_path)
        except (ValueError, UnicodeDecodeError) as e:
            raise click.BadParameter(str(e), param_hint="--wording") from None
    try:
        policy = FetchPolicy(
            allow_hosts=frozenset(allow_hosts), timeout=min(timeout, 10.0), deadline=timeout, retries=1, backoff=0.5
        )
        limits = CrawlLimits(max_pages=max_pages, max_seconds=max_seconds, delay=delay)
        result, crawl = inspect_url(
            url, kind=kind, fetcher=SafeFetcher(policy), limits=limits, wording_rules=rules, typos=not no_typos
        )
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="URL") from None
    if as_json:
        data: dict[str, Any] = result.as_dict()
        data["url"] = url
        data["verdict_label"] = result.verdict_label
        data["findings"] = [{**f, "message": g.message} for f, g in zip(data["findings"], result.findings, strict=True)]
        if crawl is not None:
            data["crawl"] = {"requests": crawl.requests, "bytes": crawl.bytes, "seconds": crawl.seconds}
        click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        sys.exit(EXIT[result.verdict])
    what = "site" if kind == "site" else "feed"
    click.echo(f"{result.verdict_label} ({result.verdict})  score {result.score:g}/100  {what} {url}")
    last = day_label(result.last_update) if result.last_update else "unknown"
    line = f"  last update {last}"
    if result.days_since_update is not None:
        line += f" ({result.days_since_update:g} days ago)"
    if result.longest_silence_days is not None:
        line += f", longest silence {result.longest_silence_days:g} days"
    line += f", {result.posts} posts"
    if crawl is not None:
        line += f"; {crawl.facts.pages} pages, {crawl.requests} requests, {crawl.bytes:,} bytes in {crawl.seconds:g} s"
    click.echo(line)
    for f in result.findings:
        points = f" −{f.points:g}" if f.points else ""
        click.echo(f"  [{SEVERITY.get(f.severity, f.severity)}{points}] {f.message}")
        if f.evidence:
            click.echo(f"      evidence: {f.evidence}")
        if f.where:
            click.echo(f"      at: {f.where}")
    click.echo("Nothing was stored.")
    sys.exit(EXIT[result.verdict])

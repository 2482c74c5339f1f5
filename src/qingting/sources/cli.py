"""``qingting source …`` and ``qingting import``: thin commands over the connectors.

``source test`` polls a URL once and prints exactly what would be ingested — each item's title,
time and detected encoding, and every error — without storing anything. The platform adds
``source add|run|list`` to the same group and its own ``import``, which stores into the database
(:mod:`qingting.web.collect.cli`); the ``import`` here, which writes the items as JSON lines, is
used only when the platform is not installed.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import click
import orjson

__all__ = ["register"]

_CST = dt.timezone(dt.timedelta(hours=8))


def _when(ts: float | None) -> str:
    if ts is None:
        return "(no time)       "
    return dt.datetime.fromtimestamp(ts, _CST).strftime("%Y-%m-%d %H:%M")


def _one_line(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.group("source")
def source_group() -> None:
    """Sources (来源): test a feed or page, add, list and run sources."""


@source_group.command("test")
@click.argument("url")
@click.option(
    "--kind",
    type=click.Choice(["rss", "page"]),
    default="rss",
    show_default=True,
    help="rss: an RSS/Atom feed; page: a list page (with --link-pattern) or one article page.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Allow this host even if it resolves to a private or loopback address (repeatable).",
)
@click.option(
    "--link-pattern",
    default=None,
    metavar="RE",
    help="For --kind page: regular expression that article links on the list page match.",
)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="Articles to fetch from a list page / items to print.",
)
@click.option("--ignore-robots", is_flag=True, help="For testing your own site only: do not read robots.txt.")
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    help="Total seconds allowed per request.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def test_command(
    url: str,
    kind: str,
    allow_hosts: tuple[str, ...],
    link_pattern: str | None,
    limit: int,
    ignore_robots: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Fetch URL once and print what would be ingested, without storing anything.

    \b
    Examples:
      qingting source test https://www.example.gov.cn/rss.xml
      qingting source test https://news.example.cn/list.html --kind page --link-pattern '/content/\\d+\\.html'
    """
    from qingting.sources.http import FetchPolicy, SafeFetcher
    from qingting.sources.pages import PageConnector
    from qingting.sources.rss import RssConnector
    from qingting.sources.types import FetchState

    fetcher = SafeFetcher(FetchPolicy(allow_hosts=frozenset(allow_hosts), deadline=timeout, timeout=min(timeout, 10.0)))
    key = os.urandom(32)  # a throwaway key: nothing is stored, pseudonyms need not be stable
    connector: Any
    if kind == "rss":
        connector = RssConnector(url, key=key, fetcher=fetcher)  # all entries read, --limit printed
    else:
        try:
            connector = PageConnector(
                url,
                link_pattern or r".",
                key=key,
                fetcher=fetcher,
                max_articles=limit if link_pattern else 0,
                respect_robots=not ignore_robots,
            )
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--link-pattern") from None
    result = _single_page(connector, url) if kind == "page" and not link_pattern else connector.fetch(FetchState())
    if as_json:
        click.echo(orjson.dumps(_as_dict(result), option=orjson.OPT_INDENT_2).decode())
    else:
        _print(url, kind, result, limit)
    if result.failed:
        sys.exit(1)


def _single_page(connector: Any, url: str) -> Any:
    from qingting.sources.types import FetchError, FetchResult, RobotsDisallowedError

    if connector.respect_robots and not connector.fetcher.allowed_by_robots(url):
        return FetchResult(
            errors=(RobotsDisallowedError("robots.txt disallows this page", url).as_error(),), failed=True
        )
    item, n = connector.fetch_article(url)
    if isinstance(item, FetchError):
        return FetchResult(errors=(item,), failed=True, requests=n)
    return FetchResult(items=(item,), encoding=item.extra.get("encoding"), http_status=200, requests=n)


def _as_dict(result: Any) -> dict[str, Any]:
    return {
        "http_status": result.http_status,
        "encoding": result.encoding,
        "not_modified": result.not_modified,
        "failed": result.failed,
        "requests": result.requests,
        "items": [
            {
                "id": i.external_id,
                "title": i.title,
                "time": _when(i.published_at).strip() if i.published_at else None,
                "url": i.url,
                "encoding": i.extra.get("encoding", result.encoding),
                "text": i.text[:500],
            }
            for i in result.items
        ],
        "errors": [{"where": e.where, "what": e.what, "kind": e.kind} for e in result.errors],
    }


def _print(url: str, kind: str, result: Any, limit: int) -> None:
    what = "RSS/Atom feed" if kind == "rss" else "web page"
    status = f"HTTP {result.http_status}" if result.http_status else "no answer"
    click.echo(f"{what} {url}: {status}, encoding {result.encoding or '-'}, "
               f"{len(result.items)} items, {len(result.errors)} errors, {result.requests} requests")  # fmt: skip
    for item in result.items[:limit]:
        enc = item.extra.get("encoding", result.encoding) or "-"
        click.echo(f"  {_when(item.published_at)}  [{enc}]  {_one_line(item.title or item.text)}")
        click.echo(
            f"      id {item.external_id}" + (f"  {item.url}" if item.url and item.url != item.external_id else "")
        )
    if len(result.items) > limit:
        click.echo(f"  … and {len(result.items) - limit} more")
    for err in result.errors:
        click.echo(f"  ERROR {err.kind}: {err.what} ({err.where})")
    click.echo("Nothing was stored.")


@click.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_name", required=True, help="The source the items belong to.")
@click.option(
    "--fields", default=None, help="Map our fields to the file's: id=编号,text=内容,time=发布时间,author=网名."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "tsv", "xlsx"]),
    default=None,
    help="File format (default: from the file name).",
)
@click.option("--sheet", default=None, help="Excel sheet to read (default: the first).")
@click.option("-o", "--output", type=click.File("wb"), default="-", help="Where to write the items as JSON lines.")
def import_command(path: str, source_name: str, fields: str | None, fmt: str | None, sheet: str | None,
                   output: Any) -> None:  # fmt: skip
    """Stream FILE (JSONL, CSV, TSV or Excel) through a field mapping into items.

    Items are written as JSON lines with pseudonymised authors; errors name the record and the
    field and go to standard error. Storing into the platform comes with its ingestion service.
    """
    from qingting.sources.files import parse_mapping, read_file_items
    from qingting.sources.types import FetchError

    try:
        mapping = parse_mapping(fields)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--fields") from None
    key = os.environ.get("QINGTING_PSEUDONYM_KEY", "").encode() or os.urandom(32)
    ok = bad = 0
    try:
        for obj in read_file_items(path, key=key, fields=mapping, fmt=fmt, sheet=sheet):
            if isinstance(obj, FetchError):
                bad += 1
                click.echo(f"{path}: {obj.where}: {obj.what}", err=True)
                continue
            ok += 1
            output.write(orjson.dumps({
                "source": source_name, "id": obj.external_id, "title": obj.title, "text": obj.text,
                "time": obj.published_at, "url": obj.url, "author": obj.author_pseudonym,
                "engagement": obj.engagement, "lang": obj.lang,
            }) + b"\n")  # fmt: skip
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{ok} items read, {bad} records with errors (source {source_name!r}).", err=True)


def register(group: click.Group) -> None:
    """Add ``source`` and ``import`` to the ``qingting`` group (called from :mod:`qingting.cli`)."""
    group.add_command(source_group)
    if "import" not in group.commands:
        group.add_command(import_command)

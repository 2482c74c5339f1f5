"""``qingting warnings …``: replay a stream through a scheme and the warning rules.

A thin interface: it reads records, calls :func:`qingting.core.warnings.replay.replay` and prints.

    qingting warnings replay posts.jsonl --scheme '柳湾镇 (停水 OR 断水) -演习'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import click

__all__ = ["register"]


def register(group: click.Group) -> None:
    """Add the ``warnings`` group to the ``qingting`` command."""
    group.add_command(warnings_group)


@click.group(name="warnings")
def warnings_group() -> None:
    """Tiered early warning (分级预警): replay streams through schemes and warning rules."""


def _scheme_error(expr: str, e: Any) -> click.BadParameter:
    caret = " " * e.position + "^"
    return click.BadParameter(f"{e.message_zh}\n{e.message_en}\n  {expr}\n  {caret}", param_hint="--scheme")


@warnings_group.command(name="replay")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--scheme", "expression", required=True, help="The scheme expression, e.g. '柳湾镇 (停水 OR 断水) -演习' or \"*\"."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "tsv"]),
    default=None,
    help="Input format (default: from the file name).",
)
@click.option("--fields", default=None, help="Map our field names to the file's: id=Id,text=body,cluster=topic.")
@click.option("--batch-seconds", type=click.FloatRange(0.0, 86400.0), default=60.0, show_default=True)
@click.option("--big", type=click.IntRange(1), default=500, show_default=True, help="Cluster size counted as big.")
@click.option(
    "--utc-offset", type=click.FloatRange(-14, 14), default=8.0, show_default=True, help="Hours, for display."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def replay_cmd(
    input_path: str,
    expression: str,
    fmt: str | None,
    fields: str | None,
    batch_seconds: float,
    big: int,
    utc_offset: float,
    quiet: bool,
) -> None:
    """Replay a time-ordered stream (the engine's input format) and print each warning.

    Ends with a summary; when records carry a ``cluster`` field, it gives for each cluster that
    grows past --big items the lead time from its first item to its first warning and the share
    of its final volume seen by then, and the warnings per day on quiet periods.
    """
    from qingting.core.io import items as to_items
    from qingting.core.io import parse_fields, read_records
    from qingting.core.rules import ParseError, compile_expression
    from qingting.core.types import Item, RecordError
    from qingting.core.warnings import WarningPolicy
    from qingting.core.warnings.replay import ReplayStats, format_summary, replay, summarize

    try:
        matcher = compile_expression(expression)
    except ParseError as e:
        raise _scheme_error(expression, e) from None
    try:
        mapping = parse_fields(fields)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--fields") from None

    bad: list[RecordError] = []

    def stream() -> Iterator[tuple[Item, str | None]]:
        try:
            for record, item in to_items(read_records(input_path, fields=mapping, fmt=fmt)):
                if isinstance(item, RecordError):
                    bad.append(item)
                    continue
                cluster = record.data.get("cluster") if record is not None else None
                yield item, (str(cluster) if cluster not in (None, "") else None)
        except OSError as e:
            raise click.ClickException(f"cannot read {input_path}: {e.strerror or e}") from None

    tz = dt.timezone(dt.timedelta(hours=utc_offset))
    stats = ReplayStats()
    raised = []
    for r in replay(stream(), matcher=matcher, policy=WarningPolicy(), batch_seconds=batch_seconds, stats=stats):
        raised.append(r)
        if quiet:
            continue
        w = r.warning
        when = dt.datetime.fromtimestamp(w.created_at, tz).strftime("%Y-%m-%d %H:%M")
        raised_from = f" (raised from {w.raised_from})" if w.raised_from else ""
        click.echo(f"{when}  {w.tier.label_zh} {w.tier.label_en}  #{w.event_id} {w.title}{raised_from}")
        click.echo(f"    {w.reason_zh}")
        click.echo(f"    {w.reason_en}")
    if bad:
        click.echo(f"{len(bad)} record(s) skipped; first: {bad[0].record}: {bad[0].field}: {bad[0].message}", err=True)
    click.echo("-- summary 汇总 --")
    click.echo(f"scheme 方案: {expression}")
    for line in format_summary(summarize(raised, stats, big=big), stats):
        click.echo(line)

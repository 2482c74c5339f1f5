"""``qingting channel list``, ``channel run`` and ``channel report``: the stored channels.

They join ``qingting channel inspect URL`` (:mod:`qingting.commands.channel`, which stores nothing)
in the same group. Thin: parse, call the channels' selectors and services, print or write.
"""

from __future__ import annotations

from pathlib import Path

import click

from qingting.web.cli import _friendly_errors, _setup, unit_by_code


@click.command("list")
@click.option("--unit", "unit_code", default="", help="Unit code (default: the top unit).")
@_friendly_errors
def channel_list(unit_code: str) -> None:
    """The registered channels with their latest verdict."""
    _setup()
    from django.utils import translation

    from qingting.core.inspection import VERDICT_LABELS
    from qingting.web.channels.models import Channel
    from qingting.web.channels.selectors import latest_inspections

    translation.activate("zh-hans")

    unit = unit_by_code(unit_code)
    channels = list(Channel.objects.filter(unit__path__startswith=unit.path).select_related("unit"))  # type: ignore[attr-defined]
    latest = latest_inspections([c.pk for c in channels])
    for c in channels:
        row = latest.get(c.pk)
        verdict = f"{VERDICT_LABELS[row.verdict]} {row.score:.0f}" if row else "未检查"
        click.echo(f"{c.pk}\t{c.name}\t{c.get_kind_display()}\t{c.unit.name}\t{c.get_state_display()}\t{verdict}")


@click.command("run")
@click.argument("channel_id", type=int)
@click.option("--crawl/--no-crawl", default=False, help="Crawl a website's address instead of reading what is stored.")
@_friendly_errors
def channel_run(channel_id: int, crawl: bool) -> None:
    """Inspect a registered channel now and store the result."""
    _setup()
    from qingting.core.inspection import VERDICT_LABELS
    from qingting.core.inspection import Inspection as Result
    from qingting.web.channels.inspections import inspection_run
    from qingting.web.channels.messages import finding_text
    from qingting.web.channels.models import Channel

    channel = Channel.objects.filter(pk=channel_id).select_related("unit", "source").first()
    if channel is None:
        raise click.BadParameter(f"no channel with the id {channel_id}", param_hint="CHANNEL_ID")
    row = inspection_run(actor=None, channel=channel, crawl=crawl)
    click.echo(f"{channel.name}: {VERDICT_LABELS[row.verdict]} ({row.verdict}), {row.score:.0f}/100")
    for f in Result.from_dict(row.result).findings:
        points = f" −{f.points:g}" if f.points else ""
        click.echo(
            f"  [{f.severity}]{points} {finding_text(f, lang='zh')}" + (f" — {f.evidence}" if f.evidence else "")
        )


@click.command("report")
@click.option("--period", required=True, help="The quarter, e.g. 2026-Q4.")
@click.option("--unit", "unit_code", default="", help="Unit code (default: the top unit).")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]), default=None)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Where to write it.")
@_friendly_errors
def channel_report(period: str, unit_code: str, fmt: str | None, output: str) -> None:
    """The quarterly inspection report of a unit's channels (DOCX after GB/T 9704)."""
    _setup()
    from qingting.reports.output import write_report
    from qingting.web.channels.reports import inspection_report

    unit = unit_by_code(unit_code)
    try:
        doc = inspection_report(unit, period)  # type: ignore[arg-type]
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--period") from e
    path = write_report(doc, Path(output), fmt)  # type: ignore[arg-type]
    click.echo(f"wrote {path}")


def register(group: click.Group) -> None:
    """Add ``list``, ``run`` and ``report`` to the ``channel`` group (``inspect`` is already there)."""
    from qingting.commands.channel import channel_group

    for command in (channel_list, channel_run, channel_report):
        channel_group.add_command(command)

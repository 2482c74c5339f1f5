"""``qingting duty show --date D [--unit U]`` and ``qingting assess --period P [--unit U] --format docx|xlsx -o F``.

Thin: they parse, call the ledger's selectors and the assessment, and print or write. Errors are one
clear line (an unknown unit, a bad date or period, no scheme for the year, a path that cannot be written).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from qingting.web.cli import _friendly_errors, _setup, unit_by_code


@click.group("duty")
def duty_group() -> None:
    """The duty plan (值班)."""


@duty_group.command("show")
@click.option("--date", "day", required=True, help="The day, YYYY-MM-DD.")
@click.option("--unit", "unit_code", default="", help="Unit code (default: the top unit).")
@_friendly_errors
def duty_show(day: str, unit_code: str) -> None:
    """Who is on duty on a day, the key date if any, and the gaps in a 24-hour duty."""
    try:
        d = date.fromisoformat(day)
    except ValueError:
        raise click.BadParameter(f"{day!r} is not a date like 2026-10-01", param_hint="--date") from None
    _setup()
    from django.utils import timezone

    from qingting.web.ledger import selectors
    from qingting.web.warnings.selectors import standing_duty_list

    unit = unit_by_code(unit_code)
    [plan] = selectors.duty_days(unit, d, d)  # type: ignore[arg-type]
    click.echo(f"{plan.unit.name}  {d.isoformat()}")
    for notice in plan.notices:
        click.echo(f"注意 / notice: {notice}")
    if plan.key_label:
        click.echo(f"重要节点 / key date: {plan.key_label} — 24 小时值班 / 24-hour duty required")
    if not plan.shifts:
        click.echo("无值班安排 / no shifts")
    for s in plan.shifts:
        leader = f"，带班领导 {s.leader}" if s.leader else ""
        a, b = timezone.localtime(s.start), timezone.localtime(s.end)
        click.echo(f"  {a:%m-%d %H:%M} – {b:%m-%d %H:%M}  值班 {s.person}{leader}")
    for a, b in plan.gaps:
        click.echo(f"  空档 / gap: {timezone.localtime(a):%H:%M} – {timezone.localtime(b):%H:%M}")
    if plan.requires_24h and not plan.gaps:
        click.echo("  24 小时值班已排满 / fully covered")
    standing = standing_duty_list(unit)
    if standing:
        click.echo("预警升级顺序 / escalation list: " + "、".join(str(u) for u in standing))


@click.command("assess")
@click.option("--period", required=True, help="A year (2026) or a half-year (2026-H1).")
@click.option("--unit", "unit_code", default="", help="Only this unit's scorecard (ranked among its peers).")
@click.option("--office", "office_code", default="", help="The office whose scheme applies (default: the top unit).")
@click.option("--level", default="", help="The assessed level (township, department …) when the year has several.")
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "xlsx", "html", "pdf"]), default=None, help="Default: from -o."
)
@click.option("-o", "--output", required=True, help="File to write.")
@_friendly_errors
def assess_command(period: str, unit_code: str, office_code: str, level: str, fmt: str | None, output: str) -> None:
    """Compute the unit assessment (考核) for a period and write the scorecards."""
    path = Path(output).expanduser()
    chosen = fmt or path.suffix.lower().lstrip(".")
    if chosen not in ("docx", "xlsx", "html", "pdf"):
        raise click.BadParameter(
            f"cannot tell the format from {output!r}; give --format docx or xlsx", param_hint="--format"
        )
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise click.BadParameter(f"the directory {path.parent} does not exist", param_hint="-o")
    from qingting.web.ledger.assessment import parse_period

    try:
        p = parse_period(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None
    _setup()
    from qingting.web.ledger import assessment

    office = unit_by_code(office_code)
    scheme = assessment.scheme_for(office, int(p.label[:4]), level or None)  # type: ignore[arg-type]
    if scheme is None:
        raise click.ClickException(
            f"no assessment scheme of {office} for {p.label[:4]}: define one on the assessment page first"
        )
    if unit_code:
        unit_by_code(unit_code)
    started = datetime.now()
    result = assessment.with_previous(assessment.compute(scheme, p.label), scheme)
    if unit_code:
        result["units"] = [c for c in result["units"] if c["code"] == unit_code]
        if not result["units"]:
            raise click.BadParameter(f"{unit_code} is not assessed by {scheme.name}", param_hint="--unit")
    if chosen == "xlsx":
        assessment.scorecard_xlsx(result, path)
    else:
        from qingting.reports.output import write_report

        write_report(assessment.scorecard_document(result, office), path, chosen)  # type: ignore[arg-type]
    seconds = (datetime.now() - started).total_seconds()
    click.echo(f"{scheme.name} {p.label}: {len(result['units'])} units in {seconds:.1f} s → {path}")
    for c in result["units"][:10]:
        click.echo(f"  {c['rank']:>3}  {c['unit']}  {c['total']:.2f}  {c['grade']}")


def register(group: click.Group) -> None:
    group.add_command(duty_group)
    group.add_command(assess_command)

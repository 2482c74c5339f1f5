"""``qingting report daily|weekly|monthly|quarterly|half|annual|work --period P -o FILE``.

Produces a report from the database (the demo data included) as DOCX, PDF or HTML, optionally
archiving it as a user. Errors are one clear line: a bad period, an unknown unit or template, an
output path that cannot be written, LibreOffice missing for PDF.
"""

from __future__ import annotations

from pathlib import Path

import click

from qingting.web.cli import _friendly_errors, _setup

KINDS = ("daily", "weekly", "monthly", "quarterly", "half", "annual", "work")


def _output_path(output: str, fmt: str | None) -> tuple[Path, str]:
    path = Path(output).expanduser()
    chosen = (fmt or path.suffix.lower().lstrip(".")).lower()
    if chosen == "htm":
        chosen = "html"
    if chosen not in ("docx", "pdf", "html"):
        raise click.BadParameter(
            f"cannot tell the format from {output!r}; give --format docx, pdf or html", param_hint="--format"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise click.BadParameter(f"{output} is a directory; give a file name", param_hint="-o")
    if not parent.is_dir():
        raise click.BadParameter(f"the directory {parent} does not exist", param_hint="-o")
    return path, chosen


@click.command("report")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--period", required=True, help="2026-10-05, 2026-W43, 2026-10, 2026-Q4, 2026-H1 or 2026.")
@click.option("--unit", "unit_code", default="", help="Unit code (default: the top unit); descendants are included.")
@click.option("--template", "template_name", default="", help="Template name (default: the kind's default).")
@click.option("--format", "fmt", type=click.Choice(["docx", "pdf", "html"]), default=None, help="Default: from -o.")
@click.option("-o", "--output", required=True, help="File to write.")
@click.option("--archive", is_flag=True, help="Also store the report in the archive (needs --as).")
@click.option("--as", "username", default="", help="The user issuing the report (for --archive).")
@_friendly_errors
def report_command(
    kind: str,
    period: str,
    unit_code: str,
    template_name: str,
    fmt: str | None,
    output: str,
    archive: bool,
    username: str,
) -> None:
    """Produce a report from the database: KIND is daily, weekly, monthly, quarterly, half, annual or work."""
    path, chosen = _output_path(output, fmt)
    _setup()
    from django.core.exceptions import PermissionDenied, ValidationError

    from qingting.reports.pdf import LibreOfficeError
    from qingting.web.accounts.models import Unit, User
    from qingting.web.reporting import services
    from qingting.web.reporting.figures import PeriodError, canonical_period
    from qingting.web.reporting.models import ReportTemplate

    try:
        label = canonical_period(period, kind)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            known = ", ".join(Unit.objects.order_by("path").values_list("code", flat=True)[:12])
            raise click.BadParameter(f"no unit with code {unit_code!r} (units: {known or 'none'})", param_hint="--unit")
    else:
        roots = list(Unit.objects.filter(parent__isnull=True).order_by("path")[:2])
        if len(roots) != 1:
            raise click.UsageError(
                "give --unit CODE: " + ("there are no units yet" if not roots else "several top units")
            )
        unit = roots[0]
    template = None
    if template_name:
        template = ReportTemplate.objects.filter(name=template_name, kind=kind).first()
        if template is None:
            names = ", ".join(ReportTemplate.objects.filter(kind=kind).values_list("name", flat=True)) or "none"
            raise click.BadParameter(
                f"no {kind} template named {template_name!r} (templates: {names})", param_hint="--template"
            )
    actor = None
    if archive:
        if not username:
            raise click.UsageError("--archive needs --as USERNAME (the user issuing the report)")
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise click.BadParameter(f"no active user {username!r}", param_hint="--as")
    data: bytes | memoryview | str | None
    try:
        if archive:
            issued = services.report_issue(
                actor=actor, kind=kind, unit=unit, period_label=label, template=template, with_pdf=chosen == "pdf"
            )
            data = {"docx": issued.docx, "pdf": issued.pdf, "html": issued.html}[chosen]
            title = issued.title
        else:
            made = services.report_generate(
                actor=None, kind=kind, unit=unit, period_label=label, template=template, formats=(chosen,)
            )
            data = {"docx": made.docx, "pdf": made.pdf, "html": made.html}[chosen]
            title = made.document.title
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise click.ClickException("; ".join(messages)) from exc
    except LibreOfficeError as exc:
        raise click.ClickException(f"cannot make the PDF: {exc}") from exc
    assert data is not None
    try:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(bytes(data))
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {path} ({chosen}): {title}" + (" — archived" if archive else ""))


def register(group: click.Group) -> None:
    group.add_command(report_command)

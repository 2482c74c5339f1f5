"""``qingting source add|run|list`` and ``qingting import`` into the database.

They extend the ``source`` group of :mod:`qingting.sources.cli` (which has ``source test``) and
replace its stand-alone ``import`` (which only wrote JSON lines) with one that stores the items
through the platform's ingestion, like the upload page does.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from qingting.sources.cli import source_group
from qingting.web.cli import _friendly_errors, _setup

POLLED = ("rss", "page", "imap")


def _find(name: str) -> Any:
    from qingting.web.monitoring.models import Source

    matches = list(Source.objects.filter(name=name).select_related("unit"))
    if not matches and name.isdigit():
        matches = list(Source.objects.filter(pk=int(name)).select_related("unit"))
    if not matches:
        raise click.ClickException(f"no source named {name!r} (see `qingting source list`)")
    if len(matches) > 1:
        units = ", ".join(f"{s.pk} ({s.unit.code})" for s in matches)
        raise click.ClickException(f"several sources are named {name!r}: use the id, one of {units}")
    return matches[0]


@source_group.command("add")
@click.argument("name")
@click.option("--kind", "connector", type=click.Choice(["rss", "page", "imap", "push", "file"]), required=True)
@click.option("--url", default="", help="The feed or list page (rss, page).")
@click.option("--unit", "unit_code", required=True, help="Code of the unit that owns the source.")
@click.option("--scheme", "scheme_name", default=None, help="Scheme (监测方案) of the unit to follow the source.")
@click.option("--every", "minutes", type=click.IntRange(1, 10080), default=15, show_default=True, help="Minutes.")
@click.option("--link-pattern", default=None, help="For --kind page: regular expression article links match.")
@click.option("--imap-host", default=None)
@click.option("--imap-port", type=int, default=None)
@click.option("--imap-user", default=None)
@click.option("--imap-security", type=click.Choice(["ssl", "starttls", "plain"]), default="ssl", show_default=True)
@click.option(
    "--imap-password-env",
    default=None,
    metavar="VAR",
    help="Environment variable holding the mailbox password (never on the command line).",
)
@click.option("--start-from-now", is_flag=True, help="Mailbox: ignore mail that is already there.")
@click.option("--fields", default=None, help="For --kind file: the saved mapping, id=编号,text=内容,time=发布时间.")
@_friendly_errors
def add_command(
    name: str,
    connector: str,
    url: str,
    unit_code: str,
    scheme_name: str | None,
    minutes: int,
    link_pattern: str | None,
    imap_host: str | None,
    imap_port: int | None,
    imap_user: str | None,
    imap_security: str,
    imap_password_env: str | None,
    start_from_now: bool,
    fields: str | None,
) -> None:
    """Add a source NAME owned by a unit.

    \b
    Examples:
      qingting source add 镇政府新闻 --kind rss --url https://www.example.gov.cn/rss.xml --unit liuwan
      qingting source add 市长信箱 --kind imap --imap-host mail.example.gov.cn --imap-user szxx \\
          --imap-password-env SZXX_PASSWORD --start-from-now --unit office
    """
    import os

    _setup()
    from django.core.exceptions import ValidationError

    from qingting.sources.files import parse_mapping
    from qingting.web.accounts.models import Unit
    from qingting.web.collect.services import source_save
    from qingting.web.monitoring.models import Scheme

    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise click.BadParameter(f"no unit with code {unit_code!r}", param_hint="--unit")
    scheme = None
    if scheme_name:
        scheme = Scheme.objects.filter(unit=unit, name=scheme_name).first()
        if scheme is None:
            raise click.BadParameter(f"unit {unit_code!r} has no scheme {scheme_name!r}", param_hint="--scheme")
    password = ""
    if imap_password_env:
        password = os.environ.get(imap_password_env, "")
        if not password:
            raise click.BadParameter(f"${imap_password_env} is empty or not set", param_hint="--imap-password-env")
    try:
        mapping = parse_mapping(fields) if fields else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--fields") from None
    options: dict[str, Any] = {
        "link_pattern": link_pattern,
        "host": imap_host,
        "port": imap_port or (993 if imap_security == "ssl" else 143),
        "username": imap_user,
        "security": imap_security,
        "start_from_now": start_from_now,
        "fields": mapping,
    }
    if connector in ("rss", "page") and not url:
        raise click.BadParameter("required for rss and page sources", param_hint="--url")
    if connector == "page" and not link_pattern:
        raise click.BadParameter("required for page sources", param_hint="--link-pattern")
    if connector == "imap" and not (imap_host and imap_user and password):
        raise click.UsageError("a mailbox needs --imap-host, --imap-user and --imap-password-env")
    try:
        source = source_save(
            actor=None,
            unit=unit,
            name=name,
            connector=connector,
            url=url,
            options=options,
            secrets={"imap_password": password},
            poll_interval=minutes * 60,
            scheme=scheme,
        )
    except ValidationError as e:
        raise click.ClickException("; ".join(e.messages)) from None
    click.echo(f"source {source.pk} {source.name!r} added to {unit.code} ({connector}).")
    if connector == "push":
        from qingting.web.collect.models import SourceSecret

        secret = SourceSecret.objects.get(source=source)
        click.echo(f"push endpoint: POST /api/intake/{source.pk}/items")
        click.echo(f"token:  {secret.push_token}")
        click.echo(f"secret: {secret.push_secret}")
        click.echo("(shown once; sign with X-Qingting-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, '<t>.' + body)>)")


@source_group.command("run")
@click.argument("name")
@_friendly_errors
def run_command(name: str) -> None:
    """Poll the source NAME (or id) once now and print what happened."""
    _setup()
    from django.core.exceptions import ValidationError

    from qingting.web.collect.services import source_run_now

    source = _find(name)
    started = time.monotonic()
    try:
        report = source_run_now(actor=None, source=source)
    except ValidationError as e:
        raise click.ClickException("; ".join(e.messages)) from None
    took = time.monotonic() - started
    if report.not_modified:
        click.echo(f"{source.name}: not modified since the last poll; nothing stored ({took:.1f} s).")
    else:
        click.echo(
            f"{source.name}: {report.created} new items stored, {report.skipped} already stored, "
            f"{len(report.errors)} errors ({took:.1f} s)."
        )
    for err in report.errors[:50]:
        click.echo(f"  ERROR {err}")
    if report.next_run_at:
        click.echo(f"next run: {report.next_run_at:%Y-%m-%d %H:%M} UTC")
    if report.failed:
        sys.exit(1)


@source_group.command("list")
@_friendly_errors
def list_command() -> None:
    """List sources with their health (state, last success, failures, items in 24 h vs normal)."""
    _setup()
    from django.utils import timezone

    from qingting.web.collect.health import sources_health
    from qingting.web.monitoring.models import Source

    now = timezone.now()
    rows = sources_health(now, Source.objects.select_related("unit").order_by("unit__path", "name"))
    if not rows:
        click.echo("no sources.")
        return
    click.echo(f"{'id':>5}  {'state':8} {'kind':6} {'unit':12} {'24h':>5} {'normal':>6}  {'last success':16}  name")
    for r in rows:
        s = r.source
        last = timezone.localtime(s.last_success_at).strftime("%Y-%m-%d %H:%M") if s.last_success_at else "-"
        kind = (s.config or {}).get("connector", "-") if isinstance(s.config, dict) else "-"
        click.echo(
            f"{s.pk:>5}  {r.state:8} {kind:6} {s.unit.code[:12]:12} {r.last_day:>5} {r.normal:>6g}  {last:16}  {s.name}"
        )
        if r.reason and r.state in ("failing", "silent"):
            click.echo(f"       {r.reason}")


def _english(entry: Any) -> str:
    """A stored import error worded in English, like the rest of the command's output."""
    from django.utils import translation

    from qingting.web.collect.messages import error_text

    with translation.override("en"):
        return error_text(entry)


@click.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_name", required=True, help="The source (name or id) the items belong to.")
@click.option(
    "--fields",
    default=None,
    help="Map our fields to the file's: id=编号,text=内容,time=发布时间 (default: the source's saved mapping).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "tsv", "xlsx"]),
    default=None,
    help="File format (default: from the file name).",
)
@click.option("--sheet", default=None, help="Excel sheet to read (default: the first).")
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(100, 50_000),
    default=2000,
    show_default=True,
    help="Records per transaction.",
)
@click.option(
    "--catch-up/--no-catch-up",
    default=True,
    show_default=True,
    help="Run the schemes' engines over the stored items before returning (else the periodic job does).",
)
@_friendly_errors
def import_command(
    path: str,
    source_name: str,
    fields: str | None,
    fmt: str | None,
    sheet: str | None,
    batch_size: int,
    catch_up: bool,
) -> None:
    """Import FILE (JSONL, CSV, TSV or Excel) into a source, streamed in constant memory.

    Records already stored (same id) are skipped, so running it again stores nothing twice and an
    interrupted import resumes. Refused records are listed with their line or row. The items are
    stored first; then the engines of the schemes following the source analyse them (events,
    search, counts, warnings) — or, with --no-catch-up, the periodic job `monitoring.catch_up`
    of `qingting serve` / the workers does, within a minute of the import.
    """
    _setup()
    from django.core.exceptions import ValidationError

    from qingting.sources.files import parse_mapping
    from qingting.web.collect.services import ImportProgress, file_import, import_catch_up
    from qingting.web.monitoring.services import CatchUpResult

    source = _find(source_name)
    try:
        mapping = parse_mapping(fields) if fields is not None else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--fields") from None
    started = time.monotonic()
    shown = 0

    def progress(p: ImportProgress) -> None:
        nonlocal shown
        for message in p.errors[shown:]:
            click.echo(f"{path}: {_english(message)}", err=True)
        shown = len(p.errors)
        rate = p.read / max(time.monotonic() - started, 1e-9)
        click.echo(
            f"\r{p.read} read, {p.created} stored, {p.skipped} already stored, {p.failed} refused "
            f"({rate:,.0f} records/s)",
            nl=False,
            err=True,
        )

    try:
        run = file_import(
            actor=None,
            source=source,
            path=path,
            fields=mapping,
            fmt=fmt,
            sheet=sheet,
            batch_size=batch_size,
            progress=progress,
            max_bytes=None,  # the operator's own file: type and ZIP checks, no size limit
        )
    except ValidationError as e:
        raise click.ClickException("; ".join(e.messages)) from None
    took = time.monotonic() - started
    click.echo("", err=True)
    for message in run.errors[shown:]:
        click.echo(f"{path}: {_english(message)}", err=True)
    if run.failed > len(run.errors):
        click.echo(f"(only the first {len(run.errors)} refused records are listed)", err=True)
    click.echo(
        f"{run.read} records read, {run.created} stored, {run.skipped} already stored, {run.failed} refused "
        f"into source {source.name!r} in {took:.1f} s."
    )
    if run.status == "failed":
        raise click.ClickException(f"the import stopped: {_english(run.errors[-1]) if run.errors else 'unknown error'}")
    if not run.created:
        return
    if not catch_up:
        click.echo(
            "The engine has not analysed these items yet: the periodic job monitoring.catch_up "
            "(qingting serve, qingting scheduler or the Celery workers) does so every 30 s."
        )
        return
    started = time.monotonic()

    def caught(c: CatchUpResult) -> None:
        rate = c.items / max(time.monotonic() - started, 1e-9)
        click.echo(
            f"\rorganisation {c.organisation_id}: {c.items} items analysed ({rate:,.0f} items/s)", nl=False, err=True
        )

    results = import_catch_up(source, progress=caught)
    click.echo("", err=True)
    for c in results:
        if c.busy:
            click.echo(
                f"organisation {c.organisation_id}: its engine is busy in another process, which analyses the rest."
            )
        else:
            click.echo(f"organisation {c.organisation_id}: {c.items} items analysed by the engine")
    click.echo(f"analysed in {time.monotonic() - started:.1f} s.")


def register(group: click.Group) -> None:
    """Add ``source add|run|list`` (to the connectors' ``source`` group) and ``import``."""
    group.add_command(source_group)
    group.add_command(import_command)

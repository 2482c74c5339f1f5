"""The platform's ``qingting`` sub-commands: ``serve``, ``migrate``, ``createadmin``, ``demo``, ``manage``.

:func:`register` adds them to the main ``qingting`` group. Commands are thin: they configure
Django, call services, and turn known failures into one clear line instead of a stack trace.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _friendly_errors(func: F) -> F:
    """Turn configuration and database errors into a clear message and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from qingting.web.config.env import ConfigurationError

        try:
            return func(*args, **kwargs)
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:
            from django.core.exceptions import ImproperlyConfigured
            from django.db.utils import OperationalError

            if isinstance(exc, OperationalError):
                # psycopg adds hint lines ("Is the server running…"): the operator gets the first.
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise click.ClickException(f"cannot use the database: {first}") from exc
            if isinstance(exc, ImproperlyConfigured):
                raise click.ClickException(f"configuration: {exc}") from exc
            raise

    return wrapper  # type: ignore[return-value]


def _setup() -> None:
    from qingting.web.manage import setup

    setup()


def unit_by_code(code: str) -> object:
    """The unit with this code, or the top unit when ``code`` is empty (for ``--unit`` options)."""
    from qingting.web.accounts.models import Unit

    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise click.BadParameter(f"no unit with the code {code!r}", param_hint="--unit")
        return unit
    unit = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    if unit is None:
        raise click.ClickException("no units yet: run `qingting demo` or create the organisation first")
    return unit


def _migrate(verbosity: int = 1) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


@click.command("migrate")
@_friendly_errors
def migrate_command() -> None:
    """Create or update the database in the data directory (or QINGTING_DATABASE_URL)."""
    _setup()
    _migrate()


@click.command("createadmin")
@click.option("--username", prompt=True, help="Sign-in name of the administrator.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="Password.")
@click.option("--unit-code", default="", help="Also make the user an admin member of this unit.")
@_friendly_errors
def createadmin_command(username: str, password: str, unit_code: str) -> None:
    """Create a superuser (password checked against the password policy)."""
    _setup()
    from django.core.exceptions import ValidationError

    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role, Unit

    try:
        user = services.user_create(actor=None, username=username, password=password, is_staff=True, is_superuser=True)
    except ValidationError as exc:
        raise click.ClickException("; ".join(exc.messages)) from exc
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise click.ClickException(f"no unit with code {unit_code!r}")
        services.membership_grant(actor=None, user=user, unit=unit, role=Role.ADMIN)
    click.echo(f"created administrator {username}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads.")
@click.option("--no-migrate", is_flag=True, help="Do not apply pending migrations first.")
@click.option(
    "--scheduler/--no-scheduler",
    default=None,
    help="Poll due sources from a thread in this process (default: on in embedded mode, off in server mode).",
)
@_friendly_errors
def serve_command(host: str, port: int, threads: int, no_migrate: bool, scheduler: bool | None) -> None:
    """Serve the platform (embedded mode: migrates first, then serves on http://HOST:PORT)."""
    _setup()
    if not no_migrate:
        _migrate(verbosity=0)
    import waitress
    from django.conf import settings

    from qingting.web.config.wsgi import application

    running = None
    if scheduler if scheduler is not None else settings.QINGTING_MODE == "embedded":
        from qingting.workers.embedded import start_embedded_scheduler

        running = start_embedded_scheduler()
        click.echo(f"polling due sources every {running.tick:g} s, {running.concurrency} at a time")
    click.echo(f"Qingting is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        waitress.serve(application, host=host, port=port, threads=threads, ident="qingting", **proxy_options())
    finally:
        if running is not None:
            running.stop()


def proxy_options() -> dict[str, Any]:
    """waitress options for a reverse proxy at ``QINGTING_TRUSTED_PROXY`` (its address): the client's
    address (``X-Forwarded-For``, for sign-in throttling and the audit) and scheme
    (``X-Forwarded-Proto``) are taken from it, and those headers are dropped when anyone else sends
    them. Unset: no proxy is trusted, and ``REMOTE_ADDR`` is the peer. docs/production.md."""
    import os

    proxy = os.environ.get("QINGTING_TRUSTED_PROXY", "").strip()
    if not proxy:
        return {}
    return {
        "trusted_proxy": proxy,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        "clear_untrusted_proxy_headers": True,
    }


@click.command(
    "manage", context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@_friendly_errors
def manage_command(args: tuple[str, ...]) -> None:
    """Run a Django management command, e.g. ``qingting manage showmigrations``."""
    from qingting.web.manage import run

    run(list(args))


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--days", default=14, show_default=True, type=int, help="Length of the demo stream.")
@click.option("--scale", default=1.0, show_default=True, type=float, help="Multiply the number of items.")
@click.option(
    "--live-hours",
    default=36.0,
    show_default=True,
    type=float,
    help="The last HOURS of the stream are replayed live after the server starts (0: load all now).",
)
@click.option("--speed", default=120.0, show_default=True, type=float, help="Stream seconds per real second.")
@click.option("--no-serve", is_flag=True, help="Set up and load, then exit.")
@_friendly_errors
def demo_command(
    host: str, port: int, days: int, scale: float, live_hours: float, speed: float, no_serve: bool
) -> None:
    """Install a FICTIONAL demo (青禾县) with a user per role, load its stream and serve it."""
    _setup()
    import threading
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from qingting.web import demo

    click.echo(f"data directory: {settings.DATA_DIR}")
    _migrate(verbosity=0)
    setup = demo.demo_setup()
    records = demo.demo_records(days=days, scale=scale)
    cut = timezone.now() - timedelta(hours=live_hours)
    history = [r for r in records if (parse_datetime(str(r["time"])) or cut) < cut] if live_hours > 0 else records
    live = records[len(history) :]
    with click.progressbar(length=len(history), label=f"loading {len(history)} demo items") as bar:
        done = [0]

        def progress(created: int) -> None:
            bar.update(created - done[0])
            done[0] = created

        demo.demo_ingest(setup, history, on_batch=progress)
    click.echo("")
    for line in demo.demo_seed_apps(setup):
        click.echo(line)
    click.echo("Demo users (fictional organisation 青禾县; passwords are new on every run):")
    for username, password, role in setup.credentials:
        click.echo(f"  {username:<16} {password:<20} {role}")
    if no_serve:
        if live:
            demo.demo_ingest(setup, live)
        click.echo(f"loaded {len(records)} items")
        return
    stop = threading.Event()
    if live:
        click.echo(f"replaying the last {len(live)} items live ({speed:g}× speed)")
        demo.replay_in_background(setup, live, speed=speed, stop=stop)
    import waitress

    from qingting.web.config.wsgi import application

    click.echo(f"Qingting demo on http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        waitress.serve(application, host=host, port=port, threads=8, ident="qingting")
    finally:
        stop.set()


def _celery_app() -> Any:
    """The Celery app, after checking the database and broker answer (else one clear line)."""
    _setup()
    from qingting.workers.celery_app import ServiceUnavailable, app, check_services

    try:
        check_services()
    except ServiceUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    return app


@click.command("worker")
@click.option("--concurrency", default=2, show_default=True, type=int, help="Worker processes.")
@click.option("--loglevel", default="INFO", show_default=True)
@_friendly_errors
def worker_command(concurrency: int, loglevel: str) -> None:
    """Server mode: run a Celery worker (polls sources, ingests batches). Start any number of them."""
    app = _celery_app()
    app.worker_main(["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-heartbeat"])


@click.command("beat")
@click.option("--loglevel", default="INFO", show_default=True)
@_friendly_errors
def beat_command(loglevel: str) -> None:
    """Server mode: run Celery beat, which queues a poll for every due source (run exactly one)."""
    app = _celery_app()
    from django.conf import settings

    schedule = settings.DATA_DIR / "celerybeat-schedule"
    app.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}"])


@click.command("scheduler")
@_friendly_errors
def scheduler_command() -> None:
    """Embedded mode without the web server: poll due sources from this process until Ctrl+C."""
    _setup()
    from django.db import connection

    connection.ensure_connection()  # a missing database is one clear line, before any thread starts
    connection.close()
    from qingting.workers.embedded import start_embedded_scheduler

    running = start_embedded_scheduler()
    click.echo(f"polling due sources every {running.tick:g} s, {running.concurrency} at a time (Ctrl+C to stop)")
    try:
        while running.running:
            threading.Event().wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


COMMANDS: tuple[click.Command, ...] = (
    migrate_command,
    createadmin_command,
    serve_command,
    demo_command,
    manage_command,
    worker_command,
    beat_command,
    scheduler_command,
)


# Apps that add their own commands: each has a ``cli`` module with ``register(group)``.
APP_CLIS = ("collect", "warnings", "cases", "reporting", "bulletins", "ledger", "channels")


def register(group: click.Group) -> None:
    """Add the platform commands to the ``qingting`` group (called from :mod:`qingting.cli`)."""
    import importlib
    import importlib.util

    for command in COMMANDS:
        group.add_command(command)
    for app in APP_CLIS:
        name = f"qingting.web.{app}.cli"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(group)

"""The platform's ``qingting`` sub-commands: ``serve``, ``migrate``, ``createadmin``, ``manage``.

:func:`register` adds them to the main ``qingting`` group. Commands are thin: they configure
Django, call services, and turn known failures into one clear line instead of a stack trace.
"""

from __future__ import annotations

import functools
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
            from django.db.utils import OperationalError

            if isinstance(exc, OperationalError):
                raise click.ClickException(f"cannot use the database: {exc}") from exc
            raise

    return wrapper  # type: ignore[return-value]


def _setup() -> None:
    from qingting.web.manage import setup

    setup()


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
@_friendly_errors
def serve_command(host: str, port: int, threads: int, no_migrate: bool) -> None:
    """Serve the platform (embedded mode: migrates first, then serves on http://HOST:PORT)."""
    _setup()
    if not no_migrate:
        _migrate(verbosity=0)
    import waitress

    from qingting.web.config.wsgi import application

    click.echo(f"Qingting is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress.serve(application, host=host, port=port, threads=threads, ident="qingting")


@click.command(
    "manage", context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@_friendly_errors
def manage_command(args: tuple[str, ...]) -> None:
    """Run a Django management command, e.g. ``qingting manage showmigrations``."""
    from qingting.web.manage import run

    run(list(args))


COMMANDS: tuple[click.Command, ...] = (migrate_command, createadmin_command, serve_command, manage_command)


def register(group: click.Group) -> None:
    """Add the platform commands to the ``qingting`` group (called from :mod:`qingting.cli`)."""
    for command in COMMANDS:
        group.add_command(command)

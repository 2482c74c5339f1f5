"""The platform's ``qingting`` sub-commands, through click's CliRunner."""

from __future__ import annotations

from typing import Any

import click
import pytest
from click.testing import CliRunner

from qingting.web.cli import _friendly_errors, register


@pytest.fixture
def group() -> click.Group:
    g = click.Group("qingting")
    register(g)
    return g


def test_register_adds_the_platform_commands(group: click.Group) -> None:
    assert {"serve", "migrate", "createadmin", "demo", "manage"} <= set(group.commands)


def test_createadmin_applies_the_password_policy(group: click.Group, db: Any) -> None:
    from qingting.web.accounts.models import User

    weak = CliRunner().invoke(group, ["createadmin", "--username", "root", "--password", "password"])
    assert weak.exit_code == 1 and "10" in weak.output  # "at least 10 characters", in either language
    ok = CliRunner().invoke(group, ["createadmin", "--username", "root", "--password", "Long-enough-2026!"])
    assert ok.exit_code == 0, ok.output
    assert User.objects.get(username="root").is_superuser


def test_demo_sets_up_an_organisation_and_loads_the_stream(group: click.Group, db: Any, engine: str) -> None:
    from qingting.web.accounts.models import User
    from qingting.web.monitoring.models import Event, Item

    result = CliRunner().invoke(
        group, ["demo", "--no-serve", "--days", "3", "--scale", "0.02", "--live-hours", "12", "--speed", "1e9"]
    )
    assert result.exit_code == 0, result.output
    for role in ("admin", "analyst", "handler", "reviewer", "leader"):
        assert f"demo_{role}" in result.output
        assert User.objects.filter(username=f"demo_{role}").exists()
    assert Item.objects.count() > 5 and Event.objects.exists()
    # The township analyst sees only the township's own source.
    from qingting.web.monitoring.selectors import sources_for

    liuwan = User.objects.get(username="demo_liuwan")
    assert {s.name for s in sources_for(liuwan)} <= {"柳湾那些事"}
    assert sources_for(User.objects.get(username="demo_analyst")).count() > 1
    # Idempotent: running it again stores nothing twice.
    count = Item.objects.count()
    again = CliRunner().invoke(group, ["demo", "--no-serve", "--days", "3", "--scale", "0.02", "--live-hours", "12"])
    assert again.exit_code == 0, again.output
    assert Item.objects.count() <= count + 5  # only items whose shifted time crossed "now" can be new


def test_the_township_analyst_sees_the_township_story_of_the_demo(group: click.Group, db: Any, engine: str) -> None:
    """demo_liuwan (柳湾镇) sees the county's 柳湾镇 water-outage story (pages and API); an analyst
    of another township does not (decision 0061)."""
    from django.db.models import Count
    from django.test import Client

    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role, Unit, User
    from qingting.web.monitoring.models import Event, Item

    result = CliRunner().invoke(
        group, ["demo", "--no-serve", "--days", "3", "--scale", "0.05", "--live-hours", "0", "--speed", "1e9"]
    )
    assert result.exit_code == 0, result.output
    top = (
        Item.objects.filter(region="柳湾镇", event__isnull=False, text__contains="水")
        .values("event")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    assert top is not None
    event = Event.objects.get(pk=top["event"])
    liuwan = User.objects.get(username="demo_liuwan")
    liuwan.set_password("Liuwan-demo-2026!")
    liuwan.save()
    client = Client()
    assert client.login(username="demo_liuwan", password="Liuwan-demo-2026!")
    assert client.get(f"/events/{event.pk}/").status_code == 200
    assert event.pk in {e["id"] for e in client.get("/api/events", {"limit": 100}).json()["items"]}
    assert client.get(f"/api/events/{event.pk}").json()["visible_item_count"] >= top["n"]
    # Leak test: 石桥乡's analyst sees nothing of 柳湾镇's story.
    shiqiao = User.objects.create_user(username="demo_shiqiao_test", password="Shiqiao-demo-2026!")
    accounts.membership_grant(actor=None, user=shiqiao, unit=Unit.objects.get(name="石桥乡"), role=Role.ANALYST)
    other = Client()
    assert other.login(username="demo_shiqiao_test", password="Shiqiao-demo-2026!")
    assert other.get(f"/events/{event.pk}/").status_code == 404
    assert other.get(f"/api/events/{event.pk}").status_code == 404
    assert other.get("/api/items", {"event": event.pk}).json()["count"] == 0


def test_database_errors_become_one_clear_line() -> None:
    from django.db.utils import OperationalError

    @click.command()
    @_friendly_errors
    def broken() -> None:
        raise OperationalError("unable to open database file")

    result = CliRunner().invoke(broken)
    assert result.exit_code == 1
    assert "cannot use the database: unable to open database file" in result.output
    assert "Traceback" not in result.output


def _qingting(args: list[str], env: dict[str, str]) -> Any:
    import os
    import subprocess
    import sys

    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "qingting.cli", *args],
        env={**full_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_unusable_data_directory_is_one_clear_line(tmp_path: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = _qingting(["migrate"], {"QINGTING_DATA_DIR": str(blocker / "data")})
    assert result.returncode == 1
    assert "cannot create the data directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Any) -> None:
    # Port 9 on loopback: nothing listens there, so the connection is refused at once.
    result = _qingting(
        ["migrate"],
        {"QINGTING_DATA_DIR": str(tmp_path), "QINGTING_DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"},
    )
    assert result.returncode == 1
    assert "cannot use the database" in result.stderr or "configuration:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["scheduler"], ["worker"], ["beat"], ["migrate"]])
def test_server_mode_without_its_database_says_so_in_one_line(tmp_path: Any, command: list[str]) -> None:
    result = _qingting(
        command,
        {
            "QINGTING_DATA_DIR": str(tmp_path),
            "QINGTING_DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
            "QINGTING_BROKER_URL": "redis://127.0.0.1:6379/5",
        },
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot use the database:"), result.stderr


@pytest.mark.parametrize("command", [["worker"], ["beat"]])
def test_server_mode_without_redis_says_so_in_one_line(tmp_path: Any, command: list[str]) -> None:
    import os

    database = os.environ.get("QINGTING_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    result = _qingting(
        command,
        {
            "QINGTING_DATA_DIR": str(tmp_path),
            "QINGTING_DATABASE_URL": database,
            "QINGTING_BROKER_URL": "redis://127.0.0.1:9/5",
        },
    )
    if "cannot use the database" in result.stderr:
        pytest.skip(f"PostgreSQL not reachable at {database}")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot reach the broker at redis://127.0.0.1:9/5"), lines


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["scheduler"], ["migrate"]])
def test_embedded_mode_with_an_unopenable_database_says_so_in_one_line(tmp_path: Any, command: list[str]) -> None:
    (tmp_path / "qingting.sqlite3").mkdir()  # a directory where the database file should be
    result = _qingting(command, {"QINGTING_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot use the database:"), result.stderr


@pytest.mark.parametrize("command", [["worker"], ["beat"]])
def test_celery_commands_in_embedded_mode_say_what_to_do(tmp_path: Any, command: list[str]) -> None:
    result = _qingting(command, {"QINGTING_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "for server mode: set QINGTING_DATABASE_URL" in lines[0], result.stderr

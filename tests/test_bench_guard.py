"""The platform benchmark lives outside the installed package and drops only databases it created
(issue 16: it used to ship in ``qingting.web`` and drop whatever database URL it was given)."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_is_not_in_the_package() -> None:
    assert importlib.util.find_spec("qingting.web.benchmark") is None
    assert not list((ROOT / "src").rglob("benchmark*.py"))
    assert "DROP DATABASE" not in "".join(p.read_text(encoding="utf-8") for p in (ROOT / "src").rglob("*.py"))


def test_it_refuses_to_drop_a_database_it_did_not_create() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
    except OSError:
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432")
    import psycopg

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_web
    finally:
        sys.path.remove(str(ROOT / "bench"))
    name = "qt_bench_guard_test"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("CREATE TABLE django_migrations (id serial primary key)")
        with pytest.raises(SystemExit, match="refusing to drop"):
            bench_web._recreate_database(url)
        with psycopg.connect(url, autocommit=True) as c:  # still there
            assert c.execute("SELECT count(*) FROM django_migrations").fetchone() == (0,)
            c.execute("DROP TABLE django_migrations")
        bench_web._recreate_database(url)  # empty: dropped, re-created and marked
        bench_web._recreate_database(url)  # marked as the benchmark's: dropped again
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

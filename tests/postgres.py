"""The real PostgreSQL server the tests use (127.0.0.1:5432, as `.ci/run` starts it): one
database per test session, made at its start and dropped at its end; tables emptied before
each test. A test that needs it fails with how to start the server, never skips."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

SERVER = os.environ.get("HOTLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
HOW_TO_START = (
    "PostgreSQL is not reachable at {server} ({problem}). Start it, e.g. "
    "`pg_ctlcluster --skip-systemctl-redirect 15 main start` (`.ci/run` does this), "
    "or point HOTLINE_TEST_POSTGRES at a server where user postgres may create databases."
)


def admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(HOW_TO_START.format(server=SERVER, problem=str(exc).strip().splitlines()[0]))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"hotline_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def empty_tables(url: str) -> None:
    """Every table as new (ids from 1 again), the migrations kept."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename != 'schema_migrations'")]
        if tables:
            conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in tables)))

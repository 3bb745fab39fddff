"""`hotline migrate` and `hotline backup`, as an operator runs them."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from bot.app import Core, open_core
from bot.config import build_config
from bot.store.schema import SchemaTooNew, migrations
from bot.store.sqlite import SqliteStore
from bot.store_commands import backup, migrate
from tests.conftest import Clock
from tests.factories import make_incoming
from tests.postgres import empty_tables


async def test_migrate_applies_and_lists_every_migration_on_sqlite(
    tmp_path: Path, clock: Clock
) -> None:
    config = build_config({"database": {"url": f"sqlite:///{tmp_path}/new.db"}}, env={})
    out = io.StringIO()
    assert await migrate(config, out, clock=clock) == 0
    lines = out.getvalue().splitlines()
    assert [line.split()[1] for line in lines[:-1]] == [m.name for m in migrations("sqlite")]
    assert lines[-1] == f"up to date: {len(migrations('sqlite'))} migrations"


async def test_migrate_lists_the_same_history_on_postgresql(
    postgres_url: str, clock: Clock
) -> None:
    empty_tables(postgres_url)
    out = io.StringIO()
    assert await migrate(build_config({"database": {"url": postgres_url}}, env={}), out,
                         clock=clock) == 0
    names = [line.split()[1] for line in out.getvalue().splitlines()[:-1]]
    assert names == [m.name for m in migrations("postgres")]  # the portable files' names


async def test_migrate_refuses_a_database_a_newer_version_migrated(
    tmp_path: Path, clock: Clock
) -> None:
    db = tmp_path / "newer.db"
    config = build_config({"database": {"url": f"sqlite:///{db}"}}, env={})
    assert await migrate(config, io.StringIO(), clock=clock) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 'x')")
    assert await migrate(config, io.StringIO(), clock=clock) == 1
    # Nor does the bot start on it: it would write to a schema it does not understand.
    with pytest.raises(SchemaTooNew, match=r"migrated by a newer version .*\[999\]"):
        await open_core(config, clock=clock)


async def test_a_backup_of_a_running_database_holds_what_it_held(
    core: Core, tmp_path: Path, clock: Clock
) -> None:
    await core.dispatcher.handle(make_incoming("xin chào", user="77"))
    copy = tmp_path / "copy.db"
    out = io.StringIO()
    # The core stays open meanwhile: the copy is taken from a live database.
    assert await backup(core.config, str(copy), out, clock=clock) == 0
    assert out.getvalue().startswith("backed up ")
    restored = SqliteStore(copy, clock)
    await restored.open()
    try:
        person = await restored.views.person("telegram", "77")
        assert person is not None
        assert [m.text for m in await restored.views.history(person.id)][0] == "xin chào"
    finally:
        await restored.close()


async def test_a_backup_never_overwrites_a_file(tmp_path: Path, clock: Clock,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "keep.db"
    existing.write_bytes(b"precious")
    config = build_config({"database": {"url": f"sqlite:///{tmp_path}/h.db"}}, env={})
    assert await backup(config, str(existing), io.StringIO(), clock=clock) == 1
    assert existing.read_bytes() == b"precious"
    assert "exists" in capsys.readouterr().err


async def test_a_postgresql_backup_is_the_pg_dump_command_without_the_password(
    clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    config = build_config(
        {"database": {"url": "postgresql://hotline:s3cret@db.local:5432/hotline"}}, env={})
    assert await backup(config, "/backups/h.dump", io.StringIO(), clock=clock) == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom --file /backups/h.dump" in err
    assert "postgresql://hotline@db.local:5432/hotline" in err and "s3cret" not in err

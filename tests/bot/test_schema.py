"""The one numbered migration set, and the hook that lets a database word a migration its
own way without forking the schema's history."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.schema import migrations


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, sql in files.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def test_the_shipped_set_is_numbered_one_by_one_from_one() -> None:
    numbers = [m.number for m in migrations("sqlite")]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_dialect_file_replaces_the_portable_one_for_that_database_only(tmp_path: Path) -> None:
    folder = write(tmp_path, {
        "0001_people.sql": "CREATE TABLE people (id INTEGER PRIMARY KEY)",
        "0001_people.postgres.sql": "CREATE TABLE people (id BIGSERIAL PRIMARY KEY)",
        "0002_cases.sql": "CREATE TABLE cases (id INTEGER PRIMARY KEY)",
    })
    on_sqlite = migrations("sqlite", folder)
    on_postgres = migrations("postgres", folder)
    assert [m.sql for m in on_sqlite] == ["CREATE TABLE people (id INTEGER PRIMARY KEY)",
                                          "CREATE TABLE cases (id INTEGER PRIMARY KEY)"]
    assert [m.sql for m in on_postgres] == ["CREATE TABLE people (id BIGSERIAL PRIMARY KEY)",
                                            "CREATE TABLE cases (id INTEGER PRIMARY KEY)"]
    # One history: both record the portable file's name.
    assert [m.name for m in on_postgres] == [m.name for m in on_sqlite] == [
        "0001_people.sql", "0002_cases.sql"]


def test_a_number_used_twice_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path, {"0001_a.sql": "SELECT 1", "0001_b.sql": "SELECT 2"})
    with pytest.raises(ValueError, match="migration 1 is used twice"):
        migrations("sqlite", folder)


def test_a_dialect_file_without_its_portable_one_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path, {"0001_a.sql": "SELECT 1", "0002_b.postgres.sql": "SELECT 2"})
    with pytest.raises(ValueError, match=r"postgres migrations without a portable file: \[2\]"):
        migrations("postgres", folder)

"""The one numbered set of schema migrations, shared by every database.

`migrations/NNNN_name.sql` is written in SQL that every supported database accepts. Where a
database needs its own wording (types, autoincrement keys, partial indexes), a file
`NNNN_name.<dialect>.sql` beside it replaces it for that database only: the numbers, and so
the schema's history, stay one. Applied migrations are never edited; a change is a new number.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from typing import NamedTuple


class SchemaTooNew(RuntimeError):
    """The database holds migrations this version does not know: a newer version migrated it,
    and this one must not write to a schema it does not understand."""


def pending(dialect: str, applied: set[int]) -> list[Migration]:
    """The shipped migrations not yet applied, in order; SchemaTooNew when the database has
    some this version does not ship."""
    shipped = migrations(dialect)
    unknown = sorted(applied - {m.number for m in shipped})
    if unknown:
        raise SchemaTooNew(
            f"database.url: the database was migrated by a newer version of hotline"
            f" (migrations {unknown}); run that version, or restore a backup made before")
    return [m for m in shipped if m.number not in applied]


class Migration(NamedTuple):
    number: int
    name: str  # the portable file's name, recorded in schema_migrations whatever the dialect
    sql: str


def migrations(dialect: str, folder: Traversable | None = None) -> list[Migration]:
    """Every shipped migration for `dialect` ("sqlite", "postgres"), in order. Raises
    ValueError on a number used twice or a dialect file without its portable one."""
    folder = folder or resources.files("bot.store") / "migrations"
    portable: dict[int, tuple[str, str]] = {}
    own: dict[int, str] = {}
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        number = int(name.split("_", 1)[0])
        _, dot, file_dialect = name.removesuffix(".sql").partition(".")
        if dot:
            if file_dialect == dialect:
                own[number] = entry.read_text(encoding="utf-8")
            continue
        if number in portable:
            raise ValueError(f"migration {number} is used twice: {portable[number][0]}, {name}")
        portable[number] = (name, entry.read_text(encoding="utf-8"))
    stray = sorted(set(own) - set(portable))
    if stray:
        raise ValueError(f"{dialect} migrations without a portable file: {stray}")
    return [Migration(n, portable[n][0], own.get(n, portable[n][1])) for n in sorted(portable)]

"""`hotline migrate` and `hotline backup`: the database, for the operator (English output).

    hotline migrate        apply what is pending and list every migration with when it ran
    hotline backup PATH    a consistent copy of the SQLite database while the bot runs; for
                           PostgreSQL, the pg_dump command that does it
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from bot.app import make_store
from bot.config import POSTGRES_SCHEMES, Config
from bot.store.schema import SchemaTooNew
from bot.store.sqlite import SqliteStore
from flows.ports import Clock


async def migrate(config: Config, out: TextIO, *, clock: Clock) -> int:
    store = make_store(config.database.url, clock, config.hotline.instance)
    try:
        await store.open()  # opening applies what is pending, under the store's own lock
    except SchemaTooNew as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 1
    try:
        applied = await store.applied_migrations()
    finally:
        await store.close()
    for number, name, at in applied:
        print(f"{number:04d}  {name:<40}  applied {at}", file=out)
    print(f"up to date: {len(applied)} migrations", file=out)
    return 0


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def backup(config: Config, path: str, out: TextIO, *, clock: Clock) -> int:
    url = config.database.url
    if url.startswith(POSTGRES_SCHEMES):
        print("hotline backup copies SQLite databases. For PostgreSQL, run (the password from"
              " PGPASSWORD or ~/.pgpass):", file=sys.stderr)
        print(f"  pg_dump --format=custom --file {path} '{without_password(url)}'",
              file=sys.stderr)
        return 2
    target = Path(path)
    if await asyncio.to_thread(target.exists):
        print(f"hotline: {target} exists; choose a new file for the backup", file=sys.stderr)
        return 1
    if not await asyncio.to_thread(target.parent.is_dir):
        print(f"hotline: {target.parent} is not a folder", file=sys.stderr)
        return 1
    store = make_store(url, clock, config.hotline.instance)
    assert isinstance(store, SqliteStore)
    await store.open()
    try:
        await store.backup(target)
    finally:
        await store.close()
    print(f"backed up {url.removeprefix('sqlite:///')} to {target}", file=out)
    return 0

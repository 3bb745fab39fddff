"""What every SQL store shares, whatever its database: the repositories, the read side, the
singleton leases and the channel tokens, all on the store's single statements outside a unit
of work. A store adds its connection, its units of work, the inbox's batch write, the purge
and the migrations."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from bot.store.port import Hold, Wake
from bot.store.sql.case_search import CaseSearchSql
from bot.store.sql.rows import Executor
from bot.store.sql.singletons import SingletonsSql, this_instance
from bot.store.sql.tokens import TokensSql
from bot.store.sql.unit import Repositories
from bot.store.sql.views import SqlViews
from flows.ports import Clock


class SqlStoreBase(Repositories):
    def __init__(self, one_at_a_time: Executor, clock: Clock, instance: str) -> None:
        super().__init__(one_at_a_time, clock)
        self.clock = clock  # for stamps no caller passes: migrations, first/last seen, tokens
        self.instance = instance or this_instance()
        self.views = SqlViews(Repositories(one_at_a_time, clock))
        self.tokens = TokensSql(one_at_a_time, clock)
        self.case_search = CaseSearchSql(one_at_a_time, clock)
        self._singletons = SingletonsSql(one_at_a_time, clock, self.instance)

    def singleton(
        self, name: str, lease: timedelta, *, wait: bool = False
    ) -> AbstractAsyncContextManager[bool]:
        return self._singletons.held(name, lease, wait=wait)

    async def singleton_holder(self, name: str) -> str | None:
        return await self._singletons.holder(name)

    def exclusive(self, name: str) -> AbstractAsyncContextManager[Hold]:
        return self._singletons.kept(name)

    async def listen(self, wake: Wake) -> None:
        """Nothing to listen to: one instance per database file, which wakes its own
        deliverers (PostgreSQL overrides this)."""
        del wake

    async def take_lease(self, name: str, holder: str, lease: timedelta) -> bool:
        return await self._singletons.take_from_dead(name, holder, lease)

    async def drop_lease(self, name: str, holder: str) -> None:
        await self._singletons.release(name, holder)

    async def applied_migrations(self) -> list[tuple[int, str, str]]:
        rows = await self.ex.fetch(
            "SELECT number, name, applied_at FROM schema_migrations ORDER BY number")
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

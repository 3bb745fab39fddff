"""The unit of work handed to flows (flows.store.Transaction): the repositories and the read
side, all on the transaction's connection."""

from __future__ import annotations

from bot.store.sql.rows import Executor
from bot.store.sql.unit import Repositories
from bot.store.sql.views import SqlViews
from flows.ports import Clock


class SqlTransaction(Repositories):
    """flows.store.Transaction in portable SQL."""

    def __init__(self, ex: Executor, clock: Clock) -> None:
        super().__init__(ex, clock)
        self.views = SqlViews(self)  # it sees what this unit of work has written

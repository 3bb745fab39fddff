"""One repository per table family on one executor: what a unit of work holds (see
transaction.py) and what a store holds for single statements."""

from __future__ import annotations

from bot.store.sql.audit import AuditSql
from bot.store.sql.cases import CasesSql
from bot.store.sql.feedback import FeedbackSql
from bot.store.sql.inbox import InboxSql
from bot.store.sql.messages import MessagesSql
from bot.store.sql.outbox import OutboxSql
from bot.store.sql.people import PeopleSql
from bot.store.sql.rows import Executor
from bot.store.sql.staff_tools import CannedRepliesSql, CaseTagsSql
from bot.store.sql.web_access import WebAccessSql
from flows.ports import Clock


class Repositories:
    """One repository per table family on one executor: a transaction's, or the store's for
    single statements outside a unit of work."""

    def __init__(self, ex: Executor, clock: Clock) -> None:
        self.ex = ex
        self.people = PeopleSql(ex, clock)
        self.messages = MessagesSql(ex, clock)
        self.inbox = InboxSql(ex, clock)
        self.outbox = OutboxSql(ex, clock)
        self.cases = CasesSql(ex, clock)
        self.audit = AuditSql(ex, clock)
        self.feedback = FeedbackSql(ex, clock)
        self.web_access = WebAccessSql(ex, clock)
        self.canned_replies = CannedRepliesSql(ex, clock)
        self.case_tags = CaseTagsSql(ex, clock)

"""The read side: what staff screens and reports show (the queue, a case's card, a person's
history, the editors' and trainers' exports), read across the table families."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.sql.report_views import PeriodSql
from bot.store.sql.unit import Repositories
from flows.cases import Case
from flows.store import (
    CaseCard,
    CorrectedCase,
    Correction,
    DayRecord,
    Delivery,
    GapQuestion,
    PeriodRecord,
    Person,
    StoredMessage,
)


class SqlViews:
    """flows.store.Views, on the store's single statements."""

    def __init__(self, read: Repositories) -> None:
        self.read = read
        self.reports = PeriodSql(read.ex)

    async def person(self, channel: str, external_id: str) -> Person | None:
        return await self.read.people.find(channel, external_id)

    async def case(self, case_id: int) -> Case | None:
        return await self.read.cases.get(case_id)

    async def queue(self) -> list[Case]:
        return await self.read.cases.waiting()

    async def open_cases(self) -> list[Case]:
        return await self.read.cases.open()

    async def history(self, person_id: int, limit: int = 200) -> list[StoredMessage]:
        return await self.read.messages.history(person_id, limit)

    async def last_message_from(self, person_id: int) -> datetime | None:
        return await self.read.messages.last_from(person_id)

    async def earlier_cases(self, person_id: int, before_case: int) -> list[Case]:
        return await self.read.cases.earlier(person_id, before_case)

    async def case_card(self, case_id: int, history: int = 12) -> CaseCard | None:
        case = await self.read.cases.get(case_id)
        if case is None:
            return None
        return CaseCard(
            case=case,
            earlier=tuple(await self.read.cases.earlier(case.person_id, case.id)),
            history=tuple(await self.read.messages.history(case.person_id, history)),
            last_message_at=await self.read.messages.last_from(case.person_id),
        )

    async def day(self, since: datetime) -> DayRecord:
        return DayRecord(
            opened=tuple(await self.read.cases.since(since)),
            waiting=tuple(await self.read.cases.waiting()),
            gaps=await self.read.feedback.gap_counts(since),
        )

    async def corrected_cases(self, since: datetime | None = None) -> list[CorrectedCase]:
        return await self.read.feedback.corrected_cases(since)

    async def corrections(self, since: datetime | None = None) -> list[Correction]:
        return await self.read.feedback.corrections(since)

    async def answer_ratings(
        self, since: datetime | None = None
    ) -> list[tuple[str, bool, str, datetime]]:
        return await self.read.feedback.ratings(since)

    async def gap_questions(self, since: datetime) -> list[GapQuestion]:
        return await self.read.feedback.gap_questions(since)

    async def audit_entries(self, since: str = "") -> list[tuple[str, str, str, Any, str]]:
        return await self.read.audit.entries(since)

    async def deliveries(self, channel: str) -> list[tuple[Delivery, datetime | None]]:
        return await self.read.outbox.deliveries(channel)

    async def period(
        self, start: datetime, end: datetime, previous_start: datetime
    ) -> PeriodRecord:
        return await self.reports.period(start, end, previous_start)

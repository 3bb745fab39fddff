"""Finding cases for staff screens (the web console's case list): filters a supervisor
combines, and the port the store implements. Bounded by construction: a page of results,
a period of at most MAX_PERIOD."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol

from flows.cases import Case, CaseStatus
from flows.messages import Priority
from flows.period import local_midnight

PAGE = 50  # cases per page
MAX_PERIOD = timedelta(days=366)  # a longer period is cut to its last year, and says so
MAX_TEXT = 100  # characters of a search text that count


@dataclass(frozen=True)
class CaseFilter:
    """Every filter optional; `opened_from`/`opened_to` are UTC instants (the caller turns
    the centre's local dates into them)."""

    opened_from: datetime | None = None
    opened_to: datetime | None = None
    priority: Priority | None = None
    status: CaseStatus | None = None
    category: str = ""
    outcome: str = ""
    channel: str = ""
    counsellor: int | None = None  # claimed by this staff id
    held_by: int | None = None  # only cases this staff member held (a counsellor's own view)
    number: int | None = None  # one case, by its number
    tag: str = ""  # a tag (flows/tags.py normalises it)
    text: str = ""  # words of the case's summary (MAX_TEXT characters at most)
    page: int = 0


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class CounsellorCase:
    """A claimed case, as a counsellor's workload counts it."""

    staff_id: int
    opened: datetime
    claimed: datetime | None
    first_reply: datetime | None


class CaseSearch(Protocol):
    async def find(self, wanted: CaseFilter) -> tuple[list[Case], int]:
        """A page of matching cases, newest first, and how many match in all."""
        ...

    async def held(self, case_id: int, staff_id: int) -> bool:
        """Whether the staff member held the case at some time (claimed it, or had it
        handed to them)."""
        ...

    async def held_between(self, staff_id: int, since: datetime,
                           until: datetime) -> set[int]:
        """The cases opened in [since, until) that the staff member held."""
        ...

    async def trail(self, case_id: int) -> list[AuditEntry]:
        """The case's audit trail, oldest first."""
        ...

    async def claimed_between(self, since: datetime, until: datetime) -> list[CounsellorCase]:
        """Every case opened in [since, until) that a counsellor claimed."""
        ...

    async def categories(self) -> list[str]: ...

    async def outcomes(self) -> list[str]: ...


def local_period(start: date | None, end: date | None, tz: tzinfo,
                 ) -> tuple[datetime | None, datetime | None, bool]:
    """[start, end] local days as instants (end inclusive), cut to the MAX_PERIOD before
    `end`; True when it was cut."""
    lower = local_midnight(start, tz) if start else None
    upper = local_midnight(end + timedelta(days=1), tz) if end else None
    if lower is not None and upper is not None and upper - lower > MAX_PERIOD:
        return upper - MAX_PERIOD, upper, True
    return lower, upper, False

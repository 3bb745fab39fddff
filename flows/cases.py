"""Cases: one request for a human, from waiting to closed, and the rules of its life."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flows.messages import Priority


class CaseStatus(StrEnum):
    WAITING = "waiting"  # in the queue
    ACTIVE = "active"  # claimed by one counsellor
    CLOSED = "closed"  # with an outcome
    CANCELLED = "cancelled"  # the person left the queue

    @property
    def is_open(self) -> bool:
        return self in (CaseStatus.WAITING, CaseStatus.ACTIVE)


# Which status may follow which; anything else is a bug or a race that lost.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.WAITING: frozenset({CaseStatus.ACTIVE, CaseStatus.CANCELLED, CaseStatus.CLOSED}),
    CaseStatus.ACTIVE: frozenset({CaseStatus.CLOSED, CaseStatus.CANCELLED, CaseStatus.ACTIVE}),
    CaseStatus.CLOSED: frozenset(),
    CaseStatus.CANCELLED: frozenset(),
}

LEVEL_PRIORITY = {"critical": Priority.CRITICAL, "urgent": Priority.URGENT}
CLAIM = "case:claim:"  # the "Nhận ca" button's data: this prefix and the case id


def claim_data(case_id: int) -> str:
    """The data of a case's claim button; the staff desk parses it (flows/counsellor.py)."""
    return f"{CLAIM}{case_id}"


def higher(a: Priority, b: Priority) -> Priority:
    """The more urgent of two priorities: triage raises a case, never lowers it."""
    return a if a.rank <= b.rank else b


@dataclass(frozen=True)
class Case:
    id: int
    person_id: int
    status: CaseStatus
    priority: Priority
    created_at: datetime
    channel: str = ""  # the person's channel and id, for relaying
    external_id: str = ""
    category: str | None = None
    topic: str = ""  # the intake topic the person chose
    summary: str = ""
    signals: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)  # emergency answers, location…
    thread_id: str = ""  # the staff group's forum topic for this case
    card_ref: str = ""  # the case card's message in that topic
    claimed_by: int | None = None
    claimed_at: datetime | None = None
    first_reply_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    escalated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status.is_open


@dataclass(frozen=True)
class StaffPost:
    """A message for the counsellors: into the case's topic, or the group's General topic."""

    message: str
    case_id: int | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # (label, data) rows
    priority: Priority = Priority.NORMAL
    copy_from: str = ""  # a person's media message to copy into the topic
    # "card": replace the case card; "close": close the topic after posting;
    # "delete_topic": post in General, then delete the topic `thread` (erasure).
    edit: str = ""
    thread: str = ""


def card_refresh(case: Case) -> StaffPost:
    """Show a case's current state on its card in the staff group (the channel renders the
    card afresh from the store, and drops the claim button once the case is taken)."""
    return StaffPost("", case_id=case.id, priority=case.priority, edit="card")

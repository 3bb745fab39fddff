"""Cases: one request for a human, from waiting to closed, and the rules of its life; the
claim button every post about a waiting case carries; and the posts the counsellors read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flows.messages import Priority, TriageLevel


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

LEVEL_PRIORITY = {TriageLevel.CRITICAL: Priority.CRITICAL, TriageLevel.URGENT: Priority.URGENT}
_CLAIM = "case:claim:"  # the "Nhận ca" button's data: this prefix and the case id


def claim_data(case_id: int) -> str:
    """The data of a case's claim button ("Nhận ca"); `parse_claim` reads it back."""
    return f"{_CLAIM}{case_id}"


def parse_claim(data: str) -> int | None:
    """The case a claim button names; None when `data` is no claim button. A garbled case id
    reads as 0, which no case has, so the press is refused as politely as a stale one."""
    if not data.startswith(_CLAIM):
        return None
    try:
        return int(data.removeprefix(_CLAIM))
    except ValueError:
        return 0


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


class StaffPostKind(StrEnum):
    """What a staff post does besides being posted; the value is kept with the post."""

    POST = ""  # post in the case's topic (General when it has no case)
    REFRESH_CARD = "card"  # show the case's current state on its card
    CLOSE_TOPIC = "close"  # post in the case's topic, then close the topic
    DELETE_TOPIC = "delete_topic"  # post in General, then delete the topic `thread` (erasure)


@dataclass(frozen=True)
class StaffPost:
    """A message for the counsellors: into the case's topic, or the group's General topic."""

    message: str
    case_id: int | None = None
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # (label, data) rows
    priority: Priority = Priority.NORMAL
    copy_from: str = ""  # a person's media message to copy into the topic (`copy_address`)
    edit: str = StaffPostKind.POST  # a StaffPostKind
    thread: str = ""  # for DELETE_TOPIC: the topic of an erased case


def card_refresh(case: Case) -> StaffPost:
    """Show a case's current state on its card in the staff group (the channel renders the
    card afresh from the store, and drops the claim button once the case is taken)."""
    return StaffPost("", case_id=case.id, priority=case.priority, edit=StaffPostKind.REFRESH_CARD)


def closing_post(message: str, case: Case) -> StaffPost:
    """The last post in a case's topic: the topic is closed after it."""
    return StaffPost(message, case_id=case.id, edit=StaffPostKind.CLOSE_TOPIC)


# What a staff post asks of the staff channel, as the channel reads it back from the outbox.


@dataclass(frozen=True)
class InGeneral:
    """Post in the group's General topic."""


@dataclass(frozen=True)
class InCaseTopic:
    """Post in the case's topic, creating the topic first if it has none."""

    case_id: int


@dataclass(frozen=True)
class RefreshCard:
    case_id: int


@dataclass(frozen=True)
class CloseTopic:
    """Post in the case's topic, then close the topic."""

    case_id: int


@dataclass(frozen=True)
class DeleteTopic:
    """Post in General, then delete the topic of an erased case."""

    thread: str


StaffTarget = InGeneral | InCaseTopic | RefreshCard | CloseTopic | DeleteTopic


def staff_recipient(case_id: int | None, thread: str = "") -> str:
    """The staff outbox's address: a case's topic, a bare topic, or General."""
    if thread:
        return f"thread:{thread}"
    return f"case:{case_id}" if case_id is not None else "general"


def staff_target(recipient: str, edit: str) -> StaffTarget:
    """Read back a staff post's outbox address (`staff_recipient`: "case:<id>",
    "thread:<topic>" or "general") and its kind."""
    if recipient.startswith("thread:"):
        if edit == StaffPostKind.DELETE_TOPIC:
            return DeleteTopic(recipient.removeprefix("thread:"))
        return InGeneral()
    if recipient == "general":
        return InGeneral()
    case_id = int(recipient.removeprefix("case:"))
    if edit == StaffPostKind.REFRESH_CARD:
        return RefreshCard(case_id)
    if edit == StaffPostKind.CLOSE_TOPIC:
        return CloseTopic(case_id)
    return InCaseTopic(case_id)


def copy_address(channel: str, chat: str, message: str) -> str:
    """Where a message to copy is: the channel, its chat and the message's id there. Only the
    channel named can copy it; others send the text alone."""
    return f"{channel}:{chat}:{message}"


def parse_copy_address(address: str) -> tuple[str, str, str] | None:
    """(channel, chat, message) of a `copy_address`; None when it is none."""
    parts = address.split(":")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]

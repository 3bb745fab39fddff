"""The store port: what the domain needs from persistence, and the values it returns.

`bot/store/sqlite.py` implements it on aiosqlite; a PostgreSQL implementation will follow.
Everything a flow changes for one incoming message happens inside one `Transaction`, which
commits on a clean exit and rolls back on an exception (a unit of work), so a crash never
leaves half a conversation step behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from flows.cases import Case, CaseStatus
from flows.messages import Outgoing, Priority
from flows.retention import PurgeReport, RetentionPolicy


@dataclass(frozen=True)
class Person:
    id: int
    channel: str
    external_id: str
    first_name: str
    flow: str
    flow_data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    consent_at: datetime | None = None


@dataclass(frozen=True)
class InboundEvent:
    """A raw channel event kept before it is acted on (the durable inbox)."""

    channel: str
    event_id: str
    payload: str
    received_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One reply waiting in the outbox."""

    id: int
    channel: str
    recipient: str
    message: Outgoing
    attempts: int
    person_id: int | None
    case_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class DataSummary:
    """What the hotline holds about one person (shown by /dulieu)."""

    first_seen: datetime | None
    last_seen: datetime | None
    consent_at: datetime | None
    messages_in: int
    messages_out: int
    cases: int
    open_cases: int


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed, and the cases it had to keep."""

    messages: int
    cases: int
    kept_cases: tuple[int, ...]
    erased_threads: tuple[tuple[int, str], ...]  # (case id, staff topic) of erased cases


@dataclass(frozen=True)
class StoredMessage:
    id: int
    person_id: int
    direction: str  # in, out
    kind: str
    text: str
    created_at: datetime
    case_id: int | None = None


@dataclass(frozen=True)
class Correction:
    """A counsellor's change of a case's level or category, with what triage had given it."""

    case_id: int
    triage_priority: Priority  # the case's priority before any correction
    triage_category: str | None
    triage_layer: str  # rules, model, rules+model; "" when no triage layer raised it
    priority: Priority  # as the counsellor left it
    category: str | None
    actor: str  # "tg:<id>", as in the audit log
    at: datetime


@dataclass(frozen=True)
class CorrectedCase:
    """A corrected case for the triage export: its latest correction and the person's words
    up to then (read from the conversation, so an erasure takes them too)."""

    correction: Correction
    texts: tuple[str, ...]
    first_name: str  # as the channel gave it, for masking; never exported


# What an unanswered policy question was (the `kind` of Transaction.add_unanswered).
NO_ANSWER = "no_answer"  # the bot declined: no article was close enough
WHICH = "which"  # the bot had to ask which of several articles was meant
UNANSWERED_KINDS = (NO_ANSWER, WHICH)
UNHELPFUL = "unhelpful"  # a GapQuestion from a 👎 on an answer


@dataclass(frozen=True)
class GapQuestion:
    """A question the knowledge base did not serve, for its editors (`hotline kb gaps`): one
    the bot could not answer (`no_answer`, `which`) or one whose answer got a 👎
    (`unhelpful`)."""

    kind: str  # no_answer, which, unhelpful
    article_id: str | None  # the rated article; for the unanswered, the nearest one if any
    question: str
    first_name: str  # the person's, as the channel gave it: for masking, never shown
    at: datetime


@dataclass(frozen=True)
class GapCounts:
    """For /thongke: questions not answered and answers rated 👎 in a period."""

    unanswered: int
    unhelpful: int


# How long events replayed at start are the replaying instance's: they are handled within
# seconds; a second instance starting meanwhile does not replay them again.
REPLAY_LEASE = timedelta(minutes=5)


def person_key(channel: str, external_id: str) -> str:
    """The name a unit of work for one person locks under (`Store.transaction(person=…)`)."""
    return f"{channel}:{external_id}"


class Transaction(Protocol):
    async def person(self, channel: str, external_id: str, first_name: str = "") -> Person: ...

    async def is_processed(self, channel: str, event_id: str) -> bool: ...

    async def mark_processed(self, channel: str, event_id: str, at: datetime) -> None: ...

    async def add_message(
        self,
        person_id: int,
        direction: str,
        kind: str,
        text: str,
        at: datetime,
        *,
        event_id: str = "",
        meta: dict[str, Any] | None = None,
        case_id: int | None = None,
    ) -> int: ...

    async def set_flow(self, person_id: int, flow: str, data: dict[str, Any]) -> None: ...

    async def link_message(self, message_id: int, case_id: int) -> None: ...

    async def enqueue(
        self,
        channel: str,
        recipient: str,
        message: Outgoing,
        at: datetime,
        *,
        person_id: int | None = None,
        case_id: int | None = None,
    ) -> int: ...

    async def audit(
        self, actor: str, action: str, at: datetime, *, case_id: int | None = None, detail: str = ""
    ) -> None: ...

    async def add_feedback(
        self, person_id: int, article_id: str, helpful: bool, question: str, at: datetime
    ) -> None: ...

    async def add_correction(self, correction: Correction) -> None: ...

    async def add_unanswered(
        self, person_id: int, question: str, nearest_article: str | None, kind: str, at: datetime
    ) -> None:
        """Keep a policy question the bot could not answer for the editors; `kind` is
        NO_ANSWER or WHICH (ValueError otherwise). Personal data: erased and purged with the
        person's conversation."""
        ...

    async def gap_counts(self, since: datetime) -> GapCounts: ...

    # Privacy
    async def set_consent(self, person_id: int, at: datetime | None) -> None: ...

    async def data_summary(self, person_id: int) -> DataSummary: ...

    async def own_messages(self, person_id: int, limit: int = 50) -> list[StoredMessage]: ...

    async def erase_person(self, person_id: int, keep_cases: Sequence[int]) -> Erasure: ...

    # Cases
    async def open_case_of(self, person_id: int) -> Case | None: ...

    async def case(self, case_id: int) -> Case | None: ...

    async def create_case(
        self,
        person_id: int,
        priority: Priority,
        at: datetime,
        *,
        category: str | None = None,
        topic: str = "",
        summary: str = "",
        signals: Sequence[str] = (),
        details: dict[str, Any] | None = None,
    ) -> Case: ...

    async def update_case(
        self,
        case_id: int,
        *,
        priority: Priority | None = None,
        category: str | None = None,
        signals: Sequence[str] | None = None,
        details: dict[str, Any] | None = None,
        summary: str | None = None,
        escalated_at: datetime | None = None,
    ) -> None: ...

    async def set_case_status(
        self, case_id: int, status: CaseStatus, at: datetime, *, outcome: str | None = None
    ) -> bool: ...

    async def claim_case(self, case_id: int, counsellor_id: int, at: datetime) -> bool: ...

    async def cases_waiting(self) -> list[Case]: ...

    async def cases_open(self) -> list[Case]: ...

    async def cases_since(self, at: datetime) -> list[Case]: ...

    async def active_cases_of(self, counsellor_id: int) -> list[Case]: ...

    async def case_by_thread(self, thread_id: str) -> Case | None: ...

    async def queue_position(self, case_id: int) -> int: ...

    async def recent_waits(self, limit: int = 20) -> list[float]: ...

    async def set_claimant(self, case_id: int, counsellor_id: int) -> None: ...

    async def mark_first_reply(self, case_id: int, at: datetime) -> None: ...

    async def last_activity(self, case_id: int) -> datetime | None: ...


class Store(Protocol):
    instance: str  # this instance's name, the same after a restart; workers are named by it

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def transaction(
        self, *, person: str = "", urgent: bool = False
    ) -> AbstractAsyncContextManager[Transaction]:
        """A unit of work; `urgent` ones (danger signalled) go before the others waiting.
        Units of work for one `person` (a `person_key`) never run at the same time, on any
        instance: each sees what the one before it committed."""
        ...

    # Work shared by several workers or instances: each item or job is leased to one.
    async def claim_due(
        self, channel: str, worker: str, lease: timedelta, limit: int = 10
    ) -> list[Delivery]:
        """Lease the replies due now to `worker`, most urgent first; no other worker gets
        them until they are marked sent, retried or undeliverable, or the lease runs out."""
        ...

    async def claim_inbound(
        self, channel: str, worker: str, lease: timedelta
    ) -> list[InboundEvent]:
        """Lease the kept events not yet handled, oldest first, to replay them."""
        ...

    def singleton(
        self, name: str, lease: timedelta, *, wait: bool = False
    ) -> AbstractAsyncContextManager[bool]:
        """A job that must run on one worker at a time (the case watch, the purge, the Zalo
        token refresh): True for the one holder, False for the others (with `wait`, once
        the holder is done or its lease ran out)."""
        ...

    async def singleton_holder(self, name: str) -> str | None: ...

    # The inbox: raw events stored before anything else happens.
    async def record_inbound(
        self, events: Sequence[InboundEvent], *, urgent: bool = False
    ) -> int: ...

    async def unprocessed_inbound(self, channel: str) -> list[InboundEvent]: ...

    # The outbox: replies not yet confirmed sent.
    async def due_deliveries(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        """What is due at `now`, leased or not (to look at; workers use `claim_due`)."""
        ...

    async def mark_sent(self, delivery_id: int, at: datetime, ref: str = "") -> None: ...

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None: ...

    async def mark_undeliverable(self, delivery_id: int, error: str, at: datetime) -> None: ...

    async def next_due_at(self, channel: str) -> datetime | None: ...

    # Reading for people and staff.
    async def find_person(self, channel: str, external_id: str) -> Person | None: ...

    async def messages_of(self, person_id: int, limit: int = 200) -> list[StoredMessage]: ...

    async def get_case(self, case_id: int) -> Case | None: ...

    async def checkpoint(self) -> None: ...

    async def last_message_from(self, person_id: int) -> datetime | None: ...

    async def purge(self, now: datetime, policy: RetentionPolicy, *, dry_run: bool) -> PurgeReport:
        ...

    async def set_case_thread(self, case_id: int, thread_id: str) -> None: ...

    async def set_case_card(self, case_id: int, card_ref: str) -> None: ...

    async def earlier_cases(self, person_id: int, before_case: int) -> list[Case]: ...

    async def corrected_cases(self, since: datetime | None = None) -> list[CorrectedCase]:
        """Every case with a correction (its latest one on or after `since`), oldest first."""
        ...

    async def gap_questions(self, since: datetime) -> list[GapQuestion]:
        """Unanswered questions and the questions of 👎 answers on or after `since`, oldest
        first."""
        ...

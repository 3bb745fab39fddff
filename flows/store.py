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
    person: str = ""  # the person_key of who sent it ("" for staff and other events)


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
    actor: str  # "staff:<id>", as in the audit log
    at: datetime


@dataclass(frozen=True)
class CorrectedCase:
    """A corrected case for the triage export: its latest correction and the person's words
    up to then (read from the conversation, so an erasure takes them too)."""

    correction: Correction
    texts: tuple[str, ...]
    first_name: str  # as the channel gave it, for masking; never exported


# What an unanswered policy question was (the `kind` of Feedback.add_unanswered).
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


class People(Protocol):
    """Who wrote in: one row per person and channel."""

    async def get(self, channel: str, external_id: str, first_name: str = "") -> Person:
        """The person, created on their first message; stamps them as seen now."""
        ...

    async def find(self, channel: str, external_id: str) -> Person | None: ...

    async def set_flow(self, person_id: int, flow: str, data: dict[str, Any]) -> None: ...

    async def set_consent(self, person_id: int, at: datetime | None) -> None: ...

    async def data_summary(self, person_id: int) -> DataSummary: ...

    async def erase(self, person_id: int, keep_cases: Sequence[int]) -> Erasure:
        """Delete what the hotline holds about a person except the cases it must keep."""
        ...


class Messages(Protocol):
    """Every message in and out, in each person's history."""

    async def add(
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

    async def link(self, message_id: int, case_id: int) -> None: ...

    async def own(self, person_id: int, limit: int = 50) -> list[StoredMessage]:
        """What the person typed themselves, for /dulieu."""
        ...

    async def history(self, person_id: int, limit: int = 200) -> list[StoredMessage]: ...

    async def last_from(self, person_id: int) -> datetime | None: ...


class Inbox(Protocol):
    """Raw channel events, kept before they are acted on, and which were handled."""

    async def is_processed(self, channel: str, event_id: str) -> bool: ...

    async def mark_processed(self, channel: str, event_id: str, at: datetime) -> None: ...

    async def earlier_unhandled(self, channel: str, event_id: str, person: str) -> bool:
        """Whether the person has an event kept before this one and not handled yet (on
        any instance)."""
        ...

    async def unprocessed(self, channel: str) -> list[InboundEvent]: ...

    async def claim(
        self, channel: str, worker: str, lease: timedelta,
        received_before: datetime | None = None,
    ) -> list[InboundEvent]:
        """Lease the kept events not yet handled, oldest first, to replay them; with
        `received_before`, only those kept before then (left by an instance that died)."""
        ...


class Outbox(Protocol):
    """Replies not yet confirmed sent, each leased to the one worker sending it."""

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

    async def due(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        """What is due at `now`, leased or not (to look at; workers use `claim`)."""
        ...

    async def claim(
        self, channel: str, worker: str, lease: timedelta, limit: int = 10
    ) -> list[Delivery]:
        """Lease the replies due now to `worker`, most urgent first; no other worker gets
        them until they are marked sent, retried or undeliverable, or the lease runs out."""
        ...

    async def take_back(self, channel: str, worker: str) -> int:
        """End the leases other workers hold on the channel's unsent replies (for the one
        worker that now sends on it); how many."""
        ...

    async def mark_sent(self, delivery_id: int, at: datetime, ref: str = "") -> None: ...

    async def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None: ...

    async def mark_undeliverable(self, delivery_id: int, error: str, at: datetime) -> None: ...

    async def next_due_at(self, channel: str) -> datetime | None: ...

    # A channel without real buttons (Zalo's are typed labels) reads a typed label back as
    # the press it stands for.
    async def remember_buttons(
        self, channel: str, recipient: str, buttons: Sequence[tuple[str, str]], at: datetime
    ) -> None: ...

    async def offered_button(self, channel: str, recipient: str, label: str) -> str | None: ...

    async def deliveries(self, channel: str) -> list[tuple[Delivery, datetime | None]]:
        """Every reply held for a channel, oldest first, with when it was sent (None while it
        waits or once given up)."""
        ...


class Cases(Protocol):
    """Requests for a human: the queue, claims, outcomes, the staff topic of each."""

    async def get(self, case_id: int) -> Case | None: ...

    async def open_of(self, person_id: int) -> Case | None: ...

    async def create(
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

    async def update(
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

    async def set_status(
        self, case_id: int, status: CaseStatus, at: datetime, *, outcome: str | None = None
    ) -> bool: ...

    async def claim(self, case_id: int, counsellor_id: int, at: datetime) -> bool:
        """Atomic: of two claims at once, one wins."""
        ...

    async def waiting(self) -> list[Case]:
        """The queue, in the order cases will be taken."""
        ...

    async def open(self) -> list[Case]: ...

    async def since(self, at: datetime) -> list[Case]: ...

    async def active_of(self, counsellor_id: int) -> list[Case]: ...

    async def by_thread(self, thread_id: str) -> Case | None: ...

    async def queue_position(self, case_id: int) -> int: ...

    async def recent_waits(self, limit: int = 20) -> list[float]: ...

    async def set_claimant(self, case_id: int, counsellor_id: int) -> None: ...

    async def mark_first_reply(self, case_id: int, at: datetime) -> None: ...

    async def last_activity(self, case_id: int) -> datetime | None: ...

    async def set_thread(self, case_id: int, thread_id: str) -> None: ...

    async def set_card(self, case_id: int, card_ref: str) -> None: ...

    async def earlier(self, person_id: int, before_case: int) -> list[Case]: ...


class Audit(Protocol):
    """Who did what to which case, when; append only."""

    async def record(
        self, actor: str, action: str, at: datetime, *, case_id: int | None = None, detail: str = ""
    ) -> None: ...

    async def entries(self, since: str = "") -> list[tuple[str, str, str, Any, str]]: ...


class Feedback(Protocol):
    """What editors and the triage's trainers learn from."""

    async def add_rating(
        self, person_id: int, article_id: str, helpful: bool, question: str, at: datetime
    ) -> None: ...

    async def add_unanswered(
        self, person_id: int, question: str, nearest_article: str | None, kind: str, at: datetime
    ) -> None:
        """Keep a policy question the bot could not answer for the editors; `kind` is
        NO_ANSWER or WHICH (ValueError otherwise). Personal data: erased and purged with the
        person's conversation."""
        ...

    async def gap_counts(self, since: datetime) -> GapCounts: ...

    async def gap_questions(self, since: datetime) -> list[GapQuestion]:
        """Unanswered questions and the questions of 👎 answers on or after `since`, oldest
        first."""
        ...

    async def add_correction(self, correction: Correction) -> None: ...

    async def corrected_cases(self, since: datetime | None = None) -> list[CorrectedCase]:
        """Every case with a correction (its latest one on or after `since`), oldest first."""
        ...

    async def corrections(self, since: datetime | None = None) -> list[Correction]:
        """Every correction on or after `since`, oldest first (a case's full trail)."""
        ...

    async def ratings(self, since: datetime | None = None) -> list[tuple[str, bool, str, datetime]]:
        """(article id, helpful, question, at) of every rating on or after `since`, oldest
        first."""
        ...


@dataclass(frozen=True)
class WebSession:
    staff_id: int
    csrf: str  # the token every form of the session must carry


class WebAccess(Protocol):
    """The web console's sign-in links and sessions, kept as hashes of their secrets."""

    async def issue_sign_in(self, token_hash: str, staff_id: int, at: datetime,
                            until: datetime) -> None: ...

    async def use_sign_in(self, token_hash: str, at: datetime) -> int | None:
        """Use up a link not used and not expired: its staff id; None otherwise."""
        ...

    async def sign_in_usable(self, token_hash: str, at: datetime) -> bool: ...

    async def open_session(self, id_hash: str, staff_id: int, csrf: str, at: datetime,
                           until: datetime) -> None: ...

    async def session(self, id_hash: str, at: datetime) -> WebSession | None:
        """A session not revoked and not expired."""
        ...

    async def revoke_session(self, id_hash: str, at: datetime) -> None: ...

    async def revoke_sessions_of(self, staff_id: int, at: datetime) -> int: ...


@dataclass(frozen=True)
class CannedReply:
    """A reply supervisors wrote once for counsellors to send into a case (`/mau`): plain
    text, never a template."""

    key: str  # how it is found: the name folded (flows/canned.py `canned_key`)
    name: str  # as the supervisor typed it
    text: str
    updated_by: str  # "staff:<id>", as in the audit log
    updated_at: datetime


class CannedReplies(Protocol):
    """The supervisors' canned replies, one per key."""

    async def all(self) -> list[CannedReply]:
        """Every canned reply, by key."""
        ...

    async def get(self, key: str) -> CannedReply | None: ...

    async def save(self, reply: CannedReply) -> bool:
        """Add the reply, or replace the one with its key; True when it replaced one."""
        ...

    async def delete(self, key: str) -> bool:
        """False when there was none with this key."""
        ...


class CaseTags(Protocol):
    """Short labels counsellors put on cases (`/tag`), one of each per case."""

    async def of(self, case_id: int) -> list[str]:
        """The case's tags, in the order they were added."""
        ...

    async def of_cases(self, case_ids: Sequence[int]) -> dict[int, list[str]]:
        """The tags of each of these cases that has any, each in the order added."""
        ...

    async def add(self, case_id: int, tag: str, actor: str, at: datetime) -> bool:
        """False when the case already had the tag."""
        ...

    async def remove(self, case_id: int, tag: str) -> bool:
        """False when the case did not have the tag."""
        ...


class Repositories(Protocol):
    """One repository per table family: inside a unit of work (`Transaction`) or, one
    statement at a time, on the store itself."""

    # Read-only properties, so that an implementation may hold its own repository classes.
    @property
    def people(self) -> People: ...

    @property
    def messages(self) -> Messages: ...

    @property
    def inbox(self) -> Inbox: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def cases(self) -> Cases: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def feedback(self) -> Feedback: ...

    @property
    def web_access(self) -> WebAccess: ...

    @property
    def canned_replies(self) -> CannedReplies: ...

    @property
    def case_tags(self) -> CaseTags: ...


class Transaction(Repositories, Protocol):
    """A unit of work: everything a flow changes for one message, committed together."""

    @property
    def views(self) -> Views:
        """The read side, inside this unit of work (it sees what the unit has written)."""
        ...


@dataclass(frozen=True)
class DayRecord:
    """What a day's figures are computed from (flows/reports.py): the cases opened since its
    start, the queue now, and the knowledge-base gaps since its start."""

    opened: tuple[Case, ...]
    waiting: tuple[Case, ...]
    gaps: GapCounts


@dataclass(frozen=True)
class PeriodRecord:
    """What a period's figures are computed from (flows/period_report.py): the cases opened
    in it, how many were opened in the period before it (None when no case at all had been
    opened before it), and the 👍/👎 given and the questions left unanswered in it."""

    cases: tuple[Case, ...]  # oldest first
    previous: int | None
    helpful: int
    unhelpful: int
    unanswered: tuple[tuple[str, int], ...]  # (kind, count) for every UNANSWERED_KINDS


@dataclass(frozen=True)
class CaseCard:
    """What a counsellor reads before answering: the case, the person's earlier cases, the
    latest of the conversation, and when the person last wrote."""

    case: Case
    earlier: tuple[Case, ...]
    history: tuple[StoredMessage, ...]
    last_message_at: datetime | None


class Views(Protocol):
    """The read side, for staff screens (the Telegram desk now, the web console next) and
    the exports: read one statement at a time, outside any unit of work."""

    async def person(self, channel: str, external_id: str) -> Person | None: ...

    async def case(self, case_id: int) -> Case | None: ...

    async def queue(self) -> list[Case]: ...

    async def open_cases(self) -> list[Case]: ...

    async def history(self, person_id: int, limit: int = 200) -> list[StoredMessage]: ...

    async def last_message_from(self, person_id: int) -> datetime | None: ...

    async def earlier_cases(self, person_id: int, before_case: int) -> list[Case]: ...

    async def case_card(self, case_id: int, history: int = 12) -> CaseCard | None: ...

    async def day(self, since: datetime) -> DayRecord: ...

    async def corrected_cases(self, since: datetime | None = None) -> list[CorrectedCase]: ...

    async def corrections(self, since: datetime | None = None) -> list[Correction]:
        """Every correction, not only each case's latest: who changed what, in turn, for a
        case's trail on a staff screen and for the trainers."""
        ...

    async def answer_ratings(
        self, since: datetime | None = None
    ) -> list[tuple[str, bool, str, datetime]]:
        """(article id, helpful, question, at) of every 👍 and 👎, oldest first: how answers
        fare, for the editors (`gap_questions` holds only the 👎)."""
        ...

    async def gap_questions(self, since: datetime) -> list[GapQuestion]: ...

    async def audit_entries(self, since: str = "") -> list[tuple[str, str, str, Any, str]]: ...

    async def deliveries(self, channel: str) -> list[tuple[Delivery, datetime | None]]:
        """Every reply and staff post the outbox holds for a channel, oldest first, with when
        it was sent: what went out and what still waits, for an operator's delivery screen."""
        ...

    async def period(
        self, start: datetime, end: datetime, previous_start: datetime
    ) -> PeriodRecord:
        """The cases opened in [start, end), the count of those opened in [previous_start,
        start), and the 👍/👎 and unanswered questions of [start, end): reports read one
        period, never the whole table."""
        ...


class Store(Repositories, Protocol):
    instance: str  # this instance's name, the same after a restart; workers are named by it

    @property
    def views(self) -> Views: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def transaction(
        self, *, person: str = "", urgent: bool = False
    ) -> AbstractAsyncContextManager[Transaction]:
        """A unit of work; `urgent` ones (danger signalled) go before the others waiting.
        Units of work for one `person` (a `person_key`) never run at the same time, on any
        instance: each sees what the one before it committed."""
        ...

    async def record_inbound(
        self, events: Sequence[InboundEvent], *, urgent: bool = False
    ) -> int:
        """Keep raw events before anything else happens; how many were new (a redelivered
        one is ignored). A batch with a message that signals danger goes ahead."""
        ...

    def singleton(
        self, name: str, lease: timedelta, *, wait: bool = False
    ) -> AbstractAsyncContextManager[bool]:
        """A job that must run on one worker at a time (the case watch, the purge, the Zalo
        token refresh): True for the one holder, False for the others (with `wait`, once
        the holder is done or its lease ran out)."""
        ...

    async def singleton_holder(self, name: str) -> str | None: ...

    async def checkpoint(self) -> None: ...

    async def purge(self, now: datetime, policy: RetentionPolicy, *, dry_run: bool) -> PurgeReport:
        ...

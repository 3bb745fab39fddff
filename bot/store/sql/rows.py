"""What every table family shares: the executor statements run on, how timestamps are
written (UTC ISO text, which sorts) and how rows read back as the domain's values.

A database module supplies the `Executor` (the PostgreSQL one will translate placeholders).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from flows.cases import Case, CaseStatus
from flows.messages import Priority, outgoing_from_dict
from flows.ports import Clock
from flows.store import Delivery, Person


class Row(Protocol):
    """A result row: by column name or by position."""

    def __getitem__(self, key: str | int) -> Any: ...


class Executor(Protocol):
    """Runs statements on one connection (inside or outside a transaction)."""

    # What a SELECT choosing rows to claim ends with: "" where one writer runs at a time
    # (SQLite); " FOR UPDATE SKIP LOCKED" where claims run at once (PostgreSQL), so that two
    # workers never choose the same rows.
    claim_lock: str

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""
        ...

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a statement and return its rows (also for INSERT … RETURNING)."""
        ...


class SqlFamily:
    """The statements of one table family on an executor: inside a unit of work (the
    transaction's) or one at a time outside it (the store's)."""

    def __init__(self, ex: Executor, clock: Clock) -> None:
        self.ex = ex
        self.clock = clock  # the store's, for stamps callers do not pass (first/last seen)


def ts(moment: datetime) -> str:
    """One sortable text form for every timestamp: UTC, microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_ts(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def required_ts(text: str | None) -> datetime:
    """A timestamp from a NOT NULL column: its absence is a bug, never papered over with
    the current time."""
    if not text:
        raise ValueError("a required timestamp is missing from a stored row")
    return datetime.fromisoformat(text)



def _person(row: Row) -> Person:
    return Person(
        id=row["id"],
        channel=row["channel"],
        external_id=row["external_id"],
        first_name=row["first_name"],
        flow=row["flow"],
        flow_data=json.loads(row["flow_data"]),
        created_at=parse_ts(row["created_at"]),
        consent_at=parse_ts(row["consent_at"]),
    )


# An outbox row `o` that is its recipient's oldest reply not yet sent or given up: only it may
# go out, so a reply waiting for a retry (or leased elsewhere) holds back the later ones to
# the same person, and their order is kept.
FIRST_PENDING = (
    "NOT EXISTS (SELECT 1 FROM outbox p WHERE p.channel = o.channel"
    " AND p.recipient = o.recipient AND p.sent_at IS NULL AND p.failed_at IS NULL"
    " AND p.id < o.id)"
)


def _delivery(row: Row) -> Delivery:
    return Delivery(
        id=row["id"],
        channel=row["channel"],
        recipient=row["recipient"],
        message=outgoing_from_dict(json.loads(row["payload"])),
        attempts=row["attempts"],
        person_id=row["person_id"],
        case_id=row["case_id"],
        created_at=required_ts(row["created_at"]),
    )


CASE_SELECT = (
    "SELECT c.*, p.channel AS person_channel, p.external_id AS person_external_id"
    " FROM cases c JOIN people p ON p.id = c.person_id"
)


def _case(row: Row) -> Case:
    return Case(
        id=row["id"],
        person_id=row["person_id"],
        status=CaseStatus(row["status"]),
        priority=Priority(row["priority"]),
        created_at=required_ts(row["created_at"]),
        channel=row["person_channel"],
        external_id=row["person_external_id"],
        category=row["category"],
        topic=row["topic"],
        summary=row["summary"],
        signals=tuple(json.loads(row["signals"])),
        details=json.loads(row["details"]),
        thread_id=row["thread_id"],
        card_ref=row["card_ref"],
        claimed_by=row["claimed_by"],
        claimed_at=parse_ts(row["claimed_at"]),
        first_reply_at=parse_ts(row["first_reply_at"]),
        closed_at=parse_ts(row["closed_at"]),
        outcome=row["outcome"],
        escalated_at=parse_ts(row["escalated_at"]),
    )

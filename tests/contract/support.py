"""Store-neutral helpers for the contract suite: each step is one committed unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flows.cases import Case
from flows.messages import Outgoing, Priority
from flows.store import Person, Store

CHANNEL = "telegram"


class Boom(Exception):
    """Raised on purpose inside a unit of work, to see what a failure leaves behind."""


async def new_person(
    store: Store, external_id: str = "100", first_name: str = "", *, channel: str = CHANNEL
) -> Person:
    async with store.transaction() as tx:
        return await tx.people.get(channel, external_id, first_name)


async def new_case(
    store: Store, person_id: int, at: datetime, priority: Priority = Priority.NORMAL,
    **fields: Any,
) -> Case:
    async with store.transaction() as tx:
        return await tx.cases.create(person_id, priority, at, **fields)


async def say(
    store: Store, person_id: int, text: str, at: datetime, *, direction: str = "in",
    kind: str = "text", case_id: int | None = None,
) -> int:
    async with store.transaction() as tx:
        return await tx.messages.add(person_id, direction, kind, text, at, case_id=case_id)


async def enqueue(
    store: Store, recipient: str, text: str, at: datetime, *,
    priority: Priority = Priority.NORMAL, channel: str = CHANNEL,
    person_id: int | None = None, case_id: int | None = None,
) -> int:
    async with store.transaction() as tx:
        return await tx.outbox.enqueue(channel, recipient, Outgoing(text, priority=priority), at,
                                person_id=person_id, case_id=case_id)


async def claim(store: Store, case_id: int, counsellor_id: int, at: datetime) -> bool:
    async with store.transaction() as tx:
        return await tx.cases.claim(case_id, counsellor_id, at)

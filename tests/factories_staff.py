"""Builders of staff-side actions for desk tests."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from datetime import UTC, datetime

from bot.app import Core
from flows.cases import claim_data
from flows.messages import Attachment, Priority, StaffIncoming
from flows.staff import Role, StaffMember

_ids = itertools.count(1)


def member(staff_id: int, name: str = "", *roles: Role) -> StaffMember:
    """A staff member as config.yaml lists them: the Telegram user id is id and address."""
    return StaffMember(staff_id, name, frozenset(roles or (Role.COUNSELLOR,)),
                       {"telegram": str(staff_id)})


def staff(
    actor: int = 5001,
    text: str = "",
    *,
    thread: str = "",
    button: str = "",
    name: str = "Hoa",
    attachment: str = "",
    edited: bool = False,
) -> StaffIncoming:
    n = next(_ids)
    return StaffIncoming(
        channel="telegram",
        event_id=f"s{n}",
        actor_id=actor,
        actor_name=name,
        received_at=datetime.now(UTC),
        thread_id=thread,
        text=text,
        button=button,
        attachment=Attachment(attachment) if attachment else None,
        message_ref=f"telegram:-100777:{9000 + n}",
        edited=edited,
    )


async def seed_waiting_cases(core: Core, count: int) -> None:
    """`count` people, each with a waiting case (ids 1..count)."""
    async with core.store.transaction() as tx:
        for i in range(count):
            person = await tx.people.get("telegram", str(100_000 + i))
            await tx.cases.create(person.id, Priority.NORMAL, core.services.clock())


async def claim_race(core: Core, counsellors: list[int], cases: int) -> Counter[int]:
    """Every counsellor presses "Nhận ca" on every case, each in its own shuffled order, all
    at once; returns how many presses won each case."""
    wins: Counter[int] = Counter()

    async def counsellor(uid: int) -> None:
        order = list(range(1, cases + 1))
        random.Random(uid).shuffle(order)
        for case_id in order:
            handled = await core.desk.handle(staff(uid, button=claim_data(case_id)))
            if "Bạn đã nhận ca" in handled.reply_text:
                wins[case_id] += 1

    await asyncio.gather(*(counsellor(uid) for uid in counsellors))
    return wins

"""Steps of the staff desk for the tests of the counsellors' tools: a person's case in its
topic, a staff member's command there or in General, and what went where."""

from __future__ import annotations

from bot.core import Core
from flows.messages import Handled
from tests.factories import make_incoming, queued
from tests.factories_staff import staff

HOA, NAM, LAN = 5001, 5002, 6001  # counsellors Chị Hoa and Anh Nam; supervisor Cô Lan
NAMES = {HOA: "Hoa", NAM: "Nam", LAN: "Lan"}


async def case_in_topic(core: Core, user: str = "111", thread: str = "77",
                        description: str = "con tôi bị bắt nạt") -> int:
    """A person asks for a counsellor; their case gets the staff topic `thread`."""
    d = core.dispatcher
    for step in (make_incoming(button="menu:counsellor", user=user),
                 make_incoming(button="privacy:agree", user=user),
                 make_incoming(button="ho:topic:tre_em", user=user),
                 make_incoming(description, user=user)):
        await d.handle(step)
    person = await core.store.views.person("telegram", user)
    assert person is not None
    case_id = int(person.flow_data["case_id"])
    await core.store.cases.set_thread(case_id, thread)
    return case_id


async def claimed_case(core: Core, by: int = HOA, user: str = "111", thread: str = "77") -> int:
    case_id = await case_in_topic(core, user, thread)
    await core.desk.handle(staff(by, button=f"case:claim:{case_id}", name=NAMES[by]))
    return case_id


async def say(core: Core, who: int, text: str, thread: str = "", *,
              edited: bool = False) -> Handled:
    return await core.desk.handle(staff(who, text, thread=thread, name=NAMES.get(who, "X"),
                                        edited=edited))


async def to_person(core: Core, user: str = "111") -> list[str]:
    return [q.text for q in await queued(core, "telegram") if q.recipient == user]


async def posts(core: Core, where: str | None = None) -> list[str]:
    """The staff group's posts (not card refreshes), in order; `where`: "case:<id>" or
    "general"."""
    return [q.text for q in await queued(core, "staff")
            if q.text and (where is None or q.recipient == where)]


async def last_post(core: Core) -> str:
    return (await posts(core))[-1]


async def card_refreshes(core: Core, case_id: int) -> int:
    return sum(1 for d, _ in await core.store.views.deliveries("staff")
               if d.recipient == f"case:{case_id}" and d.message.edit == "card")


async def audit(core: Core, *actions: str) -> list[tuple[str, str, object, str]]:
    """(actor, action, case id, detail) of the audit entries with these actions, in order."""
    return [(actor, action, case_id, detail)
            for _, actor, action, case_id, detail in await core.store.views.audit_entries()
            if action in actions]

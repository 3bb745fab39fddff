"""The dispatcher's promises: nothing lost, nothing repeated, order kept per person."""

from __future__ import annotations

import asyncio

from bot.app import Core
from tests.factories import make_incoming


async def test_a_redelivered_event_is_handled_once(core: Core) -> None:
    first = await core.dispatcher.handle(make_incoming("/start", event_id="update-1"))
    again = await core.dispatcher.handle(make_incoming("/start", event_id="update-1"))
    assert first.replies and again.route == "duplicate" and again.replies == ()
    due = await core.store.outbox.due("telegram", core.clock(), 10)
    assert len(due) == 1


async def test_the_message_and_the_reply_are_both_in_the_history(core: Core) -> None:
    await core.dispatcher.handle(make_incoming("/help"))
    person = await core.store.views.person("telegram", "111")
    assert person is not None
    history = await core.store.views.history(person.id)
    assert [(m.direction, m.text[:5]) for m in history] == [("in", "/help"), ("out", "Mình ")]


async def test_one_persons_messages_are_answered_in_order(core: Core) -> None:
    texts = ["/help", "/start", "/huy", "/xyz", "/help"]
    await asyncio.gather(*(core.dispatcher.handle(make_incoming(t)) for t in texts))
    person = await core.store.views.person("telegram", "111")
    assert person is not None
    incoming = [m.text for m in await core.store.views.history(person.id) if m.direction == "in"]
    assert incoming == texts
    assert len(core.dispatcher.locks) == 0  # no lock left behind


async def test_many_people_are_handled_concurrently(core: Core) -> None:
    await asyncio.gather(
        *(core.dispatcher.handle(make_incoming("/start", user=str(u))) for u in range(50))
    )
    due = await core.store.outbox.due("telegram", core.clock(), 100)
    assert sorted(int(d.recipient) for d in due) == list(range(50))


async def test_after_an_internal_error_the_person_gets_an_apology(core: Core) -> None:
    incoming = make_incoming("a message we failed on")
    await core.dispatcher.handle_failure(incoming)
    due = await core.store.outbox.due("telegram", core.clock(), 10)
    assert "Xin lỗi, hệ thống vừa gặp trục trặc" in due[0].message.text
    assert "113" in due[0].message.text
    person = await core.store.views.person("telegram", "111")
    assert person is not None
    kept = [m.text for m in await core.store.views.history(person.id) if m.direction == "in"]
    assert kept == ["a message we failed on"]  # the message is kept, not lost

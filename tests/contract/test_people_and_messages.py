"""People, their flow state and their conversation, through the store port."""

from __future__ import annotations

from datetime import timedelta

from flows.store import Store
from tests.conftest import Clock
from tests.contract.support import CHANNEL, new_case, new_person, say


async def test_a_person_is_created_once_and_is_the_same_person_after(
    store: Store, clock: Clock
) -> None:
    first = await new_person(store, "42", "Lan")
    clock.advance(60)
    again = await new_person(store, "42", "Lan")
    found = await store.views.person(CHANNEL, "42")
    assert again.id == first.id
    assert found is not None and found.id == first.id
    assert found.created_at == clock.start  # the first contact, not the latest


async def test_the_same_id_on_another_channel_is_another_person(store: Store) -> None:
    on_telegram = await new_person(store, "42", channel="telegram")
    on_zalo = await new_person(store, "42", channel="zalo")
    assert on_telegram.id != on_zalo.id
    found = await store.views.person("zalo", "42")
    assert found is not None and found.id == on_zalo.id and found.channel == "zalo"


async def test_a_new_person_starts_in_the_menu_with_no_data_and_no_consent(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "42", "Lan")
    assert (person.channel, person.external_id, person.first_name) == (CHANNEL, "42", "Lan")
    assert person.flow == "menu" and person.flow_data == {}
    assert person.consent_at is None
    assert person.created_at == clock()


async def test_a_known_first_name_is_kept_when_the_channel_sends_none(store: Store) -> None:
    await new_person(store, "42", "Lan")
    assert (await new_person(store, "42", "")).first_name == "Lan"
    assert (await new_person(store, "42", "Mai")).first_name == "Mai"  # a new one wins


async def test_someone_never_seen_is_not_found(store: Store) -> None:
    await new_person(store, "42")
    assert await store.views.person(CHANNEL, "43") is None
    assert await store.views.person("zalo", "42") is None


async def test_a_flow_and_its_data_are_kept_as_set(store: Store) -> None:
    person = await new_person(store, "42")
    data = {"question": "trợ cấp người cao tuổi", "answers": {"safe": False, "n": [1, 2]}}
    async with store.transaction() as tx:
        await tx.people.set_flow(person.id, "emergency", data)
    found = await store.views.person(CHANNEL, "42")
    assert found is not None and found.flow == "emergency" and found.flow_data == data
    async with store.transaction() as tx:
        await tx.people.set_flow(person.id, "menu", {})
        assert (await tx.people.get(CHANNEL, "42")).flow == "menu"  # seen inside the same unit


async def test_messages_come_back_in_order_with_what_was_stored(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    first = await say(store, person.id, "xin chào", clock())
    clock.advance(5)
    second = await say(store, person.id, "Chào bạn", clock(), direction="out")
    assert second != first
    messages = await store.views.history(person.id)
    assert [(m.id, m.direction, m.kind, m.text) for m in messages] == [
        (first, "in", "text", "xin chào"), (second, "out", "text", "Chào bạn")]
    assert [m.created_at for m in messages] == [clock.start, clock()]
    assert all(m.person_id == person.id and m.case_id is None for m in messages)


async def test_messages_of_returns_the_latest_ones_oldest_first(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    for n in range(5):
        await say(store, person.id, f"m{n}", clock())
        clock.advance(1)
    assert [m.text for m in await store.views.history(person.id, limit=3)] == ["m2", "m3", "m4"]


async def test_messages_of_holds_only_that_persons_messages(store: Store, clock: Clock) -> None:
    lan = await new_person(store, "1")
    mai = await new_person(store, "2")
    await say(store, lan.id, "của Lan", clock())
    await say(store, mai.id, "của Mai", clock())
    assert [m.text for m in await store.views.history(lan.id)] == ["của Lan"]


async def test_a_message_can_belong_to_a_case_from_the_start_or_be_linked_later(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    at_once = await say(store, person.id, "trong ca", clock(), case_id=case.id)
    later = await say(store, person.id, "trước khi mở ca", clock())
    async with store.transaction() as tx:
        await tx.messages.link(later, case.id)
    by_id = {m.id: m.case_id for m in await store.views.history(person.id)}
    assert by_id == {at_once: case.id, later: case.id}


async def test_the_last_message_from_a_person_is_their_latest_own_message(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    assert await store.views.last_message_from(person.id) is None
    await say(store, person.id, "một", clock())
    clock.advance(30)
    await say(store, person.id, "hai", clock())
    said_at = clock()
    clock.advance(30)
    await say(store, person.id, "trả lời", clock(), direction="out")  # a reply is not theirs
    assert await store.views.last_message_from(person.id) == said_at


async def test_last_seen_follows_each_contact(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    clock.advance(timedelta(hours=2).total_seconds())
    await new_person(store)
    async with store.transaction() as tx:
        summary = await tx.people.data_summary(person.id)
    assert summary.first_seen == clock.start and summary.last_seen == clock()

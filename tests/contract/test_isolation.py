"""The unit of work's promises: all or nothing, no interleaving, one claim wins, urgent work
first, and what is committed outlives the store being closed."""

from __future__ import annotations

import asyncio

import pytest

from flows.cases import CaseStatus
from flows.messages import Outgoing
from flows.store import Store, person_key
from tests.conftest import Clock
from tests.contract.support import CHANNEL, Boom, new_case, new_person

YIELDS = 5  # turns of the event loop handed to other tasks while a unit of work is open


async def pause() -> None:
    for _ in range(YIELDS):
        await asyncio.sleep(0)


async def test_a_failed_unit_of_work_leaves_nothing_behind(store: Store, clock: Clock) -> None:
    known = await new_person(store, "1")
    case = await new_case(store, known.id, clock())
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            newcomer = await tx.people.get(CHANNEL, "2", "Mai")
            await tx.messages.add(newcomer.id, "in", "text", "xin chào", clock())
            await tx.people.set_flow(known.id, "policy", {"step": 2})
            await tx.cases.create(newcomer.id, case.priority, clock())
            await tx.cases.claim(case.id, 5001, clock())
            await tx.inbox.mark_processed(CHANNEL, "e1", clock())
            await tx.outbox.enqueue(CHANNEL, "2", Outgoing("Chào Mai"), clock())
            await tx.feedback.add_rating(known.id, "tro-cap", False, "không rõ", clock())
            await tx.feedback.add_unanswered(known.id, "hỏi lạ", None, "no_answer", clock())
            raise Boom
    assert await store.views.person(CHANNEL, "2") is None
    after = await store.views.person(CHANNEL, "1")
    assert after is not None and (after.flow, after.flow_data) == ("menu", {})
    unclaimed = await store.views.case(case.id)
    assert unclaimed is not None and unclaimed.status == CaseStatus.WAITING
    assert await store.outbox.due(CHANNEL, clock(), 10) == []
    assert await store.views.gap_questions(clock.start) == []
    async with store.transaction() as tx:
        assert not await tx.inbox.is_processed(CHANNEL, "e1")  # so a replay handles it again
        assert [c.id for c in await tx.cases.waiting()] == [case.id]


async def test_a_cancelled_unit_of_work_leaves_nothing_behind_and_the_store_goes_on(
    store: Store,
) -> None:
    entered = asyncio.Event()

    async def stuck() -> None:
        async with store.transaction() as tx:
            await tx.people.get(CHANNEL, "1")
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stuck())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.views.person(CHANNEL, "1") is None
    assert (await new_person(store, "2")).external_id == "2"  # nothing is left locked


async def test_concurrent_read_modify_writes_lose_no_update(store: Store) -> None:
    person = await new_person(store)

    async def increment() -> None:
        async with store.transaction() as tx:
            seen = await tx.people.get(CHANNEL, person.external_id)
            await pause()  # the others run here; none may see or write the old count
            count = int(seen.flow_data.get("count", 0))
            await tx.people.set_flow(person.id, "menu", {"count": count + 1})

    await asyncio.gather(*(increment() for _ in range(10)))
    found = await store.views.person(CHANNEL, person.external_id)
    assert found is not None and found.flow_data == {"count": 10}


async def test_a_failure_in_one_unit_of_work_does_not_undo_another(
    store: Store, clock: Clock
) -> None:
    async def failing() -> None:
        async with store.transaction() as tx:
            await tx.people.get(CHANNEL, "1")
            await pause()
            raise Boom

    async def succeeding() -> None:
        async with store.transaction() as tx:
            person = await tx.people.get(CHANNEL, "2")
            await pause()
            await tx.messages.add(person.id, "in", "text", "vẫn còn", clock())

    results = await asyncio.gather(failing(), succeeding(), return_exceptions=True)
    assert isinstance(results[0], Boom) and results[1] is None
    assert await store.views.person(CHANNEL, "1") is None
    kept = await store.views.person(CHANNEL, "2")
    assert kept is not None
    assert [m.text for m in await store.views.history(kept.id)] == ["vẫn còn"]


async def test_a_read_outside_never_sees_work_that_is_later_undone(store: Store) -> None:
    entered = asyncio.Event()

    async def failing() -> None:
        async with store.transaction() as tx:
            await tx.people.get(CHANNEL, "1", "Mai")
            entered.set()
            await pause()
            raise Boom

    task = asyncio.create_task(failing())
    await entered.wait()
    seen = await store.views.person(CHANNEL, "1")
    with pytest.raises(Boom):
        await task
    assert seen is None


async def test_two_counsellors_claiming_at_once_get_the_case_once(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())

    async def press(counsellor_id: int) -> bool:
        async with store.transaction() as tx:
            current = await tx.cases.get(case.id)
            await pause()  # both have seen it waiting
            assert current is not None
            return await tx.cases.claim(case.id, counsellor_id, clock())

    wins = await asyncio.gather(press(5001), press(5002))
    assert sorted(wins) == [False, True]
    claimed = await store.views.case(case.id)
    winner = 5001 if wins[0] else 5002
    assert claimed is not None and claimed.claimed_by == winner


async def test_an_urgent_unit_of_work_waits_behind_no_ordinary_one(store: Store) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    done: list[str] = []

    async def holder() -> None:
        async with store.transaction(person=person_key(CHANNEL, "1")) as tx:
            await tx.people.get(CHANNEL, "1")
            entered.set()
            await release.wait()
        done.append("holder")

    async def unit(name: str, external_id: str, *, urgent: bool) -> None:
        async with store.transaction(person=person_key(CHANNEL, external_id),
                                     urgent=urgent) as tx:
            await tx.people.get(CHANNEL, external_id)
        done.append(name)

    held = asyncio.create_task(holder())
    await entered.wait()
    ordinary = asyncio.create_task(unit("ordinary", "2", urgent=False))
    await pause()  # it is waiting (or, where units run at once, running) before the urgent one
    urgent = asyncio.create_task(unit("urgent", "3", urgent=True))
    await pause()
    # Where units for different people run at once, the urgent one ends while the holder
    # still holds its own; where one writer runs at a time, it cannot, and this times out.
    await asyncio.wait({urgent}, timeout=1.0)
    release.set()
    await asyncio.gather(held, ordinary, urgent)
    # One writer at a time (SQLite): the urgent unit goes next, before the ordinary one that
    # waited longer. Units for different people at once (PostgreSQL): it waits for nobody.
    assert done.index("urgent") < done.index("ordinary") or done.index("urgent") < done.index(
        "holder"), done


async def test_what_was_committed_outlives_closing_the_store(store: Store, clock: Clock) -> None:
    person = await new_person(store, "42", "Lan")
    async with store.transaction() as tx:
        await tx.people.set_flow(person.id, "policy", {"last_question": "trợ cấp"})
        await tx.messages.add(person.id, "in", "text", "trợ cấp người cao tuổi", clock())
    await store.close()
    await store.open()
    found = await store.views.person(CHANNEL, "42")
    assert found is not None and found.flow_data == {"last_question": "trợ cấp"}
    assert [m.text for m in await store.views.history(found.id)] == ["trợ cấp người cao tuổi"]


async def test_a_checkpoint_beside_running_units_of_work_loses_nothing(store: Store) -> None:
    async def write(n: int) -> None:
        async with store.transaction() as tx:
            await tx.people.get(CHANNEL, str(n))
            await pause()

    await asyncio.gather(write(1), store.checkpoint(), write(2), store.checkpoint())
    assert await store.views.person(CHANNEL, "1") is not None
    assert await store.views.person(CHANNEL, "2") is not None

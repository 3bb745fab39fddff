"""Cases and the counsellors' queue, through the store port."""

from __future__ import annotations

from flows.cases import CaseStatus
from flows.messages import Priority
from flows.store import Store
from tests.conftest import Clock
from tests.contract.support import CHANNEL, claim, new_case, new_person, say


async def test_a_new_case_waits_with_what_it_was_opened_with(store: Store, clock: Clock) -> None:
    person = await new_person(store, "42")
    case = await new_case(
        store, person.id, clock(), Priority.URGENT, category="bạo lực", topic="gia_dinh",
        summary="bị đe dọa", signals=("threat", "child"), details={"safe": "no"},
    )
    assert case.status == CaseStatus.WAITING and case.priority == Priority.URGENT
    assert (case.person_id, case.channel, case.external_id) == (person.id, CHANNEL, "42")
    assert (case.category, case.topic, case.summary) == ("bạo lực", "gia_dinh", "bị đe dọa")
    assert case.signals == ("threat", "child") and case.details == {"safe": "no"}
    assert case.created_at == clock()
    assert case.claimed_by is None and case.closed_at is None and case.thread_id == ""
    assert await store.views.case(case.id) == case
    async with store.transaction() as tx:
        assert await tx.cases.get(case.id) == case


async def test_an_unknown_case_is_none(store: Store) -> None:
    assert await store.views.case(999) is None
    async with store.transaction() as tx:
        assert await tx.cases.get(999) is None


async def test_a_persons_open_case_is_their_latest_waiting_or_active_one(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "1")
    other = await new_person(store, "2")
    await new_case(store, other.id, clock())
    older = await new_case(store, person.id, clock())
    newer = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        assert (await tx.cases.open_of(person.id)) == newer
        await tx.cases.set_status(newer.id, CaseStatus.CLOSED, clock(), outcome="1")
        found = await tx.cases.open_of(person.id)
        assert found is not None and found.id == older.id
        await tx.cases.set_status(older.id, CaseStatus.CANCELLED, clock())
        assert await tx.cases.open_of(person.id) is None


async def test_updating_a_case_changes_only_the_fields_given(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock(), category="nhà ở", summary="cũ",
                          signals=("a",), details={"k": 1})
    clock.advance(60)
    async with store.transaction() as tx:
        await tx.cases.update(case.id, summary="mới")
        await tx.cases.update(case.id, priority=Priority.CRITICAL, signals=["a", "b"],
                             details={"k": 2}, escalated_at=clock())
    updated = await store.views.case(case.id)
    assert updated is not None
    assert (updated.summary, updated.category) == ("mới", "nhà ở")
    assert updated.priority == Priority.CRITICAL and updated.signals == ("a", "b")
    assert updated.details == {"k": 2} and updated.escalated_at == clock()
    assert updated.created_at == case.created_at and updated.status == CaseStatus.WAITING


async def test_a_case_is_claimed_once(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    clock.advance(90)
    assert await claim(store, case.id, 5001, clock())
    assert not await claim(store, case.id, 5002, clock())
    claimed = await store.views.case(case.id)
    assert claimed is not None and claimed.status == CaseStatus.ACTIVE
    assert claimed.claimed_by == 5001 and claimed.claimed_at == clock()


async def test_a_cancelled_or_closed_case_cannot_be_claimed(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    cancelled = await new_case(store, person.id, clock())
    closed = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        assert await tx.cases.set_status(cancelled.id, CaseStatus.CANCELLED, clock())
        assert await tx.cases.set_status(closed.id, CaseStatus.CLOSED, clock(), outcome="1")
    assert not await claim(store, cancelled.id, 5001, clock())
    assert not await claim(store, closed.id, 5001, clock())
    after = await store.views.case(cancelled.id)
    assert after is not None and after.status == CaseStatus.CANCELLED and after.claimed_by is None


async def test_closing_a_case_records_its_outcome_and_when(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    await claim(store, case.id, 5001, clock())
    clock.advance(600)
    async with store.transaction() as tx:
        assert await tx.cases.set_status(case.id, CaseStatus.CLOSED, clock(), outcome="đã tư vấn")
    closed = await store.views.case(case.id)
    assert closed is not None and closed.status == CaseStatus.CLOSED
    assert closed.outcome == "đã tư vấn" and closed.closed_at == clock()
    assert closed.claimed_by == 5001  # who handled it stays on record


async def test_a_finished_case_does_not_change_status_again(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        assert await tx.cases.set_status(case.id, CaseStatus.CLOSED, clock(), outcome="1")
    clock.advance(60)
    async with store.transaction() as tx:
        for status in CaseStatus:
            assert not await tx.cases.set_status(case.id, status, clock(), outcome="2"), status
    after = await store.views.case(case.id)
    assert after is not None and after.status == CaseStatus.CLOSED
    assert after.outcome == "1" and after.closed_at == clock.start


async def test_a_case_never_goes_back_to_waiting(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    waiting = await new_case(store, person.id, clock())
    active = await new_case(store, person.id, clock())
    await claim(store, active.id, 5001, clock())
    async with store.transaction() as tx:
        assert not await tx.cases.set_status(waiting.id, CaseStatus.WAITING, clock())
        assert not await tx.cases.set_status(active.id, CaseStatus.WAITING, clock())
    after = await store.views.case(active.id)
    assert after is not None and after.status == CaseStatus.ACTIVE


async def test_the_waiting_queue_is_ordered_by_priority_then_waiting_time(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    normal_old = await new_case(store, person.id, clock(), Priority.NORMAL)
    clock.advance(10)
    urgent = await new_case(store, person.id, clock(), Priority.URGENT)
    clock.advance(10)
    normal_new = await new_case(store, person.id, clock(), Priority.NORMAL)
    clock.advance(10)
    critical = await new_case(store, person.id, clock(), Priority.CRITICAL)
    review = await new_case(store, person.id, clock(), Priority.REVIEW)
    taken = await new_case(store, person.id, clock(), Priority.CRITICAL)
    await claim(store, taken.id, 5001, clock())
    expected = [critical.id, urgent.id, review.id, normal_old.id, normal_new.id]
    async with store.transaction() as tx:
        assert [c.id for c in await tx.cases.waiting()] == expected
        assert [await tx.cases.queue_position(case_id) for case_id in expected] == [1, 2, 3, 4, 5]


async def test_cases_opened_at_the_same_moment_keep_their_arrival_order(
    store: Store, clock: Clock
) -> None:
    # The hand-moved clock makes ties; a coarse system clock makes them in production too.
    # Whoever is told "you are number 1" must be the one taken next.
    person = await new_person(store)
    ids = [(await new_case(store, person.id, clock())).id for _ in range(3)]
    async with store.transaction() as tx:
        assert [c.id for c in await tx.cases.waiting()] == ids
        assert [await tx.cases.queue_position(case_id) for case_id in ids] == [1, 2, 3]


async def test_raising_a_priority_moves_the_case_up_the_queue(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    first = await new_case(store, person.id, clock())
    clock.advance(10)
    second = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        assert await tx.cases.queue_position(second.id) == 2
        await tx.cases.update(second.id, priority=Priority.URGENT)
        assert await tx.cases.queue_position(second.id) == 1
        assert await tx.cases.queue_position(first.id) == 2


async def test_open_cases_are_the_waiting_and_the_active_ones_by_priority(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    waiting = await new_case(store, person.id, clock(), Priority.NORMAL)
    clock.advance(10)
    active = await new_case(store, person.id, clock(), Priority.URGENT)
    closed = await new_case(store, person.id, clock(), Priority.CRITICAL)
    await claim(store, active.id, 5001, clock())
    async with store.transaction() as tx:
        await tx.cases.set_status(closed.id, CaseStatus.CLOSED, clock(), outcome="1")
        assert [c.id for c in await tx.cases.open()] == [active.id, waiting.id]


async def test_cases_since_a_moment_include_that_moment(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    await new_case(store, person.id, clock())
    clock.advance(3600)
    boundary = clock()
    on_it = await new_case(store, person.id, clock())
    clock.advance(1)
    after = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.cases.set_status(after.id, CaseStatus.CLOSED, clock(), outcome="1")
        assert [c.id for c in await tx.cases.since(boundary)] == [on_it.id, after.id]


async def test_a_counsellors_active_cases_are_those_they_hold_open(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    # The fourth stays waiting: nobody's active case.
    mine, done, theirs, _ = [(await new_case(store, person.id, clock())).id for _ in range(4)]
    for case_id in (mine, done):
        await claim(store, case_id, 5001, clock())
    await claim(store, theirs, 5002, clock())
    async with store.transaction() as tx:
        await tx.cases.set_status(done, CaseStatus.CLOSED, clock(), outcome="1")
        assert [c.id for c in await tx.cases.active_of(5001)] == [mine]
        assert [c.id for c in await tx.cases.active_of(5002)] == [theirs]


async def test_a_case_handed_to_another_counsellor_is_theirs(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    await claim(store, case.id, 5001, clock())
    async with store.transaction() as tx:
        await tx.cases.set_claimant(case.id, 5002)
        assert await tx.cases.active_of(5001) == []
        assert [c.id for c in await tx.cases.active_of(5002)] == [case.id]
        assert await tx.cases.set_status(case.id, CaseStatus.ACTIVE, clock())  # a transfer
    after = await store.views.case(case.id)
    assert after is not None and after.claimed_by == 5002 and after.claimed_at == clock.start


async def test_recent_waits_are_seconds_to_claim_latest_claim_first(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    cases = [await new_case(store, person.id, clock()) for _ in range(3)]
    await new_case(store, person.id, clock())  # never claimed: no wait to tell
    for case in cases:
        clock.advance(30)
        await claim(store, case.id, 5001, clock())
    async with store.transaction() as tx:
        assert await tx.cases.recent_waits() == [90.0, 60.0, 30.0]
        assert await tx.cases.recent_waits(limit=2) == [90.0, 60.0]


async def test_the_first_reply_is_recorded_once(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    clock.advance(120)
    first = clock()
    async with store.transaction() as tx:
        await tx.cases.mark_first_reply(case.id, first)
    clock.advance(60)
    async with store.transaction() as tx:
        await tx.cases.mark_first_reply(case.id, clock())
    after = await store.views.case(case.id)
    assert after is not None and after.first_reply_at == first


async def test_last_activity_is_the_latest_message_of_the_case(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        assert await tx.cases.last_activity(case.id) is None
    await say(store, person.id, "em cần giúp", clock(), case_id=case.id)
    clock.advance(300)
    await say(store, person.id, "chị đây", clock(), direction="staff", case_id=case.id)
    replied_at = clock()
    clock.advance(300)
    await say(store, person.id, "ngoài ca", clock())  # not part of the case
    async with store.transaction() as tx:
        assert await tx.cases.last_activity(case.id) == replied_at


async def test_a_case_is_found_by_its_staff_topic(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    old = await new_case(store, person.id, clock())
    await store.cases.set_thread(old.id, "77")
    async with store.transaction() as tx:
        found = await tx.cases.by_thread("77")
        assert found is not None and found.id == old.id and found.thread_id == "77"
        assert await tx.cases.by_thread("78") is None
    new = await new_case(store, person.id, clock())
    await store.cases.set_thread(new.id, "77")  # a reused topic leads to the latest case
    async with store.transaction() as tx:
        found = await tx.cases.by_thread("77")
        assert found is not None and found.id == new.id


async def test_a_case_card_is_kept_until_the_case_moves_to_a_new_topic(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    await store.cases.set_thread(case.id, "77")
    await store.cases.set_card(case.id, "telegram:-100:555")
    carded = await store.views.case(case.id)
    assert carded is not None and carded.card_ref == "telegram:-100:555"
    await store.cases.set_thread(case.id, "88")
    moved = await store.views.case(case.id)
    assert moved is not None and moved.thread_id == "88" and moved.card_ref == ""


async def test_earlier_cases_are_the_persons_five_previous_newest_first(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "1")
    other = await new_person(store, "2")
    ids = []
    for _ in range(7):
        ids.append((await new_case(store, person.id, clock())).id)
        await new_case(store, other.id, clock())
        clock.advance(60)
    earlier = await store.views.earlier_cases(person.id, ids[6])
    assert [c.id for c in earlier] == [ids[5], ids[4], ids[3], ids[2], ids[1]]
    assert await store.views.earlier_cases(person.id, ids[0]) == []

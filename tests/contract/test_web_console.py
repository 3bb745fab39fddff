"""What the web console keeps and finds: sign-in links used once and only in time, sessions
that can be revoked, only hashes of their secrets; cases found by filters, a page at a time,
and who held a case."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import cast

from bot.store.port import EdgeStore
from flows.case_search import PAGE, CaseFilter
from flows.cases import CaseStatus
from flows.messages import Priority
from flows.store import Store
from tests.conftest import Clock

MINUTES_10 = timedelta(minutes=10)


async def test_a_sign_in_link_is_used_once_and_only_before_it_expires(
    store: Store, clock: Clock
) -> None:
    access = store.web_access
    await access.issue_sign_in("h1", 5001, clock(), clock() + MINUTES_10)
    await access.issue_sign_in("h2", 5002, clock(), clock() + MINUTES_10)
    assert await access.sign_in_usable("h1", clock())
    first, second = await asyncio.gather(access.use_sign_in("h1", clock()),
                                         access.use_sign_in("h1", clock()))
    assert sorted([first, second], key=lambda x: x is None) == [5001, None]  # once, two presses
    assert not await access.sign_in_usable("h1", clock())
    clock.advance(MINUTES_10.total_seconds())
    assert await access.use_sign_in("h2", clock()) is None  # expired
    assert await access.use_sign_in("unknown", clock()) is None


async def test_a_session_lasts_until_it_expires_or_is_revoked(
    store: Store, clock: Clock
) -> None:
    access = store.web_access
    await access.open_session("s1", 5001, "csrf-1", clock(), clock() + timedelta(hours=12))
    await access.open_session("s2", 5001, "csrf-2", clock(), clock() + timedelta(hours=12))
    await access.open_session("s3", 5002, "csrf-3", clock(), clock() + timedelta(hours=1))
    found = await access.session("s1", clock())
    assert found is not None and (found.staff_id, found.csrf) == (5001, "csrf-1")
    await access.revoke_session("s1", clock())
    assert await access.session("s1", clock()) is None
    assert await access.revoke_sessions_of(5001, clock()) == 1  # s2; s1 was revoked already
    assert await access.session("s2", clock()) is None
    clock.advance(3600)
    assert await access.session("s3", clock()) is None


async def seed(store: Store, clock: Clock) -> list[int]:
    ids = []
    async with store.transaction() as tx:
        for n in range(PAGE + 5):
            person = await tx.people.get("zalo" if n % 2 else "telegram", str(1000 + n))
            priority = Priority.CRITICAL if n % 5 == 0 else Priority.NORMAL
            case = await tx.cases.create(person.id, priority, clock(), category="violence"
                                         if n % 3 == 0 else None)
            ids.append(case.id)
            if n % 4 == 0:
                assert await tx.cases.claim(case.id, 7001, clock())
                await tx.audit.record("staff:7001", "case_claimed", clock(), case_id=case.id)
            clock.advance(60)
    return ids


async def test_cases_are_found_by_their_filters_a_page_at_a_time_newest_first(
    store: Store, clock: Clock
) -> None:
    search = cast(EdgeStore, store).case_search
    start = clock()
    ids = await seed(store, clock)
    everything, total = await search.find(CaseFilter())
    assert total == len(ids) and [c.id for c in everything] == ids[::-1][:PAGE]
    rest, _ = await search.find(CaseFilter(page=1))
    assert [c.id for c in rest] == ids[::-1][PAGE:]
    critical, total = await search.find(CaseFilter(priority=Priority.CRITICAL,
                                                   channel="telegram"))
    assert {c.id for c in critical} == {ids[n] for n in range(0, len(ids), 10)}
    assert total == len(critical)
    claimed, _ = await search.find(CaseFilter(counsellor=7001, status=CaseStatus.ACTIVE))
    assert {c.id for c in claimed} == {ids[n] for n in range(0, len(ids), 4)}
    early, _ = await search.find(CaseFilter(opened_from=start,
                                            opened_to=start + timedelta(minutes=3)))
    assert [c.id for c in early] == ids[:3][::-1]
    assert (await search.find(CaseFilter(number=ids[7])))[1] == 1
    assert (await search.find(CaseFilter(category="violence")))[1] == len(range(0, len(ids), 3))
    assert await search.categories() == ["violence"]


async def test_a_counsellor_held_the_cases_they_claimed_or_were_handed(
    store: Store, clock: Clock
) -> None:
    search = cast(EdgeStore, store).case_search
    async with store.transaction() as tx:
        person = await tx.people.get("telegram", "42")
        claimed = await tx.cases.create(person.id, Priority.URGENT, clock())
        handed = await tx.cases.create(person.id, Priority.URGENT, clock())
        other = await tx.cases.create(person.id, Priority.URGENT, clock())
        assert await tx.cases.claim(claimed.id, 7001, clock())
        assert await tx.cases.claim(handed.id, 7002, clock())
        await tx.audit.record("staff:7002", "case_claimed", clock(), case_id=handed.id)
        await tx.cases.set_claimant(handed.id, 7001)
        await tx.audit.record("staff:7002", "case_transferred", clock(), case_id=handed.id,
                              detail="to staff:7001")
        await tx.cases.set_claimant(claimed.id, 7003)  # handed on since: still held once
        await tx.audit.record("staff:7001", "case_claimed", clock(), case_id=claimed.id)
    assert await search.held(claimed.id, 7001) and await search.held(handed.id, 7001)
    assert await search.held(handed.id, 7002)  # claimed it before handing it on
    assert not await search.held(other.id, 7001)
    mine, total = await search.find(CaseFilter(held_by=7001))
    assert total == 2 and {c.id for c in mine} == {claimed.id, handed.id}
    trail = await search.trail(handed.id)
    assert [(e.actor, e.action, e.detail) for e in trail] == [
        ("staff:7002", "case_claimed", ""), ("staff:7002", "case_transferred", "to staff:7001")]


async def test_cases_are_found_by_a_tag_and_by_words_of_their_summary(
    store: Store, clock: Clock
) -> None:
    search = cast(EdgeStore, store).case_search
    async with store.transaction() as tx:
        person = await tx.people.get("telegram", "42")
        hit = await tx.cases.create(person.id, Priority.URGENT, clock(),
                                    summary="Con bị đánh ở trường, 100% sợ")
        miss = await tx.cases.create(person.id, Priority.URGENT, clock(),
                                     summary="Hỏi trợ cấp người cao tuổi")
        await tx.case_tags.add(hit.id, "tai-phat", "staff:7001", clock())
        await tx.case_tags.add(miss.id, "tro-cap", "staff:7001", clock())
    tagged, total = await search.find(CaseFilter(tag="tai-phat"))
    assert total == 1 and [c.id for c in tagged] == [hit.id]
    worded, _ = await search.find(CaseFilter(text="bị đánh"))
    assert [c.id for c in worded] == [hit.id]
    assert (await search.find(CaseFilter(text="100%")))[1] == 1  # % is a character here
    assert (await search.find(CaseFilter(text="%")))[1] == 1
    assert (await search.find(CaseFilter(text="_")))[1] == 0


async def test_the_cases_a_counsellor_held_in_a_period_come_in_one_read(
    store: Store, clock: Clock
) -> None:
    search = cast(EdgeStore, store).case_search
    start = clock()
    ids = await seed(store, clock)
    held = await search.held_between(7001, start, clock())
    assert held == {ids[n] for n in range(0, len(ids), 4)}
    assert await search.held_between(7001, clock(), clock() + timedelta(days=1)) == set()

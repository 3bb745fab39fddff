"""The counsellors' tools through the store port: the supervisors' canned replies and the
tags on cases. Keys and tags arrive normalised (flows/canned.py, flows/tags.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows.cases import CaseStatus
from flows.retention import RetentionPolicy
from flows.store import CannedReply, Store
from tests.conftest import Clock
from tests.contract.support import Boom, new_case, new_person

DAY = 24 * 3600


def canned(key: str, text: str, clock: Clock, *, name: str = "",
           by: str = "staff:6001") -> CannedReply:
    return CannedReply(key=key, name=name or key, text=text, updated_by=by, updated_at=clock())


# ---------------------------------------------------------------- canned replies


async def test_a_saved_canned_reply_reads_back_as_written_lines_and_all(
    store: Store, clock: Clock
) -> None:
    text = "Chào bạn,\nmình là tư vấn viên của trung tâm.\n  {{ không phải mẫu }}"
    async with store.transaction() as tx:
        replaced = await tx.canned_replies.save(canned("chao", text, clock, name="Chào"))
    assert not replaced
    assert await store.canned_replies.get("chao") == CannedReply(
        "chao", "Chào", text, "staff:6001", clock())
    assert await store.canned_replies.get("khong-co") is None


async def test_saving_under_a_key_there_is_replaces_it_and_says_so(
    store: Store, clock: Clock
) -> None:
    async with store.transaction() as tx:
        await tx.canned_replies.save(canned("giay to", "Bản cũ", clock, name="giấy-tờ"))
    clock.advance(60)
    async with store.transaction() as tx:
        replaced = await tx.canned_replies.save(canned("giay to", "Bản mới", clock,
                                                       name="giay_to", by="staff:6002"))
    assert replaced
    assert await store.canned_replies.all() == [
        CannedReply("giay to", "giay_to", "Bản mới", "staff:6002", clock())]


async def test_canned_replies_are_listed_by_key_and_deleted_one_by_one(
    store: Store, clock: Clock
) -> None:
    async with store.transaction() as tx:
        for key in ("tam-biet", "chao", "ho so"):
            await tx.canned_replies.save(canned(key, f"nội dung {key}", clock))
    assert [r.key for r in await store.canned_replies.all()] == ["chao", "ho so", "tam-biet"]
    async with store.transaction() as tx:
        assert await tx.canned_replies.delete("ho so")
        assert not await tx.canned_replies.delete("ho so")  # already gone
    assert [r.key for r in await store.canned_replies.all()] == ["chao", "tam-biet"]


async def test_a_canned_reply_saved_in_a_failed_unit_of_work_is_not_kept(
    store: Store, clock: Clock
) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.canned_replies.save(canned("chao", "Chào bạn", clock))
            raise Boom
    assert await store.canned_replies.all() == []


# ---------------------------------------------------------------- tags on cases


async def test_tags_read_back_in_the_order_they_were_added_one_of_each(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    async with store.transaction() as tx:  # one /tag with two tags: one moment
        assert await tx.case_tags.add(case.id, "tai-phat", "staff:5001", clock())
        assert await tx.case_tags.add(case.id, "can-goi-lai", "staff:5001", clock())
    async with store.transaction() as tx:
        assert not await tx.case_tags.add(case.id, "tai-phat", "staff:6001", clock())
        assert await tx.case_tags.add(case.id, "bao-luc", "staff:6001", clock())
    assert await store.case_tags.of(case.id) == ["tai-phat", "can-goi-lai", "bao-luc"]


async def test_a_removed_tag_is_gone_and_removing_it_again_says_there_was_none(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.case_tags.add(case.id, "tai-phat", "staff:5001", clock())
        await tx.case_tags.add(case.id, "bao-luc", "staff:5001", clock())
    async with store.transaction() as tx:
        assert await tx.case_tags.remove(case.id, "tai-phat")
        assert not await tx.case_tags.remove(case.id, "tai-phat")
    assert await store.case_tags.of(case.id) == ["bao-luc"]


async def test_the_tags_of_several_cases_come_back_per_case(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    one = await new_case(store, person.id, clock())
    two = await new_case(store, person.id, clock())
    untagged = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.case_tags.add(one.id, "tai-phat", "staff:5001", clock())
        await tx.case_tags.add(two.id, "chuyen-tuyen", "staff:5002", clock())
        await tx.case_tags.add(one.id, "can-goi-lai", "staff:5001", clock())
    assert await store.case_tags.of_cases([one.id, two.id, untagged.id]) == {
        one.id: ["tai-phat", "can-goi-lai"], two.id: ["chuyen-tuyen"]}
    assert await store.case_tags.of_cases([]) == {}


async def test_an_erased_case_takes_its_tags_and_a_kept_case_keeps_them(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    erased = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.case_tags.add(erased.id, "tai-phat", "staff:5001", clock())
        await tx.cases.set_status(erased.id, CaseStatus.CLOSED, clock(), outcome="đã tư vấn")
    kept = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.case_tags.add(kept.id, "khan-cap", "staff:5001", clock())
        await tx.people.erase(person.id, [kept.id])
    assert await store.case_tags.of_cases([erased.id, kept.id]) == {kept.id: ["khan-cap"]}


async def test_the_purge_takes_the_tags_of_the_closed_cases_it_deletes(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    closed = await new_case(store, person.id, clock())
    still_open = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.case_tags.add(closed.id, "tai-phat", "staff:5001", clock())
        await tx.case_tags.add(still_open.id, "tai-phat", "staff:5001", clock())
        await tx.cases.set_status(closed.id, CaseStatus.CLOSED, clock(), outcome="đã tư vấn")
    clock.advance(366 * DAY)
    dry = await store.purge(clock(), RetentionPolicy(closed_case_days=365), dry_run=True)
    assert dry.counts["case tags"] == 1
    assert await store.case_tags.of(closed.id) == ["tai-phat"]  # a dry run deletes nothing
    report = await store.purge(clock(), RetentionPolicy(closed_case_days=365), dry_run=False)
    assert report.counts["case tags"] == 1 and report.counts["closed cases"] == 1
    assert await store.case_tags.of_cases([closed.id, still_open.id]) == {
        still_open.id: ["tai-phat"]}


async def test_canned_replies_are_not_personal_data_and_stay_through_erasure_and_purge(
    store: Store, clock: Clock
) -> None:
    async with store.transaction() as tx:
        await tx.canned_replies.save(canned("chao", "Chào bạn", clock))
    person = await new_person(store)
    async with store.transaction() as tx:
        await tx.people.erase(person.id, [])
    clock.advance(4000 * DAY)
    await store.purge(clock() + timedelta(days=1), RetentionPolicy(), dry_run=False)
    assert [r.key for r in await store.canned_replies.all()] == ["chao"]

"""What a person can see and erase, and the retention purge, through the store port."""

from __future__ import annotations

import pytest

from flows.cases import CaseStatus
from flows.messages import Priority
from flows.retention import RetentionPolicy
from flows.store import Correction, InboundEvent, Person, Store
from tests.conftest import Clock
from tests.contract.support import CHANNEL, Boom, enqueue, new_case, new_person, say

DAY = 86400.0


async def close(store: Store, case_id: int, clock: Clock, outcome: str = "1") -> None:
    async with store.transaction() as tx:
        assert await tx.cases.set_status(case_id, CaseStatus.CLOSED, clock(), outcome=outcome)


# ---------------------------------------------------------------- consent and seeing one's data


async def test_consent_is_recorded_and_can_be_withdrawn(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    async with store.transaction() as tx:
        await tx.people.set_consent(person.id, clock())
        assert (await tx.people.data_summary(person.id)).consent_at == clock()
    found = await store.views.person(CHANNEL, person.external_id)
    assert found is not None and found.consent_at == clock()
    async with store.transaction() as tx:
        await tx.people.set_consent(person.id, None)
    found = await store.views.person(CHANNEL, person.external_id)
    assert found is not None and found.consent_at is None


async def test_the_data_summary_counts_what_is_held_about_a_person(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "1")
    other = await new_person(store, "2")
    done = await new_case(store, person.id, clock())
    await close(store, done.id, clock)
    case = await new_case(store, person.id, clock())
    await new_case(store, other.id, clock())
    for text, direction in (("hỏi", "in"), ("đáp", "out"), ("lại hỏi", "in"),
                            ("chị tư vấn", "staff"), ("ghi chú riêng", "note")):
        await say(store, person.id, text, clock(), direction=direction, case_id=case.id)
    await say(store, other.id, "của người khác", clock())
    async with store.transaction() as tx:
        summary = await tx.people.data_summary(person.id)
    assert (summary.messages_in, summary.messages_out) == (2, 2)  # counsellors' notes are not
    assert (summary.cases, summary.open_cases) == (2, 1)  # replies to the person
    assert summary.first_seen == clock.start and summary.consent_at is None


async def test_own_messages_are_the_persons_latest_words_oldest_first(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    for text in ("một", "hai", "ba"):
        await say(store, person.id, text, clock())
        await say(store, person.id, f"trả lời {text}", clock(), direction="out")
        clock.advance(1)
    await say(store, person.id, "", clock(), kind="media")  # a photo without a caption
    async with store.transaction() as tx:
        assert [m.text for m in await tx.messages.own(person.id)] == ["một", "hai", "ba"]
        mine = await tx.messages.own(person.id, limit=2)
    assert [m.text for m in mine] == ["hai", "ba"]
    assert all(m.direction == "in" and m.person_id == person.id for m in mine)


# ---------------------------------------------------------------- erasure


async def erase(store: Store, person: Person, keep: tuple[int, ...] = ()) -> None:
    async with store.transaction() as tx:
        await tx.people.erase(person.id, keep)


async def test_erasure_removes_the_conversation_and_leaves_an_empty_shell(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "42", "Mai")
    async with store.transaction() as tx:
        await tx.people.set_flow(person.id, "policy", {"question": "trợ cấp"})
        await tx.people.set_consent(person.id, clock())
    await say(store, person.id, "chồng tôi đánh tôi", clock())
    await say(store, person.id, "Chào Mai", clock(), direction="out")
    case = await new_case(store, person.id, clock())
    await store.cases.set_thread(case.id, "77")
    await say(store, person.id, "trong ca", clock(), case_id=case.id)
    async with store.transaction() as tx:
        erasure = await tx.people.erase(person.id, ())
    assert (erasure.messages, erasure.cases, erasure.kept_cases) == (3, 1, ())
    assert erasure.erased_threads == ((case.id, "77"),)  # its staff topic is to be deleted
    assert await store.views.history(person.id) == []
    assert await store.views.case(case.id) is None
    shell = await store.views.person(CHANNEL, "42")
    assert shell is not None and shell.id == person.id  # the bot can still answer the chat
    assert (shell.first_name, shell.flow, shell.flow_data, shell.consent_at) == (
        "", "menu", {}, None)
    async with store.transaction() as tx:
        summary = await tx.people.data_summary(person.id)
    assert (summary.messages_in, summary.messages_out, summary.cases) == (0, 0, 0)


async def test_erasure_keeps_the_listed_cases_with_their_messages_and_posts(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "42", "Mai")
    await say(store, person.id, "câu hỏi chính sách", clock())
    gone = await new_case(store, person.id, clock())
    await close(store, gone.id, clock)
    kept = await new_case(store, person.id, clock(), Priority.CRITICAL)
    await say(store, person.id, "đang gặp nguy", clock(), case_id=kept.id)
    await enqueue(store, "thread:77", "thẻ ca", clock(), case_id=kept.id)
    async with store.transaction() as tx:
        erasure = await tx.people.erase(person.id, [kept.id])
    assert erasure.kept_cases == (kept.id,) and erasure.cases == 1
    assert erasure.erased_threads == ()  # the erased case had no staff topic
    assert await store.views.case(gone.id) is None
    still = await store.views.case(kept.id)
    assert still is not None and still.status == CaseStatus.WAITING
    assert [m.text for m in await store.views.history(person.id)] == ["đang gặp nguy"]
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 10)] == [
        "thẻ ca"]


async def test_erasure_takes_the_persons_replies_and_erased_cases_posts_out_of_the_outbox(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "42", "Mai")
    case = await new_case(store, person.id, clock())
    await enqueue(store, "42", "Chào Mai", clock(), person_id=person.id)
    await enqueue(store, "thread:77", "Mai: chồng tôi đánh tôi", clock(), case_id=case.id)
    await enqueue(store, "43", "cho người khác", clock())
    await erase(store, person)
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 10)] == [
        "cho người khác"]


async def test_erasure_removes_feedback_unanswered_questions_and_corrections(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store, "42", "Mai")
    case = await new_case(store, person.id, clock())
    await say(store, person.id, "em bị đánh", clock(), case_id=case.id)
    async with store.transaction() as tx:
        await tx.feedback.add_rating(person.id, "tro-cap", False, "trợ cấp bao nhiêu", clock())
        await tx.feedback.add_unanswered(person.id, "hỏi lạ", None, "no_answer", clock())
        await tx.feedback.add_correction(Correction(case.id, Priority.NORMAL, None, "",
                                                    Priority.URGENT, "bạo lực", "staff:5001",
                                                    clock()))
    await erase(store, person)
    assert await store.views.gap_questions(clock.start) == []
    assert await store.views.corrected_cases() == []
    async with store.transaction() as tx:
        counts = await tx.feedback.gap_counts(clock.start)
    assert (counts.unanswered, counts.unhelpful) == (0, 0)


async def test_erasure_leaves_other_people_alone(store: Store, clock: Clock) -> None:
    mai = await new_person(store, "1", "Mai")
    lan = await new_person(store, "2", "Lan")
    await say(store, mai.id, "của Mai", clock())
    await say(store, lan.id, "của Lan", clock())
    lans_case = await new_case(store, lan.id, clock())
    await enqueue(store, "2", "cho Lan", clock(), person_id=lan.id)
    async with store.transaction() as tx:
        await tx.feedback.add_rating(lan.id, "tro-cap", False, "câu của Lan", clock())
    await erase(store, mai)
    assert [m.text for m in await store.views.history(lan.id)] == ["của Lan"]
    assert await store.views.case(lans_case.id) is not None
    found = await store.views.person(CHANNEL, "2")
    assert found is not None and found.first_name == "Lan"
    assert [q.question for q in await store.views.gap_questions(clock.start)] == ["câu của Lan"]
    assert [d.recipient for d in await store.outbox.due(CHANNEL, clock(), 10)] == ["2"]


async def test_a_checkpoint_after_an_erasure_keeps_everything_else(
    store: Store, clock: Clock
) -> None:
    mai = await new_person(store, "1", "Mai")
    lan = await new_person(store, "2", "Lan")
    await say(store, mai.id, "của Mai", clock())
    await say(store, lan.id, "của Lan", clock())
    await erase(store, mai)
    await store.checkpoint()
    assert await store.views.history(mai.id) == []
    assert [m.text for m in await store.views.history(lan.id)] == ["của Lan"]


# ---------------------------------------------------------------- retention purge


async def test_a_dry_run_counts_what_would_go_and_deletes_nothing(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    await say(store, person.id, "câu hỏi cũ", clock())
    clock.advance(91 * DAY)
    report = await store.purge(clock(), RetentionPolicy(), dry_run=True)
    assert report.dry_run and report.counts["conversations without a case"] == 1
    assert [m.text for m in await store.views.history(person.id)] == ["câu hỏi cũ"]


async def test_a_dry_run_reports_what_a_real_run_then_removes(
    store: Store, clock: Clock
) -> None:
    # The person whose only message goes is idle afterwards: the real run removes them too.
    person = await new_person(store)
    await say(store, person.id, "câu hỏi cũ", clock())
    clock.advance(91 * DAY)
    dry = await store.purge(clock(), RetentionPolicy(), dry_run=True)
    real = await store.purge(clock(), RetentionPolicy(), dry_run=False)
    assert not real.dry_run
    assert dict(dry.counts) == dict(real.counts)


async def test_conversations_past_retention_go_and_recent_ones_stay(
    store: Store, clock: Clock
) -> None:
    old = await new_person(store, "1")
    await say(store, old.id, "câu hỏi cũ", clock())
    clock.advance(89 * DAY)
    recent = await new_person(store, "2")
    await say(store, recent.id, "câu hỏi mới", clock())
    clock.advance(2 * DAY)
    report = await store.purge(clock(), RetentionPolicy(conversation_days=90), dry_run=False)
    assert report.counts["conversations without a case"] == 1
    assert report.counts["idle people"] == 1
    assert await store.views.person(CHANNEL, "1") is None
    assert [m.text for m in await store.views.history(recent.id)] == ["câu hỏi mới"]


async def test_closed_cases_past_retention_go_with_their_messages_and_open_ones_stay(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    closed = await new_case(store, person.id, clock())
    await say(store, person.id, "trong ca đã đóng", clock(), case_id=closed.id)
    async with store.transaction() as tx:
        await tx.feedback.add_correction(Correction(closed.id, Priority.NORMAL, None, "",
                                                    Priority.URGENT, None, "staff:5001",
                                                    clock()))
    await close(store, closed.id, clock)
    still_open = await new_case(store, person.id, clock())
    await say(store, person.id, "trong ca đang mở", clock(), case_id=still_open.id)
    clock.advance(366 * DAY)
    report = await store.purge(clock(), RetentionPolicy(closed_case_days=365), dry_run=False)
    assert report.counts["closed cases"] == 1 and report.counts["case messages"] == 1
    assert report.counts["triage corrections"] == 1
    assert await store.views.case(closed.id) is None
    assert await store.views.case(still_open.id) is not None
    assert [m.text for m in await store.views.history(person.id)] == ["trong ca đang mở"]
    assert await store.views.corrected_cases() == []


async def test_a_closed_case_is_kept_for_the_whole_retention_time(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    clock.advance(100 * DAY)  # counted from closing, not from opening
    await close(store, case.id, clock)
    clock.advance(364 * DAY)
    report = await store.purge(clock(), RetentionPolicy(closed_case_days=365), dry_run=False)
    assert report.counts["closed cases"] == 0 and await store.views.case(case.id) is not None


async def test_a_cancelled_case_goes_like_a_closed_one(store: Store, clock: Clock) -> None:
    person = await new_person(store)
    case = await new_case(store, person.id, clock())
    async with store.transaction() as tx:
        await tx.cases.set_status(case.id, CaseStatus.CANCELLED, clock())
    clock.advance(366 * DAY)
    report = await store.purge(clock(), RetentionPolicy(closed_case_days=365), dry_run=False)
    assert report.counts["closed cases"] == 1 and await store.views.case(case.id) is None


async def test_an_outcome_can_be_kept_longer_than_other_closed_cases(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    counselled = await new_case(store, person.id, clock())
    intervened = await new_case(store, person.id, clock())
    await close(store, counselled.id, clock, outcome="đã tư vấn")
    await close(store, intervened.id, clock, outcome="can thiệp khẩn cấp")
    clock.advance(400 * DAY)
    policy = RetentionPolicy(closed_case_days=365, outcome_days={"can thiệp khẩn cấp": 1825})
    report = await store.purge(clock(), policy, dry_run=False)
    assert report.counts["closed cases"] == 1
    assert await store.views.case(counselled.id) is None
    assert await store.views.case(intervened.id) is not None


async def test_old_feedback_and_unanswered_questions_go_with_the_conversation(
    store: Store, clock: Clock
) -> None:
    person = await new_person(store)
    async with store.transaction() as tx:
        await tx.feedback.add_rating(person.id, "tro-cap", False, "cũ", clock())
        await tx.feedback.add_unanswered(person.id, "cũ không trả lời", None, "no_answer", clock())
    clock.advance(91 * DAY)
    async with store.transaction() as tx:
        await tx.feedback.add_rating(person.id, "tro-cap", False, "mới", clock())
    report = await store.purge(clock(), RetentionPolicy(conversation_days=90), dry_run=False)
    assert report.counts["answer feedback"] == 1 and report.counts["unanswered questions"] == 1
    assert [q.question for q in await store.views.gap_questions(clock.start)] == ["mới"]


async def test_handled_events_and_finished_replies_go_and_pending_ones_stay(
    store: Store, clock: Clock
) -> None:
    await store.record_inbound([InboundEvent(CHANNEL, "handled", "{}", clock()),
                                InboundEvent(CHANNEL, "pending", "{}", clock())])
    async with store.transaction() as tx:
        await tx.inbox.mark_processed(CHANNEL, "handled", clock())
    sent = await enqueue(store, "1", "đã gửi", clock())
    failed = await enqueue(store, "2", "không gửi được", clock())
    await enqueue(store, "3", "chưa gửi", clock())
    await store.outbox.mark_sent(sent, clock())
    await store.outbox.mark_undeliverable(failed, "blocked", clock())
    clock.advance(8 * DAY)
    report = await store.purge(clock(), RetentionPolicy(delivery_days=7), dry_run=False)
    assert report.counts["handled events"] == 1 and report.counts["delivered replies"] == 2
    assert [e.event_id for e in await store.inbox.unprocessed(CHANNEL)] == ["pending"]
    assert [d.message.text for d in await store.outbox.due(CHANNEL, clock(), 10)] == [
        "chưa gửi"]
    async with store.transaction() as tx:
        # Past the delivery time no channel redelivers it, so even its id is forgotten.
        assert not await tx.inbox.is_processed(CHANNEL, "handled")


async def test_audit_entries_are_kept_for_the_audit_time(store: Store, clock: Clock) -> None:
    async with store.transaction() as tx:
        await tx.audit.record("tg:5001", "case_claimed", clock(), case_id=None, detail="#1")
    policy = RetentionPolicy(audit_days=10)
    clock.advance(9 * DAY)
    assert (await store.purge(clock(), policy, dry_run=False)).counts["audit log"] == 0
    clock.advance(2 * DAY)
    assert (await store.purge(clock(), policy, dry_run=True)).counts["audit log"] == 1
    assert (await store.purge(clock(), policy, dry_run=False)).counts["audit log"] == 1
    assert (await store.purge(clock(), policy, dry_run=False)).counts["audit log"] == 0


async def test_an_audit_entry_of_a_failed_unit_of_work_is_not_kept(
    store: Store, clock: Clock
) -> None:
    with pytest.raises(Boom):
        async with store.transaction() as tx:
            await tx.audit.record("tg:5001", "case_claimed", clock())
            raise Boom
    clock.advance(11 * DAY)
    report = await store.purge(clock(), RetentionPolicy(audit_days=10), dry_run=True)
    assert report.counts["audit log"] == 0


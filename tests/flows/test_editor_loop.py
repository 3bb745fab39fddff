"""The loop back to the knowledge-base editors: unanswered questions and 👎 answers are kept,
counted in /thongke, and go with the person's other data (/xoa, retention)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Core
from flows.reports import gap_groups, gap_lines
from flows.store import NO_ANSWER, UNANSWERED_KINDS, UNHELPFUL, WHICH, GapQuestion
from tests.conftest import Clock
from tests.factories import make_incoming, queued
from tests.factories_staff import staff

SECRET = "Tôi là Hoa Sữa, hỏi trợ cấp hộ nghèo năm nay thế nào"
OTHER = "trợ cấp cho người chăm sóc người khuyết tật đặc biệt nặng"
LEVEL = "muc-chuan-tro-giup-xa-hoi"


def file_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


EVER = datetime(2000, 1, 1, tzinfo=UTC)  # before anything a test stores


async def unanswered(core: Core) -> list[str]:
    """Every unanswered question kept (the gap questions but the 👎 answers)."""
    return [q.question for q in await core.store.views.gap_questions(EVER)
            if q.kind in UNANSWERED_KINDS]


async def keep_questions(core: Core, user: str, text: str, *, at_offset: float = 0) -> int:
    """A person's message, kept as unanswered questions (both kinds) and with a 👎 and a 👍 on
    answers, at the clock moved by `at_offset` seconds. Written through the store, as the
    policy flow does, so that only these rows exist whatever the search makes of `text`."""
    at = core.clock() + timedelta(seconds=at_offset)
    async with core.store.transaction() as tx:
        person = await tx.people.get("telegram", user, "Lan")
        await tx.messages.add(person.id, "in", "text", text, at)
        await tx.feedback.add_unanswered(person.id, text, None, NO_ANSWER, at)
        await tx.feedback.add_unanswered(person.id, text, LEVEL, WHICH, at)
        await tx.feedback.add_rating(person.id, LEVEL, False, text, at)
        await tx.feedback.add_rating(person.id, LEVEL, True, text, at)
    return person.id


async def test_thongke_counts_todays_unanswered_questions_and_thumbs_down(
    desk_core: Core, clock: Clock
) -> None:
    await keep_questions(desk_core, "1", OTHER)
    await keep_questions(desk_core, "2", OTHER, at_offset=-11 * 3600)  # 23:00 yesterday
    await desk_core.desk.handle(staff(6001, "/thongke"))
    stats = [q.text for q in await queued(desk_core, "staff")][-1]
    assert ("Câu hỏi chính sách hôm nay trợ lý chưa trả lời được: 2;"
            " câu trả lời bị đánh giá 👎: 1.") in stats
    assert stats.startswith("Hôm nay: 0 ca")


async def test_erasure_removes_the_persons_unanswered_questions_and_ratings(
    desk_core: Core, db_path: Path
) -> None:
    await keep_questions(desk_core, "111", SECRET)
    await keep_questions(desk_core, "222", OTHER)
    assert SECRET.encode() in file_bytes(db_path)
    before = await desk_core.dispatcher.handle(make_incoming("/dulieu"))
    assert "Tin nhắn bạn gửi: 2" in before.reply_text  # the question and /dulieu

    await desk_core.dispatcher.handle(make_incoming("/xoa"))
    done = await desk_core.dispatcher.handle(make_incoming(button="privacy:erase:yes"))
    assert "Đã xóa dữ liệu của bạn" in done.reply_text
    after = await desk_core.dispatcher.handle(make_incoming("/dulieu"))
    assert "Tin nhắn bạn gửi: 1" in after.reply_text  # only this /dulieu
    gaps = await desk_core.store.views.gap_questions(desk_core.clock() - timedelta(days=1))
    assert {q.question for q in gaps} == {OTHER}  # the other person's stay
    async with desk_core.store.transaction() as tx:
        counts = await tx.feedback.gap_counts(desk_core.clock() - timedelta(days=1))
    assert (counts.unanswered, counts.unhelpful) == (2, 1)
    # The erased person's rows all held SECRET, the other's OTHER: only the other's are left.
    assert await unanswered(desk_core) == [OTHER, OTHER]
    ratings = await desk_core.store.views.answer_ratings()
    assert [(helpful, question) for _, helpful, question, _ in ratings] == [
        (False, OTHER), (True, OTHER)]
    await desk_core.store.close()
    data = file_bytes(db_path)  # on disk, not merely out of the store's reach
    for trace in (SECRET, "Hoa Sữa"):
        assert trace.encode() not in data, f"{trace!r} is still in the database files"
    await desk_core.store.open()


async def test_retention_purges_unanswered_questions_with_the_conversation(
    desk_core: Core, clock: Clock, db_path: Path
) -> None:
    await keep_questions(desk_core, "1", SECRET)
    clock.advance(89 * 86400)
    await keep_questions(desk_core, "2", OTHER)
    assert (await desk_core.purge(dry_run=True)).counts["unanswered questions"] == 0
    clock.advance(2 * 86400)
    report = await desk_core.purge(dry_run=False)
    assert report.counts["unanswered questions"] == 2
    assert report.counts["answer feedback"] == 2
    assert report.counts["idle people"] == 1  # nothing of theirs holds the person back
    assert await unanswered(desk_core) == [OTHER, OTHER]  # the newer person's
    await desk_core.store.close()
    assert SECRET.encode() not in file_bytes(db_path)
    await desk_core.store.open()


def test_the_gaps_report_names_an_article_gone_from_the_knowledge_base() -> None:
    at = Clock.USUAL_START
    questions = [GapQuestion(UNHELPFUL, "bai-cu", "", "", at),
                 GapQuestion(UNHELPFUL, "bai-cu", "  tiền   bao nhiêu ", "", at),
                 GapQuestion(UNHELPFUL, "bai-cu", "tiền bao nhiêu", "", at)]
    groups = gap_groups(questions, lambda q: q.question)
    assert gap_lines(groups, "2026-11-01", {}, 20) == [
        "Questions the knowledge base did not serve since 2026-11-01: 3 (3 rated 👎)",
        "",
        "bai-cu (no longer in the knowledge base): 3 (3 rated 👎)",
        "  2x  tiền bao nhiêu  [rated 👎]",
        "  1x  (no question text)  [rated 👎]",
    ]

"""Privacy for people in crisis: notice, consent, seeing and erasing one's data, retention,
access, and messages that do not give a person away. Real SQLite files throughout."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.app import Core
from flows.cases import CaseStatus
from flows.counsellor import StaffDesk
from flows.ports import StaffSettings
from flows.staff import StaffDirectory
from tests.conftest import Clock
from tests.factories import make_incoming, queued
from tests.factories_staff import member, staff

SECRET = "chồng tôi Trần Văn Bạo đánh tôi ở số 12 ngõ Hoa Sữa"
NAME = "Nguyễn Thị Mai"
EVER = datetime(2000, 1, 1, tzinfo=UTC)  # before anything a test stores


def file_bytes(db_path: Path) -> bytes:
    data = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


async def test_the_full_notice_says_what_is_kept_for_how_long_and_who_reads_it(
    desk_core: Core,
) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming("/baomat"))
    text = handled.reply_text
    assert "Chúng tôi lưu gì" in text and "Ai được đọc" in text
    assert "sau 90 ngày" in text and "sau 365 ngày" in text  # the configured retention
    assert "bảo vệ tính mạng" in text and "trẻ em" in text  # when confidentiality yields
    assert "/dulieu" in text and "/xoa" in text
    assert "91/2025/QH15" in text
    assert "Xóa lịch sử trò chuyện" in text  # the clear-this-chat tip
    assert [b.data for r in handled.replies for b in r.button_list()] == ["privacy:agree"]


async def test_emergency_help_never_waits_for_consent(desk_core: Core) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming("toi dang cam dao roi"))
    person = await desk_core.store.views.person("telegram", "111")
    assert person is not None and person.consent_at is None
    assert handled.route == "emergency" and "113" in handled.reply_text


async def test_my_data_shows_counts_dates_and_my_own_messages(
    desk_core: Core, clock: Clock
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("trợ cấp người cao tuổi"))
    await d.handle(make_incoming("cảm ơn"))
    summary = await d.handle(make_incoming("/dulieu"))
    assert "Tin nhắn bạn gửi: 3" in summary.reply_text  # the two, and /dulieu itself
    assert f"Lần đầu nhắn: {clock.start:%d/%m/%Y}" in summary.reply_text  # 23/11/2026 unshifted
    assert "Đồng ý xử lý dữ liệu: chưa" in summary.reply_text
    mine = await d.handle(make_incoming(button="privacy:show"))
    assert "trợ cấp người cao tuổi" in mine.reply_text and "cảm ơn" in mine.reply_text


async def test_erasure_leaves_no_trace_in_the_database_files(
    desk_core: Core, db_path: Path
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("/start", first_name=NAME))
    await d.handle(make_incoming(button="menu:counsellor", first_name=NAME))
    await d.handle(make_incoming(button="privacy:agree", first_name=NAME))
    await d.handle(make_incoming(button="ho:topic:gia_dinh", first_name=NAME))
    await d.handle(make_incoming(SECRET, first_name=NAME))  # a normal case: no danger words now?
    await desk_core.store.cases.set_thread(1, "77")
    await desk_core.desk.handle(staff(5001, button="case:claim:1"))
    await desk_core.desk.handle(staff(5001, "! người gọi là " + NAME, thread="77"))
    await desk_core.desk.handle(staff(5001, "/dong 1", thread="77"))
    await d.handle(make_incoming(button="rate:5"))
    assert SECRET.encode() in file_bytes(db_path)  # it was there
    person = await desk_core.store.views.person("telegram", "111")

    ask = await d.handle(make_incoming("/xoa"))
    assert "không khôi phục được" in ask.reply_text
    done = await d.handle(make_incoming(button="privacy:erase:yes"))
    assert "Đã xóa dữ liệu của bạn" in done.reply_text
    await desk_core.store.close()

    data = file_bytes(db_path)  # on disk, not merely out of the store's reach
    for trace in (SECRET, NAME, "Trần Văn Bạo", "Hoa Sữa"):
        assert trace.encode() not in data, f"{trace!r} is still in the database files"
    await desk_core.store.open()
    views = desk_core.store.views
    assert person is not None and await views.history(person.id) == []  # the only one who wrote
    assert await desk_core.store.cases.since(EVER) == []
    assert await views.answer_ratings() == []
    assert [action for _, _, action, _, _ in await views.audit_entries()][-1] == "data_erased"
    staff_posts = await queued(desk_core, "staff")
    erased = [q for q in staff_posts if "bị xóa theo yêu cầu" in q.text]
    assert erased and erased[0].recipient == "thread:77"  # its topic is deleted too


async def test_an_open_urgent_case_is_kept_and_the_person_is_told_why(desk_core: Core) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("trợ cấp người khuyết tật bao nhiêu"))
    await d.handle(make_incoming("chong em dang danh em"))
    ask = await d.handle(make_incoming("/xoa"))
    assert "phải được giữ lại" in ask.reply_text and "#1" in ask.reply_text
    done = await d.handle(make_incoming(button="privacy:erase:yes"))
    assert "được giữ lại" in done.reply_text
    case = await desk_core.store.views.case(1)
    assert case is not None and case.status == CaseStatus.WAITING
    person = await desk_core.store.views.person("telegram", "111")
    assert person is not None
    kept = [m.text for m in await desk_core.store.views.history(person.id)]
    assert "trợ cấp người khuyết tật bao nhiêu" not in kept  # not part of the case: erased
    assert "chong em dang danh em" in kept
    posts = [q.text for q in await queued(desk_core, "staff")]
    assert any("được giữ lại vì đang khẩn cấp" in p for p in posts)


async def test_retention_purge_says_what_would_go_then_removes_it(
    desk_core: Core, clock: Clock, db_path: Path
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("câu hỏi cũ về trợ cấp", user="1"))
    clock.advance(91 * 86400)
    await d.handle(make_incoming("câu hỏi mới", user="2"))
    dry = await desk_core.purge(dry_run=True)
    assert dry.dry_run and dry.counts["conversations without a case"] == 2  # message + reply
    assert b"c\xc3\xa2u h\xe1\xbb\x8fi c\xc5\xa9" in file_bytes(db_path)  # dry: still there
    real = await desk_core.purge(dry_run=False)
    assert real.counts["conversations without a case"] == 2
    assert real.counts["idle people"] == 1
    await desk_core.store.close()
    assert "câu hỏi cũ".encode() not in file_bytes(db_path)
    assert "câu hỏi mới".encode() in file_bytes(db_path)
    await desk_core.store.open()


async def test_closed_cases_are_kept_by_outcome(desk_core: Core, clock: Clock) -> None:
    retention = replace(desk_core.services.retention,
                        outcome_days={"can thiệp khẩn cấp": 1825})
    for user in ("1", "2"):
        await desk_core.dispatcher.handle(make_incoming(button="menu:counsellor", user=user))
        await desk_core.dispatcher.handle(make_incoming(button="privacy:agree", user=user))
        await desk_core.dispatcher.handle(make_incoming(button="ho:skip", user=user))
    for case_id, outcome in ((1, "1"), (2, "3")):  # đã tư vấn, can thiệp khẩn cấp
        await desk_core.store.cases.set_thread(case_id, str(70 + case_id))
        await desk_core.desk.handle(staff(5001, button=f"case:claim:{case_id}"))
        await desk_core.desk.handle(staff(5001, f"/dong {outcome}", thread=str(70 + case_id)))
    clock.advance(400 * 86400)
    report = await desk_core.store.purge(clock(), retention, dry_run=False)
    assert report.counts["closed cases"] == 1
    assert await desk_core.store.views.case(1) is None
    assert await desk_core.store.views.case(2) is not None  # emergency interventions: 5 years


STAFF_COMMANDS = ["/hangcho", "/cua_toi", "/thongke", "/dong 1", "/chuyen 5002", "/ghichu x",
                  "/nhan", "! ghi chú", "chào em"]


async def test_someone_not_configured_can_do_nothing_with_cases(desk_core: Core) -> None:
    await desk_core.dispatcher.handle(make_incoming("chong em dang danh em"))
    await desk_core.store.cases.set_thread(1, "77")
    before = len(await queued(desk_core, "telegram"))
    for text in STAFF_COMMANDS:
        handled = await desk_core.desk.handle(staff(424242, text, thread="77"))
        assert handled.route in ("refused", "staff_ignored"), text
    handled = await desk_core.desk.handle(staff(424242, button="case:claim:1"))
    assert handled.route == "refused"
    assert len(await queued(desk_core, "telegram")) == before  # nothing reached the person
    case = await desk_core.store.views.case(1)
    assert case is not None and case.status == CaseStatus.WAITING


async def test_a_counsellor_removed_from_the_config_loses_access_at_once(
    desk_core: Core,
) -> None:
    await desk_core.dispatcher.handle(make_incoming("chong em dang danh em"))
    await desk_core.store.cases.set_thread(1, "77")
    await desk_core.desk.handle(staff(5001, button="case:claim:1"))
    without_hoa = replace(desk_core.services, staff=StaffSettings(
        directory=StaffDirectory((member(5002, "Nam"),))))
    desk = StaffDesk(desk_core.store, without_hoa)
    handled = await desk.handle(staff(5001, "em còn đó không?", thread="77"))
    assert handled.route == "staff_ignored"
    assert not any("em còn đó" in q.text for q in await queued(desk_core, "telegram"))
    assert (await desk.handle(staff(5001, "/dong 1", thread="77"))).route == "refused"


ALARMING = ("bạo lực", "đánh", "tự tử", "chết", "xâm hại", "mua bán", "khẩn cấp", "nguy hiểm",
            "công an", "113", "dao", "thuốc")


async def test_no_reply_begins_with_words_that_would_alarm_an_abuser(desk_core: Core) -> None:
    """The first line is what a lock-screen preview shows."""
    d = desk_core.dispatcher
    script = [
        ("1", "chong em dang danh em"), ("1", "em o ha noi"), ("1", "EM"),
        ("2", "t k muon song nua"), ("3", "luật phòng chống bạo lực gia đình quy định gì"),
        ("4", "nạn nhân mua bán người được hỗ trợ gì"), ("5", "/khancap"),
    ]
    for user, text in script:
        incoming = (make_incoming(button="em:danger:yes", user=user) if text == "EM"
                    else make_incoming(text, user=user))
        await d.handle(incoming)
    for reply in await queued(desk_core, "telegram"):
        first = reply.text.splitlines()[0].lower()
        assert not any(word in first for word in ALARMING), reply.text.splitlines()[0]


async def test_with_the_default_policy_old_closed_cases_go(desk_core: Core, clock: Clock) -> None:
    await desk_core.dispatcher.handle(make_incoming(button="menu:counsellor"))
    await desk_core.dispatcher.handle(make_incoming(button="privacy:agree"))
    await desk_core.dispatcher.handle(make_incoming(button="ho:skip"))
    await desk_core.store.cases.set_thread(1, "71")
    await desk_core.desk.handle(staff(5001, button="case:claim:1"))
    await desk_core.desk.handle(staff(5001, "/dong 1", thread="71"))
    clock.advance(364 * 86400)
    assert (await desk_core.purge(dry_run=False)).counts["closed cases"] == 0
    clock.advance(2 * 86400)
    assert (await desk_core.purge(dry_run=False)).counts["closed cases"] == 1
    assert await desk_core.store.views.case(1) is None


async def test_erasure_removes_counsellors_corrections_and_their_words(
    desk_core: Core, db_path: Path
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming(button="menu:counsellor", first_name=NAME))
    await d.handle(make_incoming(button="privacy:agree", first_name=NAME))
    await d.handle(make_incoming(button="ho:topic:gia_dinh", first_name=NAME))
    await d.handle(make_incoming(SECRET, first_name=NAME))
    await desk_core.store.cases.set_thread(1, "77")
    await desk_core.desk.handle(staff(5001, button="case:claim:1"))
    await desk_core.desk.handle(staff(5001, "/muc khẩn cấp", thread="77"))
    await desk_core.desk.handle(staff(5001, "/loai bạo lực, đe dọa", thread="77"))
    await desk_core.desk.handle(staff(5001, "/dong 1", thread="77"))
    [corrected] = await desk_core.store.views.corrected_cases()
    assert SECRET in corrected.texts  # kept for the triage export, until…

    await d.handle(make_incoming("/xoa"))
    await d.handle(make_incoming(button="privacy:erase:yes"))
    assert await desk_core.store.views.corrected_cases() == []
    await desk_core.store.close()
    data = file_bytes(db_path)
    for trace in (SECRET, NAME, "Trần Văn Bạo", "Hoa Sữa"):
        assert trace.encode() not in data, f"{trace!r} is still in the database files"
    await desk_core.store.open()
    assert await desk_core.store.views.corrections() == []

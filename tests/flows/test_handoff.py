"""Asking for a person and the counsellors' desk, through the real dispatcher and desk."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import Core
from flows.cases import CaseStatus
from tests.conftest import Clock
from tests.factories import make_incoming, queued
from tests.factories_staff import staff


async def open_case(core: Core, user: str = "111", description: str = "con tôi bị bắt nạt") -> int:
    d = core.dispatcher
    await d.handle(make_incoming(button="menu:counsellor", user=user))
    await d.handle(make_incoming(button="privacy:agree", user=user))
    await d.handle(make_incoming(button="ho:topic:tre_em", user=user))
    await d.handle(make_incoming(description, user=user))
    person = await core.store.views.person("telegram", user)
    assert person is not None
    return int(person.flow_data["case_id"])


async def set_thread(core: Core, case_id: int, thread: str) -> None:
    await core.store.cases.set_thread(case_id, thread)


async def to_person(core: Core, user: str = "111") -> list[str]:
    return [q.text for q in await queued(core, "telegram") if q.recipient == user]


async def to_staff(core: Core) -> list[str]:
    return [q.text for q in await queued(core, "staff")]


async def test_intake_puts_the_person_in_the_queue_with_their_place(desk_core: Core) -> None:
    d = desk_core.dispatcher
    asked = await d.handle(make_incoming(button="menu:counsellor"))
    assert "Bạn có đồng ý không?" in asked.reply_text  # nobody reads before consent
    assert [b.data for r in asked.replies for b in r.button_list()] == ["privacy:agree"]
    topics = await d.handle(make_incoming(button="privacy:agree"))
    person = await desk_core.store.views.person("telegram", "111")
    assert person is not None and person.consent_at is not None  # recorded with its time
    labels = [b.label for r in topics.replies for b in r.button_list()]
    assert any("Trẻ em" in label for label in labels) and any("Tâm lý" in label for label in labels)
    await d.handle(make_incoming(button="ho:topic:tre_em"))
    joined = await d.handle(make_incoming("con tôi bị bạn bắt nạt ở trường"))
    assert "vị trí số 1" in joined.reply_text
    assert "chưa ước lượng được" in joined.reply_text  # no history yet: no made-up estimate
    case = await desk_core.store.views.case(1)
    assert case is not None and case.topic == "tre_em" and case.status == CaseStatus.WAITING
    card = (await queued(desk_core, "staff"))[0]
    assert card.recipient == "case:1" and "Trẻ em" in card.text
    assert card.buttons == ("case:claim:1",)


async def test_second_person_is_told_they_are_second(desk_core: Core) -> None:
    await open_case(desk_core, "111")
    d = desk_core.dispatcher
    await d.handle(make_incoming(button="menu:counsellor", user="222"))
    await d.handle(make_incoming(button="privacy:agree", user="222"))
    await d.handle(make_incoming(button="ho:skip", user="222"))
    assert any("vị trí số 2" in t for t in await to_person(desk_core, "222"))


async def test_while_waiting_the_bot_passes_messages_on_and_does_not_answer(
    desk_core: Core,
) -> None:
    await open_case(desk_core)
    handled = await desk_core.dispatcher.handle(make_incoming("trợ cấp người cao tuổi bao nhiêu"))
    assert handled.articles == ()  # no policy answer in the counsellor's place
    assert "👤 trợ cấp người cao tuổi bao nhiêu" in await to_staff(desk_core)


async def test_a_claim_connects_the_person_to_the_counsellor_by_name(desk_core: Core) -> None:
    case_id = await open_case(desk_core)
    await desk_core.desk.handle(staff(5001, button=f"case:claim:{case_id}"))
    case = await desk_core.store.views.case(case_id)
    assert case is not None and case.status == CaseStatus.ACTIVE and case.claimed_by == 5001
    assert any("Chị Hoa đã nhận" in t for t in await to_person(desk_core))
    person = await desk_core.store.views.person("telegram", "111")
    assert person is not None and person.flow == "talking"


async def test_twenty_counsellors_racing_for_the_same_case_only_one_wins(
    desk_core: Core,
) -> None:
    case_id = await open_case(desk_core)
    names = {5001: "Chị Hoa", 5002: "Anh Nam"}
    results = await asyncio.gather(*(
        desk_core.desk.handle(staff(5001 + (i % 2), button=f"case:claim:{case_id}",
                                    name=names[5001 + (i % 2)]))
        for i in range(20)
    ))
    popups = [h.reply_text for h in results]
    assert sum("Bạn đã nhận ca" in p for p in popups) == 1
    assert sum("đã có người nhận" in p for p in popups) == 19


async def test_relay_both_ways_notes_and_edits(desk_core: Core) -> None:
    case_id = await open_case(desk_core)
    await set_thread(desk_core, case_id, "77")
    desk = desk_core.desk
    await desk.handle(staff(5001, button=f"case:claim:{case_id}"))
    await desk.handle(staff(5001, "Chào em, chị là Hoa.", thread="77"))
    await desk.handle(staff(5001, "! mẹ có vẻ lo lắng", thread="77"))
    await desk.handle(staff(5001, "/ghichu cần gọi lại tối nay", thread="77"))
    await desk.handle(staff(5001, "Chào em, chị là Hoa đây.", thread="77", edited=True))
    await desk.handle(staff(5001, "ảnh hướng dẫn", thread="77", attachment="photo"))
    messages = await to_person(desk_core)
    assert "Chị Hoa (tư vấn viên): Chào em, chị là Hoa." in messages
    assert "Chị Hoa (tư vấn viên) – đã sửa: Chào em, chị là Hoa đây." in messages
    assert not any("lo lắng" in m or "gọi lại" in m for m in messages)  # notes stay inside
    copied = [q for q in await queued(desk_core, "telegram") if q.recipient == "111"]
    assert copied[-1].text.startswith("Chị Hoa (tư vấn viên)")
    await desk_core.dispatcher.handle(make_incoming("dạ em chào chị"))
    await desk_core.dispatcher.handle(make_incoming(attachment="voice"))
    posts = await to_staff(desk_core)
    assert "👤 dạ em chào chị" in posts and any("[tin nhắn thoại]" in p for p in posts)
    assert "📝 Đã lưu ghi chú nội bộ (người dùng không thấy)." in posts


async def test_closing_with_an_outcome_asks_the_person_for_a_rating(desk_core: Core) -> None:
    case_id = await open_case(desk_core)
    await set_thread(desk_core, case_id, "77")
    desk = desk_core.desk
    await desk.handle(staff(5001, button=f"case:claim:{case_id}"))
    await desk.handle(staff(5001, "/dong", thread="77"))  # no outcome: the list is shown
    assert any("1. đã tư vấn" in p for p in await to_staff(desk_core))
    await desk.handle(staff(5001, "/dong 2", thread="77"))
    case = await desk_core.store.views.case(case_id)
    assert case is not None and case.status == CaseStatus.CLOSED
    assert case.outcome == "chuyển tuyến"
    rating = (await queued(desk_core, "telegram"))[-1]
    assert "từ 1" in rating.text and rating.buttons == tuple(f"rate:{n}" for n in range(1, 6))
    await desk_core.dispatcher.handle(make_incoming(button="rate:5"))
    await desk_core.dispatcher.handle(make_incoming("chị rất tận tình"))
    case = await desk_core.store.views.case(case_id)
    assert case is not None
    assert case.details["rating"] == 5 and case.details["rating_comment"] == "chị rất tận tình"


async def test_transfer_hands_the_case_to_another_counsellor(desk_core: Core) -> None:
    case_id = await open_case(desk_core)
    await set_thread(desk_core, case_id, "77")
    desk = desk_core.desk
    await desk.handle(staff(5001, button=f"case:claim:{case_id}"))
    await desk.handle(staff(5001, "/chuyen Anh Nam", thread="77"))
    case = await desk_core.store.views.case(case_id)
    assert case is not None and case.claimed_by == 5002
    assert any("Anh Nam sẽ tiếp tục" in t for t in await to_person(desk_core))
    await desk.handle(staff(5001, "vẫn còn đó không?", thread="77"))
    assert "Chị Hoa (tư vấn viên): vẫn còn đó không?" not in await to_person(desk_core)


async def test_the_person_can_leave_the_queue_or_end_the_conversation(desk_core: Core) -> None:
    case_id = await open_case(desk_core)
    left = await desk_core.dispatcher.handle(make_incoming("/huy"))
    assert "rời hàng chờ" in left.reply_text
    assert (await desk_core.store.views.case(case_id)).status == CaseStatus.CANCELLED  # type: ignore[union-attr]
    case_id = await open_case(desk_core)
    await desk_core.desk.handle(staff(5001, button=f"case:claim:{case_id}"))
    await desk_core.dispatcher.handle(make_incoming("/ketthuc"))
    assert (await desk_core.store.views.case(case_id)).status == CaseStatus.CLOSED  # type: ignore[union-attr]


async def test_someone_not_on_the_staff_list_is_refused_and_it_is_logged(
    desk_core: Core,
) -> None:
    case_id = await open_case(desk_core)
    for action in (staff(999, button=f"case:claim:{case_id}"), staff(999, "/hangcho"),
                   staff(999, "/thongke"), staff(999, "/dong 1", thread="77")):
        handled = await desk_core.desk.handle(action)
        assert handled.route == "refused"
    assert (await desk_core.store.views.case(case_id)).status == CaseStatus.WAITING  # type: ignore[union-attr]
    rows = [(actor, action) for _, actor, action, _, _ in
            await desk_core.store.views.audit_entries() if action == "refused"]
    assert rows == [("telegram:999", "refused")] * 4


async def test_queue_my_cases_and_todays_figures(desk_core: Core, clock: Clock) -> None:
    first = await open_case(desk_core, "111")
    await open_case(desk_core, "222")
    await desk_core.dispatcher.handle(make_incoming("toi dang cam dao", user="333"))
    await desk_core.desk.handle(staff(5001, "/hangcho"))
    queue = (await to_staff(desk_core))[-1]
    assert queue.index("#3") < queue.index("#1") < queue.index("#2")  # critical first
    clock.advance(240)
    await set_thread(desk_core, first, "77")
    await desk_core.desk.handle(staff(5001, button=f"case:claim:{first}"))
    await desk_core.desk.handle(staff(5001, "chào em", thread="77"))
    await desk_core.desk.handle(staff(5001, "/cua_toi"))
    assert "#1" in (await to_staff(desk_core))[-1]
    await desk_core.desk.handle(staff(6001, "/thongke"))
    stats = (await to_staff(desk_core))[-1]
    assert "Hôm nay: 3 ca (khẩn cấp 1" in stats
    assert "Đang chờ: 2 ca" in stats and "trung vị 4.0 phút" in stats


async def test_a_counsellor_cannot_hold_more_than_the_cap(desk_core: Core) -> None:
    ids = [await open_case(desk_core, str(500 + i)) for i in range(6)]
    popups = [(await desk_core.desk.handle(staff(5001, button=f"case:claim:{i}"))).reply_text
              for i in ids]
    assert sum("Bạn đã nhận" in p for p in popups) == 5 and "tối đa" in popups[-1]


async def test_long_waits_get_an_apology_and_silent_cases_close(
    desk_core: Core, clock: Clock
) -> None:
    case_id = await open_case(desk_core)
    clock.advance(1801)
    assert (await desk_core.watch.run_once()).apologised == (case_id,)
    apology = (await queued(desk_core, "telegram"))[-1]
    assert "chờ lâu" in apology.text and "queue:stay" in apology.buttons
    stay = await desk_core.dispatcher.handle(make_incoming(button="queue:stay"))
    assert "hàng chờ" in stay.reply_text
    await desk_core.desk.handle(staff(5001, button=f"case:claim:{case_id}"))
    clock.advance(86401)
    assert (await desk_core.watch.run_once()).closed == (case_id,)
    assert not any("lâu không" in t for t in await to_person(desk_core))  # nothing unasked
    assert any("tự đóng" in t for t in await to_staff(desk_core))


async def test_out_of_hours_the_person_is_told_when_counsellors_are_back(
    desk_core: Core, clock: Clock
) -> None:
    clock.advance(4 * 24 * 3600 + 9 * 3600)  # Friday 19:00 in Hà Nội
    await open_case(desk_core)
    status = (await to_person(desk_core))[-1]
    back = clock.start + timedelta(days=7)  # the next Monday: 30/11 unshifted
    assert "ngoài giờ làm việc" in status and f"07:30 ngày {back:%d/%m}" in status


async def test_people_are_told_when_their_place_in_the_queue_moves(desk_core: Core) -> None:
    ids = [await open_case(desk_core, str(300 + i)) for i in range(4)]  # the 4th is told "4"
    assert (await desk_core.watch.run_once()).updated == ()
    await desk_core.desk.handle(staff(5001, button=f"case:claim:{ids[0]}"))
    # 2 -> 1: the next in line is told; 3 -> 2 and 4 -> 3 are not material. (The cases opened
    # in one instant: the queue takes them by id, and tells their places the same way.)
    assert (await desk_core.watch.run_once()).updated == (ids[1],)
    await desk_core.desk.handle(staff(5001, button=f"case:claim:{ids[1]}"))
    assert ids[3] in (await desk_core.watch.run_once()).updated  # 4 -> 2: halved
    assert any("vị trí số 2" in t for t in await to_person(desk_core, "303"))
    await desk_core.desk.handle(staff(5002, button=f"case:claim:{ids[2]}"))
    await desk_core.watch.run_once()
    assert (await to_person(desk_core, "303"))[-1].startswith("Bạn đã lên vị trí số 1")

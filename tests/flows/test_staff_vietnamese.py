"""Everything the staff group reads is Vietnamese: levels, channels, answers and statuses in
words ("Mức ưu tiên: KHẨN CẤP", "Kênh: Telegram", "Đang có nguy hiểm: có"), never the code's
ids (`critical`, `telegram`, `yes`), and a wait under a minute is "chưa tới 1 phút", never
"0 phút"."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from bot.core import Core
from flows.messages import Outgoing, Priority
from flows.outbox import undeliverable_step
from flows.store import Delivery
from flows.watch import CaseWatch
from tests.conftest import Clock
from tests.factories import make_incoming, queued
from tests.flows.staff_desk import HOA, LAN, case_in_topic, claimed_case, posts, say

# The code's ids that must never reach a counsellor's screen as they are.
ENGLISH = re.compile(r"\b(critical|urgent|review|normal|telegram|zalo|console|yes|no|skipped"
                     r"|waiting|active|closed|cancelled|none|forbidden|bad request)\b")
ZERO_MINUTES = re.compile(r"(?<![\d.,])0(\.0)? phút")


def english_in(text: str) -> list[str]:
    return ENGLISH.findall(text)


async def emergency_case(core: Core) -> int:
    """A critical case whose person answered the emergency questions: where, danger now."""
    d = core.dispatcher
    await d.handle(make_incoming("chong em dang danh em cuu voi"))
    await d.handle(make_incoming("thôn 3, xã Yên Lạc"))
    await d.handle(make_incoming(button="em:danger:yes"))
    await d.handle(make_incoming(button="em:skip"))
    person = await core.store.views.person("telegram", "111")
    assert person is not None
    case = await core.store.cases.open_of(person.id)
    assert case is not None and case.priority is Priority.CRITICAL
    return case.id


async def card(core: Core, case_id: int) -> str:
    case = await core.store.views.case(case_id)
    assert case is not None
    return (await core.case_card(case)).text


async def test_the_card_of_an_emergency_says_level_channel_and_answers_in_words(
    desk_core: Core,
) -> None:
    text = await card(desk_core, await emergency_case(desk_core))
    assert "Mức ưu tiên: KHẨN CẤP" in text
    assert "Kênh: Telegram" in text
    assert "Đang có nguy hiểm: có" in text
    assert "Nói chuyện an toàn: (bỏ qua)" in text
    assert "Vị trí: thôn 3, xã Yên Lạc" in text
    assert "Trạng thái: đang chờ" in text
    assert english_in(text) == []


async def test_the_emergency_alert_and_the_answers_posted_are_in_words(desk_core: Core) -> None:
    await emergency_case(desk_core)
    staff = await posts(desk_core)
    alert = staff[0]
    assert "Kênh: Telegram · Lan" in alert
    assert "Mức ưu tiên hiện tại: KHẨN CẤP" in alert
    assert any("Đang có người gặp nguy hiểm: có" in p for p in staff)
    assert [p for p in staff if english_in(p)] == []


async def test_a_zalo_case_and_a_console_case_name_their_channel_in_words(
    desk_core: Core,
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("chong em dang danh em cuu voi", channel="zalo", user="z1"))
    await d.handle(make_incoming("chong em dang danh em cuu voi", channel="console",
                                 user="c1"))
    assert "Kênh: Zalo" in await card(desk_core, 1)
    assert "Kênh: Dòng lệnh (thử nghiệm)" in await card(desk_core, 2)


async def test_earlier_cases_and_a_corrected_level_are_in_words(desk_core: Core) -> None:
    d = desk_core.dispatcher
    first = await case_in_topic(desk_core, "111", "77")
    await d.handle(make_incoming("/huy"))  # leaves the queue: the case is cancelled
    second = await claimed_case(desk_core, HOA, "111", "78")
    await say(desk_core, HOA, "/muc gấp", thread="78")
    text = await card(desk_core, second)
    assert f"Ca trước của người này: #{first} (người dùng đã rời hàng chờ)" in text
    assert "Trợ lý đã xếp mức: Thường · đã được sửa" in text
    assert "Mức ưu tiên: GẤP" in text
    assert english_in(text) == []


async def test_the_queue_says_under_a_minute_never_zero_minutes(
    desk_core: Core, clock: Clock,
) -> None:
    await emergency_case(desk_core)
    await case_in_topic(desk_core, "222", "78")
    clock.advance(30)
    await say(desk_core, HOA, "/hangcho")
    queue = (await posts(desk_core, "general"))[-1]
    assert "🔴 #1 · Bạo lực gia đình · chờ chưa tới 1 phút" in queue
    assert "🟢 #2 · 🧒 Trẻ em · chờ chưa tới 1 phút" in queue
    assert not ZERO_MINUTES.search(queue) and english_in(queue) == []
    clock.advance(61)
    await say(desk_core, HOA, "/hangcho")
    assert "chờ 1 phút" in (await posts(desk_core, "general"))[-1]


async def test_a_re_alert_under_a_minute_and_its_supervisor_notice_are_in_words(
    desk_core: Core, clock: Clock,
) -> None:
    await emergency_case(desk_core)
    staff = replace(desk_core.services.staff, critical_alert_after=30)
    watch = CaseWatch(desk_core.store, replace(desk_core.services, staff=staff))
    clock.advance(40)
    assert (await watch.run_once()).escalated == (1,)
    alert = (await posts(desk_core, "general"))[-1]
    assert alert == "⏰ Ca khẩn cấp #1 đã chờ chưa tới 1 phút mà chưa có người nhận. Xin nhận ngay."
    to_supervisor = [q.text for q in await queued(desk_core, "telegram") if q.recipient == "6001"]
    assert to_supervisor == ["Cần hỗ trợ: ca khẩn cấp #1 đã chờ chưa tới 1 phút mà chưa có tư"
                             " vấn viên nhận. Xin vào nhóm tư vấn viên để xử lý."]
    clock.advance(60)
    await watch.run_once()
    assert "đã chờ 1 phút" in (await posts(desk_core, "general"))[-1]


async def test_out_of_hours_the_on_call_alert_names_the_level_in_words(
    desk_core: Core, clock: Clock,
) -> None:
    clock.advance(9 * 3600)  # 19:00 in Hà Nội: the office is closed
    await desk_core.dispatcher.handle(make_incoming("chong em dang danh em cuu voi"))
    on_call = [q.text for q in await queued(desk_core, "telegram") if q.recipient == "5002"]
    assert on_call and on_call[0].startswith("Ngoài giờ hành chính: có ca khẩn cấp #1")
    assert english_in(on_call[0]) == []


async def test_my_cases_name_their_level_in_words(desk_core: Core) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/cua_toi")
    assert (await posts(desk_core, "general"))[-1] == (
        f"Ca bạn đang giữ:\n• 🟢 #{case_id} (thường)")


async def test_todays_figures_say_a_first_reply_under_a_minute_in_words(
    desk_core: Core, clock: Clock,
) -> None:
    await claimed_case(desk_core)
    clock.advance(20)
    await say(desk_core, HOA, "Chào em", thread="77")
    await say(desk_core, LAN, "/thongke")
    stats = (await posts(desk_core, "general"))[-1]
    assert "trung vị chưa tới 1 phút; 9/10 ca trong vòng chưa tới 1 phút" in stats
    assert not ZERO_MINUTES.search(stats)


async def test_a_message_that_could_not_reach_the_person_says_why_in_vietnamese(
    desk_core: Core, clock: Clock,
) -> None:
    why = {
        "forbidden: Forbidden: bot was blocked by the user":
            "người dùng đã chặn trợ lý hoặc rời khỏi cuộc trò chuyện",
        "bad request: Bad Request: message is too long": "kênh nhắn tin từ chối tin nhắn này",
        "gave up after 8 attempts: TimedOut": "đã thử gửi lại nhiều lần mà không được",
        "zalo_window: error -230: user has not interacted": "đã quá thời hạn Zalo cho phép nhắn",
        "ConnectError": "kênh nhắn tin đang gặp sự cố",
    }
    for reason, said in why.items():
        delivery = Delivery(1, "telegram", "111", Outgoing("Chào em", priority=Priority.NORMAL),
                            3, 1, 7, clock() - timedelta(minutes=1))
        step = undeliverable_step(desk_core.services, delivery, reason)
        assert step is not None
        text = step.staff[0].message
        assert text.startswith("⚠️ Tin nhắn tới người dùng ở ca #7 chưa gửi được: " + said)
        assert english_in(text) == [] and reason not in text


async def test_media_of_a_kind_the_group_has_no_word_for_is_an_attachment(
    desk_core: Core,
) -> None:
    await claimed_case(desk_core)
    await desk_core.dispatcher.handle(make_incoming(attachment="poll"))
    await desk_core.dispatcher.handle(make_incoming(attachment="hologram"))
    relayed = (await posts(desk_core, "case:1"))[-2:]
    assert relayed == ["👤 [bình chọn]", "👤 [tệp đính kèm]"]

"""What the staff group reads about the desk as a whole: who works which case (/dangxuly),
every staff command (/help), and the person's rating on the card of a closed case."""

from __future__ import annotations

from bot.core import Core
from flows.counsellor import CASE_COMMANDS, GENERAL_COMMANDS
from tests.conftest import Clock
from tests.factories import make_incoming
from tests.flows.staff_desk import (
    HOA,
    LAN,
    NAM,
    audit,
    card_refreshes,
    case_in_topic,
    claimed_case,
    last_post,
    posts,
    say,
)


async def test_dangxuly_lists_the_active_cases_by_counsellor_with_tags_and_the_wait(
    desk_core: Core, clock: Clock,
) -> None:
    first = await claimed_case(desk_core, HOA, "111", "77")
    clock.advance(12 * 60 + 30)
    second = await claimed_case(desk_core, NAM, "222", "78")
    clock.advance(20)
    third = await claimed_case(desk_core, HOA, "333", "79")
    await say(desk_core, HOA, "/muc khẩn cấp", thread="79")
    await say(desk_core, HOA, "/tag tái phát", thread="77")
    await case_in_topic(desk_core, "444", "80")  # waits for someone
    await say(desk_core, LAN, "/dangxuly")
    assert (await posts(desk_core, "general"))[-1] == "\n".join([
        "Đang tư vấn: 3 ca.",
        "",
        "Chị Hoa (2 ca):",
        f"🔴 #{third} · 🧒 Trẻ em · nhận cách đây chưa tới 1 phút",  # the most urgent first
        f"🟢 #{first} · 🧒 Trẻ em · nhận cách đây 12 phút · #tai-phat",
        "",
        "Anh Nam (1 ca):",
        f"🟢 #{second} · 🧒 Trẻ em · nhận cách đây chưa tới 1 phút",
        "",
        "Đang chờ người nhận: 1 ca (/hangcho).",
    ])
    assert await audit(desk_core, "viewed_active") == [("staff:6001", "viewed_active", None, "")]


async def test_dangxuly_on_a_quiet_desk(desk_core: Core) -> None:
    await say(desk_core, HOA, "/dangxuly")
    assert await last_post(desk_core) == (
        "Không có ca nào đang tư vấn.\n\nKhông có ca nào đang chờ người nhận.")


async def test_help_lists_every_staff_command_with_one_line_each(desk_core: Core) -> None:
    await say(desk_core, HOA, "/help")
    text = await last_post(desk_core)
    lines = text.splitlines()
    for command in (*GENERAL_COMMANDS, *CASE_COMMANDS):
        assert any(line.startswith(f"/{command} ") for line in lines), command
    for syntax in ("/mau luu <tên> <nội dung>", "/mau xoa <tên>", "/mau xem <tên>",
                   "/tag -<nhãn>", "/tag xoa <nhãn>", "1. đã tư vấn"):
        assert syntax in text, syntax
    assert text.index("Ở mục chung") < text.index("Trong chủ đề của một ca") < text.index(
        "Chỉ giám sát viên")


async def test_help_works_in_a_cases_topic_too(desk_core: Core) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/help", thread="77")
    assert (await posts(desk_core, f"case:{case_id}"))[-1].startswith(
        "Các lệnh của nhóm tư vấn viên")


async def test_the_persons_rating_and_comment_show_on_the_card_of_the_closed_case(
    desk_core: Core,
) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/dong 1", thread="77")
    refreshes = await card_refreshes(desk_core, case_id)
    await desk_core.dispatcher.handle(make_incoming(button="rate:4"))
    await desk_core.dispatcher.handle(make_incoming("chị tư vấn rất tận tình"))
    assert await card_refreshes(desk_core, case_id) == refreshes + 2  # the card is redrawn
    case = await desk_core.store.views.case(case_id)
    assert case is not None
    card = (await desk_core.case_card(case)).text
    assert "Trạng thái: đã đóng · Chị Hoa · kết quả: đã tư vấn" in card
    assert "Đánh giá của người dùng: 4/5 ⭐⭐⭐⭐" in card
    assert "Góp ý: «chị tư vấn rất tận tình»" in card


async def test_a_card_without_a_rating_says_nothing_of_one(desk_core: Core) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/dong 1", thread="77")
    case = await desk_core.store.views.case(case_id)
    assert case is not None
    assert "Đánh giá" not in (await desk_core.case_card(case)).text

"""Tags on cases (`/tag`) through the real staff desk and a SQLite store."""

from __future__ import annotations

from bot.core import Core
from flows.tags import TAGS_PER_CASE, normalise_tag, requested
from tests.flows.staff_desk import (
    HOA,
    LAN,
    NAM,
    audit,
    card_refreshes,
    case_in_topic,
    claimed_case,
    last_post,
    say,
)


def test_a_tag_is_one_short_label_whatever_the_diacritics_case_and_spacing() -> None:
    for typed in ("Tái phát", "#tai phat", "tái-phát", "  TÁI_PHÁT! "):
        assert normalise_tag(typed) == "tai-phat"
    assert normalise_tag("Đã chuyển công an") == "da-chuyen-cong-an"
    assert normalise_tag("###") == ""


def test_commas_separate_tags_and_a_minus_or_xoa_removes() -> None:
    assert requested("tái phát, cần gọi lại") == (["tái phát", "cần gọi lại"], [])
    assert requested("-tái phát") == ([], ["tái phát"])
    assert requested("xóa tái phát, bạo lực") == ([], ["tái phát", "bạo lực"])
    assert requested("bỏ học") == (["bỏ học"], [])  # a tag, not a removal


async def test_the_counsellor_tags_her_case_and_the_topic_and_card_show_it(
    desk_core: Core,
) -> None:
    case_id = await claimed_case(desk_core)
    refreshes = await card_refreshes(desk_core, case_id)
    await say(desk_core, HOA, "/tag Tái phát, cần gọi lại", thread="77")
    assert await last_post(desk_core) == (
        f"🏷 Chị Hoa đã gắn nhãn #tai-phat, #can-goi-lai cho ca #{case_id}.\n"
        f"Nhãn của ca #{case_id}: #tai-phat, #can-goi-lai")
    assert await card_refreshes(desk_core, case_id) == refreshes + 1
    case = await desk_core.store.views.case(case_id)
    assert case is not None
    card = (await desk_core.case_card(case)).text
    assert "Nhãn: #tai-phat, #can-goi-lai" in card
    await say(desk_core, NAM, "/tag", thread="77")  # anyone at the desk may read them
    assert await last_post(desk_core) == f"Nhãn của ca #{case_id}: #tai-phat, #can-goi-lai"


async def test_tags_are_removed_with_a_minus_or_xoa_and_each_change_is_audited(
    desk_core: Core,
) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/tag tái phát, cần gọi lại, bạo lực", thread="77")
    await say(desk_core, HOA, "/tag -tai phat", thread="77")
    assert (await last_post(desk_core)).startswith(
        f"🏷 Chị Hoa đã bỏ nhãn #tai-phat khỏi ca #{case_id}.")
    await say(desk_core, HOA, "/tag xóa cần gọi lại, bạo lực", thread="77")
    assert await desk_core.store.case_tags.of(case_id) == []
    assert (await last_post(desk_core)).endswith("Bỏ nhãn: /tag -<nhãn> hoặc /tag xoa <nhãn>.")
    assert await audit(desk_core, "tag_added", "tag_removed") == [
        ("staff:5001", "tag_added", case_id, "tai-phat"),
        ("staff:5001", "tag_added", case_id, "can-goi-lai"),
        ("staff:5001", "tag_added", case_id, "bao-luc"),
        ("staff:5001", "tag_removed", case_id, "tai-phat"),
        ("staff:5001", "tag_removed", case_id, "can-goi-lai"),
        ("staff:5001", "tag_removed", case_id, "bao-luc"),
    ]


async def test_a_tag_already_there_or_not_there_is_said_and_changes_nothing(
    desk_core: Core,
) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/tag tái phát", thread="77")
    refreshes = await card_refreshes(desk_core, case_id)
    await say(desk_core, HOA, "/tag Tái Phát, -bạo lực", thread="77")
    assert await last_post(desk_core) == (
        f"Ca #{case_id} đã có nhãn #tai-phat.\n"
        f"Ca #{case_id} không có nhãn #bao-luc.\n"
        f"Nhãn của ca #{case_id}: #tai-phat")
    assert await card_refreshes(desk_core, case_id) == refreshes
    assert await audit(desk_core, "tag_added", "tag_removed") == [
        ("staff:5001", "tag_added", case_id, "tai-phat")]


async def test_a_tag_too_long_and_too_many_tags_are_refused_politely(desk_core: Core) -> None:
    case_id = await claimed_case(desk_core)
    long = "cần liên hệ lại với gia đình sau khi xác minh"
    await say(desk_core, HOA, f"/tag {long}", thread="77")
    assert (await last_post(desk_core)).startswith(
        f"Nhãn «{long}» dài quá (tối đa 30 ký tự); xin dùng một nhãn ngắn hơn.")
    many = ", ".join(f"nhan {i}" for i in range(TAGS_PER_CASE + 2))
    await say(desk_core, HOA, f"/tag {many}", thread="77")
    assert len(await desk_core.store.case_tags.of(case_id)) == TAGS_PER_CASE
    assert f"Chưa gắn được #nhan-10, #nhan-11: mỗi ca có tối đa {TAGS_PER_CASE} nhãn." in (
        await last_post(desk_core))


async def test_only_the_cases_counsellor_or_a_supervisor_may_tag_it(desk_core: Core) -> None:
    waiting = await case_in_topic(desk_core, "111", "77")
    await say(desk_core, HOA, "/tag tái phát", thread="77")
    assert (await last_post(desk_core)).startswith(f"Ca #{waiting} chưa có người nhận.")
    await say(desk_core, LAN, "/tag cần đọc kỹ", thread="77")  # a supervisor may, at once
    await say(desk_core, HOA, "/nhan", thread="77")
    await say(desk_core, NAM, "/tag bạo lực", thread="77")
    assert (await last_post(desk_core)).startswith(
        f"Ca #{waiting} do tư vấn viên khác phụ trách; chỉ người nhận ca hoặc giám sát viên")
    assert await desk_core.store.case_tags.of(waiting) == ["can-doc-ky"]


async def test_the_counsellor_may_still_tag_her_case_when_wrapping_it_up(
    desk_core: Core,
) -> None:
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/dong 1", thread="77")
    await say(desk_core, HOA, "/tag đã chuyển tuyến", thread="77")
    assert await desk_core.store.case_tags.of(case_id) == ["da-chuyen-tuyen"]
    await say(desk_core, NAM, "/tag khác", thread="77")
    assert await desk_core.store.case_tags.of(case_id) == ["da-chuyen-tuyen"]


async def test_tag_without_a_tag_explains_how(desk_core: Core) -> None:
    case_id = await claimed_case(desk_core)
    for typed in ("/tag xoa", "/tag ###", "/tag ,"):
        await say(desk_core, HOA, typed, thread="77")
        assert await last_post(desk_core) == (
            f"Ca #{case_id} chưa có nhãn nào.\n"
            "Gắn nhãn: /tag <nhãn>, nhiều nhãn thì cách nhau bằng dấu phẩy (ví dụ /tag tái"
            " phát, cần gọi lại). Bỏ nhãn: /tag -<nhãn> hoặc /tag xoa <nhãn>.")


async def test_tag_in_general_says_it_belongs_in_a_cases_topic(desk_core: Core) -> None:
    await say(desk_core, HOA, "/tag tái phát")
    assert await last_post(desk_core) == (
        "Lệnh /tag dùng trong chủ đề của một ca. Ở mục chung có: /hangcho, /dangxuly,"
        " /cua_toi, /thongke, /mau. Xem tất cả các lệnh: /help.")

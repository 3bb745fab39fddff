"""Canned replies (`/mau`) through the real staff desk and a SQLite store: supervisors write
them, counsellors send them into their case the way a typed reply goes."""

from __future__ import annotations

from bot.core import Core
from flows.canned import TEXT_LIMIT
from flows.cases import CaseStatus
from tests.flows.staff_desk import (
    HOA,
    LAN,
    NAM,
    audit,
    case_in_topic,
    claimed_case,
    posts,
    say,
    to_person,
)

GREETING = "Chào bạn, mình là tư vấn viên của trung tâm.\nBạn cứ kể, mình đang nghe."


async def saved(core: Core, name: str, text: str) -> None:
    await say(core, LAN, f"/mau luu {name} {text}")
    assert (await posts(core))[-1].startswith(f"✅ Đã thêm mẫu «{name}»")


async def test_a_supervisors_canned_reply_reaches_the_person_under_the_counsellors_name(
    desk_core: Core,
) -> None:
    await say(desk_core, LAN, f"/mau luu chào {GREETING}")
    assert (await posts(desk_core, "general"))[-1].startswith("✅ Đã thêm mẫu «chào»")
    case_id = await claimed_case(desk_core)
    await say(desk_core, HOA, "/mau CHAO", thread="77")  # any case, no diacritics needed
    assert f"Chị Hoa (tư vấn viên): {GREETING}" in await to_person(desk_core)
    # The topic shows what went, as it shows what a counsellor types.
    assert (await posts(desk_core, f"case:{case_id}"))[-1] == (
        f"📤 Chị Hoa đã gửi mẫu «chào» cho người dùng (ca #{case_id}):\n\n{GREETING}")
    case = await desk_core.store.views.case(case_id)
    assert case is not None and case.first_reply_at is not None  # it counts as the first reply
    person = await desk_core.store.views.person("telegram", "111")
    assert person is not None
    history = await desk_core.store.views.history(person.id)
    assert [(m.direction, m.text) for m in history][-1] == ("staff", GREETING)
    assert await audit(desk_core, "canned_saved", "canned_sent") == [
        ("staff:6001", "canned_saved", None, "chao (added)"),
        ("staff:5001", "canned_sent", case_id, "chao"),
    ]


async def test_a_name_is_found_with_or_without_diacritics_hyphens_or_capitals(
    desk_core: Core,
) -> None:
    await saved(desk_core, "giấy-tờ", "Bạn mang theo căn cước và sổ hộ khẩu.")
    await claimed_case(desk_core)
    for typed in ("/mau giay to", "/mau Giấy_Tờ", "/mau GIAY-TO"):
        await say(desk_core, HOA, typed, thread="77")
    sent = [t for t in await to_person(desk_core) if "căn cước" in t]
    assert len(sent) == 3


async def test_the_text_is_sent_exactly_as_written_never_as_a_template(desk_core: Core) -> None:
    await saved(desk_core, "mau1", "Gõ {{ ten }} và {% if %} đúng như vậy nhé")
    await claimed_case(desk_core)
    await say(desk_core, HOA, "/mau mau1", thread="77")
    assert "Chị Hoa (tư vấn viên): Gõ {{ ten }} và {% if %} đúng như vậy nhé" in (
        await to_person(desk_core))


async def test_the_list_shows_each_name_with_the_start_of_its_text(desk_core: Core) -> None:
    await saved(desk_core, "chao", GREETING)
    await saved(desk_core, "ho-so", "Hồ sơ gồm: đơn theo Mẫu số 01, bản sao căn cước.")
    await say(desk_core, HOA, "/mau")
    text = (await posts(desk_core, "general"))[-1]
    assert text.startswith("Mẫu trả lời (2):")
    assert "• chao: Chào bạn, mình là tư vấn viên của trung tâm. Bạn cứ kể" in text
    assert "• ho-so: Hồ sơ gồm" in text
    assert "gõ /mau <tên> trong chủ đề của ca" in text
    assert "/mau luu" not in text  # counsellors are not shown how to edit, supervisors are
    await say(desk_core, LAN, "/mau")
    assert "/mau luu <tên> <nội dung>" in (await posts(desk_core, "general"))[-1]


async def test_the_whole_text_can_be_read_before_sending_and_nothing_goes_out(
    desk_core: Core,
) -> None:
    await saved(desk_core, "chao", GREETING)
    await claimed_case(desk_core)
    before = await to_person(desk_core)
    await say(desk_core, HOA, "/mau xem chao", thread="77")
    assert (await posts(desk_core))[-1].endswith(GREETING)
    await say(desk_core, HOA, "/mau xem", thread="77")  # which one? the list
    assert (await posts(desk_core))[-1].startswith("Mẫu trả lời (1):")
    assert await to_person(desk_core) == before


async def test_a_supervisor_replaces_and_deletes_a_canned_reply(desk_core: Core) -> None:
    await saved(desk_core, "chao", "Bản cũ")
    await say(desk_core, LAN, "/mau sửa Chao Bản mới")  # sửa, thêm and lưu all save
    assert (await posts(desk_core))[-1] == "✅ Đã thay nội dung mẫu «Chao»."
    await claimed_case(desk_core)
    await say(desk_core, HOA, "/mau chao", thread="77")
    assert (await to_person(desk_core))[-1] == "Chị Hoa (tư vấn viên): Bản mới"
    await say(desk_core, LAN, "/mau xóa chao")
    assert (await posts(desk_core))[-1] == "🗑 Đã xóa mẫu «Chao»."
    await say(desk_core, HOA, "/mau chao", thread="77")
    assert (await posts(desk_core))[-1].startswith("Không có mẫu «chao».")
    assert await audit(desk_core, "canned_saved", "canned_deleted") == [
        ("staff:6001", "canned_saved", None, "chao (added)"),
        ("staff:6001", "canned_saved", None, "chao (replaced)"),
        ("staff:6001", "canned_deleted", None, "chao"),
    ]


async def test_counsellors_are_told_politely_that_only_supervisors_edit_canned_replies(
    desk_core: Core,
) -> None:
    await saved(desk_core, "chao", GREETING)
    for command in ("/mau luu moi Nội dung mới", "/mau xoa chao"):
        await say(desk_core, HOA, command)
        assert (await posts(desk_core))[-1].startswith(
            "Xin lỗi, chỉ giám sát viên mới thêm, sửa hoặc xóa được mẫu trả lời.")
    assert [r.key for r in await desk_core.store.canned_replies.all()] == ["chao"]
    assert await audit(desk_core, "canned_refused") == [
        ("staff:5001", "canned_refused", None, "save"),
        ("staff:5001", "canned_refused", None, "delete"),
    ]


async def test_an_unknown_name_is_answered_with_the_names_there_are(desk_core: Core) -> None:
    await saved(desk_core, "chao", GREETING)
    await saved(desk_core, "tam-biet", "Chúc bạn bình an.")
    await claimed_case(desk_core)
    before = await to_person(desk_core)
    await say(desk_core, HOA, "/mau chaoo", thread="77")
    assert (await posts(desk_core))[-1] == (
        "Không có mẫu «chaoo».\nCác mẫu hiện có: chao, tam-biet.")
    assert await to_person(desk_core) == before
    await say(desk_core, LAN, "/mau xoa khongco")
    assert "Các mẫu hiện có: chao, tam-biet." in (await posts(desk_core))[-1]


async def test_with_no_canned_reply_yet_the_counsellor_learns_who_adds_them(
    desk_core: Core,
) -> None:
    await say(desk_core, HOA, "/mau")
    assert (await posts(desk_core))[-1] == (
        "Chưa có mẫu trả lời nào.\nGiám sát viên thêm và sửa các mẫu trả lời.")


async def test_what_a_supervisor_types_wrong_is_explained(desk_core: Core) -> None:
    expected = {
        "/mau luu": "Thiếu tên mẫu.",
        "/mau luu chao": "Mẫu «chao» chưa có nội dung.",
        "/mau luu chao    ": "Mẫu «chao» chưa có nội dung.",
        "/mau luu xem Xem gì": "Không đặt tên mẫu là «xem» được vì trùng với lệnh",
        f"/mau luu {'a' * 31} Nội dung": "Tên mẫu dài quá (tối đa 30 ký tự).",
        f"/mau luu dai {'x' * (TEXT_LIMIT + 1)}": (
            f"Nội dung mẫu dài quá: {TEXT_LIMIT + 1} ký tự, tối đa {TEXT_LIMIT}."),
        "/mau xoa": "Xóa mẫu nào? Gõ /mau xoa <tên>.",
    }
    for command, answer in expected.items():
        await say(desk_core, LAN, command)
        assert (await posts(desk_core))[-1].startswith(answer), command
    assert await desk_core.store.canned_replies.all() == []


async def test_a_canned_reply_waits_for_the_claim_and_stays_with_its_counsellor(
    desk_core: Core,
) -> None:
    await saved(desk_core, "chao", GREETING)
    hoa_case = await case_in_topic(desk_core, "111", "77")
    await say(desk_core, HOA, "/mau chao", thread="77")
    assert (await posts(desk_core))[-1].startswith(f"Ca #{hoa_case} chưa có người nhận")
    await say(desk_core, HOA, "/nhan", thread="77")
    await say(desk_core, NAM, "/mau chao", thread="77")  # not Anh Nam's case
    assert (await posts(desk_core))[-1].startswith(
        f"Ca #{hoa_case} đang do tư vấn viên khác phụ trách")
    assert not any(GREETING in t for t in await to_person(desk_core, "111"))
    await say(desk_core, LAN, "/mau chao", thread="77")  # a supervisor may, in any case
    assert (await to_person(desk_core, "111"))[-1] == f"Cô Lan (tư vấn viên): {GREETING}"
    await say(desk_core, HOA, "/dong 1", thread="77")
    case = await desk_core.store.views.case(hoa_case)
    assert case is not None and case.status == CaseStatus.CLOSED
    before = await to_person(desk_core, "111")
    await say(desk_core, HOA, "/mau chao", thread="77")
    assert (await posts(desk_core))[-1].startswith(f"Ca #{hoa_case} đã đóng")
    assert await to_person(desk_core, "111") == before


async def test_in_general_a_canned_reply_is_not_sent_anywhere(desk_core: Core) -> None:
    await saved(desk_core, "chao", GREETING)
    await claimed_case(desk_core)
    before = await to_person(desk_core)
    await say(desk_core, HOA, "/mau chao")  # General: no case, no person
    assert (await posts(desk_core, "general"))[-1].startswith(
        "Mẫu chỉ gửi được trong chủ đề của một ca")
    assert await to_person(desk_core) == before


async def test_an_edited_command_does_not_send_the_reply_twice(desk_core: Core) -> None:
    await saved(desk_core, "chao", GREETING)
    await saved(desk_core, "tam-biet", "Chúc bạn bình an.")
    await claimed_case(desk_core)
    await say(desk_core, HOA, "/mau chao", thread="77")
    await say(desk_core, HOA, "/mau tam-biet", thread="77", edited=True)
    sent = await to_person(desk_core)
    assert sum(GREETING in t for t in sent) == 1
    assert not any("bình an" in t for t in sent)
    assert (await posts(desk_core))[-1].startswith("Lệnh đã sửa không gửi lại mẫu.")

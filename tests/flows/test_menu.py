"""The front door, driven through the real dispatcher on a temporary SQLite store."""

from __future__ import annotations

from bot.app import Core
from flows.menu import MENU_COUNSELLOR, MENU_EMERGENCY, MENU_POLICY
from flows.messages import IncomingKind
from tests.factories import make_incoming

MENU = {MENU_POLICY, MENU_COUNSELLOR, MENU_EMERGENCY}


def button_data(handled) -> set[str]:  # type: ignore[no-untyped-def]
    return {b.data for r in handled.replies for b in r.button_list()}


async def test_start_greets_by_name_says_it_is_a_bot_and_shows_the_menu(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming("/start", first_name="Lan"))
    text = handled.reply_text
    assert text.startswith("Xin chào Lan!")
    assert "không phải người thật" in text  # never pretends to be human
    assert "113" in text and "115" in text  # emergency numbers up front
    assert "bí mật" in text  # the short privacy notice
    assert button_data(handled) == MENU
    labels = [b.label for r in handled.replies for b in r.button_list()]
    assert any("Hỏi chính sách" in label for label in labels)
    assert any("Gặp tư vấn viên" in label for label in labels)
    assert any("Báo khẩn cấp" in label for label in labels)


async def test_start_with_bot_username_suffix_is_still_start(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming("/start@hotline_bot"))
    assert handled.reply_text.startswith("Xin chào")


async def test_help_lists_the_commands(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming("/help"))
    for command in ("/start", "/huy", "/help"):
        assert command in handled.reply_text


async def test_huy_returns_to_the_menu(core: Core) -> None:
    await core.dispatcher.handle(make_incoming(button=MENU_POLICY))
    handled = await core.dispatcher.handle(make_incoming("/huy"))
    assert handled.reply_text.startswith("Đã dừng")
    person = await core.store.views.person("telegram", "111")
    assert person is not None and person.flow == "menu"


async def test_unknown_command_is_named_politely(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming("/xyz"))
    assert "/xyz" in handled.reply_text and "/help" in handled.reply_text
    assert handled.route == "fallback"


async def test_sticker_gets_a_kind_reply_and_the_menu(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming(attachment="sticker"))
    assert "chỉ hiểu được chữ" in handled.reply_text
    assert button_data(handled) == MENU


async def test_photo_is_thanked_and_explained(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming(attachment="photo"))
    assert "Cảm ơn bạn đã gửi ảnh" in handled.reply_text
    assert "Gặp tư vấn viên" in handled.reply_text


async def test_voice_note_is_named_in_vietnamese(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming(attachment="voice"))
    assert "tin nhắn thoại" in handled.reply_text


async def test_edited_message_asks_for_a_new_message(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming("sửa lại", kind=IncomingKind.EDITED))
    assert "tin nhắn đã sửa" in handled.reply_text


async def test_old_or_unknown_button_is_explained(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming(button="case:claim:999"))
    assert "Nút này đã cũ" in handled.reply_text
    assert button_data(handled) == MENU


async def test_blocking_the_bot_gets_no_reply(core: Core) -> None:
    handled = await core.dispatcher.handle(make_incoming(kind=IncomingKind.LEFT))
    assert handled.replies == ()

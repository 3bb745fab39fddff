"""The emergency location question on Telegram, through the real python-telegram-bot against
the local Bot API stand-in: the location key and "Bỏ qua" are both there, and the keyboard
goes once the question is answered."""

from __future__ import annotations

from typing import Any

from bot.app import Core
from bot.hotline import Hotline
from tests.bot.test_telegram import buttons, reply_to
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, Call

USER = 131


def keyboard(call: Call) -> list[list[dict[str, Any]]]:
    markup = call.params.get("reply_markup") or {}
    return list(markup.get("keyboard", []))


def removes_keyboard(call: Call) -> bool:
    return bool((call.params.get("reply_markup") or {}).get("remove_keyboard"))


async def ask_where(bot_api: BotApiStandIn, user: int) -> Call:
    bot_api.push_update(updates.text(user, "chong em dang danh em cuu voi"))
    return await bot_api.wait_for(reply_to(user, "đang ở đâu"), timeout=10)


async def test_the_location_question_offers_the_location_key_and_skip(
    channel: Hotline, bot_api: BotApiStandIn, tg_core: Core
) -> None:
    where = await ask_where(bot_api, USER)
    keys = keyboard(where)
    assert keys[0][0]["request_location"] is True and keys[0][0]["text"] == "📍 Gửi vị trí của tôi"
    assert [k["text"] for row in keys[1:] for k in row] == ["Bỏ qua"]

    since = bot_api.mark()
    bot_api.push_update(updates.text(USER, "Bỏ qua"))  # what the "Bỏ qua" key sends
    gone = await bot_api.wait_for(lambda c: reply_to(USER)(c) and removes_keyboard(c),
                                  since=since, timeout=10)
    assert "Không sao" in str(gone.params["text"])
    danger = await bot_api.wait_for(reply_to(USER, "Có ai đang gặp nguy hiểm"), since=since,
                                    timeout=10)
    assert ("Có, đang nguy hiểm", "em:danger:yes") in buttons(danger)
    case = await tg_core.store.views.case(1)
    assert case is not None and case.details["where"] == "skipped"


async def test_a_typed_address_takes_the_location_keyboard_away(
    channel: Hotline, bot_api: BotApiStandIn
) -> None:
    await ask_where(bot_api, USER + 1)
    since = bot_api.mark()
    bot_api.push_update(updates.text(USER + 1, "xóm 2, xã Tân Lập, Quảng Ninh"))
    gone = await bot_api.wait_for(lambda c: reply_to(USER + 1)(c) and removes_keyboard(c),
                                  since=since, timeout=10)
    assert "địa chỉ" in str(gone.params["text"])
    await bot_api.wait_for(reply_to(USER + 1, "Có ai đang gặp nguy hiểm"), since=since,
                           timeout=10)

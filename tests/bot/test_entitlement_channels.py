"""The entitlement check end to end on every channel: the real python-telegram-bot against the
local Bot API stand-in, the Zalo webhook against the Zalo OA stand-in, and the console; the
same questions, buttons and answer on each, on a real SQLite file."""

from __future__ import annotations

from typing import Any

from bot.app import Core, console_channel
from bot.hotline import Hotline
from flows.turn import FlowName
from tests.bot import zalo_fixtures as z
from tests.bot.test_telegram import buttons, reply_to
from tests.bot.zalo_fixtures import (  # noqa: F401
    post_event,
    webhook_url,
    zalo_api,
    zalo_channel,
    zalo_core,
)
from tests.bot.zalo_fixtures import reply_to as zalo_reply_to
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn
from tests.standin.zalo_api import ZaloApiStandIn

QUESTION = "mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?"
PAID = "✅ Trợ cấp hưu trí xã hội: 500.000 đ/tháng"
XA_DECIDES = "UBND xã xác định chính xác diện và mức hưởng khi xét hồ sơ"


async def test_telegram_questions_come_with_buttons_and_the_answer_with_its_sources(
    channel: Hotline, bot_api: BotApiStandIn, tg_core: Core
) -> None:
    user = 301
    bot_api.push_update(updates.text(user, QUESTION))
    first = await bot_api.wait_for(reply_to(user, "Mẹ bạn có khuyết tật không?"), timeout=10)
    assert "Mình đã ghi nhận: 80 tuổi, hộ nghèo." in str(first.params["text"])
    offered = buttons(first)
    assert offered[:3] == [("Đặc biệt nặng", "ent:disability:disability=dac_biet_nang"),
                           ("Nặng", "ent:disability:disability=nang"),
                           ("Nhẹ", "ent:disability:disability=nhe")]
    rows = first.params["reply_markup"]["inline_keyboard"]
    assert [len(row) for row in rows] == [3, 1, 1]  # short labels side by side

    since = bot_api.mark()
    bot_api.push_update(updates.callback(user, "ent:disability:disability=khong"))
    pension = await bot_api.wait_for(reply_to(user, "lương hưu"), since=since, timeout=10)
    await bot_api.wait_for(lambda c: c.method == "answerCallbackQuery", since=since)
    choice = dict(buttons(pension))["Không có lương hưu, trợ cấp BHXH"]

    since = bot_api.mark()
    bot_api.push_update(updates.callback(user, choice))
    result = await bot_api.wait_for(reply_to(user, "Đây là kết quả kiểm tra sơ bộ."),
                                    since=since, timeout=10)
    text = str(result.params["text"])
    assert PAID in text and XA_DECIDES in text and "Luật Bảo hiểm xã hội số 41/2024/QH15" in text
    assert [data for _, data in buttons(result)] == ["menu:counsellor", "menu:home"]
    person = await tg_core.store.views.person("telegram", str(user))
    assert person is not None and person.flow == FlowName.MENU


async def test_telegram_typed_answers_and_huy(
    channel: Hotline, bot_api: BotApiStandIn
) -> None:
    user = 302
    bot_api.push_update(updates.text(user, "bố e 78t thì đc hưởng j ko"))
    await bot_api.wait_for(reply_to(user, "Bố bạn có khuyết tật không?"), timeout=10)
    since = bot_api.mark()
    bot_api.push_update(updates.text(user, "nặng"))
    await bot_api.wait_for(reply_to(user, "hộ nghèo hoặc hộ cận nghèo"), since=since,
                           timeout=10)
    since = bot_api.mark()
    bot_api.push_update(updates.command(user, "/huy"))
    await bot_api.wait_for(reply_to(user, "Đã dừng"), since=since, timeout=10)
    since = bot_api.mark()
    bot_api.push_update(updates.callback(user, "ent:status:household=ngheo"))
    await bot_api.wait_for(reply_to(user, "Nút này đã cũ"), since=since, timeout=10)


async def test_zalo_buttons_come_back_as_their_labels_and_typed_ages_are_read(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    user = "246845883529197955"
    url = webhook_url(zalo_channel)
    assert (await post_event(url, z.text(user, "me toi dc huong che do gi"))).status_code == 200
    age = await zalo_api.wait_for(zalo_reply_to(user, "Mẹ bạn năm nay bao nhiêu tuổi?"),
                                  timeout=10)
    assert [title for title, _ in age.buttons] == [
        "16–59 tuổi", "60–69 tuổi", "70–74 tuổi", "75–79 tuổi",
        "Từ 80 tuổi"]

    since = zalo_api.mark()
    await post_event(url, z.text(user, "78"))  # typed, not a button
    disability = await zalo_api.wait_for(zalo_reply_to(user, "khuyết tật"), since=since,
                                         timeout=10)
    assert "Không khuyết tật" in [title for title, _ in disability.buttons]

    since = zalo_api.mark()
    await post_event(url, z.text(user, "Không khuyết tật"))  # the button's payload
    status = await zalo_api.wait_for(zalo_reply_to(user, "lương hưu"), since=since, timeout=10)
    assert "Không nghèo, không có lương hưu" in [title for title, _ in status.buttons]

    since = zalo_api.mark()
    await post_event(url, z.text(user, "Không nghèo, không có lương hưu"))
    await zalo_api.wait_for(zalo_reply_to(user, "Đây là kết quả kiểm tra sơ bộ."), since=since,
                            timeout=10)
    await zalo_api.wait_for(zalo_reply_to(user, XA_DECIDES), since=since, timeout=10)
    said = "\n".join(c.text for c in zalo_api.sends(user)[-3:])
    assert "✅ Trợ cấp hưu trí xã hội: 500.000 đ/tháng" in said
    person = await zalo_core.store.views.person("zalo", user)
    assert person is not None and person.flow == FlowName.MENU


async def test_zalo_an_emergency_while_answering_gets_the_emergency_reply(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    user = "246845883529197956"
    url = webhook_url(zalo_channel)
    await post_event(url, z.text(user, QUESTION))
    await zalo_api.wait_for(zalo_reply_to(user, "khuyết tật"), timeout=10)
    since = zalo_api.mark()
    await post_event(url, z.text(user, "chong em dang danh em cuu voi"))
    await zalo_api.wait_for(zalo_reply_to(user, "113"), since=since, timeout=10)
    person = await zalo_core.store.views.person("zalo", user)
    assert person is not None and person.flow == FlowName.EMERGENCY


async def test_console_numbers_press_the_answer_buttons(core: Core, capsys: Any) -> None:
    console = console_channel(core, user_id="console-1", first_name="Lan")
    await console.say(QUESTION)
    shown = capsys.readouterr().out
    assert "Mẹ bạn có khuyết tật không?" in shown
    assert "[1] Đặc biệt nặng" in shown and "[4] Không khuyết tật" in shown
    await console.say("4")  # presses "Không khuyết tật"
    shown = capsys.readouterr().out
    assert "lương hưu" in shown and "[1] Không có lương hưu, trợ cấp BHXH" in shown
    await console.say("1")
    shown = capsys.readouterr().out
    assert "Đây là kết quả kiểm tra sơ bộ." in shown and PAID in shown and XA_DECIDES in shown
    assert "[1] 🧑‍💼 Gặp tư vấn viên" in shown


async def test_console_typed_age_above_the_number_of_buttons_is_an_age(
    core: Core, capsys: Any
) -> None:
    console = console_channel(core, user_id="console-2")
    await console.say("me toi dc huong che do gi")
    assert "[5] Từ 80 tuổi" in capsys.readouterr().out
    await console.say("83")
    shown = capsys.readouterr().out
    assert "Mẹ bạn có khuyết tật không?" in shown
    person = await core.store.views.person("console", "console-2")
    assert person is not None and person.flow_data["profile"]["age"] == [83, 83]

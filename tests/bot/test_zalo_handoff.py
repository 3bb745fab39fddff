"""A whole handoff where the person is on Zalo and the counsellor on Telegram: signed Zalo
webhook events in, the Zalo OA API stand-in out, the staff group on the Bot API stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core, assemble, open_core
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.zalo.channel import ZaloChannel
from bot.config import Config, build_config
from bot.delivery import Deliverer
from bot.hotline import Hotline
from tests.bot import zalo_fixtures as zf
from tests.bot.test_handoff_telegram import HOA, STAFF_CHAT, sent, staff_callback
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, free_port
from tests.standin.zalo_api import ZaloApiStandIn

ZALO_USER = "246845883529197922"


def both_config(db_path: Path, tg: BotApiStandIn, za: ZaloApiStandIn) -> Config:
    access, refresh = za.issue_tokens()
    return build_config(
        {
            "telegram": {"token": "123:ABC", "base_url": tg.base_url,
                         "base_file_url": tg.base_file_url, "poll_timeout": 1,
                         "rate_limit": False, "staff_chat_id": STAFF_CHAT},
            "zalo": {"enabled": True, "app_id": zf.APP_ID, "app_secret": zf.APP_SECRET,
                     "oa_secret_key": zf.OA_SECRET_KEY, "access_token": access,
                     "refresh_token": refresh, "api_base_url": za.base_url,
                     "oauth_base_url": za.base_url},
            "web": {"port": free_port()},
            "staff": {"counsellors": [{"id": HOA, "name": "Chị Hoa"}]},
            "database": {"url": f"sqlite:///{db_path}"},
            "delivery": {"base_delay": 0.05, "max_attempts": 3},
        },
        env={},
    )


class Both:
    def __init__(self, hotline: Hotline, telegram: TelegramChannel, zalo: ZaloChannel) -> None:
        self.hotline, self.telegram, self.zalo = hotline, telegram, zalo
        self.core: Core = hotline.core

    @property
    def url(self) -> str:
        return zf.webhook_url(self.hotline)


@pytest.fixture
async def both(db_path: Path) -> AsyncIterator[tuple[Both, BotApiStandIn, ZaloApiStandIn]]:
    async with BotApiStandIn() as tg, ZaloApiStandIn(app_id=zf.APP_ID,
                                                     app_secret=zf.APP_SECRET) as za:
        core = await open_core(both_config(db_path, tg, za))
        hotline = assemble(core)
        telegram, zalo = hotline.channels
        assert isinstance(telegram, TelegramChannel) and isinstance(zalo, ZaloChannel)
        await hotline.start()
        try:
            yield Both(hotline, telegram, zalo), tg, za
        finally:
            await hotline.stop()
            await core.close()


async def say(both: Both, za: ZaloApiStandIn, event: dict[str, Any], expect: str) -> None:
    since = za.mark()
    response = await zf.post_event(both.url, event)
    assert response.status_code == 200
    await za.wait_for(zf.reply_to(ZALO_USER, expect), since=since, timeout=10)


async def test_a_zalo_person_and_a_telegram_counsellor(
    both: tuple[Both, BotApiStandIn, ZaloApiStandIn],
) -> None:
    bot, tg, za = both
    assert all(isinstance(d, Deliverer) for d in bot.core.deliverers)
    await say(bot, za, zf.text(ZALO_USER, "xin chào"), "Xin chào")
    # Buttons are Zalo query buttons: a press comes back as its payload, the label.
    greeting = za.sends(ZALO_USER)[-1]
    assert ("🧑‍💼 Gặp tư vấn viên", "🧑‍💼 Gặp tư vấn viên") in greeting.buttons
    await say(bot, za, zf.text(ZALO_USER, "🧑‍💼 Gặp tư vấn viên"), "đồng ý không")
    await say(bot, za, zf.text(ZALO_USER, "✅ Tôi đồng ý"), "vấn đề gì")
    await say(bot, za, zf.text(ZALO_USER, "🏠 Gia đình"), "một câu ngắn")
    since = tg.mark()
    await say(bot, za, zf.text(ZALO_USER, "chồng em hay say rượu"), "vị trí số 1")

    # The case appears in the Telegram staff group, marked as Zalo, with the reply window.
    topic = await tg.wait_for(lambda c: c.method == "createForumTopic" and c.ok, since=since)
    assert "Zalo" in topic.params["name"]
    thread = int(topic.result["message_thread_id"])
    await tg.wait_for(sent(STAFF_CHAT, "Ca mới #1", thread), since=since)

    # The counsellor claims it on Telegram; the person hears of it on Zalo.
    since = za.mark()
    tg.push_update(staff_callback(HOA, "case:claim:1", thread))
    await za.wait_for(zf.reply_to(ZALO_USER, "Chị Hoa đã nhận"), since=since, timeout=10)
    edit = await tg.wait_for(lambda c: c.method == "editMessageText" and c.ok)
    assert "Zalo: còn 167 giờ" in edit.params["text"]

    # Counsellor -> Zalo, and Zalo -> the topic.
    since = za.mark()
    tg.push_update(updates.group_text(STAFF_CHAT, HOA, "Chào em, chị nghe đây", thread_id=thread))
    await za.wait_for(zf.reply_to(ZALO_USER, "Chị Hoa (tư vấn viên): Chào em"), since=since,
                      timeout=10)
    since = tg.mark()
    assert (await zf.post_event(bot.url, zf.text(ZALO_USER, "dạ em cảm ơn chị"))).status_code == 200
    await tg.wait_for(sent(STAFF_CHAT, "👤 dạ em cảm ơn chị", thread), since=since, timeout=10)
    assert (await zf.post_event(bot.url, zf.image(ZALO_USER, "vết bầm"))).status_code == 200
    await tg.wait_for(sent(STAFF_CHAT, "[ảnh] vết bầm", thread), since=since, timeout=10)

    # Outside Zalo's interaction window: the counsellor is told, the message is not lost quietly.
    za.fail_next(error=-230, message="User has not interacted with OA in 7 days")
    since = tg.mark()
    tg.push_update(updates.group_text(STAFF_CHAT, HOA, "Em còn đó không?", thread_id=thread))
    warning = await tg.wait_for(sent(STAFF_CHAT, "chưa gửi được", thread), since=since,
                                timeout=10)
    assert "quá thời hạn Zalo" in warning.params["text"]


async def test_a_zalo_emergency_alerts_the_telegram_staff_group_at_once(
    both: tuple[Both, BotApiStandIn, ZaloApiStandIn],
) -> None:
    bot, tg, za = both
    since = tg.mark()
    await say(bot, za, zf.text(ZALO_USER, "chong em dang cam dao doa giet em"), "113")
    alert = await tg.wait_for(sent(STAFF_CHAT, "KHẨN CẤP"), since=since, timeout=2)
    assert "Kênh: Zalo" in alert.params["text"]  # the channel by name, never its id

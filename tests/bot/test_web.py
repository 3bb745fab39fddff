"""The one web app under the one uvicorn server: Telegram's webhook and Zalo's side by side on
one port, and /healthz; the real channels against the Bot API and Zalo OA stand-ins, on a
real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Core, assemble, open_core
from bot.config import Config, build_config
from bot.hotline import Hotline
from tests.bot import zalo_fixtures as zf
from tests.bot.test_telegram import reply_to
from tests.bot.zalo_fixtures import zalo_api, zalo_channel, zalo_core  # noqa: F401
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, free_port
from tests.standin.zalo_api import ZaloApiStandIn

SECRET = "s3cret-token"
ZALO_USER = "246845883529197922"


def webhooks_config(db_path: Path, tg: BotApiStandIn, za: ZaloApiStandIn, port: int) -> Config:
    access, refresh = za.issue_tokens()
    return build_config(
        {
            "telegram": {"token": "123:ABC", "base_url": tg.base_url,
                         "base_file_url": tg.base_file_url, "rate_limit": False,
                         "mode": "webhook", "secret_token": SECRET,
                         "webhook_url": f"http://127.0.0.1:{port}/telegram"},
            "zalo": {"enabled": True, "app_id": zf.APP_ID, "app_secret": zf.APP_SECRET,
                     "oa_secret_key": zf.OA_SECRET_KEY, "access_token": access,
                     "refresh_token": refresh, "api_base_url": za.base_url,
                     "oauth_base_url": za.base_url},
            "web": {"port": port},
            "database": {"url": f"sqlite:///{db_path}"},
            "delivery": {"base_delay": 0.05},
        },
        env={},
    )


@pytest.fixture
async def both(db_path: Path) -> AsyncIterator[tuple[Hotline, BotApiStandIn, ZaloApiStandIn]]:
    async with BotApiStandIn() as tg, ZaloApiStandIn(app_id=zf.APP_ID,
                                                     app_secret=zf.APP_SECRET) as za:
        core = await open_core(webhooks_config(db_path, tg, za, free_port()))
        hotline = assemble(core)
        await hotline.start()
        try:
            yield hotline, tg, za
        finally:
            await hotline.stop()
            await core.close()


async def get(hotline: Hotline, path: str) -> httpx.Response:
    assert hotline.web is not None
    async with httpx.AsyncClient(timeout=5.0) as client:
        return await client.get(f"http://127.0.0.1:{hotline.web.port}{path}")


async def kept(core: Core, channel: str) -> list[str]:
    rows = await core.store.ex.fetch(
        "SELECT event_id FROM inbox WHERE channel = ? ORDER BY event_id", (channel,))
    return [row[0] for row in rows]


async def test_healthz_says_which_channels_run_and_that_the_store_answers(
    zalo_channel: Hotline,  # noqa: F811
) -> None:
    response = await get(zalo_channel, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "channels": ["zalo"], "store": "ok"}


async def test_healthz_is_503_while_the_store_does_not_answer(
    zalo_channel: Hotline, zalo_core: Core  # noqa: F811
) -> None:
    async with zalo_core.store.transaction():  # another writer holds the database
        response = await get(zalo_channel, "/healthz")
    assert response.status_code == 503
    assert response.json() == {"ok": False, "channels": ["zalo"], "store": "unavailable"}


async def test_telegram_polling_alone_needs_no_web_server(tg_core: Core) -> None:
    hotline = assemble(tg_core)
    assert hotline.web is None and [c.routes() for c in hotline.channels] == [()]


async def test_telegram_and_zalo_webhooks_are_kept_and_answered_through_one_web_app(
    both: tuple[Hotline, BotApiStandIn, ZaloApiStandIn],
) -> None:
    hotline, tg, za = both
    assert hotline.web is not None
    base = f"http://127.0.0.1:{hotline.web.port}"
    assert tg.calls_of("setWebhook")[-1].params["url"] == f"{base}/telegram"

    # Telegram: without the secret token, refused and not kept; with it, kept and answered.
    refused = updates.command(501, "/start")
    refused["update_id"] = 9001
    assert await tg.deliver_webhook(None, refused, secret_token=None) == 403
    assert await tg.deliver_webhook(None, refused, secret_token="guess") == 403
    right = updates.command(502, "/start")
    right["update_id"] = 9002
    assert await tg.deliver_webhook(None, right) == 200
    assert await kept(hotline.core, "telegram") == ["9002"]
    await tg.wait_for(reply_to(502, "Xin chào"), timeout=10)
    assert tg.sent_to(501) == []

    # Zalo, on the same port: kept, dispatched and answered.
    event = zf.text(ZALO_USER, "/help")
    assert (await zf.post_event(zf.webhook_url(hotline), event)).status_code == 200
    await za.wait_for(zf.reply_to(ZALO_USER, "/huy"), timeout=10)
    assert await kept(hotline.core, "zalo") == [event["message"]["msg_id"]]

    health = (await get(hotline, "/healthz")).json()
    assert health == {"ok": True, "channels": ["telegram", "zalo"], "store": "ok"}


async def test_a_telegram_webhook_update_that_is_not_json_is_refused(
    both: tuple[Hotline, BotApiStandIn, ZaloApiStandIn],
) -> None:
    hotline, _, _ = both
    assert hotline.web is not None
    headers: dict[str, Any] = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(timeout=5.0) as client:
        url = f"http://127.0.0.1:{hotline.web.port}/telegram"
        wrong_type = await client.post(url, content=b"{}", headers=headers)
        broken = await client.post(url, content=b"{not json",
                                   headers={**headers, "Content-Type": "application/json"})
    assert (wrong_type.status_code, broken.status_code) == (403, 400)
    assert await kept(hotline.core, "telegram") == []


async def start_and_stop(config: Config) -> None:
    core = await open_core(config)
    hotline = assemble(core)
    try:
        await hotline.start()
    finally:
        await hotline.stop()
        await core.close()


async def test_the_webhook_is_set_once_for_every_instance_and_again_when_it_changes(
    db_path: Path,
) -> None:
    async with BotApiStandIn() as tg:
        def config(secret: str) -> Config:
            return build_config({
                "telegram": {"token": "123:ABC", "base_url": tg.base_url,
                             "base_file_url": tg.base_file_url, "mode": "webhook",
                             "secret_token": secret,
                             "webhook_url": "https://hotline.example.vn/telegram"},
                "web": {"port": free_port()},
                "database": {"url": f"sqlite:///{db_path}"},
            }, env={})

        await start_and_stop(config(SECRET))
        await start_and_stop(config(SECRET))  # a second instance, or a restart
        assert len(tg.calls_of("setWebhook")) == 1
        await start_and_stop(config("a-new-secret"))
        assert [c.params["secret_token"] for c in tg.calls_of("setWebhook")] == [
            SECRET, "a-new-secret"]
        tg.state.webhook_url = ""  # removed at Telegram (by hand, or by another tool)
        await start_and_stop(config("a-new-secret"))
        assert len(tg.calls_of("setWebhook")) == 3


async def test_a_telegram_update_the_inbox_cannot_take_in_time_gets_503_and_is_not_lost(
    both: tuple[Hotline, BotApiStandIn, ZaloApiStandIn],
) -> None:
    hotline, tg, _ = both
    update = updates.command(503, "/start")
    async with hotline.core.store.transaction():  # another writer holds the database
        status = await tg.deliver_webhook(None, update)
    assert status == 503  # Telegram will deliver it again ...
    # ... but the write went on once the database was free: it is answered already.
    await tg.wait_for(reply_to(503, "Xin chào"), timeout=10)
    assert await tg.deliver_webhook(None, update) == 200  # the redelivery
    await asyncio.sleep(0.5)
    assert len(tg.sent_to(503)) == 1

"""The Telegram channel end to end: the real python-telegram-bot Application, polling (or
webhook) over HTTP against the local Bot API stand-in, on a real SQLite file."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core, assemble, open_core
from bot.hotline import Hotline
from bot.lease import StartRefused
from tests.bot.conftest import telegram_config
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, Call, free_port

USER = 111


def reply_to(chat_id: int, contains: str = "") -> Callable[[Call], bool]:
    def match(call: Call) -> bool:
        return (
            call.ok
            and call.method == "sendMessage"
            and str(call.chat_id) == str(chat_id)
            and contains in str(call.params.get("text", ""))
        )

    return match


def buttons(call: Call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_a_person_starts_uses_the_menu_and_sends_a_sticker_and_a_photo(
    channel: Hotline, bot_api: BotApiStandIn
) -> None:
    bot_api.push_update(updates.command(USER, "/start"))
    welcome = await bot_api.wait_for(reply_to(USER, "Xin chào Lan"))
    assert [data for _, data in buttons(welcome)] == [
        "menu:policy", "menu:counsellor", "menu:emergency",
    ]

    since = bot_api.mark()
    bot_api.push_update(updates.callback(USER, "menu:policy"))
    await bot_api.wait_for(reply_to(USER, "Bạn hãy gõ câu hỏi"), since=since)
    await bot_api.wait_for(lambda c: c.method == "answerCallbackQuery", since=since)

    since = bot_api.mark()
    bot_api.push_update(updates.sticker(USER))
    await bot_api.wait_for(reply_to(USER, "chỉ hiểu được chữ"), since=since)

    since = bot_api.mark()
    bot_api.push_update(updates.photo(USER, caption="ảnh giấy tờ"))
    await bot_api.wait_for(reply_to(USER, "Cảm ơn bạn đã gửi ảnh"), since=since)


async def test_every_kind_of_update_is_handled_without_crashing(
    channel: Hotline, bot_api: BotApiStandIn, tg_core: Core
) -> None:
    kinds = [
        (updates.voice(201), "tin nhắn thoại"),
        (updates.document(202), "tệp"),
        (updates.location(203, 21.03, 105.85), "vị trí"),
        (updates.contact(204), "danh bạ"),
        (updates.edited(205, 10, "sửa rồi"), "tin nhắn đã sửa"),
        (updates.callback(206, "case:claim:999"), "Nút này đã cũ"),
    ]
    for update, _ in kinds:
        bot_api.push_update(update)
    silent = [
        updates.group_text(-1009999, 207, "chào cả nhóm"),  # a group that is not the staff group
        updates.channel_post(-1008888, "tin tức"),
        updates.my_chat_member(208, new_status="kicked"),
    ]
    for update in silent:
        bot_api.push_update(update)
    for update, expected in kinds:
        chat = _chat_of(update)
        await bot_api.wait_for(reply_to(chat, expected), timeout=10)
    # Everything was received and processed, nothing was left in the inbox.
    await _wait_until_inbox_empty(tg_core)
    for chat in (-1009999, -1008888, 208):
        assert bot_api.sent_to(chat) == []


async def test_a_rate_limited_reply_waits_retry_after_and_is_delivered(
    channel: Hotline, bot_api: BotApiStandIn
) -> None:
    bot_api.fail_next("sendMessage", status=429, retry_after=1)
    started = time.perf_counter()
    bot_api.push_update(updates.command(USER, "/help"))
    delivered = await bot_api.wait_for(reply_to(USER, "/huy"), timeout=10)
    refused = [c for c in bot_api.calls_of("sendMessage") if not c.ok]
    assert len(refused) == 1 and refused[0].status == 429
    assert delivered.at - refused[0].at >= 0.9
    assert time.perf_counter() - started < 8


async def test_server_errors_are_retried_until_the_reply_goes_through(
    channel: Hotline, bot_api: BotApiStandIn
) -> None:
    bot_api.fail_next("sendMessage", status=502, times=2)
    bot_api.push_update(updates.command(USER, "/help"))
    await bot_api.wait_for(reply_to(USER, "/huy"), timeout=10)
    assert [c.ok for c in bot_api.calls_of("sendMessage")] == [False, False, True]


async def test_a_reply_to_someone_who_blocked_the_bot_is_recorded_not_retried(
    channel: Hotline, bot_api: BotApiStandIn, tg_core: Core
) -> None:
    bot_api.fail_next("sendMessage", status=403)
    bot_api.push_update(updates.command(USER, "/help"))
    await bot_api.wait_for(lambda c: c.method == "sendMessage" and not c.ok)
    rows = await _outbox(tg_core)
    for _ in range(50):
        if rows and rows[0]["failed_at"]:
            break
        await _sleep(0.05)
        rows = await _outbox(tg_core)
    assert rows[0]["failed_at"] is not None and "forbidden" in rows[0]["last_error"]
    await _sleep(0.3)
    assert len(bot_api.calls_of("sendMessage")) == 1


async def test_webhook_mode_answers_only_requests_with_the_secret_token(
    db_path: Path, bot_api: BotApiStandIn
) -> None:
    port = free_port()
    config = telegram_config(
        db_path, bot_api, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/telegram",
        web={"port": port}, secret_token="s3cret-token",
    )
    core = await open_core(config)
    channel = assemble(core)
    await channel.start()
    try:
        url = f"http://127.0.0.1:{port}/telegram"
        assert bot_api.calls_of("setWebhook")[-1].params["secret_token"] == "s3cret-token"
        wrong = await bot_api.deliver_webhook(url, updates.command(301, "/start"),
                                              secret_token="guess")
        missing = await bot_api.deliver_webhook(url, updates.command(302, "/start"),
                                                secret_token=None)
        right = await bot_api.deliver_webhook(url, updates.command(303, "/start"),
                                              secret_token="s3cret-token")
        assert (wrong, missing, right) == (403, 403, 200)
        await bot_api.wait_for(reply_to(303, "Xin chào"))
        await _sleep(0.2)
        assert bot_api.sent_to(301) == [] and bot_api.sent_to(302) == []
    finally:
        await channel.stop()
        await core.close()


async def test_an_update_received_but_not_handled_is_answered_after_a_restart(
    db_path: Path, bot_api: BotApiStandIn
) -> None:
    """The inbox is replayed at start: the crash window between receipt and handling."""
    import json

    from flows.store import InboundEvent

    config = telegram_config(db_path, bot_api)
    core = await open_core(config)
    update = updates.command(401, "/start")
    update["update_id"] = 77
    await core.store.record_inbound(
        [InboundEvent("telegram", "77", json.dumps(update), datetime.now(UTC))]
    )
    channel = assemble(core)
    await channel.start()
    try:
        await bot_api.wait_for(reply_to(401, "Xin chào"))
    finally:
        await channel.stop()
        await core.close()


# ---------------------------------------------------------------- helpers


def _chat_of(update: dict[str, Any]) -> int:
    for key in ("message", "edited_message"):
        if key in update:
            return int(update[key]["chat"]["id"])
    return int(update["callback_query"]["from"]["id"])


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def _outbox(core: Core) -> list[Any]:
    return await core.store.ex.fetch("SELECT * FROM outbox ORDER BY id", ())


async def _wait_until_inbox_empty(core: Core) -> None:
    for _ in range(100):
        if not await core.store.inbox.unprocessed("telegram"):
            return
        await _sleep(0.05)
    raise AssertionError("updates left unprocessed in the inbox")


async def test_a_second_instance_polling_the_same_bot_is_not_started(
    channel: Hotline, db_path: Path, bot_api: BotApiStandIn
) -> None:
    other = await open_core(telegram_config(db_path, bot_api))
    try:
        second = assemble(other)
        with pytest.raises(StartRefused, match=r"^telegram.mode: .* already polls this bot's"
                           r" updates; run several instances with telegram.mode: webhook"):
            await second.start()
        await second.stop()
        await channel.stop()  # the first stops polling: the lease goes with it
        third = assemble(other)
        await third.start()
        await third.stop()
    finally:
        await other.close()

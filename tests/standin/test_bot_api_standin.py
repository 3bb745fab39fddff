"""The real python-telegram-bot 22.8 against the Bot API stand-in, over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

from . import updates
from .bot_api import BotApiStandIn, free_port
from .conftest import TOKEN
from .recording import Call

STAFF = updates.STAFF_CHAT_ID
AnyApp = Application[Any, Any, Any, Any, Any, Any]


def build_app(standin: BotApiStandIn) -> AnyApp:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(standin.base_url)
        .base_file_url(standin.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


@asynccontextmanager
async def polling_echo(standin: BotApiStandIn) -> AsyncIterator[AnyApp]:
    app = build_app(standin)
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=5))
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def sent_text(chat_id: int) -> Callable[[Call], bool]:
    return lambda c: c.ok and c.method == "sendMessage" and c.params.get("chat_id") == chat_id


async def test_get_me(bot: Bot, standin: BotApiStandIn) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot, me.first_name) == (
        123456,
        "hotline_test_bot",
        True,
        "Hotline",
    )
    assert standin.calls_of("getMe")[0].token == TOKEN
    assert TOKEN in standin.tokens


async def test_send_message_round_trip_is_recorded(bot: Bot, standin: BotApiStandIn) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="yes")]])
    first = await bot.send_message(42, "123", reply_markup=keyboard)
    second = await bot.send_message(42, "[không]")
    assert first.text == "123" and second.text == "[không]"  # strings stay strings
    assert second.message_id > first.message_id
    assert first.chat.type == "private" and first.from_user is not None
    assert first.from_user.username == "hotline_test_bot"
    assert first.reply_markup == keyboard
    call = standin.calls_of("sendMessage")[0]
    assert call.params == {"chat_id": 42, "text": "123", "reply_markup": keyboard.to_dict()}
    assert call.ok and call.result["message_id"] == first.message_id
    assert [c.params["text"] for c in standin.sent_to(42)] == ["123", "[không]"]


async def test_polling_echo_bot(standin: BotApiStandIn) -> None:
    async with polling_echo(standin):
        standin.push_update(updates.text(501, "xin chào"))
        call = await standin.wait_for(sent_text(501))
        assert call.params["text"] == "xin chào"
    methods = [c.method for c in standin.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]


async def test_confirmed_update_is_not_redelivered(standin: BotApiStandIn) -> None:
    async with polling_echo(standin):
        standin.push_update(updates.text(502, "một"))
        await standin.wait_for(sent_text(502))
    # Updater.stop() confirmed the offset; a restarted bot must not see the update again.
    assert standin.state.updates == []
    mark = standin.mark()
    async with polling_echo(standin):
        await standin.wait_for(lambda c: c.method == "getUpdates", since=mark)
        await asyncio.sleep(0.3)  # an unconfirmed update would be echoed within milliseconds
    assert len(standin.sent_to(502)) == 1


async def test_unconfirmed_update_is_redelivered(bot: Bot, standin: BotApiStandIn) -> None:
    uid = standin.push_update(updates.text(503, "hai"))
    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)  # no offset: nothing confirmed yet
    assert [u.update_id for u in first] == [u.update_id for u in again] == [uid]
    async with polling_echo(standin):
        await standin.wait_for(sent_text(503))
    assert await bot.get_updates(timeout=0) == ()


async def test_offset_limit_and_negative_offset(bot: Bot, standin: BotApiStandIn) -> None:
    ids = [standin.push_update(updates.text(504, str(i))) for i in range(5)]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[2])] == ids[2:]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[-1:]
    assert await bot.get_updates(offset=ids[-1] + 1) == ()


async def test_long_poll_wakes_on_push(bot: Bot, standin: BotApiStandIn) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await standin.wait_for(lambda c: c.method == "getUpdates")
    standin.push_update(updates.text(505, "dậy"))
    got = await poll
    assert len(got) == 1 and loop.time() - started < 2
    started = loop.time()
    short = dtm.timedelta(seconds=0.3)
    assert await bot.get_updates(offset=got[0].update_id + 1, timeout=short) == ()
    assert loop.time() - started >= 0.25  # held for the timeout when nothing arrives


async def test_retry_after(bot: Bot, standin: BotApiStandIn, monkeypatch: Any) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # avoid PTB's int-retry_after deprecation
    standin.fail_next("sendMessage", status=429, retry_after=1)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(42, "quá nhanh")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    failed = standin.calls_of("sendMessage")[0]
    assert not failed.ok and failed.status == 429
    assert failed.result["parameters"] == {"retry_after": 1}
    assert failed.description == "Too Many Requests: retry after 1"
    assert (await bot.send_message(42, "ok")).text == "ok"  # only the next call failed
    assert [c.params["text"] for c in standin.sent_to(42)] == ["ok"]


async def test_forbidden_for_one_chat(bot: Bot, standin: BotApiStandIn) -> None:
    standin.fail_next("sendMessage", status=403, chat_id=7, times=None)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(7, "hi")
    await bot.send_message(8, "hi")
    standin.clear_failures()
    await bot.send_message(7, "hi")


async def test_server_errors_map_to_network_error(bot: Bot, standin: BotApiStandIn) -> None:
    standin.fail_next("*", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_chat_action(42, "typing")
    assert await bot.send_chat_action(42, "typing")


async def test_forum_topics(bot: Bot, standin: BotApiStandIn) -> None:
    topic = await bot.create_forum_topic(STAFF, "Lan #111")
    other = await bot.create_forum_topic(STAFF, "Minh #112")
    assert topic.name == "Lan #111" and other.message_thread_id > topic.message_thread_id
    msg = await bot.send_message(STAFF, "ca mới", message_thread_id=topic.message_thread_id)
    assert msg.is_topic_message and msg.message_thread_id == topic.message_thread_id
    assert msg.chat.is_forum and msg.chat.type == "supergroup"
    thread = topic.message_thread_id
    assert await bot.edit_forum_topic(STAFF, thread, name="Lan #111 (đóng)")
    assert await bot.close_forum_topic(STAFF, thread)
    assert await bot.reopen_forum_topic(STAFF, thread)
    assert await bot.delete_forum_topic(STAFF, thread)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.send_message(STAFF, "còn đó không?", message_thread_id=thread)
    with pytest.raises(BadRequest, match="(?i)message thread not found"):
        await bot.copy_message(STAFF, 42, 1, message_thread_id=thread)
    await bot.send_message(STAFF, "vẫn được", message_thread_id=other.message_thread_id)


async def test_webhook_mode(standin: BotApiStandIn) -> None:
    app = build_app(standin)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="hook", webhook_url=url, secret_token="s3cret"
    )
    await app.start()
    try:
        set_call = standin.calls_of("setWebhook")[0]
        assert set_call.params["url"] == url and set_call.params["secret_token"] == "s3cret"
        hello = updates.text(601, "qua webhook")
        assert await standin.deliver_webhook(url, hello, secret_token="s3cret") == 200
        assert (await standin.wait_for(sent_text(601))).params["text"] == "qua webhook"
        assert await standin.deliver_webhook(None, updates.text(602, "mặc định")) == 200
        await standin.wait_for(sent_text(602))
        assert await standin.deliver_webhook(url, updates.text(603, "x"), secret_token="sai") == 403
        assert await standin.deliver_webhook(url, updates.text(603, "x"), secret_token=None) == 403
        async with Bot(TOKEN, base_url=standin.base_url) as bot:
            with pytest.raises(Conflict):
                await bot.get_updates(timeout=0)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert standin.sent_to(603) == []


FACTORIES: dict[str, Callable[[], dict[str, Any]]] = {
    "text": lambda: updates.text(111, "chào"),
    "text_in_group": lambda: updates.text(111, "chào", chat_id=STAFF, message_id=5),
    "command": lambda: updates.command(111, "/start", args="ref-zalo"),
    "callback": lambda: updates.callback(111, "consent:yes", message_id=16),
    "photo": lambda: updates.photo(111, caption="ảnh"),
    "voice": lambda: updates.voice(111),
    "sticker": lambda: updates.sticker(111),
    "document": lambda: updates.document(111),
    "location": lambda: updates.location(111, 10.762622, 106.660172),
    "contact": lambda: updates.contact(111),
    "edited": lambda: updates.edited(111, 10, "sửa"),
    "my_chat_member": lambda: updates.my_chat_member(111),
    "my_chat_member_back": lambda: updates.my_chat_member(111, "member", old_status="kicked"),
    "group_text": lambda: updates.group_text(STAFF, 222, "chào em"),
    "topic_text": lambda: updates.group_text(STAFF, 222, "chào em", thread_id=77),
    "channel_post": lambda: updates.channel_post(-1009876543210, "thông báo"),
}


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_factories_parse(kind: str) -> None:
    data = FACTORIES[kind]()
    update = Update.de_json(data, None)
    assert update.update_id == data["update_id"]
    inner = next(v for k, v in update.to_dict().items() if k != "update_id")
    assert inner  # the payload survived parsing
    assert not getattr(update.effective_message, "api_kwargs", {})  # no unknown fields
    if kind == "topic_text":
        assert update.effective_message is not None
        assert update.effective_message.message_thread_id == 77
        assert update.effective_message.is_topic_message
    if kind == "command":
        assert update.effective_message is not None
        assert update.effective_message.text == "/start ref-zalo"
    if kind != "channel_post":
        assert update.effective_user is not None and update.effective_user.first_name


def test_factory_message_ids_increase() -> None:
    a = updates.text(1, "a")["message"]["message_id"]
    b = updates.photo(1)["message"]["message_id"]
    assert b > a

"""Stand-in method coverage (PTB parses every result), waiting semantics and control API."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, InvalidToken

from . import updates
from .bot_api import BotApiStandIn
from .conftest import TOKEN
from .objects import Upload
from .recording import Call

STAFF = updates.STAFF_CHAT_ID
ROOT = Path(__file__).resolve().parents[2]
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="ok")]])


async def test_media_uploads_and_file_download(bot: Bot, standin: BotApiStandIn) -> None:
    photo = await bot.send_photo(42, b"\x89PNG fake", caption="ảnh", filename="a.png")
    assert photo.photo and photo.caption == "ảnh"
    upload = standin.calls_of("sendPhoto")[0].params["photo"]
    assert isinstance(upload, Upload) and upload.data == b"\x89PNG fake"
    file = await bot.get_file(photo.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == b"\x89PNG fake"
    # Re-sending by file_id and the other media kinds.
    again = await bot.send_photo(43, photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    doc = await bot.send_document(42, b"%PDF", filename="giay.pdf")
    assert doc.document is not None and doc.document.file_name == "giay.pdf"
    assert (await bot.send_voice(42, b"ogg")).voice is not None
    assert (await bot.send_audio(42, b"mp3")).audio is not None
    assert (await bot.send_video(42, b"mp4")).video is not None
    assert (await bot.send_sticker(42, "CAACAgIAAxkBAAIE")).sticker is not None
    loc = await bot.send_location(42, latitude=10.76, longitude=106.66)
    assert loc.location is not None and loc.location.latitude == 10.76
    card = await bot.send_contact(42, phone_number="+84900000000", first_name="Lan")
    assert card.contact is not None and card.contact.phone_number == "+84900000000"
    assert len(standin.sent_to(42)) == 8


async def test_unknown_file_ids_are_downloadable(bot: Bot, standin: BotApiStandIn) -> None:
    update = updates.voice(111)
    file = await bot.get_file(update["message"]["voice"]["file_id"])
    assert (await file.download_as_bytearray()).startswith(b"standin content of")
    file_id = standin.add_file(b"seeded", "x.txt")
    file = await bot.get_file(file_id)
    assert bytes(await file.download_as_bytearray()) == b"seeded"


async def test_copy_and_forward_use_pushed_content(bot: Bot, standin: BotApiStandIn) -> None:
    incoming = updates.text(111, "em cần giúp")
    standin.push_update(incoming)
    mid = incoming["message"]["message_id"]
    topic = await bot.create_forum_topic(STAFF, "Lan")
    copied = await bot.copy_message(STAFF, 111, mid, message_thread_id=topic.message_thread_id)
    stored = standin.state.messages[(STAFF, copied.message_id)]
    assert stored["text"] == "em cần giúp" and stored["is_topic_message"]
    forwarded = await bot.forward_message(STAFF, 111, mid)
    assert forwarded.text == "em cần giúp" and forwarded.forward_origin is not None
    unknown = await bot.copy_message(STAFF, 111, 999_999)  # lenient: never seen
    assert unknown.message_id > copied.message_id


async def test_edits_callbacks_and_commands(bot: Bot, standin: BotApiStandIn) -> None:
    msg = await bot.send_message(42, "Bạn đồng ý?", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Cảm ơn", chat_id=42, message_id=msg.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Cảm ơn" and edited.reply_markup is None and edited.edit_date
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Cảm ơn", chat_id=42, message_id=msg.message_id)
    marked = await bot.edit_message_reply_markup(42, msg.message_id, reply_markup=KEYBOARD)
    assert isinstance(marked, Message) and marked.reply_markup == KEYBOARD
    assert await bot.delete_message(42, msg.message_id)
    press = updates.callback(42, "ok")
    assert await bot.answer_callback_query(press["callback_query"]["id"], text="Đã nhận")
    assert standin.calls_of("answerCallbackQuery")[0].params["text"] == "Đã nhận"
    assert await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    assert (await bot.get_my_commands())[0].command == "start"
    assert await bot.send_chat_action(STAFF, "typing", message_thread_id=5)
    private = await bot.get_chat(42)
    group = await bot.get_chat(STAFF)
    assert private.type == "private" and group.is_forum
    assert await bot.log_out() and await bot.close()


async def test_chat_members_and_the_bots_rights(bot: Bot, standin: BotApiStandIn) -> None:
    me = await bot.get_me()
    admin = await bot.get_chat_member(STAFF, me.id)  # unset: set up as the README says
    assert isinstance(admin, ChatMemberAdministrator) and admin.user.username == me.username
    assert admin.can_manage_topics and admin.can_delete_messages
    standin.state.set_member(STAFF, me.id, "administrator", can_manage_topics=False)
    limited = await bot.get_chat_member(STAFF, me.id)
    assert isinstance(limited, ChatMemberAdministrator)
    assert not limited.can_manage_topics and limited.can_delete_messages
    kinds = {"member": ChatMemberMember, "left": ChatMemberLeft, "kicked": ChatMemberBanned,
             "creator": ChatMemberOwner}
    for status, kind in kinds.items():
        standin.state.set_member(STAFF, 5001, status)
        assert isinstance(await bot.get_chat_member(STAFF, 5001), kind)
    assert isinstance(await bot.get_chat_member(STAFF, 5002), ChatMemberMember)
    with pytest.raises(ValueError, match="unsupported"):
        standin.state.set_member(STAFF, 5001, "restricted")


async def test_chats_set_up_otherwise_and_chats_the_bot_is_not_in(
    bot: Bot, standin: BotApiStandIn
) -> None:
    standin.state.set_chat(STAFF, is_forum=False)
    plain = await bot.get_chat(STAFF)
    assert plain.type == "supergroup" and not plain.is_forum
    standin.state.set_chat(-4001, type="group", title="Nhóm cũ", is_forum=False)
    assert (await bot.get_chat(-4001)).type == "group"
    standin.state.forget_chat(-1009)
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.get_chat(-1009)
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.get_chat_member(-1009, 5001)
    with pytest.raises(BadRequest, match="^Chat not found$"):
        await bot.send_message(-1009, "x")
    incoming = updates.text(111, "chào")
    incoming["message"]["chat"] = {"id": -1009, "type": "supergroup", "title": "Mới"}
    standin.push_update(incoming)  # a message from it: the bot is in it after all
    assert (await bot.get_chat(-1009)).title == "Mới"


async def test_a_refused_token_gets_401_on_every_method(standin: BotApiStandIn) -> None:
    standin.refuse_token("999:REVOKED")
    bad = Bot("999:REVOKED", base_url=standin.base_url)
    try:
        with pytest.raises(InvalidToken):
            await bad.initialize()
        with pytest.raises(InvalidToken, match="^Unauthorized$"):
            await bad.get_updates(timeout=0)
    finally:
        await bad.shutdown()
    assert [(c.method, c.status) for c in standin.calls] == [("getMe", 401), ("getUpdates", 401)]
    async with Bot(TOKEN, base_url=standin.base_url) as good:  # other tokens still work
        assert (await good.get_me()).username == "hotline_test_bot"


async def test_webhook_info_says_the_last_delivery_error(bot: Bot, standin: BotApiStandIn) -> None:
    assert (await bot.get_webhook_info()).last_error_message is None
    failed = "Wrong response from the webhook: 502 Bad Gateway"
    standin.state.webhook_error = (1_800_000_000, failed)
    info = await bot.get_webhook_info()
    assert info.last_error_message == failed
    assert info.last_error_date == datetime.fromtimestamp(1_800_000_000, UTC)


async def test_unknown_method_and_case_insensitive_names(standin: BotApiStandIn) -> None:
    async with httpx.AsyncClient() as client:
        missing = await client.post(f"{standin.base_url}{TOKEN}/sendTelepathy")
        lower = await client.get(f"{standin.base_url}{TOKEN}/getme")
    assert missing.status_code == 404
    assert missing.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert lower.json()["result"]["username"] == "hotline_test_bot"
    assert [c.method for c in standin.calls] == ["sendTelepathy", "getMe"]
    assert not standin.calls[0].ok


async def test_wait_for_since_and_timeout(bot: Bot, standin: BotApiStandIn) -> None:
    await bot.send_message(1, "cũ")
    old = await standin.wait_for(lambda c: c.method == "sendMessage")  # already recorded
    assert old.params["text"] == "cũ"
    mark = standin.mark()
    with pytest.raises(TimeoutError, match="no matching Bot API call"):
        await standin.wait_for(lambda c: c.method == "sendMessage", 0.05, since=mark)
    waiting = asyncio.create_task(standin.wait_for(lambda c: c.method == "sendMessage", since=mark))
    await bot.send_message(1, "mới")
    assert (await waiting).params["text"] == "mới"
    calls = await standin.wait_for_count("sendMessage", 2)
    assert [c.params["text"] for c in calls] == ["cũ", "mới"]
    with pytest.raises(TimeoutError, match="expected 3 successful sendMessage"):
        await standin.wait_for_count("sendMessage", 3, 0.05)


async def test_many_concurrent_waiters(bot: Bot, standin: BotApiStandIn) -> None:
    chats = range(1000, 1300)

    def to_chat(chat: int) -> Callable[[Call], bool]:
        return lambda c: c.chat_id == chat

    waiters = [asyncio.create_task(standin.wait_for(to_chat(chat))) for chat in chats]
    await asyncio.sleep(0)
    await asyncio.gather(*(bot.send_message(chat, "x") for chat in chats))
    got = await asyncio.gather(*waiters)
    assert [c.chat_id for c in got] == list(chats)
    assert standin.log._waiters == []


async def test_listener_sees_every_call(bot: Bot, standin: BotApiStandIn) -> None:
    seen: list[str] = []
    remove = standin.add_listener(lambda c: seen.append(c.method))
    await bot.send_message(5, "a")
    remove()
    await bot.send_message(5, "b")
    assert seen == ["sendMessage"]


async def test_http_control_api(standin: BotApiStandIn) -> None:
    base = f"http://127.0.0.1:{standin.port}/__control"
    async with httpx.AsyncClient() as client:
        pushed = await client.post(f"{base}/updates", json=updates.text(7, "qua HTTP"))
        fail = await client.post(f"{base}/fail", json={"method": "sendMessage", "status": 403})
        got = await client.post(f"{standin.base_url}{TOKEN}/getUpdates", data={"timeout": "0"})
        sent = await client.post(
            f"{standin.base_url}{TOKEN}/sendMessage", data={"chat_id": "7", "text": "x"}
        )
        calls = await client.get(f"{base}/calls", params={"since": "0"})
    update_id = pushed.json()["result"][0]
    assert fail.json()["ok"] and sent.status_code == 403
    assert [u["update_id"] for u in got.json()["result"]] == [update_id]
    assert [c["method"] for c in calls.json()["result"]] == ["getUpdates", "sendMessage"]
    assert Update.de_json(got.json()["result"][0], None).effective_message is not None


async def test_separate_process() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.standin.bot_api", "--port", "0",
        cwd=ROOT, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        port = int((await asyncio.wait_for(proc.stdout.readline(), 10)).decode())
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot") as bot:
            async with httpx.AsyncClient() as client:
                body = json.dumps(updates.text(9, "xa")).encode()
                await client.post(f"http://127.0.0.1:{port}/__control/updates", content=body)
            got = await bot.get_updates(timeout=1)
            assert got[0].effective_message is not None
            assert got[0].effective_message.text == "xa"
    finally:
        proc.terminate()
        await proc.wait()


async def test_echo_floor_script_runs() -> None:
    """Smoke test of benchmarks/driver.py + echo_floor.py (run as the script, like CI would)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "benchmarks" / "echo_floor.py"), "3", "4",
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "12 messages" in out.decode() and "msg/s" in out.decode()

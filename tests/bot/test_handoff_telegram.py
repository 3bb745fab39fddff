"""The whole counsellor handoff on Telegram: a citizen in a private chat, counsellors in a
forum supergroup, the real python-telegram-bot Application against the Bot API stand-in."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot

from bot.app import Core, assemble, open_core
from bot.config import Config, build_config
from bot.hotline import Hotline
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, Call

PERSON = 111
HOA, NAM, STRANGER = 5001, 5002, 999
STAFF_CHAT = updates.STAFF_CHAT_ID


def handoff_config(db_path: Path, api: BotApiStandIn) -> Config:
    return build_config(
        {
            "telegram": {"token": "123:ABC", "base_url": api.base_url,
                         "base_file_url": api.base_file_url, "poll_timeout": 1,
                         "rate_limit": False, "staff_chat_id": STAFF_CHAT},
            "staff": {"counsellors": [{"id": HOA, "name": "Chị Hoa"}, NAM],
                      "supervisors": [6001]},
            "database": {"url": f"sqlite:///{db_path}"},
            "delivery": {"base_delay": 0.05},
        },
        env={},
    )


class Running:
    """A started channel that can be stopped and started again on the same database."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.core: Core | None = None
        self.channel: Hotline | None = None

    async def start(self) -> None:
        self.core = await open_core(self.config)
        self.channel = assemble(self.core)
        await self.channel.start()

    async def stop(self) -> None:
        assert self.channel is not None and self.core is not None
        await self.channel.stop()
        await self.core.close()


@pytest.fixture
async def api() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def bot(db_path: Path, api: BotApiStandIn) -> AsyncIterator[Running]:
    running = Running(handoff_config(db_path, api))
    await running.start()
    yield running
    await running.stop()


def sent(chat: int, contains: str = "", thread: int | None = None) -> Callable[[Call], bool]:
    def match(call: Call) -> bool:
        return (
            call.ok and call.method in ("sendMessage", "copyMessage")
            and str(call.chat_id) == str(chat)
            and contains in str(call.params.get("text", ""))
            and (thread is None or call.params.get("message_thread_id") == thread)
        )
    return match


def staff_callback(user_id: int, data: str, thread: int, name: str = "Hoa") -> dict[str, Any]:
    update = updates.callback(user_id, data, first_name=name)
    message = update["callback_query"]["message"]
    message["chat"] = {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff", "is_forum": True}
    message["message_thread_id"] = thread
    message["is_topic_message"] = True
    return update


def in_topic(update: dict[str, Any], thread: int) -> dict[str, Any]:
    """A private-chat message factory's output moved into the staff group's topic."""
    moved = copy.deepcopy(update)
    message = moved["message"]
    message["chat"] = {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff", "is_forum": True}
    message["message_thread_id"] = thread
    message["is_topic_message"] = True
    return moved


async def step(api: BotApiStandIn, update: dict[str, Any], expect: Callable[[Call], bool]) -> Call:
    since = api.mark()
    api.push_update(update)
    return await api.wait_for(expect, since=since, timeout=10)


async def open_case(api: BotApiStandIn) -> int:
    """The citizen asks for a counsellor; returns the case topic's thread id."""
    await step(api, updates.command(PERSON, "/start"), sent(PERSON, "Xin chào"))
    await step(api, updates.callback(PERSON, "menu:counsellor"), sent(PERSON, "đồng ý không"))
    await step(api, updates.callback(PERSON, "privacy:agree"), sent(PERSON, "vấn đề gì"))
    await step(api, updates.callback(PERSON, "ho:topic:tre_em"), sent(PERSON, "một câu ngắn"))
    since = api.mark()
    api.push_update(updates.text(PERSON, "con tôi bị bạn bắt nạt ở trường"))
    await api.wait_for(sent(PERSON, "vị trí số 1"), since=since, timeout=10)
    topic = await api.wait_for(lambda c: c.method == "createForumTopic" and c.ok, since=since)
    thread = int(topic.result["message_thread_id"])
    card = await api.wait_for(sent(STAFF_CHAT, "Ca mới #1", thread), since=since)
    assert "#1" in topic.params["name"] and "Trẻ em" in topic.params["name"]
    keyboard = card.params["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["callback_data"] == "case:claim:1"
    return thread


async def test_the_whole_cycle_from_asking_to_rating(
    bot: Running, api: BotApiStandIn
) -> None:
    thread = await open_case(api)

    # Someone who is not a counsellor presses "Nhận ca": refused, nothing changes.
    since = api.mark()
    api.push_update(staff_callback(STRANGER, "case:claim:1", thread, name="Lạ"))
    refusal = await api.wait_for(lambda c: c.method == "answerCallbackQuery", since=since)
    assert refusal.params.get("show_alert") is True
    assert "không có trong danh sách" in refusal.params["text"]

    # Chị Hoa takes it; the card shows who; the citizen is told her name.
    since = api.mark()
    api.push_update(staff_callback(HOA, "case:claim:1", thread))
    await api.wait_for(sent(PERSON, "Chị Hoa đã nhận"), since=since)
    edit = await api.wait_for(lambda c: c.method == "editMessageText", since=since)
    assert "đang tư vấn" in edit.params["text"] and "Chị Hoa" in edit.params["text"]

    # Counsellor -> citizen: text under her display name, never her account.
    reply = await step(api, updates.group_text(STAFF_CHAT, HOA, "Chào em, chị là Hoa.",
                                               thread_id=thread, first_name="Hoa T."),
                       sent(PERSON, "Chị Hoa (tư vấn viên): Chào em"))
    assert "Hoa T." not in reply.params["text"]
    # Counsellor -> citizen: a photo is copied (no "forwarded from").
    await step(api, in_topic(updates.photo(HOA, caption="sơ đồ đường đi"), thread),
               lambda c: c.method == "copyMessage" and str(c.chat_id) == str(PERSON))
    # A private note stays in the group.
    since = api.mark()
    api.push_update(updates.group_text(STAFF_CHAT, HOA, "!mẹ có vẻ hoảng", thread_id=thread))
    await api.wait_for(sent(STAFF_CHAT, "ghi chú nội bộ", thread), since=since)
    assert not [c for c in api.sent_to(PERSON) if "hoảng" in str(c.params.get("text"))]

    # Citizen -> topic: text, and each kind of media copied into the topic.
    await step(api, updates.text(PERSON, "dạ em chào chị"), sent(STAFF_CHAT, "👤 dạ em", thread))
    for media in (updates.photo(PERSON, caption="ảnh vết bầm"), updates.voice(PERSON),
                  updates.document(PERSON), updates.sticker(PERSON)):
        copied = await step(api, media, lambda c: c.method == "copyMessage"
                            and str(c.chat_id) == str(STAFF_CHAT))
        assert copied.params["message_thread_id"] == thread
        assert copied.params["from_chat_id"] == PERSON
    await step(api, updates.location(PERSON, 21.0285, 105.8542),
               sent(STAFF_CHAT, "[vị trí] 21.0285, 105.8542", thread))
    await step(api, updates.edited(PERSON, 5, "dạ em chào chị ạ"),
               sent(STAFF_CHAT, "👤 (đã sửa) dạ em chào chị ạ", thread))

    # Close with an outcome: the topic is closed and the citizen asked to rate.
    since = api.mark()
    api.push_update(updates.group_text(STAFF_CHAT, HOA, "/dong 1", thread_id=thread))
    await api.wait_for(sent(PERSON, "từ 1 (chưa tốt) đến 5"), since=since)
    await api.wait_for(lambda c: c.method == "closeForumTopic", since=since)
    await step(api, updates.callback(PERSON, "rate:4"), sent(PERSON, "4/5"))


async def test_transfer_hands_the_conversation_over(bot: Running, api: BotApiStandIn) -> None:
    thread = await open_case(api)
    await step(api, staff_callback(HOA, "case:claim:1", thread), sent(PERSON, "Chị Hoa"))
    await step(api, updates.group_text(STAFF_CHAT, HOA, f"/chuyen {NAM}", thread_id=thread),
               sent(PERSON, "tiếp tục hỗ trợ"))
    await step(api, updates.group_text(STAFF_CHAT, NAM, "Chào em, anh Nam đây",
                                       thread_id=thread, first_name="Nam"),
               sent(PERSON, "Nam (tư vấn viên): Chào em"))


async def test_a_deleted_topic_is_recreated_with_the_card_and_nothing_is_lost(
    bot: Running, api: BotApiStandIn
) -> None:
    thread = await open_case(api)
    async with Bot("123:ABC", base_url=api.base_url, base_file_url=api.base_file_url) as admin:
        await admin.delete_forum_topic(STAFF_CHAT, thread)  # someone deletes the case's topic
    since = api.mark()
    api.push_update(updates.text(PERSON, "chị ơi em vẫn đợi"))
    recreated = await api.wait_for(lambda c: c.method == "createForumTopic" and c.ok,
                                   since=since, timeout=10)
    new_thread = int(recreated.result["message_thread_id"])
    assert new_thread != thread
    card = await api.wait_for(sent(STAFF_CHAT, "#1", new_thread), since=since)
    assert "case:claim:1" in str(card.params.get("reply_markup"))
    await api.wait_for(sent(STAFF_CHAT, "👤 chị ơi em vẫn đợi", new_thread), since=since)


async def test_a_restart_in_the_middle_of_an_active_case_keeps_everything(
    bot: Running, api: BotApiStandIn
) -> None:
    thread = await open_case(api)
    await step(api, staff_callback(HOA, "case:claim:1", thread), sent(PERSON, "Chị Hoa"))
    await bot.stop()
    await bot.start()
    await step(api, updates.group_text(STAFF_CHAT, HOA, "Chị vẫn ở đây", thread_id=thread),
               sent(PERSON, "Chị Hoa (tư vấn viên): Chị vẫn ở đây"))
    await step(api, updates.text(PERSON, "dạ"), sent(STAFF_CHAT, "👤 dạ", thread))


async def test_the_counsellor_is_told_when_a_message_cannot_reach_the_person(
    bot: Running, api: BotApiStandIn
) -> None:
    thread = await open_case(api)
    await step(api, staff_callback(HOA, "case:claim:1", thread), sent(PERSON, "Chị Hoa"))
    api.fail_next("sendMessage", status=403, chat_id=PERSON)  # the person blocked the bot
    await step(api, updates.group_text(STAFF_CHAT, HOA, "Em ơi?", thread_id=thread),
               sent(STAFF_CHAT, "chưa gửi được", thread))


async def test_a_canned_reply_sent_with_mau_reaches_the_person_and_tags_show_on_the_card(
    bot: Running, api: BotApiStandIn
) -> None:
    # The supervisor writes the canned reply once, in General.
    await step(api, updates.group_text(STAFF_CHAT, 6001, "/mau luu chao Chào em, chị là"
                                       " tư vấn viên của trung tâm.\nEm cứ kể, chị đang nghe."),
               sent(STAFF_CHAT, "Đã thêm mẫu «chao»"))
    thread = await open_case(api)
    await step(api, staff_callback(HOA, "case:claim:1", thread), sent(PERSON, "Chị Hoa"))
    # Chị Hoa sends it in the case's topic: the person reads it under her name.
    since = api.mark()
    api.push_update(updates.group_text(STAFF_CHAT, HOA, "/mau Chào", thread_id=thread))
    delivered = await api.wait_for(sent(PERSON, "Chị Hoa (tư vấn viên): Chào em"), since=since)
    assert delivered.params["text"].endswith("Em cứ kể, chị đang nghe.")
    await api.wait_for(sent(STAFF_CHAT, "đã gửi mẫu «chao»", thread), since=since)
    # A tag: said in the topic and shown on the card.
    since = api.mark()
    api.push_update(updates.group_text(STAFF_CHAT, HOA, "/tag tái phát", thread_id=thread))
    await api.wait_for(sent(STAFF_CHAT, "đã gắn nhãn #tai-phat", thread), since=since)
    edit = await api.wait_for(lambda c: c.method == "editMessageText", since=since)
    assert "Nhãn: #tai-phat" in edit.params["text"]
    # Closed and rated: the rating is on the card.
    since = api.mark()
    api.push_update(updates.group_text(STAFF_CHAT, HOA, "/dong 1", thread_id=thread))
    await api.wait_for(sent(PERSON, "từ 1 (chưa tốt) đến 5"), since=since)
    since = api.mark()
    api.push_update(updates.callback(PERSON, "rate:5"))
    edit = await api.wait_for(lambda c: c.method == "editMessageText"
                              and "Đánh giá của người dùng: 5/5" in c.params["text"],
                              since=since)
    assert "Trạng thái: đã đóng · Chị Hoa · kết quả: đã tư vấn" in edit.params["text"]

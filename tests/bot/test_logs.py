"""Logs never carry what a person wrote, their name, phone number or location (INFO and up),
checked over a whole conversation through the real Telegram adapter."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import EventFormatter
from tests.bot.test_handoff_telegram import (
    HOA,
    PERSON,
    STAFF_CHAT,
    Running,
    handoff_config,
    sent,
    staff_callback,
    step,
)
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn

NAME = "Phạm Thị Hạnh"
SECRETS = ["chồng em đang đánh em ở nhà", "em tên là Hạnh, số nhà 45", "0912345678",
           "21.0301", "105.8543", NAME]


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(EventFormatter())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # everything reaches the handler; it keeps INFO and up
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_a_full_conversation_leaves_no_personal_data_in_the_logs(
    db_path: Path, log_text: io.StringIO
) -> None:
    async with BotApiStandIn() as api:
        bot = Running(handoff_config(db_path, api))
        await bot.start()
        try:
            await step(api, updates.command(PERSON, "/start", first_name=NAME), sent(PERSON))
            await step(api, updates.text(PERSON, SECRETS[0], first_name=NAME),
                       sent(STAFF_CHAT, "KHẨN CẤP"))
            await step(api, updates.location(PERSON, 21.0301, 105.8543, first_name=NAME),
                       sent(PERSON, "nhận được vị trí"))
            await step(api, updates.text(PERSON, SECRETS[1], first_name=NAME), sent(PERSON))
            await step(api, updates.contact(PERSON, "0912345678", first_name=NAME),
                       sent(PERSON, "đầu hàng chờ"))
            await step(api, updates.text(PERSON, "em vẫn ở đây", first_name=NAME),
                       sent(STAFF_CHAT, "👤 em vẫn ở đây"))
            thread = int(api.calls_of("createForumTopic")[0].result["message_thread_id"])
            await step(api, staff_callback(HOA, "case:claim:1", thread), sent(PERSON, "Chị Hoa"))
            api.fail_next("sendMessage", status=502, chat_id=PERSON)  # a retry gets logged
            await step(api, updates.group_text(STAFF_CHAT, HOA, "Em có an toàn không?",
                                               thread_id=thread), sent(PERSON, "an toàn"))
        finally:
            await bot.stop()
    logs = log_text.getvalue()
    assert "event=delivery_retry" in logs  # the logs did record what happened…
    for secret in SECRETS + ["Em có an toàn không?"]:
        assert secret not in logs, f"{secret!r} appears in the logs"  # …and nothing personal

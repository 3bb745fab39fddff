"""Sending to Telegram: text in parts, buttons, copies of media, and PTB's errors translated
into the Deliverer's (see bot/delivery.py); `TelegramSender` is the channel's sender."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application

from bot.channels.chunks import split_text
from bot.channels.telegram.updates import CHANNEL
from bot.delivery import RetryLater, Undeliverable
from flows.cases import parse_copy_address
from flows.messages import Outgoing

TELEGRAM_TEXT_LIMIT = 4096


def retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 warns about the int/timedelta transition when the property is read.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value: Any = error.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


def reply_markup(
    message: Outgoing,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    if message.location_button:
        # Only a reply keyboard can ask for the location; Telegram shows it under the input.
        # A message carries one keyboard, so its buttons ("Bỏ qua") become keys there too:
        # pressing one sends its label as text, which the flow that asked understands.
        return ReplyKeyboardMarkup(
            [[KeyboardButton(message.location_button, request_location=True)]]
            + [[KeyboardButton(b.label) for b in row] for row in message.buttons],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if message.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                for row in message.buttons
            ]
        )
    if message.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


@contextmanager
def delivery_errors() -> Iterator[None]:
    """PTB's exceptions, translated into the Deliverer's."""
    try:
        yield
    except RetryAfter as exc:
        raise RetryLater("rate limited", after=retry_after_seconds(exc)) from exc
    except Forbidden as exc:
        raise Undeliverable(f"forbidden: {exc.message}") from exc
    except (BadRequest, ChatMigrated) as exc:  # before NetworkError: BadRequest is one
        raise Undeliverable(f"bad request: {exc.message}") from exc
    except (NetworkError, InvalidToken) as exc:  # TimedOut, 5xx, connection trouble
        raise RetryLater(f"{type(exc).__name__}: {exc.message}") from exc


async def send_text(
    bot: Bot, chat_id: int, message: Outgoing, *, thread_id: int | None = None
) -> str:
    """Send in parts of at most 4096 characters, buttons on the last; returns its id."""
    chunks = split_text(message.text, TELEGRAM_TEXT_LIMIT)
    ref = ""
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent = await bot.send_message(
            chat_id=chat_id,
            text=chunk,
            message_thread_id=thread_id,
            reply_markup=reply_markup(message) if last else None,
        )
        ref = str(sent.message_id)
    return ref


async def copy_into(
    bot: Bot, chat_id: int, from_chat: str, message_id: str, *, thread_id: int | None = None
) -> str:
    """Copy a Telegram message (media with its caption) without showing where it came from."""
    sent = await bot.copy_message(
        chat_id=chat_id, from_chat_id=int(from_chat), message_id=int(message_id),
        message_thread_id=thread_id,
    )
    return str(sent.message_id)


async def send_outgoing(
    bot: Bot, chat_id: int, message: Outgoing, *, thread_id: int | None = None
) -> str:
    """The text, then the copied media if the message relays one."""
    ref = await send_text(bot, chat_id, message, thread_id=thread_id) if message.text else ""
    address = parse_copy_address(message.copy_from)
    if address is not None and address[0] == CHANNEL:  # another channel's media stays there
        _, from_chat, message_id = address
        ref = await copy_into(bot, chat_id, from_chat, message_id, thread_id=thread_id)
    return ref


class TelegramSender:
    """Outgoing -> Bot API, to a person's (or a staff member's) private chat."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.application = application

    async def send(self, recipient: str, message: Outgoing) -> str:
        with delivery_errors():
            return await send_outgoing(self.application.bot, int(recipient), message)

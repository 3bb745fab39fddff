"""Telegram `Update` -> channel-neutral `Incoming` (or the inbox's raw event). Pure
translation, no I/O."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from telegram import Chat, ChatMember, Message, Update

from flows.messages import Attachment, Incoming, IncomingKind, Location, StaffIncoming
from flows.store import InboundEvent

CHANNEL = "telegram"

# Message attributes that carry media, in the order they are checked.
_MEDIA = (
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",  # before document: a GIF message also fills `document`
    "document",
    "sticker",
    "contact",
    "venue",  # before location: a venue also fills `location`
    "poll",
    "dice",
)


def _attachment(message: Message) -> Attachment | None:
    for kind in _MEDIA:
        value = getattr(message, kind, None)
        if not value:
            continue
        if kind == "photo":
            ref = value[-1].file_id  # the largest size
        else:
            ref = getattr(value, "file_id", "") or ""
        return Attachment(kind=kind, ref=ref, caption=message.caption or "")
    return None


def message_to_incoming(
    message: Message, event_id: str, received_at: datetime, *, edited: bool = False
) -> Incoming:
    user = message.from_user
    base = Incoming(
        channel=CHANNEL,
        user_id=str(message.chat.id),
        event_id=event_id,
        kind=IncomingKind.TEXT,
        received_at=received_at,
        first_name=user.first_name if user else "",
        message_ref=str(message.message_id),
    )
    if edited:
        return replace(base, kind=IncomingKind.EDITED, text=message.text or message.caption or "")
    if message.location and not message.venue:
        location = Location(message.location.latitude, message.location.longitude)
        return replace(base, kind=IncomingKind.LOCATION, location=location)
    attachment = _attachment(message)
    if attachment is not None:
        return replace(base, kind=IncomingKind.MEDIA, attachment=attachment)
    if message.text is not None:
        return replace(base, text=message.text)
    # Service messages and kinds we do not know: treat as unsupported media.
    return replace(base, kind=IncomingKind.MEDIA, attachment=Attachment(kind="media"))


def update_to_incoming(update: Update, received_at: datetime) -> Incoming | None:
    """The Incoming for a private-chat update, or None for what citizens' flows ignore."""
    event_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message else None
        if chat is not None and chat.type != Chat.PRIVATE:
            return None
        return Incoming(
            channel=CHANNEL,
            user_id=str(chat.id if chat else query.from_user.id),
            event_id=event_id,
            kind=IncomingKind.BUTTON,
            received_at=received_at,
            button=query.data or "",
            first_name=query.from_user.first_name,
        )
    if update.my_chat_member is not None:
        member = update.my_chat_member
        if member.chat.type != Chat.PRIVATE:
            return None
        left = member.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
        return Incoming(
            channel=CHANNEL,
            user_id=str(member.chat.id),
            event_id=event_id,
            kind=IncomingKind.LEFT if left else IncomingKind.JOINED,
            received_at=received_at,
            first_name=member.from_user.first_name,
        )
    if update.message is not None and update.message.chat.type == Chat.PRIVATE:
        return message_to_incoming(update.message, event_id, received_at)
    if update.edited_message is not None and update.edited_message.chat.type == Chat.PRIVATE:
        return message_to_incoming(update.edited_message, event_id, received_at, edited=True)
    return None


def update_to_staff(
    update: Update, staff_chat_id: int | None, now: datetime
) -> StaffIncoming | None:
    """An action in the counsellors' supergroup, or None if the update is not one."""
    if staff_chat_id is None:
        return None
    event_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        if query.message is None or query.message.chat.id != staff_chat_id:
            return None
        thread = getattr(query.message, "message_thread_id", None)
        return StaffIncoming(
            channel=CHANNEL, event_id=event_id, actor_id=query.from_user.id,
            actor_name=query.from_user.first_name, received_at=now,
            thread_id=str(thread or ""), button=query.data or "",
        )
    message = update.message or update.edited_message
    if message is None or message.chat.id != staff_chat_id:
        return None
    user = message.from_user
    if user is None or user.is_bot:
        return None  # our own posts and service messages
    if message.text is None and _attachment(message) is None and message.location is None:
        return None  # topic created/closed, members joined…
    thread = message.message_thread_id if message.is_topic_message else None
    location = message.location
    return StaffIncoming(
        channel=CHANNEL, event_id=event_id, actor_id=user.id, actor_name=user.first_name,
        received_at=now, thread_id=str(thread or ""),
        text=message.text or message.caption or "",
        attachment=_attachment(message),
        location=Location(location.latitude, location.longitude) if location else None,
        message_ref=f"{CHANNEL}:{message.chat.id}:{message.message_id}",
        edited=update.edited_message is not None,
    )


def inbound_event(update: Update, received_at: datetime) -> InboundEvent:
    """The update as the inbox keeps it, keyed by Telegram's `update_id`."""
    return InboundEvent(
        channel=CHANNEL,
        event_id=str(update.update_id),
        payload=json.dumps(update.to_dict(), ensure_ascii=False),
        received_at=received_at,
    )

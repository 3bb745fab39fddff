"""Factories for incoming Telegram updates, as plain dicts that pass ``Update.de_json``.

Shapes follow the channels notes §3.1 and are checked against PTB 22.8 in the tests. Message ids and
update ids auto-increment per module when not given; ``BotApiStandIn.push_update`` keeps an
update's id only if it is above every id it already queued, so mixing factories with
hand-written dicts stays consistent.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from .objects import BOT_USER

Update = dict[str, Any]

_message_ids = itertools.count(1)
_update_ids = itertools.count(1)
_callback_ids = itertools.count(1)
_file_ids = itertools.count(1)

STAFF_CHAT_ID = -1001234567890


def _user(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}


def _private_chat(user_id: int, first_name: str) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": first_name}


def _group_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "Staff", "is_forum": True}


def _chat(chat_id: int, user_id: int, first_name: str) -> dict[str, Any]:
    if chat_id == user_id:
        return _private_chat(user_id, first_name)
    return _group_chat(chat_id)


def _message(
    user_id: int,
    *,
    first_name: str = "Lan",
    chat_id: int | None = None,
    message_id: int | None = None,
    **content: Any,
) -> dict[str, Any]:
    chat = _chat(chat_id if chat_id is not None else user_id, user_id, first_name)
    msg: dict[str, Any] = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": _user(user_id, first_name),
    }
    msg.update(content)
    return msg


def _update(**fields: Any) -> Update:
    return {"update_id": next(_update_ids), **fields}


def _file(prefix: str) -> tuple[str, str]:
    n = next(_file_ids)
    return f"{prefix}-file-{n}", f"{prefix}-unique-{n}"


def text(
    user_id: int,
    text: str,
    *,
    first_name: str = "Lan",
    chat_id: int | None = None,
    message_id: int | None = None,
) -> Update:
    """A text message from ``user_id`` in its private chat (or in ``chat_id``)."""
    msg = _message(user_id, first_name=first_name, chat_id=chat_id, message_id=message_id)
    msg["text"] = text
    return _update(message=msg)


def command(user_id: int, command: str, *, first_name: str = "Lan", args: str = "") -> Update:
    """A "/command [args]" message with its bot_command entity."""
    body = f"{command} {args}".rstrip()
    entity = {"type": "bot_command", "offset": 0, "length": len(command)}
    msg = _message(user_id, first_name=first_name, text=body, entities=[entity])
    return _update(message=msg)


def callback(
    user_id: int,
    data: str,
    *,
    message_id: int | None = None,
    first_name: str = "Lan",
    message_text: str = "Bạn có đồng ý không?",
) -> Update:
    """A button press on a bot message (``message_id``) in the user's private chat."""
    bot_message = {
        "message_id": message_id if message_id is not None else next(_message_ids),
        "date": int(time.time()),
        "chat": _private_chat(user_id, first_name),
        "from": BOT_USER,
        "text": message_text,
        "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": data}]]},
    }
    query = {
        "id": f"cbq-{next(_callback_ids)}",
        "from": _user(user_id, first_name),
        "chat_instance": f"ci-{user_id}",
        "data": data,
        "message": bot_message,
    }
    return _update(callback_query=query)


def photo(user_id: int, caption: str = "", *, first_name: str = "Lan") -> Update:
    file_id, unique = _file("photo")
    sizes = [
        {"file_id": f"{file_id}-s", "file_unique_id": f"{unique}-s", "width": 90, "height": 51},
        {"file_id": file_id, "file_unique_id": unique, "width": 320, "height": 180},
    ]
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return _update(message=_message(user_id, first_name=first_name, **content))


def voice(user_id: int, *, duration: int = 3, first_name: str = "Lan") -> Update:
    file_id, unique = _file("voice")
    media = {
        "file_id": file_id,
        "file_unique_id": unique,
        "duration": duration,
        "mime_type": "audio/ogg",
    }
    return _update(message=_message(user_id, first_name=first_name, voice=media))


def sticker(user_id: int, *, emoji: str = "🙂", first_name: str = "Lan") -> Update:
    file_id, unique = _file("sticker")
    media = {
        "file_id": file_id,
        "file_unique_id": unique,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
    }
    return _update(message=_message(user_id, first_name=first_name, sticker=media))


def document(
    user_id: int,
    *,
    file_name: str = "giay-to.pdf",
    mime_type: str = "application/pdf",
    caption: str = "",
    first_name: str = "Lan",
) -> Update:
    file_id, unique = _file("document")
    media = {
        "file_id": file_id,
        "file_unique_id": unique,
        "file_name": file_name,
        "mime_type": mime_type,
        "file_size": 1234,
    }
    content: dict[str, Any] = {"document": media}
    if caption:
        content["caption"] = caption
    return _update(message=_message(user_id, first_name=first_name, **content))


def location(user_id: int, lat: float, lon: float, *, first_name: str = "Lan") -> Update:
    where = {"latitude": lat, "longitude": lon}
    return _update(message=_message(user_id, first_name=first_name, location=where))


def contact(user_id: int, phone_number: str = "+84900000000", *, first_name: str = "Lan") -> Update:
    """The user sharing their own contact (``user_id`` set, as the share button does)."""
    card = {"phone_number": phone_number, "first_name": first_name, "user_id": user_id}
    return _update(message=_message(user_id, first_name=first_name, contact=card))


def edited(user_id: int, message_id: int, text: str, *, first_name: str = "Lan") -> Update:
    msg = _message(user_id, first_name=first_name, message_id=message_id, text=text)
    msg["edit_date"] = msg["date"]
    return _update(edited_message=msg)


def my_chat_member(
    user_id: int,
    new_status: str = "kicked",
    *,
    old_status: str = "member",
    first_name: str = "Lan",
) -> Update:
    """The user blocking ("kicked") or unblocking ("member") the bot in their private chat."""
    return _update(
        my_chat_member={
            "chat": _private_chat(user_id, first_name),
            "from": _user(user_id, first_name),
            "date": int(time.time()),
            "old_chat_member": _member(old_status),
            "new_chat_member": _member(new_status),
        }
    )


def _member(status: str) -> dict[str, Any]:
    if status == "kicked":
        return {"status": "kicked", "user": BOT_USER, "until_date": 0}
    if status in ("member", "left"):
        return {"status": status, "user": BOT_USER}
    raise ValueError(f"unsupported chat member status {status!r} (member, left, kicked)")


def group_text(
    chat_id: int,
    user_id: int,
    text: str,
    *,
    thread_id: int | None = None,
    first_name: str = "Counsellor",
    message_id: int | None = None,
) -> Update:
    """A message in a (forum) supergroup; with ``thread_id`` it is inside that topic."""
    msg = _message(user_id, first_name=first_name, chat_id=chat_id, message_id=message_id)
    msg["chat"] = _group_chat(chat_id)
    msg["text"] = text
    if thread_id is not None:
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
    return _update(message=msg)


def channel_post(chat_id: int, text: str, *, title: str = "News") -> Update:
    chat = {"id": chat_id, "type": "channel", "title": title}
    post = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "sender_chat": chat,
        "text": text,
    }
    return _update(channel_post=post)

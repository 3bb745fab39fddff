"""Builders for Bot API result objects returned by the stand-in.

Plain dicts instead of ``telegram.*(...).to_dict()``: the stand-in is on the measured path of
the benchmarks, and building PTB objects per request costs more than the HTTP round trip.
``test_bot_api_standin.py`` checks that PTB parses every shape built here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Hotline",
    "username": "hotline_test_bot",
}

# getMe answers with a few extra flags that only exist on the bot's own User object.
GET_ME: dict[str, Any] = {
    **BOT_USER,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

DEFAULT_ICON_COLOR = 7322096  # first value of telegram.constants.ForumIconColor

# Content fields copied by copyMessage / forwardMessage from a known source message.
CONTENT_FIELDS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "sticker",
    "location",
    "contact",
    "animation",
    "video_note",
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file uploaded in a multipart request, as recorded in ``Call.params``."""

    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict[str, Any]:
        size = len(self.data)
        return {"filename": self.filename, "content_type": self.content_type, "size": size}


class ApiError(Exception):
    """Raised by method implementations; becomes an ``{"ok": false, ...}`` response."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def now() -> int:
    return int(time.time())


def chat_for(chat_id: int) -> dict[str, Any]:
    """A plausible chat for an id the stand-in has not seen in any pushed update.

    Positive ids are private chats with a user; negative ids are forum supergroups (the
    hotline's staff group), which is what the relay code talks to (``BotState.set_chat``
    makes one something else).
    """
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "User"}
    return {"id": chat_id, "type": "supergroup", "title": "Staff", "is_forum": True}


def message(message_id: int, chat: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A message sent by the bot into ``chat``; ``fields`` carry the content."""
    msg: dict[str, Any] = {
        "message_id": message_id,
        "date": now(),
        "chat": chat,
        "from": BOT_USER,
    }
    msg.update(fields)
    return msg


def photo_sizes(file_id: str, file_unique_id: str, size: int) -> list[dict[str, Any]]:
    return [
        {
            "file_id": file_id,
            "file_unique_id": file_unique_id,
            "width": 320,
            "height": 240,
            "file_size": size,
        }
    ]


def media_object(
    kind: str, file_id: str, file_unique_id: str, size: int, filename: str | None
) -> Any:
    """The media field of a sent message for ``kind`` (the send method's file parameter)."""
    base: dict[str, Any] = {"file_id": file_id, "file_unique_id": file_unique_id}
    if size:
        base["file_size"] = size
    if kind == "photo":
        return photo_sizes(file_id, file_unique_id, size)
    if kind == "document":
        if filename:
            base["file_name"] = filename
        return base
    if kind in ("voice", "audio"):
        return {**base, "duration": 1}
    if kind == "video":
        return {**base, "width": 320, "height": 240, "duration": 1}
    if kind == "animation":
        return {**base, "width": 320, "height": 240, "duration": 1}
    if kind == "video_note":
        return {**base, "length": 240, "duration": 1}
    if kind == "sticker":
        return {
            **base,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    raise ValueError(f"unknown media kind {kind!r}")


def forum_topic(
    thread_id: int, name: str, icon_color: int | None, icon_custom_emoji_id: str | None
) -> dict[str, Any]:
    topic: dict[str, Any] = {
        "message_thread_id": thread_id,
        "name": name,
        "icon_color": icon_color if icon_color is not None else DEFAULT_ICON_COLOR,
    }
    if icon_custom_emoji_id:
        topic["icon_custom_emoji_id"] = icon_custom_emoji_id
    return topic


def file_object(file_id: str, file_unique_id: str, size: int, path: str) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "file_unique_id": file_unique_id,
        "file_size": size,
        "file_path": path,
    }


def chat_full_info(chat: dict[str, Any]) -> dict[str, Any]:
    """getChat's ChatFullInfo: the chat plus the fields PTB 22.8 requires."""
    return {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def webhook_info(
    url: str, pending: int, last_error: tuple[int, str] | None = None
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "url": url,
        "has_custom_certificate": False,
        "pending_update_count": pending,
        "max_connections": 40,
    }
    if last_error is not None:
        info["last_error_date"], info["last_error_message"] = last_error
    return info


# Every right an administrator can hold in a supergroup (ChatMemberAdministrator's fields).
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
    "can_manage_topics",
)


def chat_member(user: dict[str, Any], status: str, **rights: bool) -> dict[str, Any]:
    """getChatMember's ChatMember of ``status`` (Telegram's names: "creator", "administrator",
    "member", "left", "kicked"); an administrator holds every right ``rights`` does not
    take away."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member.update({right: True for right in ADMIN_RIGHTS})
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(rights)
    elif status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0  # banned for ever
    elif status not in ("member", "left"):
        raise ValueError(f"unsupported chat member status {status!r}")
    return member

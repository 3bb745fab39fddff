"""Bot API method implementations and the in-memory state behind them.

Lenient where tests need it (unknown source messages, file ids and topics are accepted),
strict where real Telegram behaviour matters to the hotline's error handling (deleted forum
topics, "message is not modified", getUpdates while a webhook is set).
"""

from __future__ import annotations

import asyncio
import itertools
import zlib
from collections.abc import Callable
from typing import Any

from . import objects as o
from .objects import ApiError, Upload

Params = dict[str, Any]

THREAD_NOT_FOUND = "Bad Request: message thread not found"
CHAT_NOT_FOUND = "Bad Request: chat not found"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# Send method -> the parameter holding the media (also the Message field it fills).
MEDIA_SENDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
}

# Methods with no observable effect in tests: answered with ``true``.
TRUE_METHODS = (
    "logOut",
    "close",
    "answerCallbackQuery",
    "deleteMyCommands",
    "setMessageReaction",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "unpinAllForumTopicMessages",
    "setChatMenuButton",
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "leaveChat",
    "banChatMember",
    "unbanChatMember",
    "approveChatJoinRequest",
    "declineChatJoinRequest",
    "deleteMessages",
)


def _int_chat(value: Any) -> int:
    if isinstance(value, int):
        return value
    if value is None or value == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    # "@username": a stable negative id so the returned Chat is well formed.
    return -(1_000_000_000_000 + zlib.crc32(text.encode()) % 1_000_000_000)


class BotState:
    """What a single bot's Telegram side remembers between calls."""

    def __init__(self) -> None:
        self.bot_user: dict[str, Any] = dict(o.GET_ME)
        self.updates: list[dict[str, Any]] = []  # pending (unconfirmed) updates, ascending ids
        self.last_update_id = 0
        self.update_waiters: set[asyncio.Future[None]] = set()
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        # (unix time, message) of the last failed webhook delivery, as getWebhookInfo says it.
        self.webhook_error: tuple[int, str] | None = None
        self.commands: list[Any] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.missing_chats: set[int] = set()  # see forget_chat
        self.members: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, user): ChatMember
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.topics: dict[tuple[int, int], dict[str, Any]] = {}
        self.closed_topics: set[tuple[int, int]] = set()
        self.deleted_topics: set[tuple[int, int]] = set()
        self.files: dict[str, tuple[str, bytes, str]] = {}  # file_id -> (unique, data, path)
        self.file_paths: dict[str, bytes] = {}
        self._ids = itertools.count(100_001)  # above the update factories' message ids
        self._file_ids = itertools.count(1)
        self.table: dict[str, Callable[[Params], Any]] = self._build_table()

    # ---- dispatch -------------------------------------------------------------------------

    def _build_table(self) -> dict[str, Callable[[Params], Any]]:
        table: dict[str, Callable[[Params], Any]] = {
            "getMe": lambda p: self.bot_user,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": lambda p: o.webhook_info(
                self.webhook_url, len(self.updates), self.webhook_error
            ),
            "sendMessage": self.send_message,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "sendLocation": self.send_location,
            "sendContact": self.send_contact,
            "sendChatAction": self.send_chat_action,
            "createForumTopic": self.create_forum_topic,
            "editForumTopic": self.edit_forum_topic,
            "closeForumTopic": self.close_forum_topic,
            "reopenForumTopic": self.reopen_forum_topic,
            "deleteForumTopic": self.delete_forum_topic,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": lambda p: self.commands,
            "getFile": self.get_file,
            "getChat": lambda p: o.chat_full_info(self.chat(_int_chat(p.get("chat_id")))),
            "getChatMember": self.get_chat_member,
        }
        for method in TRUE_METHODS:
            table[method] = lambda p: True
        for method, kind in MEDIA_SENDS.items():
            table[method] = self._media_sender(kind)
        return table

    def next_message_id(self) -> int:
        return next(self._ids)

    # ---- updates ----------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        update = dict(update)
        given = update.get("update_id")
        # Keep a caller's id only if it keeps the queue strictly increasing, as Telegram's is.
        if not isinstance(given, int) or given <= self.last_update_id:
            update["update_id"] = self.last_update_id + 1
        self.last_update_id = update["update_id"]
        self._remember(update)
        self.updates.append(update)
        self.wake_pollers()
        return int(update["update_id"])

    def wake_pollers(self) -> None:
        for fut in self.update_waiters:
            if not fut.done():
                fut.set_result(None)
        self.update_waiters.clear()

    def confirm(self, offset: int | None) -> None:
        """Telegram's offset rule: drop updates below ``offset``; negative keeps the tail."""
        if not offset:
            return
        if offset > 0:
            if self.updates and self.updates[0]["update_id"] < offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
        else:
            self.updates = self.updates[offset:]

    def _remember(self, update: dict[str, Any]) -> None:
        """Index chats and messages from incoming updates, so copies and edits have content."""
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            msg = update.get(key)
            if isinstance(msg, dict):
                self._remember_message(msg)
        query = update.get("callback_query")
        if isinstance(query, dict) and isinstance(query.get("message"), dict):
            self._remember_message(query["message"])

    def _remember_message(self, msg: dict[str, Any]) -> None:
        chat = msg.get("chat")
        if not isinstance(chat, dict) or not isinstance(msg.get("message_id"), int):
            return
        self.chats[chat["id"]] = chat
        self.missing_chats.discard(chat["id"])  # a message from it: the bot is in it
        self.messages[(chat["id"], msg["message_id"])] = msg
        # Our own ids must stay above anything clients already used.
        if msg["message_id"] >= 100_001:
            self._ids = itertools.count(max(msg["message_id"] + 1, next(self._ids)))

    def chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.missing_chats:
            raise ApiError(400, CHAT_NOT_FOUND)
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = o.chat_for(chat_id)
        return chat

    def set_chat(self, chat_id: int, **fields: Any) -> dict[str, Any]:
        """Change what getChat says of ``chat_id``, e.g. ``type="group"`` or
        ``is_forum=False`` for a staff group set up wrong."""
        chat = self.chat(chat_id)
        chat.update(fields)
        return chat

    def forget_chat(self, chat_id: int) -> None:
        """The bot is not in ``chat_id`` (or no such chat exists): getChat, getChatMember and
        sends there answer "chat not found", as Telegram does."""
        self.chats.pop(chat_id, None)
        self.missing_chats.add(chat_id)

    # ---- members ----------------------------------------------------------------------------

    def bot_as_user(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in o.BOT_USER if k in self.bot_user}

    def set_member(self, chat_id: int, user_id: int, status: str, **rights: bool) -> None:
        """What getChatMember answers for ``user_id`` in ``chat_id`` (see objects.chat_member),
        e.g. ``set_member(STAFF, bot_id, "administrator", can_manage_topics=False)``."""
        user = (
            self.bot_as_user()
            if user_id == self.bot_user["id"]
            else {"id": user_id, "is_bot": False, "first_name": "User"}
        )
        self.members[(chat_id, user_id)] = o.chat_member(user, status, **rights)

    def get_chat_member(self, p: Params) -> dict[str, Any]:
        chat_id = _int_chat(p.get("chat_id"))
        chat = self.chat(chat_id)
        user_id = p.get("user_id")
        if not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: invalid user_id specified")
        member = self.members.get((chat_id, user_id))
        if member is not None:
            return member
        # Unset: the bot is an administrator of every group with every right, as the
        # hotline's staff group is set up; anyone else is a plain member.
        if user_id == self.bot_user["id"] and chat["type"] in ("group", "supergroup"):
            return o.chat_member(self.bot_as_user(), "administrator")
        return o.chat_member({"id": user_id, "is_bot": False, "first_name": "User"}, "member")

    # ---- webhooks -------------------------------------------------------------------------

    def set_webhook(self, p: Params) -> bool:
        self.webhook_url = str(p.get("url") or "")
        self.webhook_secret = p.get("secret_token") if self.webhook_url else None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    def delete_webhook(self, p: Params) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    # ---- sending ----------------------------------------------------------------------------

    def _check_thread(self, chat_id: int, p: Params) -> int | None:
        thread = p.get("message_thread_id")
        if thread is None:
            return None
        if (chat_id, thread) in self.deleted_topics:
            raise ApiError(400, THREAD_NOT_FOUND)
        return int(thread)

    def _deliver(self, p: Params, content: dict[str, Any]) -> dict[str, Any]:
        """Store and return a new bot message in ``p['chat_id']`` carrying ``content``."""
        chat_id = _int_chat(p.get("chat_id"))
        thread = self._check_thread(chat_id, p)
        chat = self.chat(chat_id)
        msg = o.message(self.next_message_id(), chat, **content)
        if thread is not None:
            msg["message_thread_id"] = thread
            if chat.get("is_forum"):
                msg["is_topic_message"] = True
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup  # only inline keyboards are echoed by Telegram
        reply_to = self._reply_target(chat_id, p)
        if reply_to is not None:
            msg["reply_to_message"] = {k: v for k, v in reply_to.items() if k != "reply_to_message"}
        self.messages[(chat_id, msg["message_id"])] = msg
        return msg

    def _reply_target(self, chat_id: int, p: Params) -> dict[str, Any] | None:
        params = p.get("reply_parameters")
        mid = params.get("message_id") if isinstance(params, dict) else None
        mid = mid if mid is not None else p.get("reply_to_message_id")
        return self.messages.get((chat_id, mid)) if isinstance(mid, int) else None

    def send_message(self, p: Params) -> dict[str, Any]:
        text = p.get("text")
        if text is None or text == "":
            raise ApiError(400, "Bad Request: message text is empty")
        content: dict[str, Any] = {"text": str(text)}
        if p.get("entities"):
            content["entities"] = p["entities"]
        return self._deliver(p, content)

    def _source_content(self, p: Params) -> dict[str, Any]:
        mid = p.get("message_id")
        src = self.messages.get(
            (_int_chat(p.get("from_chat_id")), mid if isinstance(mid, int) else 0)
        )
        if src is None:
            return {}  # lenient: handler tests feed updates the stand-in never saw
        return {k: src[k] for k in o.CONTENT_FIELDS if k in src}

    def copy_message(self, p: Params) -> dict[str, Any]:
        content = self._source_content(p)
        if "caption" in p:
            content["caption"] = str(p["caption"])
        msg = self._deliver(p, content)
        return {"message_id": msg["message_id"]}

    def forward_message(self, p: Params) -> dict[str, Any]:
        content = self._source_content(p)
        content["forward_origin"] = {"type": "hidden_user", "sender_user_name": "User", "date": 0}
        return self._deliver(p, content)

    def _media_sender(self, kind: str) -> Callable[[Params], dict[str, Any]]:
        def send(p: Params) -> dict[str, Any]:
            value = p.get(kind)
            if value is None or value == "":
                raise ApiError(400, f"Bad Request: there is no {kind} in the request")
            file_id, unique, size, filename = self._file_for(value)
            content: dict[str, Any] = {kind: o.media_object(kind, file_id, unique, size, filename)}
            if p.get("caption"):
                content["caption"] = str(p["caption"])
            return self._deliver(p, content)

        return send

    def _file_for(self, value: Any) -> tuple[str, str, int, str | None]:
        if isinstance(value, Upload):
            file_id = self.add_file(value.data, value.filename)
            return file_id, self.files[file_id][0], len(value.data), value.filename
        file_id = str(value)  # a file_id (or URL) re-sent by the bot
        entry = self.files.get(file_id)
        return file_id, entry[0] if entry else f"u-{file_id[-16:]}", 0, None

    def send_location(self, p: Params) -> dict[str, Any]:
        location = {"latitude": p.get("latitude"), "longitude": p.get("longitude")}
        return self._deliver(p, {"location": location})

    def send_contact(self, p: Params) -> dict[str, Any]:
        contact = {"phone_number": str(p.get("phone_number")), "first_name": p.get("first_name")}
        return self._deliver(p, {"contact": contact})

    def send_chat_action(self, p: Params) -> bool:
        self._check_thread(_int_chat(p.get("chat_id")), p)
        return True

    # ---- forum topics -----------------------------------------------------------------------

    def create_forum_topic(self, p: Params) -> dict[str, Any]:
        chat_id = _int_chat(p.get("chat_id"))
        if not p.get("name"):
            raise ApiError(400, "Bad Request: topic name is empty")
        # Like Telegram, the thread id is the id of the topic's service message.
        thread = self.next_message_id()
        topic = o.forum_topic(
            thread, str(p["name"]), p.get("icon_color"), p.get("icon_custom_emoji_id")
        )
        self.topics[(chat_id, thread)] = topic
        return topic

    def _topic_key(self, p: Params) -> tuple[int, int]:
        key = (_int_chat(p.get("chat_id")), p.get("message_thread_id"))
        if not isinstance(key[1], int) or key in self.deleted_topics:
            raise ApiError(400, THREAD_NOT_FOUND)
        return (key[0], key[1])

    def edit_forum_topic(self, p: Params) -> bool:
        key = self._topic_key(p)
        topic = self.topics.setdefault(key, o.forum_topic(key[1], "Topic", None, None))
        if p.get("name"):
            topic["name"] = str(p["name"])
        return True

    def close_forum_topic(self, p: Params) -> bool:
        self.closed_topics.add(self._topic_key(p))
        return True

    def reopen_forum_topic(self, p: Params) -> bool:
        self.closed_topics.discard(self._topic_key(p))
        return True

    def delete_forum_topic(self, p: Params) -> bool:
        key = self._topic_key(p)
        self.topics.pop(key, None)
        self.closed_topics.discard(key)
        self.deleted_topics.add(key)
        return True

    # ---- editing ----------------------------------------------------------------------------

    def _edit(self, p: Params, changes: dict[str, Any]) -> Any:
        if p.get("inline_message_id"):
            return True
        chat_id = _int_chat(p.get("chat_id"))
        mid = p.get("message_id")
        if not isinstance(mid, int):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        old = self.messages.get((chat_id, mid))
        markup = p.get("reply_markup") if isinstance(p.get("reply_markup"), dict) else None
        if old is not None:
            unchanged = all(old.get(k) == v for k, v in changes.items())
            if unchanged and old.get("reply_markup") == markup:
                raise ApiError(400, NOT_MODIFIED)
            msg = dict(old)
        else:  # lenient: an edit of a message sent before this stand-in started
            msg = o.message(mid, self.chat(chat_id))
        msg.update(changes)
        msg["edit_date"] = o.now()
        if markup is None:
            msg.pop("reply_markup", None)  # an edit without a keyboard removes it
        else:
            msg["reply_markup"] = markup
        self.messages[(chat_id, mid)] = msg
        return msg

    def edit_message_text(self, p: Params) -> Any:
        if not p.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        return self._edit(p, {"text": str(p["text"])})

    def edit_message_caption(self, p: Params) -> Any:
        return self._edit(p, {"caption": str(p.get("caption") or "")})

    def edit_message_reply_markup(self, p: Params) -> Any:
        return self._edit(p, {})

    def delete_message(self, p: Params) -> bool:
        mid = p.get("message_id")
        if isinstance(mid, int):
            self.messages.pop((_int_chat(p.get("chat_id")), mid), None)
        return True

    def set_my_commands(self, p: Params) -> bool:
        commands = p.get("commands")
        self.commands = commands if isinstance(commands, list) else []
        return True

    # ---- files ------------------------------------------------------------------------------

    def add_file(self, data: bytes, filename: str | None = None, file_id: str | None = None) -> str:
        """Register downloadable content; returns its file_id."""
        n = next(self._file_ids)
        file_id = file_id or f"standin-file-{n}"
        name = "".join(ch for ch in (filename or "file") if ch.isalnum() or ch in "._-")
        path = f"documents/file_{n}_{name or 'file'}"
        self.files[file_id] = (f"standin-unique-{n}", data, path)
        self.file_paths[path] = data
        return file_id

    def get_file(self, p: Params) -> dict[str, Any]:
        file_id = p.get("file_id")
        if not file_id:
            raise ApiError(400, "Bad Request: invalid file_id")
        file_id = str(file_id)
        if file_id not in self.files:  # ids from update fixtures: synthesise content
            self.add_file(f"standin content of {file_id}".encode(), file_id=file_id)
        unique, data, path = self.files[file_id]
        return o.file_object(file_id, unique, len(data), path)

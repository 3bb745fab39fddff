"""Channel-neutral messages: what a person sent (`Incoming`), what the bot says (`Outgoing`).

Channel adapters (Telegram, Zalo, console) translate to and from these; flows never see a
channel library's objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class IncomingKind(StrEnum):
    TEXT = "text"  # plain text or a command
    BUTTON = "button"  # an inline button was pressed
    EDITED = "edited"  # the person edited an earlier message
    LOCATION = "location"
    MEDIA = "media"  # photo, voice, sticker, document, video, audio, contact…
    JOINED = "joined"  # first contact without a message (Zalo follow, Telegram chat member)
    LEFT = "left"  # the person blocked the bot or unfollowed


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # opaque, at most 64 bytes (Telegram's callback_data limit)


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Attachment:
    kind: str  # photo, voice, audio, video, document, sticker, contact, animation, video_note…
    ref: str = ""  # channel file id or URL; never shown to a person
    caption: str = ""


@dataclass(frozen=True)
class Incoming:
    """One thing a person did, as the channel reported it."""

    channel: str  # "telegram", "zalo", "console"
    user_id: str  # the channel's own id of the person, as a string
    event_id: str  # the channel's id of this event (Telegram update_id, Zalo msg_id)
    kind: IncomingKind
    received_at: datetime
    text: str = ""
    button: str = ""  # button data when kind is BUTTON
    location: Location | None = None
    attachment: Attachment | None = None
    first_name: str = ""
    message_ref: str = ""  # the channel's id of the message itself (for relaying edits)

    @property
    def command(self) -> str:
        """`/start@hotline_bot args` -> `start`; empty when the text is not a command."""
        if not self.text.startswith("/"):
            return ""
        head = self.text[1:].split(maxsplit=1)[0] if len(self.text) > 1 else ""
        return head.split("@", 1)[0].lower()

    @property
    def command_args(self) -> str:
        if not self.command:
            return ""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True)
class StaffIncoming:
    """Something a staff member did in the counsellors' group."""

    channel: str  # the staff channel: "telegram"
    event_id: str
    actor_id: int
    actor_name: str
    received_at: datetime
    thread_id: str = ""  # the forum topic it happened in; empty: General
    text: str = ""
    button: str = ""
    attachment: Attachment | None = None
    location: Location | None = None
    message_ref: str = ""  # "<channel>:<chat>:<message>", for copying media to the person
    edited: bool = False
    # The case acted on, where the channel names it itself (the web console's case page)
    # rather than by the topic the staff member wrote in.
    case_id: int | None = None

    @property
    def command(self) -> str:
        if not self.text.startswith("/"):
            return ""
        return self.text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if self.text[1:] else ""

    @property
    def command_args(self) -> str:
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if self.command and len(parts) > 1 else ""


class Priority(StrEnum):
    """Delivery and queue priority. Order matters: lower index is served first."""

    CRITICAL = "critical"
    URGENT = "urgent"
    REVIEW = "review"  # a message the bot did not understand: a human reads it
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.URGENT: 1, Priority.REVIEW: 2,
                  Priority.NORMAL: 3}


class TriageLevel(StrEnum):
    """How much danger triage read in one message. The values are the strings the rules
    (knowledge/triage.yaml), the stored cases and the logs have always used, and the ones
    knowledge/ still produces: it may not import flows, so flows/triage.py converts them."""

    NONE = "none"
    URGENT = "urgent"
    CRITICAL = "critical"

    @property
    def is_emergency(self) -> bool:
        return self is not TriageLevel.NONE


@dataclass(frozen=True)
class Outgoing:
    """One reply to a person. Buttons are rows of buttons; channels without buttons number them."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    location_button: str = ""  # label of a 'share my location' button; empty: none
    priority: Priority = Priority.NORMAL
    # Relaying: "<channel>:<chat>:<message>" of a message to copy (media with its caption);
    # channels that cannot copy send `text` instead.
    copy_from: str = ""
    edit: str = ""  # "card": replace the case card posted earlier instead of posting anew
    # Take away a keyboard shown under the input box (the location request) once it has been
    # answered. Telegram: ReplyKeyboardRemove, so put it on a message without buttons (one
    # keyboard per message); channels with no such keyboard (Zalo, console) ignore it.
    remove_keyboard: bool = False

    def button_list(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True)
class Handled:
    """What the dispatcher did with one Incoming: the replies plus facts for scripts and tests."""

    route: str  # which flow handled it: menu, policy, emergency, handoff, fallback, duplicate…
    replies: tuple[Outgoing, ...] = ()
    urgency: str = "none"  # none, urgent, critical
    category: str | None = None
    articles: tuple[str, ...] = ()
    signals: tuple[str, ...] = field(default=())

    @property
    def reply_text(self) -> str:
        return "\n\n".join(r.text for r in self.replies)


def outgoing_to_dict(message: Outgoing) -> dict[str, object]:
    """A JSON-ready form, for the outbox."""
    return {
        "text": message.text,
        "buttons": [[[b.label, b.data] for b in row] for row in message.buttons],
        "location_button": message.location_button,
        "priority": message.priority.value,
        "copy_from": message.copy_from,
        "edit": message.edit,
        "remove_keyboard": message.remove_keyboard,
    }


def outgoing_from_dict(data: dict[str, object]) -> Outgoing:
    rows = data.get("buttons") or []
    assert isinstance(rows, list)
    return Outgoing(
        text=str(data.get("text", "")),
        buttons=tuple(tuple(Button(str(b[0]), str(b[1])) for b in row) for row in rows),
        location_button=str(data.get("location_button", "")),
        priority=Priority(str(data.get("priority", "normal"))),
        copy_from=str(data.get("copy_from", "")),
        edit=str(data.get("edit", "")),
        remove_keyboard=bool(data.get("remove_keyboard", False)),
    )

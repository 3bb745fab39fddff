"""Zalo OA webhook events: signature check and event JSON -> `Incoming`. Pure, no I/O.

A Zalo event is signed with ``X-ZEvent-Signature: mac=<sha256 hex>`` over
``app_id + raw body + timestamp + OA secret key`` (app_id and timestamp as written in the body;
the key is the OA secret key from the webhook settings, not the app secret). The body's
``timestamp`` is a string of milliseconds; events older or newer than the replay window are
refused, so a captured request cannot be replayed later.

A pressed ``oa.query.show`` button comes back as an ordinary ``user_send_text`` whose text is
the button's payload. The bot's payloads start with ``BUTTON_PREFIX``, so such a text becomes
a ``BUTTON`` with the same data a Telegram button carries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flows.messages import Attachment, Incoming, IncomingKind, Location

CHANNEL = "zalo"
BUTTON_PREFIX = "#btn:"
MAX_BODY_BYTES = 64 * 1024

# Zalo event name -> Attachment.kind (the names the flows' templates already know).
MEDIA_EVENTS = {
    "user_send_image": "photo",
    "user_send_gif": "animation",
    "user_send_sticker": "sticker",
    "user_send_file": "document",
    "user_send_audio": "voice",  # Zalo's audio messages are recorded voice messages
    "user_send_video": "video",
    "user_send_link": "link",
    "user_send_business_card": "contact",
}
MEMBERSHIP_EVENTS = {"follow": IncomingKind.JOINED, "unfollow": IncomingKind.LEFT}


class Rejected(Exception):
    """A webhook request that must change nothing: `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        # reason: missing_signature, bad_signature, stale, malformed, wrong_app, too_large
        super().__init__(reason)
        self.status = status
        self.reason = reason


# ---------------------------------------------------------------- signature


def signature(app_id: str, raw: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The hex MAC Zalo sends in X-ZEvent-Signature (without the `mac=` prefix)."""
    data = app_id.encode() + raw + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def verify(
    raw: bytes,
    header: str | None,
    *,
    app_id: str,
    oa_secret_key: str,
    now: datetime,
    window_s: int,
) -> dict[str, Any]:
    """The event of a genuine, fresh request; raises `Rejected` otherwise.

    Checked in this order: size, signature present, body shape, app id, signature (in
    constant time), then the timestamp against the replay window.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise Rejected(413, "too_large")
    given = (header or "").strip()
    given = given[4:] if given[:4].lower() == "mac=" else given
    given = given.strip().lower()
    if not given:
        raise Rejected(401, "missing_signature")
    try:
        event = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "malformed") from None
    if not isinstance(event, dict):
        raise Rejected(400, "malformed")
    body_app, stamp = event.get("app_id"), event.get("timestamp")
    if not isinstance(body_app, str | int) or not isinstance(stamp, str | int):
        raise Rejected(400, "malformed")
    if str(body_app) != app_id:
        raise Rejected(403, "wrong_app")
    expected = signature(str(body_app), raw, str(stamp), oa_secret_key)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Rejected(401, "bad_signature")
    try:
        sent_ms = int(str(stamp))
    except ValueError:
        raise Rejected(400, "malformed") from None
    if abs(now.timestamp() * 1000 - sent_ms) > window_s * 1000:
        raise Rejected(403, "stale")
    return event


# ---------------------------------------------------------------- events


def _str(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def person_of(event: dict[str, Any]) -> str:
    for key in ("sender", "follower", "user"):
        who = event.get(key)
        if isinstance(who, dict) and _str(who.get("id")):
            return _str(who.get("id"))
    return ""


def event_id(event: dict[str, Any]) -> str:
    """The inbox key: the message id, or for events without one a stable composite."""
    message = event.get("message")
    if isinstance(message, dict) and _str(message.get("msg_id")):
        return _str(message.get("msg_id"))
    name = _str(event.get("event_name"))
    return f"{name}:{person_of(event)}:{_str(event.get('timestamp'))}"


def is_relevant(event: dict[str, Any]) -> bool:
    """A person's message or follow/unfollow; the OA's own echoes and the rest are not."""
    name = _str(event.get("event_name"))
    known = name in MEDIA_EVENTS or name in MEMBERSHIP_EVENTS or name in (
        "user_send_text", "user_send_location",
    )
    return known and bool(person_of(event))


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is not a coordinate


def _point(data: Any) -> Location | None:
    if not isinstance(data, dict):
        return None
    lat = _number(data.get("latitude", data.get("lat")))
    lon = _number(data.get("longitude", data.get("long", data.get("lng"))))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Location(lat, lon)


def location_of(message: dict[str, Any]) -> Location | None:
    """Tolerant: attachments[].payload.coordinates{latitude,longitude} (strings or numbers),
    coordinates{lat,long}, or message.location{latitude,longitude}."""
    for attachment in _attachments(message):
        payload = attachment.get("payload")
        if isinstance(payload, dict):
            found = _point(payload.get("coordinates")) or _point(payload)
            if found:
                return found
    return _point(message.get("location")) or _point(message.get("coordinates"))


def _attachments(message: dict[str, Any]) -> list[dict[str, Any]]:
    items = message.get("attachments")
    return [a for a in items if isinstance(a, dict)] if isinstance(items, list) else []


def _media_ref(message: dict[str, Any]) -> str:
    for attachment in _attachments(message):
        payload = attachment.get("payload")
        if isinstance(payload, dict):
            for key in ("url", "id", "token"):
                if _str(payload.get(key)):
                    return _str(payload.get(key))
    return ""


def _received_at(event: dict[str, Any], arrived: datetime | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(_str(event.get("timestamp"))) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return arrived


def event_to_incoming(event: dict[str, Any], arrived: datetime | None = None) -> Incoming | None:
    """The Incoming for a person's event; None for what the flows ignore.

    It is dated by the event's own timestamp (`verify` has checked it); `arrived`, when the
    channel received the request by the one clock, stands in for an event without a readable
    one. An event with neither cannot be placed in time and is ignored, like a malformed one.
    """
    if not is_relevant(event):
        return None
    received_at = _received_at(event, arrived)
    if received_at is None:
        return None
    name = _str(event.get("event_name"))
    message = event.get("message")
    message = message if isinstance(message, dict) else {}
    base = Incoming(
        channel=CHANNEL,
        user_id=person_of(event),
        event_id=event_id(event),
        kind=IncomingKind.TEXT,
        received_at=received_at,
        message_ref=_str(message.get("msg_id")),
    )
    if name in MEMBERSHIP_EVENTS:
        return replace(base, kind=MEMBERSHIP_EVENTS[name])
    text = _str(message.get("text"))
    if name == "user_send_location":
        location = location_of(message)
        if location is None:  # a location we cannot read: say so like other media
            return replace(base, kind=IncomingKind.MEDIA, attachment=Attachment("location"))
        return replace(base, kind=IncomingKind.LOCATION, location=location)
    if name in MEDIA_EVENTS:
        attachment = Attachment(MEDIA_EVENTS[name], ref=_media_ref(message), caption=text)
        return replace(base, kind=IncomingKind.MEDIA, attachment=attachment)
    if text.startswith(BUTTON_PREFIX) and len(text) > len(BUTTON_PREFIX):
        return replace(base, kind=IncomingKind.BUTTON, button=text[len(BUTTON_PREFIX):])
    return replace(base, text=text)


def button_payload(data: str) -> str:
    """What an `oa.query.show` button sends back for the flows' button `data`."""
    return BUTTON_PREFIX + data

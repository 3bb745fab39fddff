"""Zalo webhook events into channel-neutral messages, and the signature check. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.zalo.events import (
    Rejected,
    button_payload,
    event_to_incoming,
    signature,
    verify,
)
from flows.messages import IncomingKind, Location
from tests.bot import zalo_fixtures as z

USER = "246845883529197922"


def check(raw: bytes, header: str | None, *, now: datetime | None = None) -> dict[str, object]:
    return verify(
        raw, header, app_id=z.APP_ID, oa_secret_key=z.OA_SECRET_KEY,
        now=now or datetime.now(UTC), window_s=300,
    )


def rejected(raw: bytes, header: str | None, **kw: object) -> tuple[int, str]:
    with pytest.raises(Rejected) as info:
        check(raw, header, **kw)  # type: ignore[arg-type]
    return info.value.status, info.value.reason


# ---------------------------------------------------------------- signature


def test_the_official_sample_signature_formula() -> None:
    raw = b'{"app_id":"1","timestamp":"2"}'
    import hashlib

    assert signature("1", raw, "2", "k") == hashlib.sha256(b"1" + raw + b"2k").hexdigest()


def test_a_correctly_signed_event_passes_with_or_without_the_mac_prefix() -> None:
    event = z.text(USER, "chào")
    raw = z.raw_body(event)
    header = z.signed(raw, event)
    assert check(raw, header)["event_name"] == "user_send_text"
    assert check(raw, header.removeprefix("mac="))["event_name"] == "user_send_text"
    assert check(raw, "MAC=" + header[4:].upper())["event_name"] == "user_send_text"


def test_unsigned_wrongly_signed_and_tampered_events_are_refused() -> None:
    event = z.text(USER, "chào")
    raw = z.raw_body(event)
    assert rejected(raw, None) == (401, "missing_signature")
    assert rejected(raw, "mac=") == (401, "missing_signature")
    assert rejected(raw, z.signed(raw, event, key="app-secret")) == (401, "bad_signature")
    tampered = raw.replace("chào".encode(), "chàoo".encode())
    assert rejected(tampered, z.signed(raw, event)) == (401, "bad_signature")


def test_stale_and_future_events_are_refused_even_when_signed() -> None:
    event = z.text(USER, "chào")
    raw = z.raw_body(event)
    header = z.signed(raw, event)
    assert rejected(raw, header, now=datetime.now(UTC) + timedelta(minutes=6)) == (403, "stale")
    assert rejected(raw, header, now=datetime.now(UTC) - timedelta(minutes=6)) == (403, "stale")
    assert check(raw, header, now=datetime.now(UTC) + timedelta(minutes=4))


def test_malformed_bodies_and_other_apps_are_refused() -> None:
    assert rejected(b"not json", "mac=ab") == (400, "malformed")
    assert rejected(b"[1, 2]", "mac=ab") == (400, "malformed")
    assert rejected(b'{"app_id":"1234"}', "mac=ab") == (400, "malformed")
    other = z.text(USER, "x")
    other["app_id"] = "999"
    raw = z.raw_body(other)
    assert rejected(raw, z.signed(raw, other)) == (403, "wrong_app")
    not_ms = z.text(USER, "x")
    not_ms["timestamp"] = "yesterday"
    raw = z.raw_body(not_ms)
    assert rejected(raw, z.signed(raw, not_ms)) == (400, "malformed")
    assert rejected(b" " * 70_000, "mac=ab") == (413, "too_large")


# ---------------------------------------------------------------- events


def test_a_text_becomes_a_text_from_the_sender() -> None:
    event = z.text(USER, "/start")
    incoming = event_to_incoming(event)
    assert incoming is not None
    assert (incoming.channel, incoming.user_id, incoming.kind) == ("zalo", USER, IncomingKind.TEXT)
    assert incoming.command == "start"
    assert incoming.event_id == event["message"]["msg_id"] == incoming.message_ref
    assert incoming.first_name == ""


def test_a_pressed_query_button_comes_back_as_the_flows_button_data() -> None:
    incoming = event_to_incoming(z.text(USER, button_payload("menu:policy")))
    assert incoming is not None
    assert (incoming.kind, incoming.button) == (IncomingKind.BUTTON, "menu:policy")
    plain = event_to_incoming(z.text(USER, "#btn"))
    assert plain is not None and plain.kind is IncomingKind.TEXT


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (z.image(USER, caption="giấy tờ"), "photo"),
        (z.sticker(USER), "sticker"),
        (z.file(USER), "document"),
        (z.media("user_send_audio", USER), "voice"),
        (z.media("user_send_gif", USER), "animation"),
        (z.media("user_send_video", USER), "video"),
        (z.media("user_send_link", USER), "link"),
    ],
)
def test_media_events_become_media(event: dict[str, object], kind: str) -> None:
    incoming = event_to_incoming(event)
    assert incoming is not None and incoming.kind is IncomingKind.MEDIA
    assert incoming.attachment is not None and incoming.attachment.kind == kind
    assert incoming.attachment.ref.startswith("https://")


def test_an_image_keeps_its_caption() -> None:
    incoming = event_to_incoming(z.image(USER, caption="giấy tờ"))
    assert incoming is not None and incoming.attachment is not None
    assert incoming.attachment.caption == "giấy tờ"


@pytest.mark.parametrize(
    ("lat", "lon", "shape"),
    [
        ("10.76", "106.65", "coordinates"),
        (10.76, 106.65, "coordinates"),
        ("10.76", "106.65", "lat_long"),
        (10.76, 106.65, "message_location"),
    ],
)
def test_locations_in_every_shape_seen(lat: object, lon: object, shape: str) -> None:
    incoming = event_to_incoming(z.location(USER, lat, lon, shape))
    assert incoming is not None and incoming.kind is IncomingKind.LOCATION
    assert incoming.location == Location(10.76, 106.65)


def test_an_unreadable_location_is_media_not_a_crash() -> None:
    incoming = event_to_incoming(z.location(USER, "north", "", "coordinates"))
    assert incoming is not None and incoming.kind is IncomingKind.MEDIA
    assert incoming.attachment is not None and incoming.attachment.kind == "location"


def test_follow_and_unfollow_become_joined_and_left_with_a_stable_id() -> None:
    followed = z.follow(USER)
    joined = event_to_incoming(followed)
    left = event_to_incoming(z.follow(USER, "unfollow"))
    assert joined is not None and left is not None
    assert (joined.kind, left.kind) == (IncomingKind.JOINED, IncomingKind.LEFT)
    assert joined.user_id == USER
    assert joined.event_id == f"follow:{USER}:{followed['timestamp']}"
    assert event_to_incoming(dict(followed)) == joined


def test_the_oas_own_echoes_and_unknown_events_are_ignored() -> None:
    assert event_to_incoming(z.oa_echo(USER, "Xin chào")) is None
    assert event_to_incoming(z.envelope("user_seen_message", USER, {})) is None
    assert event_to_incoming(z.envelope("anonymous_send_text", USER, {"text": "hi"})) is None
    no_sender = z.text(USER, "hi")
    del no_sender["sender"]
    assert event_to_incoming(no_sender) is None

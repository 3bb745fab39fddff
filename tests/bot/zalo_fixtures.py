"""Zalo test helpers: webhook events shaped like the ones Zalo sends, signing, the config and
fixtures that run the real channel against the local Zalo API stand-in."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Core, assemble, open_core
from bot.channels.zalo.events import signature
from bot.config import Config, build_config
from bot.hotline import Hotline
from tests.standin.bot_api import free_port
from tests.standin.zalo_api import ZaloApiStandIn, ZaloCall

APP_ID = "1234"
APP_SECRET = "app-secret"
OA_SECRET_KEY = "oa-secret-key"
OA_ID = "388613280878808645"

_msg_ids = itertools.count(1)
SIGN: Any = object()  # post_event default: a correct signature


# ---------------------------------------------------------------- events


def now_ms(offset_s: float = 0.0) -> str:
    return str(int((time.time() + offset_s) * 1000))


def envelope(name: str, user: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "app_id": APP_ID,
        "sender": {"id": user},
        "user_id_by_app": "552177279717587730",
        "recipient": {"id": OA_ID},
        "event_name": name,
        "timestamp": now_ms(),
    }
    if message is not None:
        event["message"] = {"msg_id": f"msg{next(_msg_ids):06d}", **message}
    return event


def text(user: str, body: str) -> dict[str, Any]:
    return envelope("user_send_text", user, {"text": body})


def attachment(name: str, user: str, kind: str, payload: dict[str, Any], caption: str = ""):
    message: dict[str, Any] = {"attachments": [{"type": kind, "payload": payload}]}
    if caption:
        message["text"] = caption
    return envelope(name, user, message)


def image(user: str, caption: str = "") -> dict[str, Any]:
    payload = {"thumbnail": "https://photo.example/t.jpg", "url": "https://photo.example/i.jpg"}
    return attachment("user_send_image", user, "image", payload, caption)


def sticker(user: str) -> dict[str, Any]:
    payload = {"id": "bfe458bf64fa8da4d4eb", "url": "https://zalo.example/sticker"}
    return attachment("user_send_sticker", user, "sticker", payload)


def file(user: str) -> dict[str, Any]:
    payload = {"url": "https://file.example/f", "name": "don.pdf", "size": "2048",
               "checksum": "abc", "type": "pdf"}
    return attachment("user_send_file", user, "file", payload)


def media(name: str, user: str) -> dict[str, Any]:
    kind = name.removeprefix("user_send_")
    return attachment(name, user, kind, {"url": f"https://zalo.example/{kind}"})


def location(user: str, lat: Any, lon: Any, shape: str = "coordinates") -> dict[str, Any]:
    if shape == "coordinates":
        payload = {"coordinates": {"latitude": lat, "longitude": lon}}
        return attachment("user_send_location", user, "location", payload)
    if shape == "lat_long":
        payload = {"coordinates": {"lat": lat, "long": lon}}
        return attachment("user_send_location", user, "location", payload)
    return envelope("user_send_location", user, {"location": {"latitude": lat, "longitude": lon}})


def follow(user: str, name: str = "follow") -> dict[str, Any]:
    return {
        "oa_id": OA_ID,
        "follower": {"id": user},
        "event_name": name,
        "source": "oa_profile",
        "app_id": APP_ID,
        "timestamp": now_ms(),
    }


def oa_echo(user: str, body: str) -> dict[str, Any]:
    event = envelope("oa_send_text", OA_ID, {"text": body})
    event["recipient"] = {"id": user}
    return event


# ---------------------------------------------------------------- signing and posting


def raw_body(event: dict[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def signed(raw: bytes, event: dict[str, Any], key: str = OA_SECRET_KEY) -> str:
    return "mac=" + signature(str(event["app_id"]), raw, str(event["timestamp"]), key)


async def post_event(
    url: str,
    event: dict[str, Any],
    *,
    header: Any = SIGN,
    raw: bytes | None = None,
) -> httpx.Response:
    """POST an event as Zalo does; `header=None` sends no signature."""
    raw = raw_body(event) if raw is None else raw
    headers = {"Content-Type": "application/json"}
    if header is SIGN:
        headers["X-ZEvent-Signature"] = signed(raw, event)
    elif header is not None:
        headers["X-ZEvent-Signature"] = header
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await client.post(url, content=raw, headers=headers)


# ---------------------------------------------------------------- config and fixtures


def zalo_config(db_path: Path, api: ZaloApiStandIn, **zalo: Any) -> Config:
    access, refresh = api.issue_tokens()
    return build_config(
        {
            "zalo": {
                "enabled": True,
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
                "oa_secret_key": OA_SECRET_KEY,
                "access_token": access,
                "refresh_token": refresh,
                "api_base_url": api.base_url,
                "oauth_base_url": api.base_url,
                **zalo,
            },
            "web": {"port": free_port()},
            "database": {"url": f"sqlite:///{db_path}"},
            "delivery": {"base_delay": 0.05, "max_attempts": 4},
        },
        env={},
    )


@pytest.fixture
async def zalo_api() -> AsyncIterator[ZaloApiStandIn]:
    async with ZaloApiStandIn(app_id=APP_ID, app_secret=APP_SECRET) as api:
        yield api


@pytest.fixture
async def zalo_core(db_path: Path, zalo_api: ZaloApiStandIn) -> AsyncIterator[Core]:
    core = await open_core(zalo_config(db_path, zalo_api))
    yield core
    await core.close()


@pytest.fixture
async def zalo_channel(zalo_core: Core) -> AsyncIterator[Hotline]:
    hotline = assemble(zalo_core)
    await hotline.start()
    yield hotline
    await hotline.stop()


def webhook_url(hotline: Hotline) -> str:
    """The Zalo webhook in the hotline's one web app."""
    assert hotline.web is not None
    return f"http://127.0.0.1:{hotline.web.port}/{hotline.core.config.zalo.webhook_path}"


def reply_to(user: str, contains: str = "") -> Callable[[ZaloCall], bool]:
    def match(call: ZaloCall) -> bool:
        return call.ok and call.user_id == user and contains in call.text

    return match

"""The Zalo OA client against the local stand-in: message shapes, token rotation, errors."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import Core, open_core
from bot.channels.zalo.api import TokenManager, ZaloApi, ZaloSender
from bot.delivery import RetryLater, Undeliverable
from bot.store.zalo_tokens import ZaloTokens, ZaloTokenStore
from flows.messages import Button, Outgoing
from tests.bot.zalo_fixtures import APP_ID, zalo_api, zalo_config  # noqa: F401
from tests.standin.zalo_api import ZaloApiStandIn

USER = "246845883529197922"


class Parts:
    def __init__(self, core: Core, api: ZaloApiStandIn) -> None:
        self.core = core
        self.client = httpx.AsyncClient(timeout=5.0)
        self.store = ZaloTokenStore(core.store, APP_ID)
        self.tokens = TokenManager(core.config.zalo, self.client, self.store, core.clock)
        self.api = ZaloApi(core.config.zalo, self.client, self.tokens)
        self.sender = ZaloSender(self.api, core.services.render, core.store.outbox,
                                 core.clock)


@pytest.fixture
async def parts(db_path: Path, zalo_api: ZaloApiStandIn) -> AsyncIterator[Parts]:  # noqa: F811
    core = await open_core(zalo_config(db_path, zalo_api))
    made = Parts(core, zalo_api)
    await made.tokens.load()
    yield made
    await made.client.aclose()
    await core.close()


def menu(n: int) -> tuple[tuple[Button, ...], ...]:
    return tuple((Button(f"Nút {i}", f"menu:{i}"),) for i in range(n))


# ---------------------------------------------------------------- shapes


async def test_a_text_with_buttons_becomes_query_buttons_whose_payload_is_the_label(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    ref = await parts.sender.send(USER, Outgoing("Bạn cần giúp gì?", buttons=menu(3)))
    (call,) = zalo_api.sends(USER)
    assert ref == call.answer["data"]["message_id"]
    assert call.text == "Bạn cần giúp gì?"
    # Zalo shows a pressed query button's payload as the person's message: the label reads
    # naturally there, and the offer is remembered so the label leads back to the data.
    assert call.buttons == [(f"Nút {i}", f"Nút {i}") for i in range(3)]
    for i in range(3):
        assert await parts.core.store.outbox.offered_button("zalo", USER, f"Nút {i}") == f"menu:{i}"
    assert call.headers["access_token"] in zalo_api.access_tokens


async def test_long_text_is_split_at_2000_with_the_buttons_on_the_last_part(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    paragraph = "Trợ cấp xã hội hằng tháng. " * 60  # about 1600 characters
    text = "\n\n".join([paragraph] * 3)
    await parts.sender.send(USER, Outgoing(text, buttons=menu(2)))
    sends = zalo_api.sends(USER)
    assert len(sends) == 3 and all(len(c.text) <= 2000 for c in sends)
    assert [bool(c.buttons) for c in sends] == [False, False, True]
    assert "".join(c.text for c in sends).replace(" ", "") == text.replace(" ", "").replace(
        "\n", ""
    )


async def test_more_than_five_buttons_go_in_several_templates_and_titles_are_cut(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    buttons = menu(6) + ((Button("Rất dài " * 30, "menu:long"),),)
    await parts.sender.send(USER, Outgoing("Chọn một mục", buttons=buttons))
    first, second = zalo_api.sends(USER)
    assert len(first.buttons) == 5 and len(second.buttons) == 2
    assert first.text == "Chọn một mục"
    assert len(second.buttons[1][0]) == 100 and second.buttons[1][1] == second.buttons[1][0]


async def test_a_location_request_adds_the_zalo_hint_from_the_template(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    await parts.sender.send(USER, Outgoing("Bạn đang ở đâu?", location_button="📍 Gửi vị trí"))
    (call,) = zalo_api.sends(USER)
    assert call.text.startswith("Bạn đang ở đâu?\n\n📍")
    assert "Vị trí" in call.text


async def test_images_and_files_by_url_and_token(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    await parts.api.send_image(USER, url="https://example.org/a.png", caption="Sơ đồ")
    await parts.api.send_file(USER, "file-token")
    image, document = zalo_api.sends(USER)
    element = image.message["attachment"]["payload"]["elements"][0]
    assert element == {"media_type": "image", "url": "https://example.org/a.png"}
    assert image.text == "Sơ đồ"
    assert document.message["attachment"] == {"type": "file", "payload": {"token": "file-token"}}


# ---------------------------------------------------------------- tokens


async def test_an_expired_token_is_refreshed_rotated_stored_and_the_send_retried_once(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    first_refresh = parts.tokens.tokens.refresh_token  # type: ignore[union-attr]
    zalo_api.expire_access_tokens()
    await parts.sender.send(USER, Outgoing("Xin chào"))
    refused, delivered = zalo_api.sends(USER, ok=None)
    assert refused.answer["error"] == -216 and delivered.ok
    assert first_refresh in zalo_api.spent_refresh_tokens
    stored = await parts.store.load()
    assert stored is not None and stored.refresh_token in zalo_api.refresh_tokens
    assert stored.access_token == delivered.headers["access_token"]
    assert stored.expires_at is not None
    assert stored.expires_at > datetime.now(UTC) + timedelta(hours=24)

    # A second expiry uses the rotated refresh token; the spent one would be refused.
    zalo_api.expire_access_tokens()
    await parts.sender.send(USER, Outgoing("Lần hai"))
    assert [c.answer.get("error") for c in zalo_api.refreshes()] == [None, None]
    assert len(zalo_api.spent_refresh_tokens) == 2


async def test_concurrent_sends_share_one_refresh(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    zalo_api.expire_access_tokens()
    zalo_api.refresh_delay = 0.2
    await asyncio.gather(*(parts.sender.send(f"u{i}", Outgoing("Xin chào")) for i in range(5)))
    assert len(zalo_api.refreshes()) == 1
    assert len([c for c in zalo_api.sends(ok=True)]) == 5


async def test_a_token_about_to_expire_is_refreshed_before_sending(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    tokens = parts.tokens.tokens
    assert tokens is not None
    parts.tokens.tokens = ZaloTokens(
        tokens.access_token, tokens.refresh_token, datetime.now(UTC) + timedelta(minutes=2)
    )
    await parts.sender.send(USER, Outgoing("Xin chào"))
    assert len(zalo_api.refreshes()) == 1
    assert [c.ok for c in zalo_api.sends(ok=None)] == [True]


async def test_the_stored_pair_is_preferred_over_the_config_at_start(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    access, refresh = zalo_api.issue_tokens()
    await parts.store.save(ZaloTokens(access, refresh, datetime.now(UTC) + timedelta(hours=20)))
    fresh = TokenManager(parts.core.config.zalo, parts.client, parts.store, parts.core.clock)
    await fresh.load()
    assert await fresh.access_token() == access
    assert access != parts.core.config.zalo.access_token


async def test_a_spent_refresh_token_is_refused_and_the_send_is_kept_for_later(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    tokens = parts.tokens.tokens
    assert tokens is not None
    zalo_api.refresh_tokens.discard(tokens.refresh_token)  # as if used by another process
    zalo_api.expire_access_tokens()
    with pytest.raises(RetryLater, match="zalo_token"):
        await parts.sender.send(USER, Outgoing("Xin chào"))
    assert zalo_api.refreshes()[0].answer["error"] == -14014
    assert await parts.store.load() is None  # nothing half-written


# ---------------------------------------------------------------- errors


async def test_outside_the_interaction_window_is_undeliverable_with_a_zalo_window_reason(
    parts: Parts, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    for code in (-230, -213, -201):
        zalo_api.fail_next(error=code)
        with pytest.raises(Undeliverable, match="^zalo_window"):
            await parts.sender.send(USER, Outgoing("Xin chào"))


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ({"status": 429, "retry_after": 2}, "zalo_rate"),
        ({"error": -32}, "zalo_rate"),
        ({"status": 502}, "http 502"),
        ({"error": -999}, "zalo error -999"),
    ],
)
async def test_rate_quota_server_and_unknown_errors_are_retried_later(
    parts: Parts, zalo_api: ZaloApiStandIn, script: dict[str, int], reason: str  # noqa: F811
) -> None:
    zalo_api.fail_next(**script)
    with pytest.raises(RetryLater, match=reason) as info:
        await parts.sender.send(USER, Outgoing("Xin chào"))
    if "retry_after" in script:
        assert info.value.after == 2.0


async def test_a_network_failure_is_retried_later(parts: Parts) -> None:
    # Nothing listens on the discard port: the connection is refused.
    parts.api.config = dataclasses.replace(parts.core.config.zalo, api_base_url="http://127.0.0.1:9")
    with pytest.raises(RetryLater, match="network"):
        await parts.sender.send(USER, Outgoing("Xin chào"))

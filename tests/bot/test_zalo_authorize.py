"""The first authorisation (PKCE) against the OAuth stand-in, and its tokens put to use."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import assemble, oauth_client, open_core, wall_clock
from bot.channels.zalo.api import OAuthError
from bot.channels.zalo.authorize import (
    code_challenge,
    exchange_code,
    start_authorization,
    store_tokens,
)
from bot.config import build_config
from bot.store.zalo_tokens import ZaloTokenStore
from tests.bot import zalo_fixtures as z
from tests.bot.zalo_fixtures import reply_to, webhook_url, zalo_api  # noqa: F401
from tests.standin.zalo_api import ZaloApiStandIn


def test_the_permission_url_carries_the_s256_challenge_of_the_verifier() -> None:
    config = build_config(
        {"zalo": {"app_id": z.APP_ID, "oauth_base_url": "https://oauth.zaloapp.com"}}, env={}
    )
    auth = start_authorization(config, "https://hotline.example.org/zalo/callback")
    url = urlsplit(auth.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://oauth.zaloapp.com/v4/oa/permission"
    )
    digest = hashlib.sha256(auth.code_verifier.encode()).digest()
    assert query == {
        "app_id": z.APP_ID,
        "redirect_uri": "https://hotline.example.org/zalo/callback",
        "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        "state": auth.state,
    }
    assert 43 <= len(auth.code_verifier) <= 128
    assert auth.code_verifier not in repr(auth)
    assert start_authorization(config, "x").state != auth.state


async def test_a_code_is_exchanged_stored_and_used_by_the_channel(
    db_path: Path, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    config = z.zalo_config(db_path, zalo_api, access_token="", refresh_token="")
    auth = start_authorization(config, "https://hotline.example.org/zalo/callback")
    zalo_api.expect_authorization("the-code", code_challenge(auth.code_verifier))

    async with oauth_client() as client:
        tokens = await exchange_code(client, config, "the-code", auth.code_verifier,
                                     now=wall_clock())
    assert tokens.access_token in zalo_api.access_tokens
    assert zalo_api.calls[-1].body["grant_type"] == "authorization_code"

    core = await open_core(config)
    await store_tokens(core.store, config, tokens)
    assert await ZaloTokenStore(core.store, z.APP_ID).load() == tokens
    channel = assemble(core)
    await channel.start()
    try:
        await z.post_event(webhook_url(channel), z.text("501", "/help"))
        delivered = await zalo_api.wait_for(reply_to("501", "/huy"))
        assert delivered.headers["access_token"] == tokens.access_token
    finally:
        await channel.stop()
        await core.close()


async def test_a_wrong_verifier_or_a_reused_code_is_refused(
    db_path: Path, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    config = z.zalo_config(db_path, zalo_api)
    auth = start_authorization(config, "https://hotline.example.org/cb")
    zalo_api.expect_authorization("code-1", code_challenge(auth.code_verifier))
    async with oauth_client() as client:
        with pytest.raises(OAuthError):
            await exchange_code(client, config, "code-1", "not-the-verifier" * 3,
                                now=wall_clock())
        with pytest.raises(OAuthError):
            # spent by the first try
            await exchange_code(client, config, "code-1", auth.code_verifier, now=wall_clock())


async def test_the_authorize_command_exchanges_the_code_and_stores_the_tokens(
    db_path: Path, zalo_api: ZaloApiStandIn, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    from bot.cli import zalo_authorize

    config = z.zalo_config(db_path, zalo_api, access_token="", refresh_token="")
    verifier = "v" * 64
    zalo_api.expect_authorization("code-from-zalo", code_challenge(verifier))
    status = await zalo_authorize(config, "https://hotline.example.org/zalo/callback",
                                  "code-from-zalo", verifier, clock=wall_clock)
    assert status == 0
    assert "Zalo tokens stored" in capsys.readouterr().out
    core = await open_core(config)
    stored = await ZaloTokenStore(core.store, z.APP_ID).load()
    await core.close()
    assert stored is not None and stored.access_token in zalo_api.access_tokens
    refused = await zalo_authorize(config, "https://hotline.example.org/zalo/callback",
                                   "a-wrong-code", verifier, clock=wall_clock)
    assert refused == 1 and "Zalo refused the code" in capsys.readouterr().err

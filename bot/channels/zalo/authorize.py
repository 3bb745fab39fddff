"""The first authorisation of the OA (OAuth v4 with PKCE), for `hotline zalo authorize`.

1. `start_authorization(config, redirect_uri)` makes a code verifier, its S256 challenge and a
   state, and the permission URL an OA administrator opens in a browser.
2. Zalo redirects to `redirect_uri?code=…&oa_id=…&state=…`; check the state.
3. `exchange_code(client, config, code, code_verifier, now=…)` trades the code (valid 10
   minutes) for tokens.
4. `store_tokens(store, config, tokens)` keeps them in the database; the channel prefers them
   over the config at its next start and rotates them from then on.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import httpx

from bot.channels.zalo.api import request_tokens
from bot.config import Config, ZaloConfig
from bot.store.port import EdgeStore
from bot.store.zalo_tokens import ZaloTokens, ZaloTokenStore


@dataclass(frozen=True)
class Authorization:
    url: str  # open this in a browser, logged in as an OA administrator
    code_verifier: str  # keep it for exchange_code
    state: str  # compare with the `state` Zalo sends back to the redirect URI

    def __repr__(self) -> str:
        return f"Authorization(url={self.url!r})"


def _zalo(config: Config | ZaloConfig) -> ZaloConfig:
    return config.zalo if isinstance(config, Config) else config


def new_code_verifier() -> str:
    """43 characters of [A-Za-z0-9_-] (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(32)


def code_challenge(code_verifier: str) -> str:
    """S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def permission_url(
    config: Config | ZaloConfig, redirect_uri: str, code_verifier: str, state: str
) -> str:
    zalo = _zalo(config)
    query = urlencode(
        {
            "app_id": zalo.app_id,
            "redirect_uri": redirect_uri,
            "code_challenge": code_challenge(code_verifier),
            "state": state,
        }
    )
    return f"{zalo.oauth_base_url}/v4/oa/permission?{query}"


def start_authorization(config: Config | ZaloConfig, redirect_uri: str) -> Authorization:
    verifier = new_code_verifier()
    state = secrets.token_urlsafe(16)
    return Authorization(permission_url(config, redirect_uri, verifier, state), verifier, state)


async def exchange_code(
    client: httpx.AsyncClient,
    config: Config | ZaloConfig,
    code: str,
    code_verifier: str,
    *,
    now: datetime,
) -> ZaloTokens:
    """Trade an authorisation code for the first token pair (`now`, by the one clock, dates
    its expiry); raises `zalo.api.OAuthError` when Zalo refuses (a wrong or expired code, a
    verifier that does not match). `client`: bot/app.py's `oauth_client()`."""
    form = {"code": code, "grant_type": "authorization_code", "code_verifier": code_verifier}
    return await request_tokens(client, _zalo(config), form, now)


async def store_tokens(
    store: EdgeStore, config: Config | ZaloConfig, tokens: ZaloTokens
) -> None:
    """Keep the pair in the database (the store must be open)."""
    await ZaloTokenStore(store, _zalo(config).app_id).save(tokens)

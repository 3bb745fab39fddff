"""A thin async client of the Zalo OA API v3, its tokens, and its errors mapped for delivery.

Errors a send can end in (what the Deliverer does with them)::

    DeliveryError
     ├── RetryLater      HTTP 429 / 5xx, network trouble, rate and quota errors, an access
     │                   token still refused after one refresh, a refresh that failed, any
     │                   error code we do not know (the Deliverer gives up after max attempts)
     └── Undeliverable   outside the interaction window (-230, -213, -201): the reason starts
                         with "zalo_window" so staff can be told to reach the person otherwise

An expired or invalid access token (-216 and the like) is refreshed and the send retried once.
Zalo's refresh token is single-use: the new pair is written to the database in one transaction
before the new access token is used; a lock in the process and a singleton lease in the database
keep concurrent sends, on this instance or another, to one refresh.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from bot.channels.chunks import split_text
from bot.config import ZaloConfig
from bot.delivery import RetryLater, Undeliverable
from bot.store.zalo_tokens import ZaloTokens, ZaloTokenStore
from flows.messages import Button, Outgoing
from flows.ports import Clock, Renderer

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000  # Zalo refuses longer texts (-210)
MAX_BUTTONS = 5  # per template
TITLE_LIMIT = 100  # characters of a button title
# The payload comes back as the person's text, shown in the chat as if they had typed it, so
# the payload is the label itself; the channel maps it back to the button's data.
BUTTON_TYPE = "oa.query.show"
MORE_BUTTONS_TEXT = "…"  # the text of a second template that only carries more buttons

TOKEN_ERRORS = frozenset({-216, -220, -124})  # access token invalid or expired
WINDOW_ERRORS = frozenset({-230, -213, -201})  # outside the interaction window / not a follower
RATE_ERRORS = frozenset({-32, -211, -218, -223})  # rate limit, out of quota [UNVERIFIED codes]
REFRESH_MARGIN = timedelta(minutes=10)  # refresh this long before the access token expires


class OAuthError(Exception):
    """Zalo's OAuth endpoint refused: `code` is its error number; no token is ever in it."""

    def __init__(self, code: object, description: str) -> None:
        super().__init__(f"zalo oauth error {code}: {description}")
        self.code = code


class NotAuthorised(Exception):
    """No usable token: run the first authorisation (docs/zalo.md)."""


def oauth_url(config: ZaloConfig) -> str:
    return f"{config.oauth_base_url}/v4/oa/access_token"


async def request_tokens(
    client: httpx.AsyncClient,
    config: ZaloConfig,
    form: dict[str, str],
    now: datetime,
) -> ZaloTokens:
    """POST the OAuth token endpoint (refresh or authorisation code) and read the pair;
    `now` (by the one clock) dates its expiry."""
    response = await client.post(
        oauth_url(config),
        headers={"secret_key": config.app_secret},
        data={**form, "app_id": config.app_id},
    )
    try:
        data: Any = response.json()
    except ValueError:
        raise OAuthError(f"http {response.status_code}", "not JSON") from None
    if not isinstance(data, dict) or not data.get("access_token") or not data.get(
        "refresh_token"
    ):
        data = data if isinstance(data, dict) else {}
        raise OAuthError(
            data.get("error", f"http {response.status_code}"),
            str(data.get("error_description") or data.get("error_name") or "no tokens")[:200],
        )
    try:
        expires_at: datetime | None = now + timedelta(seconds=int(str(data.get("expires_in"))))
    except ValueError:
        expires_at = None
    return ZaloTokens(str(data["access_token"]), str(data["refresh_token"]), expires_at)


class TokenManager:
    """The current access token; refreshed ahead of expiry or when Zalo refuses it."""

    def __init__(
        self,
        config: ZaloConfig,
        client: httpx.AsyncClient,
        store: ZaloTokenStore,
        clock: Clock,
    ) -> None:
        self.config = config
        self.client = client
        self.store = store
        self.clock = clock
        self.tokens: ZaloTokens | None = None
        self.refreshes = 0
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Prefer the pair in the database (rotated since); else the one in the config."""
        stored = await self.store.load()
        if stored is not None:
            self.tokens = stored
        elif self.config.access_token or self.config.refresh_token:
            self.tokens = ZaloTokens(self.config.access_token, self.config.refresh_token)
        source = "database" if stored else ("config" if self.tokens else "none")
        log.log(
            logging.INFO if self.tokens else logging.WARNING,
            "zalo tokens loaded",
            extra={"event": "zalo_tokens_loaded", "source": source},
        )

    async def access_token(self) -> str:
        tokens = self.tokens
        if tokens is None:
            raise NotAuthorised("no Zalo tokens: run the first authorisation")
        due = tokens.expires_at is not None and tokens.expires_at - self.clock() < REFRESH_MARGIN
        if not tokens.access_token or due:
            return await self.refresh(tokens.access_token)
        return tokens.access_token

    async def refresh(self, stale: str) -> str:
        """A new access token in place of `stale`; one refresh however many callers ask."""
        async with self._lock, self.store.refreshing():
            # Another instance may have refreshed while this one waited: its pair is stored.
            stored = await self.store.load()
            if stored is not None:
                self.tokens = stored
            tokens = self.tokens
            if tokens is None or not tokens.refresh_token:
                raise NotAuthorised("no Zalo refresh token: run the first authorisation")
            if tokens.access_token and tokens.access_token != stale:
                return tokens.access_token  # another send (or instance) refreshed meanwhile
            form = {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
            new = await request_tokens(self.client, self.config, form, self.clock())
            # The old refresh token is spent now: keep the new pair before anything else.
            await self.store.save(new)
            self.tokens = new
            self.refreshes += 1
            log.info(
                "zalo token refreshed",
                extra={"event": "zalo_token_refreshed", "expires_at": new.expires_at},
            )
            return new.access_token


def _title(label: str) -> str:
    return label if len(label) <= TITLE_LIMIT else label[: TITLE_LIMIT - 1] + "…"


def query_buttons(buttons: list[Button]) -> list[dict[str, Any]]:
    return [
        {"type": BUTTON_TYPE, "title": _title(b.label), "payload": _title(b.label)}
        for b in buttons
    ]


def message_bodies(message: Outgoing, location_hint: str = "") -> list[dict[str, Any]]:
    """The `message` objects for one Outgoing, in sending order.

    Text is split at Zalo's limit; the buttons go with the last part as `oa.query.show`
    buttons, at most five per message; more buttons follow in further messages.
    """
    text = message.text
    if message.location_button and location_hint:
        text = f"{text}\n\n{location_hint}" if text else location_hint
    parts = split_text(text, TEXT_LIMIT) if text else [MORE_BUTTONS_TEXT]
    buttons = message.button_list()
    groups = [buttons[i : i + MAX_BUTTONS] for i in range(0, len(buttons), MAX_BUTTONS)]
    bodies: list[dict[str, Any]] = [{"text": part} for part in parts]
    for i, group in enumerate(groups):
        attachment = {"type": "template", "payload": {"buttons": query_buttons(group)}}
        if i == 0:
            bodies[-1]["attachment"] = attachment
        else:
            bodies.append({"text": MORE_BUTTONS_TEXT, "attachment": attachment})
    return bodies


class ZaloApi:
    """POST /v3.0/oa/message/cs with the OA's access token; errors mapped as above."""

    def __init__(self, config: ZaloConfig, client: httpx.AsyncClient, tokens: TokenManager):
        self.config = config
        self.client = client
        self.tokens = tokens

    @property
    def message_url(self) -> str:
        return f"{self.config.api_base_url}/v3.0/oa/message/cs"

    async def send_message(self, user_id: str, message: dict[str, Any]) -> str:
        """Send one consultation message; returns Zalo's message id."""
        try:
            token = await self.tokens.access_token()
        except (NotAuthorised, OAuthError, httpx.HTTPError) as exc:
            raise self._token_trouble(exc) from exc
        body = {"recipient": {"user_id": user_id}, "message": message}
        for attempt in (1, 2):
            data = await self._post(body, token)
            code = data.get("error")
            if code == 0:
                result = data.get("data")
                return str(result.get("message_id", "")) if isinstance(result, dict) else ""
            if code in TOKEN_ERRORS and attempt == 1:
                try:
                    token = await self.tokens.refresh(token)
                except (NotAuthorised, OAuthError, httpx.HTTPError) as exc:
                    raise self._token_trouble(exc) from exc
                continue
            raise self._mapped(code, str(data.get("message", ""))[:120])
        raise AssertionError("unreachable")

    async def send_text(self, user_id: str, text: str) -> str:
        return await self.send_message(user_id, {"text": text})

    async def send_image(
        self, user_id: str, *, url: str = "", attachment_id: str = "", caption: str = ""
    ) -> str:
        """An image by public URL or by the attachment id of an upload."""
        element: dict[str, Any] = {"media_type": "image"}
        if attachment_id:
            element["attachment_id"] = attachment_id
        else:
            element["url"] = url
        message: dict[str, Any] = {
            "attachment": {
                "type": "template",
                "payload": {"template_type": "media", "elements": [element]},
            }
        }
        if caption:
            message["text"] = caption
        return await self.send_message(user_id, message)

    async def send_file(self, user_id: str, token: str) -> str:
        """A file by the token of an upload (/v2.0/oa/upload/file)."""
        message = {"attachment": {"type": "file", "payload": {"token": token}}}
        return await self.send_message(user_id, message)

    async def _post(self, body: dict[str, Any], token: str) -> dict[str, Any]:
        try:
            response = await self.client.post(
                self.message_url, json=body, headers={"access_token": token}
            )
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken responses
            raise RetryLater(f"zalo network: {type(exc).__name__}") from exc
        if response.status_code == 429:
            raise RetryLater("zalo_rate: http 429", after=_retry_after(response))
        if response.status_code >= 400:
            raise RetryLater(f"zalo http {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise RetryLater("zalo answer is not JSON") from None
        if not isinstance(data, dict):
            raise RetryLater("zalo answer is not an object")
        return data

    def _mapped(self, code: object, text: str) -> Exception:
        if code in WINDOW_ERRORS:
            log.warning(
                "zalo window closed", extra={"event": "zalo_window_closed", "code": code}
            )
            return Undeliverable(f"zalo_window: error {code}: {text}")
        if code in RATE_ERRORS:
            return RetryLater(f"zalo_rate: error {code}: {text}")
        if code in TOKEN_ERRORS:
            return RetryLater(f"zalo_token: error {code} after a refresh")
        return RetryLater(f"zalo error {code}: {text}")

    def _token_trouble(self, exc: Exception) -> RetryLater:
        log.error(
            "zalo token unavailable",
            extra={"event": "zalo_token_unavailable", "error": type(exc).__name__,
                   "code": getattr(exc, "code", "")},
        )
        return RetryLater(f"zalo_token: {type(exc).__name__}", after=60.0)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


class ButtonMemory(Protocol):
    async def remember_buttons(
        self, channel: str, recipient: str, buttons: Sequence[tuple[str, str]], at: datetime
    ) -> None: ...


class ZaloSender:
    """Outgoing -> Zalo messages (the Deliverer's Sender)."""

    def __init__(
        self, api: ZaloApi, render: Renderer, buttons: ButtonMemory, clock: Clock
    ) -> None:
        self.api = api
        self.render = render
        self.buttons = buttons
        self.clock = clock

    async def send(self, recipient: str, message: Outgoing) -> str:
        offered = [(_title(b.label), b.data) for b in message.button_list()]
        if offered:  # before sending: a press can come back before the send returns
            await self.buttons.remember_buttons("zalo", recipient, offered, self.clock())
        hint = ""
        if message.location_button:
            hint = self.render.render("zalo_location_hint", label=message.location_button)
        ref = ""
        for body in message_bodies(message, hint):
            ref = await self.api.send_message(recipient, body)
        return ref

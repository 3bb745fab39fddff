"""A local stand-in of the Zalo OA API v3 and its OAuth v4 endpoint (starlette + uvicorn on
127.0.0.1, on the current asyncio loop), for tests.

    async with ZaloApiStandIn(app_id="1234", app_secret="app-secret") as zalo:
        access, refresh = zalo.issue_tokens()
        # config: zalo.api_base_url = zalo.oauth_base_url = zalo.base_url

What it enforces, like Zalo: the `access_token` header must be a token it issued and not yet
expired (else error -216); a refresh token works once (a reused one gets error -14014); the
OAuth endpoint wants the app secret in `secret_key`; an authorisation code needs the PKCE
verifier whose S256 challenge was registered with `expect_authorization`; texts over 2000
characters, more than 5 buttons or titles over 100 characters get error -210.

Scripting: `fail_next(error=-230)` answers the next send with a Zalo error code,
`fail_next(status=429, retry_after=1)` with an HTTP status; `expire_access_tokens()` makes every
issued access token stale. Every request is recorded as a `ZaloCall`; see `wait_for`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SEND_PATH = "/v3.0/oa/message/cs"
TOKEN_PATH = "/v4/oa/access_token"


@dataclass
class ZaloCall:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.answer.get("error", 0) == 0

    @property
    def user_id(self) -> str:
        return str((self.body.get("recipient") or {}).get("user_id", ""))

    @property
    def message(self) -> dict[str, Any]:
        return dict(self.body.get("message") or {})

    @property
    def text(self) -> str:
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(title, payload) of the query buttons of this message."""
        attachment = self.message.get("attachment") or {}
        payload = attachment.get("payload") or {}
        return [(b["title"], b["payload"]) for b in payload.get("buttons", [])]


@dataclass
class _Failure:
    status: int
    error: int | None
    message: str
    retry_after: float | None
    remaining: int


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ZaloApiStandIn:
    def __init__(
        self, *, app_id: str = "1234", app_secret: str = "app-secret", expires_in: int = 90000
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.expires_in = expires_in
        self.calls: list[ZaloCall] = []
        self.access_tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.refresh_tokens: set[str] = set()
        self.spent_refresh_tokens: set[str] = set()
        self.authorizations: dict[str, str] = {}  # code -> S256 challenge
        self.send_delay = 0.0
        self.refresh_delay = 0.0
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0
        self.app = Starlette(
            routes=[
                Route(SEND_PATH, self._send, methods=["POST"]),
                Route(TOKEN_PATH, self._token, methods=["POST"]),
            ]
        )

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> ZaloApiStandIn:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, lifespan="off", http="h11", ws="none"
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            if self._task.done():
                await self._task
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    async def __aenter__(self) -> ZaloApiStandIn:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- scripting ------------------------------------------------------------------------

    def issue_tokens(self) -> tuple[str, str]:
        """A fresh (access token, refresh token) pair, as a first authorisation gives."""
        access = f"access-{secrets.token_hex(6)}"
        refresh = f"refresh-{secrets.token_hex(6)}"
        self.access_tokens[access] = time.monotonic() + self.expires_in
        self.refresh_tokens.add(refresh)
        return access, refresh

    def expire_access_tokens(self) -> None:
        for token in self.access_tokens:
            self.access_tokens[token] = 0.0

    def expect_authorization(self, code: str, code_challenge: str) -> None:
        self.authorizations[code] = code_challenge

    def fail_next(
        self,
        *,
        error: int | None = None,
        status: int = 200,
        message: str = "",
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` sends with a Zalo error code or an HTTP status."""
        self._failures.append(
            _Failure(status, error, message or f"scripted error {error}", retry_after, times)
        )

    # ---- reading --------------------------------------------------------------------------

    def sends(self, user_id: str | None = None, *, ok: bool | None = True) -> list[ZaloCall]:
        return [
            c
            for c in self.calls
            if c.path == SEND_PATH
            and (user_id is None or c.user_id == user_id)
            and (ok is None or c.ok == ok)
        ]

    def refreshes(self) -> list[ZaloCall]:
        return [
            c for c in self.calls
            if c.path == TOKEN_PATH and c.body.get("grant_type") == "refresh_token"
        ]

    def mark(self) -> int:
        return len(self.calls)

    async def wait_for(
        self,
        match: Callable[[ZaloCall], bool],
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait is the test idiom here
    ) -> ZaloCall:
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[since:]:
                if match(call):
                    return call
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching Zalo call within {timeout}s: {self.calls}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)

    def _record(self, call: ZaloCall) -> JSONResponse:
        call.at = time.monotonic()
        self.calls.append(call)
        self._changed.set()
        headers = {}
        if call.status == 429 and call.answer.get("retry_after") is not None:
            headers["Retry-After"] = str(call.answer["retry_after"])
        return JSONResponse(call.answer, status_code=call.status, headers=headers)

    # ---- endpoints ------------------------------------------------------------------------

    async def _send(self, request: Request) -> JSONResponse:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        headers = dict(request.headers)
        try:
            body = await request.json()
        except ValueError:
            body = {}
        call = ZaloCall(SEND_PATH, headers, body if isinstance(body, dict) else {})
        if self._failures:
            failure = self._failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.pop(0)
            call.status = failure.status
            if failure.error is not None:
                call.answer = {"error": failure.error, "message": failure.message}
            else:
                call.answer = {"error": -1, "message": "http error",
                               "retry_after": failure.retry_after}
            return self._record(call)
        token = headers.get("access_token", "")
        if self.access_tokens.get(token, 0.0) < time.monotonic():
            call.answer = {"error": -216, "message": "Access token is invalid"}
            return self._record(call)
        problem = _invalid(call)
        if problem:
            call.answer = {"error": -210, "message": problem}
            return self._record(call)
        call.answer = {
            "error": 0,
            "message": "Success",
            "data": {"message_id": f"oa-msg-{next(self._ids)}", "user_id": call.user_id},
        }
        return self._record(call)

    async def _token(self, request: Request) -> JSONResponse:
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        # urlencoded by hand: starlette's form parser needs python-multipart
        form = dict(parse_qsl((await request.body()).decode()))
        call = ZaloCall(TOKEN_PATH, dict(request.headers), form)
        secret = request.headers.get("secret_key")
        if secret != self.app_secret or form.get("app_id") != self.app_id:
            call.answer = {"error": -14002, "error_description": "Invalid app_id or secret_key"}
            return self._record(call)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.refresh_tokens:
                call.answer = {"error": -14014, "error_description": "Invalid refresh token"}
                return self._record(call)
            self.refresh_tokens.discard(token)  # single use
            self.spent_refresh_tokens.add(token)
        elif grant == "authorization_code":
            challenge = self.authorizations.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if challenge is None or expected != challenge:
                call.answer = {"error": -14019, "error_description": "Invalid code or verifier"}
                return self._record(call)
        else:
            call.answer = {"error": -14003, "error_description": "Invalid grant_type"}
            return self._record(call)
        access, refresh = self.issue_tokens()
        call.answer = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": str(self.expires_in),  # a string, as Zalo sends it
        }
        return self._record(call)


def _invalid(call: ZaloCall) -> str:
    if not call.user_id:
        return "recipient.user_id is missing"
    message = call.message
    if not message.get("text") and not message.get("attachment"):
        return "message is empty"
    if len(str(message.get("text", ""))) > 2000:
        return "text exceeds 2000 characters"
    buttons = call.buttons
    if len(buttons) > 5:
        return "more than 5 buttons"
    if any(len(title) > 100 for title, _ in buttons):
        return "button title exceeds 100 characters"
    return ""

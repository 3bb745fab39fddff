"""A local stand-in of the Telegram Bot API for tests and benchmarks (tornado, 127.0.0.1).

Point the real python-telegram-bot at it::

    async with BotApiStandIn() as api:
        app = (ApplicationBuilder().token("123:ABC")
               .base_url(api.base_url).base_file_url(api.base_file_url).build())

Run as a separate process with ``python -m tests.standin.bot_api --port N``; it prints the
port and serves a small control API: ``POST /__control/updates`` (an update or a list),
``GET /__control/calls?since=N``, ``POST /__control/fail`` (``fail_next`` keyword arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application

from .handlers import ControlHandler, FileHandler, MethodHandler
from .methods import BotState
from .objects import ApiError, Upload
from .recording import Call, CallLog

__all__ = ["BotApiStandIn", "Call", "Upload", "free_port"]

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_REGISTERED = object()  # deliver_webhook default: use the secret from setWebhook


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (for PTB's webhook server in tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _FailRule:
    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    remaining: int | None  # None: until cleared
    chat_id: int | str | None


class BotApiStandIn:
    """In-process Bot API server on 127.0.0.1, running on the current asyncio loop.

    One update queue and one state for all tokens (any token is accepted and recorded in
    ``tokens``, but those given to ``refuse_token``). Every request becomes a :class:`Call`
    in ``calls``; see ``wait_for``, ``fail_next``, ``push_update`` and ``deliver_webhook``.
    ``allowed_updates`` is ignored.
    """

    def __init__(self, *, port: int = 0, on_send: Callable[[Call], None] | None = None) -> None:
        self.state = BotState()
        self.log = CallLog()
        self.tokens: set[str] = set()
        self.refused_tokens: set[str] = set()
        self._requested_port = port
        self._server: HTTPServer | None = None
        self._rules: list[_FailRule] = []
        self._client: httpx.AsyncClient | None = None
        self.port = 0
        # Completion futures of long-polls in progress, so stop() can let them answer first.
        self.active_polls: set[asyncio.Future[None]] = set()
        if on_send is not None:
            self.log.add_listener(on_send)

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> BotApiStandIn:
        app = Application(
            [
                (r"/file/bot([^/]+)/(.+)", FileHandler, {"api": self}),
                (r"/bot([^/]+)/([A-Za-z0-9_]+)", MethodHandler, {"api": self}),
                (r"/__control/(updates|calls|fail)", ControlHandler, {"api": self}),
            ],
            log_function=lambda handler: None,  # access logs cost time on the measured path
        )
        sockets = bind_sockets(self._requested_port, "127.0.0.1", family=socket.AF_INET)
        self.port = int(sockets[0].getsockname()[1])
        self._server = HTTPServer(app, xheaders=False)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self.state.wake_pollers()  # long-polls answer (empty) instead of hanging
            if self.active_polls:
                await asyncio.wait(self.active_polls, timeout=1.0)
            await self._server.close_all_connections()
            self._server = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __aenter__(self) -> BotApiStandIn:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def bot_user(self) -> dict[str, Any]:
        """The User answered by getMe (mutable, e.g. to test another username)."""
        return self.state.bot_user

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---- recorded calls -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return self.log.calls

    def calls_of(self, method: str) -> list[Call]:
        """All recorded calls of ``method``, failed ones included, in arrival order."""
        return self.log.calls_of(method)

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """Successful message-sending calls (sendMessage, copyMessage, send<Media>...)."""
        return self.log.sent_to(chat_id)

    def mark(self) -> int:
        """The current call count, to pass as ``since=`` to the wait functions."""
        return self.log.mark()

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait is the test idiom here
        *,
        since: int | None = None,
    ) -> Call:
        """First call matching ``predicate`` among calls[since:] (default: all, including
        already recorded ones), else the next one recorded. Raises ``TimeoutError``."""
        return await self.log.wait_for(predicate, timeout, since=since)

    async def wait_for_count(
        self,
        method: str,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> list[Call]:
        """Wait until calls[since:] hold at least ``n`` *successful* ``method`` calls."""
        return await self.log.wait_for_count(method, n, timeout, since=since)

    def add_listener(self, callback: Callable[[Call], None]) -> Callable[[], None]:
        """Run ``callback(call)`` synchronously for every recorded call; returns a remover."""
        return self.log.add_listener(callback)

    # ---- injecting --------------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; returns its update_id (assigned unless the dict
        carries one above every earlier id). Wakes long-polls immediately."""
        return self.state.push(update)

    def add_file(self, data: bytes, filename: str | None = None, file_id: str | None = None) -> str:
        """Make ``data`` downloadable through getFile; returns the file_id."""
        return self.state.add_file(data, filename, file_id)

    async def deliver_webhook(
        self, url: str | None, update: dict[str, Any], *, secret_token: Any = _REGISTERED
    ) -> int:
        """POST ``update`` to ``url`` (default: the one from setWebhook) like Telegram does.

        ``secret_token`` defaults to the one given to setWebhook; ``None`` sends no header.
        Assigns an update_id if missing. Returns the HTTP status.
        """
        update = dict(update)
        if not isinstance(update.get("update_id"), int):
            self.state.last_update_id += 1
            update["update_id"] = self.state.last_update_id
        target = url or self.state.webhook_url
        if not target:
            raise RuntimeError("no webhook url given and none set with setWebhook")
        secret = self.state.webhook_secret if secret_token is _REGISTERED else secret_token
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
        if self._client is None:
            self._client = httpx.AsyncClient(trust_env=False, timeout=10.0)
        response = await self._client.post(
            target, content=json.dumps(update).encode(), headers=headers
        )
        return response.status_code

    # ---- scripted failures ------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail (``times=None``: all,
        until ``clear_failures``); optionally only calls to ``chat_id``. A failed call is not
        executed, but recorded with ``ok=False``."""
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
            description = description or "Bad Request: group chat was upgraded to a supergroup chat"
        text = description or _DEFAULT_DESCRIPTIONS.get(status, "Error")
        self._rules.append(_FailRule(method, status, text, parameters or None, times, chat_id))

    def clear_failures(self) -> None:
        self._rules.clear()

    def refuse_token(self, token: str) -> None:
        """Answer every call made with ``token`` as Telegram answers a revoked or mistyped
        token: 401 Unauthorized (the call is recorded, ``ok=False``)."""
        self.refused_tokens.add(token)

    def refusal(self, token: str, method: str, params: dict[str, Any]) -> ApiError | None:
        """The error a call gets before it runs: a refused token, else a scripted failure."""
        if token in self.refused_tokens:
            return ApiError(401, "Unauthorized")
        return self.scripted_failure(method, params)

    def scripted_failure(self, method: str, params: dict[str, Any]) -> ApiError | None:
        for rule in self._rules:
            if rule.method not in (method, "*"):
                continue
            if rule.chat_id is not None and str(params.get("chat_id")) != str(rule.chat_id):
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
            return ApiError(rule.status, rule.description, rule.parameters)
        return None

    # ---- request handling -----------------------------------------------------------------

    def execute(self, method: str, params: dict[str, Any], token: str, at: float) -> Call:
        """Run one (non-long-poll) method and record it."""
        self.tokens.add(token)
        try:
            failure = self.refusal(token, method, params)
            if failure is not None:
                raise failure
            impl = self.state.table.get(method)
            if impl is None:
                raise ApiError(404, "Not Found: method not found")
            result = impl(params)
        except ApiError as err:
            call = Call(method, params, token, at, False, err.status, err.description, err.body())
        else:
            call = Call(method, params, token, at, result=result)
        return self.log.record(call)


async def _serve(port: int) -> None:
    api = await BotApiStandIn(port=port).start()
    print(api.port, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API stand-in")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

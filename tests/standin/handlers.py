"""Tornado request handlers of the stand-in: Bot API methods, file downloads, control API."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from tornado.web import RequestHandler

from .methods import WEBHOOK_ACTIVE, BotState
from .objects import ApiError, Upload
from .recording import Call

if TYPE_CHECKING:
    from .bot_api import BotApiStandIn

# Parameters whose values are plain strings in the Bot API: never JSON-decode them, so a
# text of "123" or "[1]" stays a string (PTB sends strings raw, without JSON quotes).
STRING_PARAMS = frozenset(
    {
        "text", "caption", "name", "callback_query_id", "parse_mode", "title", "description",
        "first_name", "last_name", "phone_number", "vcard", "url", "secret_token", "file_id",
        "emoji", "action", "inline_message_id", "icon_custom_emoji_id", "address", "query",
        "language_code", "short_description", "business_connection_id", "message_effect_id",
        "question", "explanation", "foursquare_id", "google_place_id", "ip_address",
    }
)  # fmt: skip


def decode_value(name: str, raw: str) -> Any:
    if name in STRING_PARAMS or not raw:
        return raw
    first = raw[0]
    if first in '{["' or first.isdigit() or first == "-" or raw in ("true", "false", "null"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def parse_params(handler: RequestHandler) -> dict[str, Any]:
    request = handler.request
    params: dict[str, Any] = {}
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json") and request.body:
        params.update(json.loads(request.body))
        return params
    for name, values in request.arguments.items():  # query string + form/multipart fields
        params[name] = decode_value(name, values[-1].decode("utf-8"))
    if request.files:
        uploads = {
            name: Upload(f[0].filename, f[0].content_type, f[0].body)
            for name, f in request.files.items()
        }
        for name, value in list(params.items()):  # attach://<name> references
            if isinstance(value, str) and value.startswith("attach://"):
                params[name] = uploads.pop(value[len("attach://") :], value)
        params.update(uploads)
    return params


class BaseHandler(RequestHandler):
    api: BotApiStandIn

    def initialize(self, api: BotApiStandIn) -> None:
        self.api = api

    def compute_etag(self) -> None:
        return None

    def send_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status, reason="OK" if status == 200 else "Error")
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, separators=(",", ":")))


class MethodHandler(BaseHandler):
    _poll: asyncio.Future[None] | None = None
    _gone = False

    async def post(self, token: str, method: str) -> None:
        at = time.perf_counter()
        name = _canonical(method)
        params = parse_params(self)
        if name == "getUpdates":
            await self._get_updates(params, token, at)
            return
        call = self.api.execute(name, params, token, at)
        if call.ok:
            self.send_json({"ok": True, "result": call.result})
        else:
            self.send_json(call.result, call.status)

    get = post  # Telegram accepts GET as well

    async def _get_updates(self, params: dict[str, Any], token: str, at: float) -> None:
        api, state = self.api, self.api.state
        api.tokens.add(token)
        failure = api.refusal(token, "getUpdates", params)
        if failure is None and state.webhook_url:
            failure = ApiError(409, WEBHOOK_ACTIVE)
        if failure is not None:
            body = failure.body()
            api.log.record(
                Call("getUpdates", params, token, at, False, failure.status, str(failure), body)
            )
            self.send_json(failure.body(), failure.status)
            return
        # Recorded on arrival (result None): tests can see a poll that is still waiting.
        api.log.record(Call("getUpdates", params, token, at))
        offset = params.get("offset")
        state.confirm(offset if isinstance(offset, int) else None)
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        if not state.updates and isinstance(timeout, int | float) and timeout > 0:
            loop = asyncio.get_running_loop()
            self._poll = loop.create_future()
            finished: asyncio.Future[None] = loop.create_future()
            state.update_waiters.add(self._poll)
            api.active_polls.add(finished)
            try:
                await asyncio.wait_for(self._poll, timeout)
            except TimeoutError:
                pass
            finally:
                state.update_waiters.discard(self._poll)
                api.active_polls.discard(finished)
                finished.set_result(None)
        if self._gone:
            return  # client went away; the updates stay unconfirmed, as on Telegram
        self.send_json({"ok": True, "result": state.updates[:limit]})

    def on_connection_close(self) -> None:
        # PTB cancels its pending long-poll on Updater.stop(): stop waiting at once.
        self._gone = True
        if self._poll is not None and not self._poll.done():
            self._poll.set_result(None)


class FileHandler(BaseHandler):
    async def get(self, token: str, path: str) -> None:
        data = self.api.state.file_paths.get(path)
        if data is None:
            self.send_json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(data)


class ControlHandler(BaseHandler):
    async def get(self, what: str) -> None:
        if what != "calls":
            self.send_json({"ok": False, "description": "use POST"}, 405)
            return
        since = int(self.get_query_argument("since", "0"))
        self.send_json({"ok": True, "result": [c.to_json() for c in self.api.calls[since:]]})

    async def post(self, what: str) -> None:
        body = json.loads(self.request.body or b"{}")
        if what == "updates":
            batch = body if isinstance(body, list) else [body]
            self.send_json({"ok": True, "result": [self.api.push_update(u) for u in batch]})
        elif what == "fail":
            self.api.fail_next(**body)
            self.send_json({"ok": True, "result": True})
        else:
            self.send_json({"ok": False, "description": "use GET"}, 405)


_CANONICAL: dict[str, str] = {}


def _canonical(method: str) -> str:
    """Telegram method names are case-insensitive; record the canonical spelling."""
    name = _CANONICAL.get(method.lower())
    return name if name is not None else method


for _name in [*BotState().table, "getUpdates"]:
    _CANONICAL[_name.lower()] = _name

"""Webhook mode (several instances): Telegram's POST, a route in the one web app.

As python-telegram-bot's own webhook server does: JSON only, and the secret token given to
setWebhook in `X-Telegram-Bot-Api-Secret-Token`, else 403. The update is kept in the inbox
before the answer, then queued for the Application (built with `.updater(None)`), which
handles it as it handles a polled one. Telegram delivers again whatever was not answered 200:
an update the inbox did not take within a few seconds gets 503.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from telegram import Update
from telegram.ext import Application

from bot.channels.telegram.updates import inbound_event, update_to_incoming
from bot.receiving import Receipt, Receiving

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
# Seconds the inbox may take before Telegram is asked to deliver again (a 503), rather than
# holding its connection while a database that went away times out.
STORE_DEADLINE = 3.0


class TelegramWebhook:
    """The route's endpoint is `post`."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        receiving: Receiving,
        secret_token: str,
    ) -> None:
        self.application = application
        self.receiving = receiving
        self.secret_token = secret_token

    async def post(self, request: Request) -> Response:
        media_type = request.headers.get("content-type", "").split(";")[0].strip()
        if media_type != "application/json" or not self._has_secret(request):
            log.warning("telegram webhook refused", extra={"event": "telegram_webhook_refused",
                                                           "status": 403})
            return Response(status_code=403)
        try:
            update = Update.de_json(json.loads(await request.body()), self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("telegram webhook refused", extra={"event": "telegram_webhook_refused",
                                                           "status": 400})
            return Response(status_code=400)
        now = self.receiving.clock()
        receipt = await self.receiving.receive(
            inbound_event(update, now), update_to_incoming(update, now),
            deadline=STORE_DEADLINE,
            then=lambda: self.application.update_queue.put_nowait(update),
        )
        # Not kept (the database is slow or down): Telegram delivers it again later.
        return Response(status_code=200 if receipt is Receipt.KEPT else 503)

    def _has_secret(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "")
        return bool(given) and hmac.compare_digest(given.encode(), self.secret_token.encode())

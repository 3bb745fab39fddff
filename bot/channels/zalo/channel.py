"""The Zalo OA channel: a signed-webhook route in the one web app feeding the receiving
pipeline, and the outbox sending through the OA API (`ZaloSender`).

Losing nothing: a genuine event is written to the inbox (event id = Zalo's `msg_id`) before the
webhook answers 200, and is handled afterwards in the background. If the store does not
answer within `STORE_DEADLINE` (Zalo allows 2 s), the write carries on and the webhook answers
503, so Zalo delivers again; the redelivery is recognised by its id (bot/receiving.py).

What the webhook answers: 200 for a genuine event, handled or deliberately ignored (the OA's
own echoes, events we do not use); 401 for a missing or wrong signature; 400 for a body that is
not a Zalo event; 403 for another app's event or a timestamp outside the replay window; 413 for
an oversized body; 503 when the store is too slow. Refusals are logged with a reason, never
with the content.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.zalo.api import TokenManager, ZaloSender
from bot.channels.zalo.events import (
    CHANNEL,
    MAX_BODY_BYTES,
    Rejected,
    event_to_incoming,
    verify,
)
from bot.channels.zalo.window import REPLY_WINDOW
from bot.config import ZaloConfig
from bot.receiving import Receipt, Received, Receiving
from flows.messages import Incoming, IncomingKind
from flows.store import InboundEvent

log = logging.getLogger(__name__)

STORE_DEADLINE = 1.5  # seconds the webhook waits for the inbox before answering 503


class ButtonLookup(Protocol):
    async def offered_button(self, channel: str, recipient: str, label: str) -> str | None: ...


class OfferedButtons:
    """A text that is the label of a button we offered this person is that button: Zalo's
    query buttons come back as the person's text (the channel's `Resolve`)."""

    def __init__(self, buttons: ButtonLookup) -> None:
        self.buttons = buttons

    async def __call__(self, incoming: Incoming) -> Incoming:
        if incoming.kind is not IncomingKind.TEXT or not incoming.text:
            return incoming
        data = await self.buttons.offered_button(CHANNEL, incoming.user_id, incoming.text.strip())
        if data is None:
            return incoming
        return replace(incoming, kind=IncomingKind.BUTTON, button=data, text="")


class ZaloChannel:
    name = CHANNEL
    reply_window = REPLY_WINDOW

    def __init__(
        self,
        config: ZaloConfig,
        receiving: Receiving,
        sender: ZaloSender,
        tokens: TokenManager,
        *,
        store_deadline: float = STORE_DEADLINE,
    ) -> None:
        self.config = config
        self.receiving = receiving
        self.sender = sender
        self.tokens = tokens
        self.store_deadline = store_deadline
        self.clock = receiving.clock

    def routes(self) -> Sequence[BaseRoute]:
        return (Route(f"/{self.config.webhook_path}", self.webhook, methods=["POST"]),)

    # ---------------------------------------------------------------- receiving

    async def webhook(self, request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return self._refuse(Rejected(413, "too_large"), int(length))
        raw = await request.body()
        zalo = self.config
        arrived = self.clock()
        try:
            event = verify(
                raw,
                request.headers.get("x-zevent-signature"),
                app_id=zalo.app_id,
                oa_secret_key=zalo.oa_secret_key,
                now=arrived,
                window_s=zalo.replay_window,
            )
        except Rejected as exc:
            return self._refuse(exc, len(raw))
        incoming = event_to_incoming(event, arrived)
        if incoming is None:
            name = str(event.get("event_name", ""))[:40]
            log.info(
                "zalo event ignored",
                extra={"event": "zalo_event_ignored",
                       "event_name": name if name.replace("_", "").isalnum() else "other"},
            )
            return JSONResponse({"ok": True})
        inbound = InboundEvent(CHANNEL, incoming.event_id, raw.decode(), arrived)
        receipt = await self.receiving.receive(inbound, incoming, deadline=self.store_deadline)
        if receipt is Receipt.BUSY:
            return JSONResponse({"error": "busy"}, status_code=503)
        if receipt is Receipt.FAILED:  # Zalo delivers again
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return JSONResponse({"ok": True})

    def _refuse(self, exc: Rejected, size: int) -> Response:
        log.warning(
            "zalo event rejected",
            extra={"event": "zalo_event_rejected", "reason": exc.reason, "status": exc.status,
                   "bytes": size},
        )
        return JSONResponse({"error": exc.reason}, status_code=exc.status)

    def decode_kept(self, stored: InboundEvent) -> Received | None:
        try:
            event = json.loads(stored.payload)
        except ValueError:
            return None
        return event_to_incoming(event, stored.received_at) if isinstance(event, dict) else None

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Load tokens, replay the inbox; the web app serves the webhook."""
        await self.tokens.load()
        await self.receiving.replay(self.decode_kept)
        log.info("zalo channel started",
                 extra={"event": "zalo_started", "path": self.config.webhook_path})

    async def stop(self) -> None:
        """Let events under way finish (briefly); the rest are replayed at the next start."""
        await self.receiving.drain()

    async def pick_up(self, older_than: timedelta) -> int:
        return await self.receiving.replay(self.decode_kept,
                                           received_before=self.clock() - older_than)

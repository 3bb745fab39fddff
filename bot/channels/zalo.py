"""The Zalo OA channel: a signed-webhook receiver (starlette under uvicorn, in-process) wired to
the dispatcher, and the outbox sending through the OA API.

Losing nothing: a genuine event is written to the inbox (event id = Zalo's `msg_id`) before the
webhook answers 200, and is handled afterwards in a background task. If the store does not
answer within `STORE_DEADLINE` (Zalo allows 2 s), the write carries on in the background and
the webhook answers 503, so Zalo delivers again; the redelivery is recognised by its id. At
start, whatever is in the inbox but not processed (a crash, a SIGKILL) is handled again; the
dispatcher ignores an event it already processed, so a redelivery is harmless.

What the webhook answers: 200 for a genuine event, handled or deliberately ignored (the OA's
own echoes, events we do not use); 401 for a missing or wrong signature; 400 for a body that is
not a Zalo event; 403 for another app's event or a timestamp outside the replay window; 413 for
an oversized body; 503 when the store is too slow. Refusals are logged with a reason, never
with the content.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.zalo_api import TokenManager, ZaloApi, ZaloSender
from bot.channels.zalo_events import (
    CHANNEL,
    MAX_BODY_BYTES,
    Rejected,
    event_to_incoming,
    verify,
)
from bot.config import Config
from bot.delivery import Deliverer, FailureHook
from bot.store.sqlite import SqliteStore
from bot.store.zalo_tokens import ZaloTokenStore
from flows.dispatch import Dispatcher
from flows.messages import Incoming, IncomingKind
from flows.ports import Clock, Renderer
from flows.store import REPLAY_LEASE, InboundEvent

log = logging.getLogger(__name__)

STORE_DEADLINE = 1.5  # seconds the webhook waits for the inbox before answering 503


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: `hotline run` owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ZaloChannel:
    def __init__(
        self,
        config: Config,
        store: SqliteStore,
        dispatcher: Dispatcher,
        render: Renderer | None = None,
        *,
        on_undeliverable: FailureHook | None = None,
        store_deadline: float = STORE_DEADLINE,
        wake: Callable[[], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.dispatcher = dispatcher
        # The one clock; without one passed, the dispatcher's (the same, from bot/app.py).
        self.clock: Clock = clock or dispatcher.services.clock
        self.render = render or dispatcher.services.render
        self.store_deadline = store_deadline
        zalo = config.zalo
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
        self.tokens = TokenManager(zalo, self.client, ZaloTokenStore(store, zalo.app_id),
                                   self.clock)
        self.api = ZaloApi(zalo, self.client, self.tokens)
        self.deliverer = Deliverer(
            store,
            CHANNEL,
            ZaloSender(self.api, self.render, store, self.clock),
            config.delivery,
            clock=self.clock,
            on_undeliverable=on_undeliverable,
        )
        # Handling a Zalo message can queue posts for other channels (the staff group).
        self.wake: Callable[[], None] = wake or self.deliverer.wake
        self._app = Starlette(
            routes=[Route(f"/{zalo.webhook_path}", self.webhook, methods=["POST"])]
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: set[str] = set()
        self._server: _Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def app(self) -> Starlette:
        """The ASGI app (the webhook), for serving it elsewhere or testing it directly."""
        return self._app

    # ---------------------------------------------------------------- receiving

    async def webhook(self, request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return self._refuse(Rejected(413, "too_large"), int(length))
        raw = await request.body()
        zalo = self.config.zalo
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
        accepting = self._track(self._accept(inbound, incoming))
        try:
            await asyncio.wait_for(asyncio.shield(accepting), self.store_deadline)
        except TimeoutError:
            log.warning(
                "zalo inbox slow",
                extra={"event": "zalo_inbox_slow", "event_id": incoming.event_id},
            )
            return JSONResponse({"error": "busy"}, status_code=503)
        except Exception:  # logged by _finished; Zalo delivers again
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return JSONResponse({"ok": True})

    def _refuse(self, exc: Rejected, size: int) -> Response:
        log.warning(
            "zalo event rejected",
            extra={"event": "zalo_event_rejected", "reason": exc.reason, "status": exc.status,
                   "bytes": size},
        )
        return JSONResponse({"error": exc.reason}, status_code=exc.status)

    async def _accept(self, inbound: InboundEvent, incoming: Incoming) -> None:
        """Into the inbox, then handled; a redelivery is handled only if not under way."""
        new = await self.store.record_inbound([inbound])
        if not new:
            log.info(
                "zalo event redelivered",
                extra={"event": "zalo_event_duplicate", "event_id": incoming.event_id},
            )
            if incoming.event_id in self._inflight:
                return
        self._schedule(incoming)

    def _schedule(self, incoming: Incoming) -> None:
        # No await between storing and here, and none before the dispatcher's per-person
        # lock: one person's events are handled in the order they were stored.
        self._inflight.add(incoming.event_id)
        self._track(self._process(incoming))

    def _track(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Storing failed: the event is not in the inbox; Zalo's retry will bring it again.
            log.error(
                "zalo event not stored",
                exc_info=task.exception(),
                extra={"event": "zalo_store_failed"},
            )

    async def _as_button(self, incoming: Incoming) -> Incoming:
        """A text that is the label of a button we offered this person is that button."""
        if incoming.kind is not IncomingKind.TEXT or not incoming.text:
            return incoming
        data = await self.store.offered_button(CHANNEL, incoming.user_id, incoming.text.strip())
        if data is None:
            return incoming
        return replace(incoming, kind=IncomingKind.BUTTON, button=data, text="")

    async def _process(self, incoming: Incoming) -> None:
        try:
            incoming = await self._as_button(incoming)
            await self.dispatcher.handle(incoming)
        except Exception:
            log.error(
                "zalo event handling failed",
                exc_info=True,
                extra={"event": "zalo_event_failed", "event_id": incoming.event_id},
            )
            try:
                await self.dispatcher.handle_failure(incoming)
            except Exception:
                log.error(
                    "zalo failure reply failed",
                    exc_info=True,
                    extra={"event": "zalo_failure_reply_failed", "event_id": incoming.event_id},
                )
        finally:
            self._inflight.discard(incoming.event_id)
            self.wake()

    async def _replay_inbox(self) -> None:
        pending = await self.store.claim_inbound(
            CHANNEL, f"{self.store.instance}/{CHANNEL}", REPLAY_LEASE)
        for stored in pending:
            try:
                event = json.loads(stored.payload)
            except ValueError:
                event = None
            incoming = (event_to_incoming(event, stored.received_at) if isinstance(event, dict)
                        else None)
            if incoming is None:  # nothing a person said: do not replay it again
                async with self.store.transaction() as tx:
                    await tx.mark_processed(CHANNEL, stored.event_id, self.clock())
                continue
            self._schedule(replace(incoming, event_id=stored.event_id))
        if pending:
            log.info("zalo inbox replayed", extra={"event": "inbox_replayed",
                                                   "channel": CHANNEL, "events": len(pending)})

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Load tokens, replay the inbox, start delivering, then listen for webhooks."""
        zalo = self.config.zalo
        await self.tokens.load()
        await self._replay_inbox()
        self.deliverer.start()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((zalo.listen, zalo.port))
        except OSError as exc:
            sock.close()
            await self.deliverer.stop()
            raise RuntimeError(
                f"zalo.port: cannot listen on {zalo.listen}:{zalo.port} ({exc.strerror})"
            ) from None
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        server_config = uvicorn.Config(
            self._app,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=3,
        )
        self._server = _Server(server_config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serving.done():
                await self._serving
                raise RuntimeError("zalo webhook server stopped at start")
            await asyncio.sleep(0.01)
        log.info(
            "zalo channel started",
            extra={"event": "zalo_started", "port": self.port, "path": zalo.webhook_path},
        )

    async def stop(self) -> None:
        """Stop listening, let events under way finish (briefly), stop delivering."""
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
            self._server = self._serving = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=5.0)
            for task in pending:  # left unprocessed in the inbox: replayed at the next start
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        await self.deliverer.stop()
        await self.client.aclose()

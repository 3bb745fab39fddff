"""The one web server: one Starlette app (built in bot/app.py) under one uvicorn, on
`web.listen:web.port`. It holds every channel's webhook routes and `GET /healthz`.

`hotline run` owns SIGINT and SIGTERM, so uvicorn installs no signal handlers of its own, and
the socket is bound here, before serving, so that a port in use stops the start with one line
naming the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.lease import StartRefused
from flows.store import Store

log = logging.getLogger(__name__)

HEALTH_DEADLINE = 2.0  # seconds the store may take to answer /healthz


class QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: `hotline run` owns SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_route(store: Store, channels: Sequence[str]) -> Route:
    """`GET /healthz`: which channels run here and whether the store answers; no personal
    data. 200 when all is well, 503 when the store does not answer (a load balancer then
    sends the webhooks to another instance)."""

    async def healthz(request: Request) -> JSONResponse:
        try:
            # A one-row read every store answers, on the store's own connection.
            await asyncio.wait_for(store.singleton_holder("case_watch"), HEALTH_DEADLINE)
            store_ok = True
        except Exception:  # closed, locked, gone: all "does not answer"
            store_ok = False
        body = {"ok": store_ok, "channels": list(channels),
                "store": "ok" if store_ok else "unavailable"}
        return JSONResponse(body, status_code=200 if store_ok else 503)

    return Route("/healthz", healthz, methods=["GET"])


class WebServer:
    def __init__(self, server: QuietServer, listen: str, port: int) -> None:
        self.server = server
        self.listen = listen
        self.port = port  # the bound one once started (a test may ask for any free port)
        self._serving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.listen, self.port))
        except OSError as exc:
            sock.close()
            raise StartRefused(
                f"web.port: cannot listen on {self.listen}:{self.port} ({exc.strerror})"
            ) from None
        sock.setblocking(False)
        self.port = int(sock.getsockname()[1])
        self._serving = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self._serving.done():
                await self._serving
                raise RuntimeError("web server stopped at start")
            await asyncio.sleep(0.01)
        log.info("web server started", extra={"event": "web_started", "port": self.port})

    async def stop(self) -> None:
        if self._serving is not None:
            self.server.should_exit = True
            await self._serving
            self._serving = None

"""The queue, live: server-sent events with the queue's HTML each time it changes (a case
arrives, is claimed or closes), which htmx's SSE extension swaps into the page.

The stream reads the queue every LIVE_EVERY seconds (a case may change on any instance: the
database is what they share), sends it only when it changed, and ends when the session does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.webconsole.access import Access, Visitor
from bot.webconsole.pages import Console

LIVE_EVERY = 1.0  # seconds between looks at the queue
KEEP_ALIVE = 15.0  # seconds of silence after which a comment keeps proxies from closing it
QUEUE_EVENT = "queue"


def sse(event: str, html: str) -> str:
    """One event; every line of the data on its own `data:` line."""
    lines = "".join(f"data: {line}\n" for line in html.splitlines() or [""])
    return f"event: {event}\n{lines}\n"


class LiveQueue:
    def __init__(self, console: Console, access: Access) -> None:
        self.console = console
        self.access = access

    async def events(self, request: Request, visitor: Visitor) -> Response:
        return StreamingResponse(self._stream(request, visitor), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})  # nginx: no buffering

    async def _stream(self, request: Request, visitor: Visitor) -> AsyncIterator[str]:
        last = ""
        quiet = 0.0
        while not await request.is_disconnected():
            if await self.access.visitor(request) is None:  # signed out, revoked, removed
                yield sse("signed_out", "")
                return
            html = await self.console.queue_fragment(visitor)
            if html != last:
                last, quiet = html, 0.0
                yield sse(QUEUE_EVENT, html)
            elif quiet >= KEEP_ALIVE:
                quiet = 0.0
                yield ": still here\n\n"
            await asyncio.sleep(LIVE_EVERY)
            quiet += LIVE_EVERY

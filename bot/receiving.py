"""The one receiving pipeline every channel feeds:

    keep (the inbox) -> dispatch (citizens) or the staff desk -> apologise on an error of ours
    -> wake the deliverers; and, at start, replay what was kept but never handled.

Channels only translate: they decode their payload into an `Incoming` (a citizen), a
`StaffIncoming` (the counsellors' group) or `Ignored` (kept, but nothing any flow acts on), and
send the `Outgoing` the deliverers hand them.

Losing nothing: an event is written to the inbox, keyed by the channel's own id, before the
channel confirms it (Telegram: the next getUpdates, or the webhook's 200; Zalo: the webhook's
200). A crash after that loses nothing: at start, `replay` leases whatever is kept but not
processed and handles it again. The dispatcher and the desk ignore an event they already
processed, so a redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from itertools import zip_longest
from typing import Any

from bot.store.port import EdgeStore
from flows.counsellor import StaffDesk
from flows.dispatch import Dispatcher
from flows.messages import Handled, Incoming, StaffIncoming
from flows.ports import Clock
from flows.store import REPLAY_LEASE, InboundEvent, person_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ignored:
    """A kept event no flow acts on (a group the bot was added to, a channel post): marked
    processed, so that it is not replayed at every start."""

    channel: str
    event_id: str


Received = Incoming | StaffIncoming | Ignored

# A channel's last step of translation, when it needs the store (Zalo: a typed label of a
# button offered to this person is that button). Runs inside the handling, so a slow store
# never holds the webhook's answer.
Resolve = Callable[[Incoming], Awaitable[Incoming]]

# A kept event back into what it was; None for one that cannot be read (nothing to replay).
Decode = Callable[[InboundEvent], Received | None]

DRAIN_SECONDS = 5.0  # at stop, how long events under way may take; the rest are replayed


class Receipt(Enum):
    """What a channel can tell the sender of a webhook."""

    KEPT = "kept"  # in the inbox: answer 200
    BUSY = "busy"  # the inbox did not answer in time (the write goes on): ask for a retry
    FAILED = "failed"  # the inbox refused: ask for a retry


class Receiving:
    """The pipeline for one channel; every channel's is this same code."""

    def __init__(
        self,
        channel: str,
        store: EdgeStore,
        dispatcher: Dispatcher,
        desk: StaffDesk,
        *,
        wake: Callable[[], None],
        clock: Clock,
        resolve: Resolve | None = None,
    ) -> None:
        self.channel = channel
        self.store = store
        self.dispatcher = dispatcher
        self.desk = desk
        self.wake = wake
        self.clock = clock
        self.resolve = resolve
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: set[str] = set()

    # ---------------------------------------------------------------- keep

    async def keep(
        self, events: Sequence[InboundEvent], decoded: Iterable[Received | None] = ()
    ) -> int:
        """Write raw events to the inbox; how many were new. A batch in which a message
        signals danger at a glance (rules only: the full assessment runs once, when it is
        handled) is written ahead of ordinary work."""
        decoded = list(decoded)
        urgent = any(isinstance(r, Incoming) and self.dispatcher.urgent_at_a_glance(r)
                     for r in decoded)
        # Each citizen's event names its person: a later one waits for an earlier one that
        # another instance has not handled yet (Dispatcher.handle).
        named = [replace(e, person=person_key(r.channel, r.user_id))
                 if isinstance(r, Incoming) and not e.person else e
                 for e, r in zip_longest(events, decoded[:len(events)])]
        return await self.store.record_inbound(named, urgent=urgent)

    async def receive(
        self, event: InboundEvent, received: Received | None, *, deadline: float,
        then: Callable[[], None] | None = None,
    ) -> Receipt:
        """Keep one webhook event, then handle it in the background (or, with `then`, hand
        it on: Telegram's go through PTB's update queue). If the inbox does not answer
        within `deadline` seconds the write carries on and the sender is asked to deliver
        again; the redelivery is recognised by its id, and one still under way is not
        handled twice."""
        keeping = self._track(self._keep_then_submit(event, received, then))
        try:
            await asyncio.wait_for(asyncio.shield(keeping), deadline)
        except TimeoutError:
            log.warning("inbox slow", extra={"event": "inbox_slow", "channel": self.channel,
                                             "event_id": event.event_id})
            return Receipt.BUSY
        except Exception:  # logged by _finished
            return Receipt.FAILED
        return Receipt.KEPT

    async def _keep_then_submit(self, event: InboundEvent, received: Received | None,
                                then: Callable[[], None] | None) -> None:
        if not await self.keep([event], [received]):
            log.info("event redelivered", extra={"event": "event_redelivered",
                                                 "channel": self.channel,
                                                 "event_id": event.event_id})
            if event.event_id in self._inflight:
                return
        if then is not None:
            then()
        elif received is not None:
            self.submit(received)

    # ---------------------------------------------------------------- handle

    async def handle(self, received: Received) -> Handled | None:
        """Dispatch a citizen's event, or the staff desk's, or mark an ignored one processed;
        after an error of ours the person gets the apology and the emergency numbers. The
        deliverers are woken either way. None when handling failed."""
        citizen = received if isinstance(received, Incoming) else None
        try:
            # No await before the dispatcher takes the person's lock (unless the channel
            # resolves first): that keeps one person's messages in arrival order.
            if citizen is not None:
                if self.resolve is not None:
                    citizen = await self.resolve(citizen)
                return await self.dispatcher.handle(citizen)
            if isinstance(received, StaffIncoming):
                return await self.desk.handle(received)
            async with self.store.transaction() as tx:
                await tx.inbox.mark_processed(received.channel, received.event_id, self.clock())
            return Handled(route="ignored")
        except Exception:
            log.error("event handling failed", exc_info=True,
                      extra={"event": "event_failed", "channel": self.channel,
                             "event_id": received.event_id})
            if citizen is not None:
                await self._apologise(citizen)
            return None
        finally:
            self.wake()

    async def _apologise(self, incoming: Incoming) -> None:
        try:
            await self.dispatcher.handle_failure(incoming)
        except Exception:  # left unprocessed in the inbox: replayed at the next start
            log.error("failure reply failed", exc_info=True,
                      extra={"event": "failure_reply_failed", "channel": self.channel,
                             "event_id": incoming.event_id})

    def submit(self, received: Received) -> None:
        """Handle in the background. No await between keeping and here: one person's events
        reach the dispatcher's lock in the order they were kept."""
        self._inflight.add(received.event_id)
        self._track(self._handle_then_forget(received))

    async def _handle_then_forget(self, received: Received) -> None:
        try:
            await self.handle(received)
        finally:
            self._inflight.discard(received.event_id)

    # ---------------------------------------------------------------- replay and stop

    async def replay(self, decode: Decode, *, received_before: datetime | None = None) -> int:
        """Handle again what was kept but not processed (a crash, a SIGKILL), oldest first;
        with `received_before`, only what was kept before then (what an instance that died
        left behind, not what a live one is handling). The events are leased to this
        instance, so another one replaying meanwhile does not replay them too. How many
        were replayed."""
        pending = await self.store.inbox.claim(
            self.channel, f"{self.store.instance}/{self.channel}", REPLAY_LEASE,
            received_before)
        for stored in pending:
            received = decode(stored)
            if received is None:  # nothing anybody said: do not replay it again
                async with self.store.transaction() as tx:
                    await tx.inbox.mark_processed(self.channel, stored.event_id, self.clock())
                continue
            self.submit(replace(received, event_id=stored.event_id))
        if pending:
            log.info("inbox replayed", extra={"event": "inbox_replayed",
                                              "channel": self.channel, "events": len(pending)})
        return len(pending)

    async def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """Let the events under way finish, briefly; what is cut short stays unprocessed in
        the inbox and is replayed at the next start."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while self._tasks:
            left = until - loop.time()
            if left <= 0:
                tasks = set(self._tasks)
                for task in tasks:
                    task.cancel()
                await asyncio.wait(tasks)
                return
            # A keep that finishes submits its handling: look again until none is left.
            await asyncio.wait(set(self._tasks), timeout=left)

    def _track(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Only keeping raises (handling logs its own errors): the event is not in the
            # inbox, and the sender's retry brings it again.
            log.error("event not stored", exc_info=task.exception(),
                      extra={"event": "event_not_stored", "channel": self.channel})

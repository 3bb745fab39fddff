"""The stand-in's call log: recording, querying and waiting for Bot API calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_LOG = logging.getLogger(__name__)

# Methods that put a message into a chat; ``sent_to`` and the benchmark driver look at these.
SEND_METHODS = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "forwardMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVideoNote",
        "sendSticker",
        "sendLocation",
        "sendContact",
        "sendMediaGroup",
    }
)


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API request as the stand-in saw it.

    ``params`` are JSON-decoded (plain-string fields such as ``text`` stay strings); uploaded
    files appear as :class:`tests.standin.objects.Upload`. ``at`` is ``time.perf_counter()``
    when the request arrived. ``index`` is the position in ``BotApiStandIn.calls``.
    Failed calls (scripted with ``fail_next`` or rejected by the stand-in) have ``ok=False``,
    the HTTP ``status`` and the error ``description``; ``result`` is what was answered.
    """

    method: str
    params: dict[str, Any]
    token: str
    at: float
    ok: bool = True
    status: int = 200
    description: str | None = None
    result: Any = None
    index: int = field(default=0, compare=False)

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable view (uploads summarised) for the HTTP control API."""
        params = {k: (v.summary() if hasattr(v, "summary") else v) for k, v in self.params.items()}
        return {
            "index": self.index,
            "method": self.method,
            "params": params,
            "token": self.token,
            "at": self.at,
            "ok": self.ok,
            "status": self.status,
            "description": self.description,
            "result": self.result,
        }


def same_chat(a: Any, b: Any) -> bool:
    # chat_id may arrive as int or as "@username"/"-100..." string.
    return a == b or str(a) == str(b)


class _Waiter:
    __slots__ = ("predicate", "future")

    def __init__(self, predicate: Callable[[Call], bool], future: asyncio.Future[Call]) -> None:
        self.predicate = predicate
        self.future = future


class CallLog:
    """Holds every call; wakes waiters by testing each new call against their predicate.

    Per-call predicate checks (instead of an ``asyncio.Condition`` that wakes every waiter
    task) keep hundreds of concurrent waiters cheap: a waiter's task only runs when its
    predicate matched.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._waiters: list[_Waiter] = []
        self._listeners: list[Callable[[Call], None]] = []

    def record(self, call: Call) -> Call:
        call = _with_index(call, len(self.calls))
        self.calls.append(call)
        for listener in tuple(self._listeners):
            try:
                listener(call)
            except Exception:  # a broken listener must not break the server
                _LOG.exception("stand-in listener failed on %s", call.method)
        if self._waiters:
            self._notify(call)
        return call

    def _notify(self, call: Call) -> None:
        keep: list[_Waiter] = []
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            try:
                matched = waiter.predicate(call)
            except Exception as exc:  # surface predicate bugs in the waiting test
                waiter.future.set_exception(exc)
                continue
            if matched:
                waiter.future.set_result(call)
            else:
                keep.append(waiter)
        self._waiters = keep

    def add_listener(self, callback: Callable[[Call], None]) -> Callable[[], None]:
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    def mark(self) -> int:
        return len(self.calls)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int | str) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.ok and c.method in SEND_METHODS and same_chat(c.params.get("chat_id"), chat_id)
        ]

    async def wait_for(
        self,
        predicate: Callable[[Call], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait is the test idiom here
        *,
        since: int | None = None,
    ) -> Call:
        for call in self.calls[since or 0 :]:
            if predicate(call):
                return call
        loop = asyncio.get_running_loop()
        waiter = _Waiter(predicate, loop.create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            recent = ", ".join(c.method for c in self.calls[-10:])
            raise TimeoutError(
                f"no matching Bot API call within {timeout}s (last calls: {recent or 'none'})"
            ) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def wait_for_count(
        self,
        method: str,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int | None = None,
    ) -> list[Call]:
        start = since or 0

        def matches(call: Call) -> bool:
            return call.ok and call.method == method

        seen = sum(1 for c in self.calls[start:] if matches(c))
        if seen < n:
            needed = n - seen

            def nth(call: Call) -> bool:
                nonlocal needed
                if matches(call):
                    needed -= 1
                return needed <= 0

            try:
                await self.wait_for(nth, timeout, since=len(self.calls))
            except TimeoutError:
                got = sum(1 for c in self.calls[start:] if matches(c))
                raise TimeoutError(
                    f"expected {n} successful {method} calls within {timeout}s, got {got}"
                ) from None
        return [c for c in self.calls[start:] if matches(c)]

    def fail_waiters(self, exc: BaseException) -> None:
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(exc)
        self._waiters.clear()


def _with_index(call: Call, index: int) -> Call:
    # frozen dataclass: build the stored copy with its log position.
    object.__setattr__(call, "index", index)
    return call

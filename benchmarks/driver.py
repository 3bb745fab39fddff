"""Load driver: N simulated people chatting concurrently with a bot behind the stand-in.

Each person sends a text update, waits for the bot's first reply to their chat, then sends
the next one. Latency runs from ``push_update`` to the reply's arrival at the stand-in
(``Call.at``), so it covers getUpdates delivery, PTB dispatch, the handler and the send.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import Config, build_config
from tests.standin import updates
from tests.standin.recording import SEND_METHODS, Call

if TYPE_CHECKING:
    from tests.standin.bot_api import BotApiStandIn


@dataclass(frozen=True, slots=True)
class Figures:
    messages: int
    seconds: float
    per_second: float
    p50_ms: float
    p99_ms: float

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.messages} messages in {self.seconds:.2f} s = "
            f"{self.per_second:.0f} msg/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
        )


def standin_config(standin: BotApiStandIn, db_file: str, *, staff: dict[str, Any] | None = None,
                   **telegram: Any) -> Config:
    """The bot's configuration against a stand-in: Telegram's flood limits off (they would cap
    any bot at 30 messages a second), a database file of the benchmark's own."""
    return build_config(
        {
            "telegram": {"token": "123456:BENCH", "base_url": standin.base_url,
                         "base_file_url": standin.base_file_url, "poll_timeout": 10,
                         "rate_limit": False, **telegram},
            "staff": staff or {},
            "database": {"url": f"sqlite:///{db_file}"},
        },
        env={},
    )


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


async def drive(
    standin: BotApiStandIn,
    *,
    people: int,
    messages_per_person: int,
    make_text: Callable[[int, int], str],
    reply_predicate: Callable[[Call], bool] | None = None,
    first_user_id: int = 10_000,
    reply_timeout: float = 30.0,
) -> Figures:
    """Run the load and return throughput and latency figures.

    ``make_text(person, n)`` gives person's n-th message. A reply is the first successful
    message-sending call to the person's chat recorded after their push that also satisfies
    ``reply_predicate`` (if given). Raises ``TimeoutError`` when a reply takes longer than
    ``reply_timeout`` seconds.
    """
    # One outstanding future per chat, resolved from a stand-in listener: O(1) per call
    # instead of testing every waiter's predicate against every call.
    pending: dict[int, asyncio.Future[Call]] = {}

    def on_call(call: Call) -> None:
        if not call.ok or call.method not in SEND_METHODS:
            return
        chat_id = call.params.get("chat_id")
        fut = pending.get(chat_id) if isinstance(chat_id, int) else None
        if fut is None or fut.done():
            return
        if reply_predicate is None or reply_predicate(call):
            fut.set_result(call)

    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def person(index: int) -> None:
        user_id = first_user_id + index
        for n in range(messages_per_person):
            update = updates.text(user_id, make_text(index, n))
            fut = pending[user_id] = loop.create_future()
            pushed_at = time.perf_counter()
            standin.push_update(update)
            try:
                reply = await asyncio.wait_for(fut, reply_timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"person {index} (chat {user_id}) got no reply to message {n} "
                    f"within {reply_timeout} s"
                ) from None
            latencies.append(reply.at - pushed_at)
        pending.pop(user_id, None)

    remove = standin.add_listener(on_call)
    started = time.perf_counter()
    try:
        await asyncio.gather(*(person(i) for i in range(people)))
    finally:
        remove()
    seconds = time.perf_counter() - started
    latencies.sort()
    return Figures(
        messages=len(latencies),
        seconds=seconds,
        per_second=len(latencies) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
    )

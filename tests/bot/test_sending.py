"""One sending instance per account (a Telegram bot's 30 messages a second) across instances
on one PostgreSQL database: every reply is sent once, by whichever instance holds the turn,
wherever it was queued; when that instance dies another takes the turn within seconds and
sends what the dead one had taken, without waiting for its leases to run out."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app import deliverer, open_core
from bot.config import build_config
from bot.core import Core
from bot.delivery import LEASE, Deliverer
from bot.sending import SendingTurn
from flows.messages import Outgoing
from tests.conftest import Clock
from tests.contract.conftest import postgres_dies
from tests.postgres import empty_tables

CHANNEL = "telegram"


class Service:
    """The channel's service as the deliverers reach it: records who sent what; `hang`
    makes sends never return (an instance stuck mid-send when it dies)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []  # (instance, recipient)
        self.hang = asyncio.Event()
        self.release = asyncio.Event()

    def sender(self, instance: str) -> ServiceSender:
        return ServiceSender(self, instance)


class ServiceSender:
    def __init__(self, service: Service, instance: str) -> None:
        self.service = service
        self.instance = instance

    async def send(self, recipient: str, message: Outgoing) -> str:
        if self.service.hang.is_set():
            await self.service.release.wait()
            raise ConnectionError("the process died mid-send")
        self.service.sent.append((self.instance, recipient))
        return str(len(self.service.sent))


@pytest.fixture
async def cores(postgres_url: str, clock: Clock) -> AsyncIterator[tuple[Core, Core]]:
    empty_tables(postgres_url)
    opened = []
    for name in ("one", "two"):
        config = build_config({"database": {"url": postgres_url},
                               "hotline": {"instance": name}}, env={})
        opened.append(await open_core(config, clock=clock))
    yield opened[0], opened[1]
    for core in opened:
        await core.close()


async def run_sender(core: Core, service: Service) -> tuple[SendingTurn, Deliverer]:
    turn = SendingTurn(core.store, "telegram:123", [CHANNEL])
    worker = deliverer(core, CHANNEL, service.sender(core.store.instance), reported=False,
                       turn=turn)
    core.deliverers.append(worker)
    await core.store.listen(lambda _channel: core.wake())
    turn.start()
    worker.start()
    return turn, worker


async def queue(core: Core, clock: Clock, recipients: range) -> None:
    async with core.store.transaction() as tx:
        for r in recipients:
            await tx.outbox.enqueue(CHANNEL, str(r), Outgoing(f"trả lời {r}"), clock())
    core.wake()


async def until(condition: Callable[[], bool], seconds: float) -> None:
    async with asyncio.timeout(seconds):
        met = condition()
        while not met:
            await asyncio.sleep(0.02)
            met = condition()


async def stop(*parts: tuple[SendingTurn, Deliverer]) -> None:
    for turn, worker in parts:
        await worker.stop()
        await turn.stop()


async def test_replies_queued_on_two_instances_are_each_sent_once_by_one_of_them(
    cores: tuple[Core, Core], clock: Clock
) -> None:
    one, two = cores
    service = Service()
    parts = [await run_sender(one, service), await run_sender(two, service)]
    try:
        await queue(one, clock, range(0, 20))
        await queue(two, clock, range(20, 40))
        await until(lambda: len(service.sent) >= 40, 15)
        await asyncio.sleep(0.3)  # room for a second send of any of them
    finally:
        await stop(*parts)
    assert Counter(r for _, r in service.sent) == Counter(str(r) for r in range(40))
    assert len({instance for instance, _ in service.sent}) == 1, "both instances sent"


async def test_when_the_sending_instance_dies_the_other_sends_within_seconds(
    cores: tuple[Core, Core], clock: Clock
) -> None:
    one, two = cores
    service = Service()
    first = await run_sender(one, service)
    await until(first[0].held.is_set, 10)  # one holds the turn ...
    second = await run_sender(two, service)
    service.hang.set()  # ... and is stuck sending when it dies
    try:
        await queue(two, clock, range(10))
        async with asyncio.timeout(10):  # one has taken the replies and hangs on the first
            leased = False
            while not leased:
                await asyncio.sleep(0.02)
                leased = await two.store.outbox.next_due_at(CHANNEL) == clock() + LEASE
        assert service.sent == []
        service.hang.clear()
        await postgres_dies(one.store)  # its database sessions, and its turn, are gone
        # No clock moves: the replies one had taken come back with the turn, not by a lease.
        await until(lambda: len(service.sent) >= 10, 10)
    finally:
        service.release.set()
        await stop(second, first)
    assert sorted(int(r) for _, r in service.sent) == list(range(10))
    assert {instance for instance, _ in service.sent} == {"two"}

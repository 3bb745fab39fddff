"""The shipped layered triage behind its port, counting what it is asked: how the tests see
that a message is assessed in full once, and glanced at (rules only) to order a batch."""

from __future__ import annotations

from dataclasses import replace

from bot.app import Core
from flows.dispatch import Dispatcher
from flows.messages import TriageLevel
from flows.triage import LayeredTriage, Verdict


class CountingTriage:
    """Implements flows.ports.Triage around the real `LayeredTriage`."""

    def __init__(self, inner: LayeredTriage) -> None:
        self.inner = inner
        self.assessed: list[str] = []
        self.glanced: list[str] = []

    async def assess(self, text: str) -> Verdict:
        self.assessed.append(text)
        return await self.inner.assess(text)

    def quick_check(self, text: str) -> TriageLevel:
        self.glanced.append(text)
        return self.inner.quick_check(text)

    @property
    def categories(self) -> tuple[str, ...]:
        return self.inner.categories

    def category_label(self, category: str | None) -> str:
        return self.inner.category_label(category)


def counting_core(core: Core) -> tuple[Core, CountingTriage]:
    """The same core (store, config, desk), its dispatcher asking the counting triage."""
    shipped = core.services.triage
    assert isinstance(shipped, LayeredTriage)
    counting = CountingTriage(shipped)
    services = replace(core.services, triage=counting)
    return replace(core, services=services, dispatcher=Dispatcher(core.store, services)), counting

"""Triage behind its port: the dispatcher assesses each message in full once, orders a batch
with a rules-only glance, and a long text is read off the event loop."""

from __future__ import annotations

import threading

from bot.app import Core
from flows.messages import TriageLevel
from flows.triage import LONG_TEXT, LayeredTriage, RuleReading
from tests.factories import make_incoming
from tests.flows.triage_counting import counting_core

DANGER = "chong em dang danh em cuu voi"
# Wording the rules do not know, that the shipped model reads as critical.
MODEL_ONLY = "con gai toi di lam o bien gioi roi mat lien lac, so bi ban"


async def test_a_dispatched_message_is_assessed_once_and_never_glanced_at(core: Core) -> None:
    counted, triage = counting_core(core)
    handled = await counted.dispatcher.handle(make_incoming(DANGER))
    assert handled.route == "emergency" and handled.urgency == TriageLevel.CRITICAL
    assert triage.assessed == [DANGER] and triage.glanced == []

    await counted.dispatcher.handle(make_incoming("trợ cấp người cao tuổi là bao nhiêu",
                                                  user="112"))
    assert len(triage.assessed) == 2 and triage.glanced == []


async def test_a_button_press_is_not_triaged(core: Core) -> None:
    counted, triage = counting_core(core)
    await counted.dispatcher.handle(make_incoming(button="menu:policy"))
    assert triage.assessed == [] and triage.glanced == []


async def test_ordering_a_batch_reads_the_rules_alone(core: Core) -> None:
    counted, triage = counting_core(core)
    glance = counted.dispatcher.urgent_at_a_glance
    assert glance(make_incoming(DANGER))
    assert not glance(make_incoming("trợ cấp người cao tuổi là bao nhiêu"))
    # The model would raise it once handled; the glance before storage does not wait for it.
    assert not glance(make_incoming(MODEL_ONLY))
    assert (await triage.inner.assess(MODEL_ONLY)).level is TriageLevel.CRITICAL
    assert triage.glanced == [DANGER, "trợ cấp người cao tuổi là bao nhiêu", MODEL_ONLY]
    assert triage.assessed == []


async def test_asking_for_emergency_help_is_urgent_without_reading_any_words(
    core: Core,
) -> None:
    counted, triage = counting_core(core)
    assert counted.dispatcher.urgent_at_a_glance(make_incoming("/khancap"))
    assert counted.dispatcher.urgent_at_a_glance(make_incoming(button="menu:emergency"))
    assert triage.glanced == []


class ThreadNoting:
    """The shipped rules, noting which thread read each text."""

    def __init__(self, triage: LayeredTriage) -> None:
        self.rules = triage.rules
        self.threads: list[int] = []

    def read(self, text: str) -> RuleReading:
        self.threads.append(threading.get_ident())
        return self.rules.read(text)

    def category_label(self, category: str | None) -> str:
        return self.rules.category_label(category)

    @property
    def categories(self) -> tuple[str, ...]:
        return self.rules.categories


async def test_a_long_text_is_triaged_off_the_event_loop(core: Core) -> None:
    assert isinstance(core.services.triage, LayeredTriage)
    rules = ThreadNoting(core.services.triage)
    triage = LayeredTriage(rules)
    here = threading.get_ident()
    short = await triage.assess("chồng em đang đánh em")
    long = await triage.assess(("hôm nay em đi chợ với mẹ " * 200)[: LONG_TEXT + 1])
    assert short.level is TriageLevel.CRITICAL and long.level is TriageLevel.NONE
    assert rules.threads[0] == here and rules.threads[1] != here

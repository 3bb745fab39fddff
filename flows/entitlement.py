"""The entitlement check: "mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?".

Started from the menu when a message asks what someone is entitled to. The bot reads what the
message already says, asks at most three short questions about what is still unknown (age;
disability; household, pension or orphanhood), each with answer buttons and typed answers
accepted, then says which monthly allowances apply, how much, which one is paid and why, the
legal source, the health-insurance card and where to apply; or, when nothing applies, says so
and what might, with a counsellor one tap away.

The rules come from `knowledge/entitlements.yaml` through `Services.entitlements`; this flow
only converses. Global commands (/huy), menu buttons and the emergency signal are handled by the
dispatcher before this flow sees a message; a message that is no answer leaves the check and is
handled as any message at the menu.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from flows import menu
from flows.entitlement_rules import EntitlementRules, Option, Profile, Question
from flows.messages import Button, Outgoing
from flows.turn import FlowName, Step, Turn

PREFIX = "ent:"  # ent:<question>:<answer>
ROUTE = "entitlement"
SHORT_ANSWER_WORDS = 4  # longer text that answers nothing is a new message
ROW_WIDTH = 3  # short labels side by side
SHORT_LABEL = 14  # characters
# "bố e 78t thì đc hưởng j ko" says little a search can use; the check is about this.
CHECK_SUBJECT = "trợ cấp xã hội hằng tháng"


Handler = Callable[[Turn], Awaitable[Step]]


def rules_of(turn: Turn) -> EntitlementRules | None:
    rules = turn.services.entitlements
    return rules if isinstance(rules, EntitlementRules) else None


def wanted(turn: Turn) -> Profile | None:
    """The facts of a message that asks what someone is entitled to; None otherwise."""
    rules = rules_of(turn)
    text = turn.incoming.text.strip()
    return rules.recognise(text) if rules is not None and text else None


def from_story(turn: Turn, question: str) -> Profile | None:
    """The facts of a story whose question sentences (`question`) ask whether or how much a
    monthly allowance is paid to the person it tells of: for when no article answers it."""
    rules = rules_of(turn)
    text = turn.incoming.text.strip()
    return rules.recognise_story(text, question) if rules is not None and text else None


# What a follow-up after the result may lean on ("thế hồ sơ gồm những gì?"): the subject of
# the question that started the check, carried through its questions.
SUBJECT, SUBJECT_AT = "last_subject", "subject_at"


def lean_on(subject: str, now: datetime) -> dict[str, Any]:
    """The flow data a follow-up leans on for a while: `subject`, said at `now`."""
    return {SUBJECT: subject, SUBJECT_AT: now.isoformat()}


async def start(turn: Turn, profile: Profile, subject: str = "") -> Step:
    """`subject`: what the question was read as; by default what the check is about."""
    kept = {SUBJECT: subject or CHECK_SUBJECT}
    return _next(turn, profile.to_dict(), [], intro=True, kept=kept)


def _kept(turn: Turn) -> dict[str, Any]:
    subject = turn.data.get(SUBJECT)
    return {SUBJECT: subject} if isinstance(subject, str) and subject else {}


async def answer(turn: Turn, otherwise: Handler) -> Step:
    """Text while a question is on screen: an answer, a new entitlement question, or a new
    message (`otherwise` handles it as at the menu)."""
    rules = rules_of(turn)
    data = turn.data
    profile, asked, question = data.get("profile"), data.get("asked"), data.get("question")
    if rules is None or not isinstance(profile, dict) or not isinstance(asked, list) or \
            not isinstance(question, str):
        return await leave(turn, otherwise)
    text = turn.incoming.text.strip()
    if not text or menu.is_greeting(text):
        return await leave(turn, otherwise)
    fresh = rules.recognise(text)
    if fresh is not None:  # another person, or the same question asked again
        return await start(turn, fresh)
    read = rules.read(profile, text, question)
    if read is None and rules.asks_amount(text):
        # "dc bn 1 thang v ad": the amount is what the check works out; it needs this answer.
        return _ask_again(turn, rules, profile, asked, question, amount=True)
    other = rules.is_other_question(text)
    if read is not None and not other:
        return _next(turn, read.to_dict(), asked, kept=_kept(turn))
    if other or len(text.split()) > SHORT_ANSWER_WORDS or data.get("again"):
        return await leave(turn, otherwise)
    return _ask_again(turn, rules, profile, asked, question)


async def press(turn: Turn) -> Step:
    """An answer button (ent:<question>:<answer>)."""
    rules = rules_of(turn)
    data = turn.data
    profile, asked = data.get("profile"), data.get("asked")
    _, question, choice = (turn.incoming.button.split(":", 2) + ["", ""])[:3]
    if (rules is None or turn.person.flow != FlowName.ENTITLEMENT
            or not isinstance(profile, dict) or not isinstance(asked, list)):
        return await menu.stale_button(turn)
    updated = rules.apply(profile, question, choice)
    if updated is None:
        return await menu.stale_button(turn)
    # An earlier question's button changes that answer; the question on screen is asked again.
    pending = data.get("question")
    done = [a for a in asked if a != pending or a == question]
    if question not in done:
        done.append(question)
    return _next(turn, updated.to_dict(), done, kept=_kept(turn))


async def leave(turn: Turn, otherwise: Handler) -> Step:
    """Out of the check: the message is handled as a new one at the menu."""
    # "thế hồ sơ gồm những gì?" typed instead of an answer still leans on the check's subject.
    kept = _kept(turn)
    flow_data = lean_on(kept[SUBJECT], turn.now) if kept else {}
    person = replace(turn.person, flow=FlowName.MENU, flow_data=flow_data)
    step = await otherwise(replace(turn, person=person))
    if step.flow is None:
        step.flow = FlowName.MENU
    if step.data is None:
        step.data = {}
    return step


def _next(turn: Turn, profile: dict[str, Any], asked: list[str], *, intro: bool = False,
          kept: Mapping[str, Any] | None = None) -> Step:
    """Ask the next question still worth asking, or give the result."""
    rules = rules_of(turn)
    assert rules is not None
    remaining = rules.questions(profile, asked)
    if not remaining:
        return _result(turn, rules, profile, kept or {})
    step = _ask(turn, rules, profile, [*asked, remaining[0].id], remaining[0], intro=intro,
                left=len(remaining))
    assert step.data is not None
    step.data.update(kept or {})
    return step


def _ask(turn: Turn, rules: EntitlementRules, profile: Mapping[str, Any], asked: list[str],
         question: Question, *, intro: bool = False, again: bool = False, left: int = 1,
         amount: bool = False) -> Step:
    text = turn.text("entitlement_ask", profile=rules.profile(profile), question=question,
                     intro=intro, again=again, left=left, amount=amount)
    buttons = _rows([Button(_label(turn, o), f"{PREFIX}{question.id}:{o.answer}")
                     for o in question.options])
    data: dict[str, Any] = {"profile": dict(profile), "asked": asked, "question": question.id}
    if again:
        data["again"] = True
    return Step(route=ROUTE, replies=[Outgoing(text, buttons=buttons)],
                flow=FlowName.ENTITLEMENT, data=data)


def _ask_again(turn: Turn, rules: EntitlementRules, profile: dict[str, Any], asked: list[str],
               question_id: str, *, amount: bool = False) -> Step:
    """The question on screen once more, after a reply that answered nothing (`amount`: that
    asked how much)."""
    earlier = [a for a in asked if a != question_id]
    for question in rules.questions(profile, earlier):
        if question.id == question_id:
            step = _ask(turn, rules, profile, asked, question, again=not amount,
                        amount=amount)
            assert step.data is not None
            step.data.update(_kept(turn))
            return step
    return _next(turn, profile, asked, kept=_kept(turn))


def _label(turn: Turn, option: Option) -> str:
    if option.label:
        return turn.services.render.label(option.label)
    return turn.text("entitlement_band", band=option.band)


def _rows(buttons: Sequence[Button]) -> tuple[tuple[Button, ...], ...]:
    """Short labels three to a row, long ones one to a row."""
    rows: list[tuple[Button, ...]] = []
    row: list[Button] = []
    for button in buttons:
        if len(button.label) > SHORT_LABEL:
            if row:
                rows.append(tuple(row))
                row = []
            rows.append((button,))
            continue
        row.append(button)
        if len(row) == ROW_WIDTH:
            rows.append(tuple(row))
            row = []
    if row:
        rows.append(tuple(row))
    return tuple(rows)


def _result(turn: Turn, rules: EntitlementRules, profile: dict[str, Any],
            kept: Mapping[str, Any]) -> Step:
    assessment = rules.assess(profile)
    text = turn.text("entitlement_result", assessment=assessment)
    buttons = ((turn.button("menu_counsellor", menu.MENU_COUNSELLOR),),
               (turn.button("menu_home", menu.MENU_HOME),))
    # The result is an answer: for a while a follow-up leans on it. "thế hồ sơ gồm những gì?"
    # after "✅ Trợ cấp hưu trí xã hội" means that allowance's papers, so what is paid (or
    # might be) is the subject, else what was asked.
    named = assessment.subjects
    subject = named[0] if named else kept.get(SUBJECT)
    data = lean_on(subject, turn.now) if subject else {}
    return Step(route=ROUTE, replies=[Outgoing(text, buttons=buttons)], flow=FlowName.MENU,
                data=data)

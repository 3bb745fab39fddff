"""Emergencies: help first, then a few questions that help the rescue.

Entered from triage (a message that signals danger), from /khancap or the menu button, from
any flow. The first reply (calm words and the emergency numbers that fit) is queued at the
highest delivery priority before anything slower; the case goes to the top of the
counsellors' queue with an alert that says why. Every question can be skipped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from flows.cases import LEVEL_PRIORITY, Case, StaffPost, claim_data, higher
from flows.messages import Button, Outgoing, Priority, TriageLevel
from flows.ports import Assessment, Hotline
from flows.turn import FlowName, Notice, Step, Turn

PREFIX = "em:"
SKIP = "em:skip"
QUESTIONS = ("where", "danger", "safe")  # in the order they are asked
ANSWERS = {  # button data -> (question, stored answer)
    "em:danger:yes": ("danger", "yes"),
    "em:danger:no": ("danger", "no"),
    "em:safe:yes": ("safe", "yes"),
    "em:safe:no": ("safe", "no"),
}
DANGER_NOW = "em:danger:yes"
SUICIDE = "suicide"
# Assessment facets (flows/ports.py): what the reply should fit.
THIRD_PARTY, DONE = "third_party", "done"
NO_FACETS: frozenset[str] = frozenset()


@runtime_checkable
class FittingDirectory(Protocol):
    """What this flow asks of the directory (knowledge/directory.py) beyond ports.Directory:
    numbers that fit the person, the one to call at once, the province a text names."""

    def numbers_for(
        self, category: str | None, *, facets: frozenset[str] = ..., province: str | None = ...
    ) -> Sequence[Hotline]: ...

    def call_now(self, category: str | None, *, facets: frozenset[str] = ...) -> Hotline: ...

    def province_in(self, text: str) -> str | None: ...

    def province_name(self, province: str) -> str: ...


def fitting(turn: Turn) -> FittingDirectory | None:
    directory = turn.services.directory
    return directory if isinstance(directory, FittingDirectory) else None


def hotlines(
    turn: Turn, category: str | None, facets: frozenset[str] = NO_FACETS,
    province: str | None = None,
) -> list[Hotline]:
    directory = turn.services.directory
    if directory is None:
        return []
    fit = fitting(turn)
    if fit is None:
        return list(directory.numbers_for(category))
    return list(fit.numbers_for(category, facets=facets, province=province))


def call_now(turn: Turn, category: str | None, facets: frozenset[str]) -> Hotline | None:
    fit = fitting(turn)
    if fit is not None:
        return fit.call_now(category, facets=facets)
    shown = hotlines(turn, category, facets)
    return shown[0] if shown else None


def province_in(turn: Turn, text: str) -> str | None:
    fit = fitting(turn)
    return fit.province_in(text) if fit is not None and text else None


def facets_of(data: dict[str, Any]) -> frozenset[str]:
    return frozenset(str(f) for f in data.get("facets", ()))


def category_label(turn: Turn, category: str | None) -> str:
    triage = turn.services.triage
    return triage.category_label(category) if triage else (category or "")


def first_reply(
    turn: Turn, level: TriageLevel, category: str | None, facets: frozenset[str] = NO_FACETS,
    province: str | None = None,
) -> Outgoing:
    priority = LEVEL_PRIORITY.get(level, Priority.URGENT)
    text = turn.text(
        "emergency_now",
        level=level,
        category=category,
        suicide=category == SUICIDE,
        third_party=THIRD_PARTY in facets,
        done=DONE in facets,
        call_now=call_now(turn, category, facets),
        hotlines=hotlines(turn, category, facets, province),
    )
    return Outgoing(text, priority=priority)


def question(turn: Turn, name: str) -> Outgoing:
    skip = turn.button("skip", SKIP)
    if name == "where":
        return Outgoing(
            turn.text("emergency_where"),
            buttons=((skip,),),
            location_button=turn.services.render.label("share_location"),
            priority=Priority.URGENT,
        )
    yes, no = (turn.button(f"{name}_yes", f"em:{name}:yes"),
               turn.button(f"{name}_no", f"em:{name}:no"))
    return Outgoing(
        turn.text(f"emergency_{name}"), buttons=((yes, no), (skip,)), priority=Priority.URGENT
    )


def _plain(text: str) -> str:
    """Lower case without diacritics, single spaces: "Bỏ qua" and "bo qua" are the same."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def is_skip(turn: Turn) -> bool:
    """The skip button, or its label typed or sent from a keyboard key (Telegram shows the
    location question's buttons as keys under the input box)."""
    incoming = turn.incoming
    if incoming.button == SKIP:
        return True
    label = turn.services.render.label("skip")
    return bool(incoming.text) and _plain(incoming.text) == _plain(label)


async def open_or_raise(
    turn: Turn, level: TriageLevel, category: str | None, signals: tuple[str, ...]
) -> tuple[Case, bool]:
    """The person's open case at the raised priority, or a new one. True if it is new."""
    priority = LEVEL_PRIORITY.get(level, Priority.URGENT)
    tx = turn.tx
    case = await tx.cases.open_of(turn.person.id)
    if case is None:
        case = await tx.cases.create(
            turn.person.id, priority, turn.now, category=category,
            summary=turn.incoming.text[:300], signals=signals,
        )
        await tx.audit.record("bot", "case_opened", turn.now, case_id=case.id,
                       detail=f"priority={priority.value} category={category}")
        return case, True
    raised = higher(case.priority, priority)
    merged = tuple(dict.fromkeys(case.signals + signals))
    await tx.cases.update(case.id, priority=raised, category=case.category or category,
                         signals=merged)
    if raised != case.priority:
        await tx.audit.record("bot", "priority_raised", turn.now, case_id=case.id,
                       detail=f"{case.priority.value}->{raised.value}")
    updated = await tx.cases.get(case.id)
    assert updated is not None
    return updated, False


def alert(
    turn: Turn, case: Case, level: TriageLevel, signals: tuple[str, ...], *, new: bool
) -> StaffPost:
    text = turn.text(
        "staff_alert",
        case=case,
        new=new,
        level=level,
        category=category_label(turn, case.category),
        signals=signals,
        text=turn.incoming.text,
        channel=turn.incoming.channel,
        first_name=turn.person.first_name,
    )
    claim = turn.services.render.label("claim")
    buttons = ((claim, claim_data(case.id)),) if case.status == "waiting" else ()
    return StaffPost(text, case_id=case.id, buttons=(buttons,) if buttons else (),
                     priority=case.priority)


def on_call_notices(turn: Turn, case: Case) -> list[Notice]:
    """Out of office hours, the on-call list hears of urgent and critical cases at once."""
    staff = turn.services.staff
    if staff.office_hours.is_open(turn.now):
        return []
    text = turn.text("on_call_alert", case=case, category=category_label(turn, case.category))
    return [Notice(staff.channel, who, Outgoing(text, priority=case.priority))
            for who in staff.on_call]


async def begin(
    turn: Turn, level: TriageLevel, category: str | None, signals: tuple[str, ...],
    facets: frozenset[str] = NO_FACETS,
) -> Step:
    case, new = await open_or_raise(turn, level, category, signals)
    staff = [alert(turn, case, level, signals, new=new)]
    in_intake = turn.person.flow == FlowName.EMERGENCY
    data: dict[str, Any] = dict(turn.data) if in_intake else {"case_id": case.id}
    # What is known of the person carries through the questions: earlier facets stay.
    facets = facets | (facets_of(data) if in_intake else NO_FACETS)
    province = province_in(turn, turn.incoming.text) or data.get("province")
    if facets:
        data["facets"] = sorted(facets)
    if province:
        data["province"] = province
    replies = [first_reply(turn, level, category, facets, province)]
    if not in_intake:
        data["question"] = QUESTIONS[0]
        replies.append(question(turn, QUESTIONS[0]))
    return Step(
        route="emergency",
        replies=replies,
        flow=FlowName.EMERGENCY,
        data=data,
        staff=staff,
        notices=on_call_notices(turn, case) if new else [],
        urgency=level,
        category=category,
        signals=signals,
        case_id=case.id,
    )


async def on_signal(turn: Turn, assessment: Assessment) -> Step:
    """Triage found danger in what the person wrote: this wins over any flow."""
    if turn.person.flow == FlowName.EMERGENCY and is_skip(turn):
        return await answer(turn)  # "Bỏ qua" (the keyboard key) carries no danger of its own
    return await begin(turn, assessment.level, assessment.category, tuple(assessment.signals),
                       frozenset(assessment.facets))


async def start(turn: Turn) -> Step:
    """/khancap or the menu button: the person says it is an emergency; believe them."""
    return await begin(turn, TriageLevel.CRITICAL, None, ("người dùng bấm Báo khẩn cấp",))


async def during_case(turn: Turn, assessment: Assessment) -> Step:
    """Danger signalled while waiting for or talking to a counsellor: alert, show numbers,
    and leave the conversation where it is."""
    case, _ = await open_or_raise(
        turn, assessment.level, assessment.category, tuple(assessment.signals)
    )
    province = province_in(turn, turn.incoming.text) or turn.data.get("province")
    reply = first_reply(turn, assessment.level, assessment.category,
                        frozenset(assessment.facets), province)
    return Step(
        route="emergency",
        replies=[reply],
        staff=[alert(turn, case, assessment.level, tuple(assessment.signals), new=False)],
        urgency=assessment.level,
        category=assessment.category,
        signals=tuple(assessment.signals),
        case_id=case.id,
    )


def where_noted(
    turn: Turn, value: Any, case: Case, facets: frozenset[str], before: str | None,
    after: str | None,
) -> Outgoing:
    """Said once the location question is behind: takes the location keyboard away, and
    gives the numbers of the person's province now that it is known."""
    if value == "skipped":
        answer = "skipped"
    elif isinstance(value, dict):
        answer = "location"
    elif value:
        answer = "address"
    else:
        answer = "other"
    local: list[Hotline] = []
    fit = fitting(turn)
    if after and after != before and fit is not None:
        known = {h.number for h in hotlines(turn, case.category, facets, before)}
        local = [h for h in hotlines(turn, case.category, facets, after)
                 if h.number not in known]
    province = fit.province_name(after) if local and after and fit is not None else ""
    return Outgoing(
        turn.text("emergency_where_noted", answer=answer, local=local, province=province),
        remove_keyboard=True,
        priority=Priority.URGENT,
    )


async def answer(turn: Turn) -> Step:
    """A reply to the current intake question: attach it to the case, ask the next one."""
    data = dict(turn.data)
    current = str(data.get("question", QUESTIONS[0]))
    case_id = int(data.get("case_id", 0))
    case = await turn.tx.cases.get(case_id) if case_id else None
    if case is None or not case.is_open:
        return Step(route="emergency", flow=FlowName.MENU, data={},
                    replies=[Outgoing(turn.text("menu"))])
    incoming = turn.incoming
    asked = current  # the question on screen; an answer may be to another one
    value: Any
    if is_skip(turn):
        value = "skipped"
    elif incoming.button in ANSWERS:
        current, value = ANSWERS[incoming.button]
    elif incoming.location is not None:
        current = "where"
        value = {"latitude": incoming.location.latitude, "longitude": incoming.location.longitude}
    else:
        value = incoming.text or (incoming.attachment.kind if incoming.attachment else "")
    details = dict(case.details)
    details[current] = value
    await turn.tx.cases.update(case.id, details=details)
    staff = [StaffPost(
        turn.text("staff_answer", case=case, question=current, value=value),
        case_id=case.id, priority=case.priority,
    )]
    facets = facets_of(data)
    before = data.get("province")
    province = before
    if current == "where" and isinstance(value, str) and value != "skipped":
        province = province_in(turn, value) or before
        if province:
            data["province"] = province
    replies: list[Outgoing] = []
    if asked == "where":
        replies.append(where_noted(turn, value, case, facets, before, province))
    if incoming.button == DANGER_NOW:
        replies.append(Outgoing(
            turn.text("emergency_call_now", call_now=call_now(turn, case.category, facets),
                      third_party=THIRD_PARTY in facets),
            priority=Priority.CRITICAL,
        ))
    following = QUESTIONS.index(current) + 1 if current in QUESTIONS else len(QUESTIONS)
    if following < len(QUESTIONS):
        data["question"] = QUESTIONS[following]
        replies.append(question(turn, QUESTIONS[following]))
        return Step(route="emergency", replies=replies,
                    flow=FlowName.EMERGENCY, data=data, staff=staff, case_id=case.id,
                    urgency=case.priority.value if case.priority != Priority.NORMAL else "none")
    shown = hotlines(turn, case.category, facets, province)
    replies.append(Outgoing(turn.text("emergency_done", hotlines=shown), buttons=(
        (Button(turn.services.render.label("leave_queue"), "queue:leave"),),)))
    return Step(route="emergency", replies=replies, flow=FlowName.WAITING,
                data={"case_id": case.id}, staff=staff, case_id=case.id)

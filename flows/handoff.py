"""Asking for a person: intake, the queue, relaying while a counsellor has the case, leaving,
and the rating afterwards. While a case is open the bot does not answer in the counsellor's
place; it only passes messages on (and still alerts on danger: see the dispatcher)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from flows.cases import Case, CaseStatus, StaffPost, card_refresh, claim_data, copy_address
from flows.menu import main_menu
from flows.messages import Button, IncomingKind, Outgoing, Priority
from flows.ports import Services
from flows.privacy import ask_consent
from flows.turn import FlowName, Step, Turn

PREFIX = "ho:"
TOPICS = ("chinh_sach", "gia_dinh", "tre_em", "nguoi_khuyet_tat", "nguoi_cao_tuoi", "tam_ly",
          "khac")
SKIP = "ho:skip"
LEAVE = "queue:leave"
STAY = "queue:stay"
RATE = "rate:"
RATE_SKIP = "rate:skip"
ACK_EVERY = timedelta(minutes=5)


def topic_buttons(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    buttons = [turn.button(f"topic_{t}", f"{PREFIX}topic:{t}") for t in TOPICS]
    return tuple(tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2))


async def estimate_minutes(turn: Turn, position: int) -> int | None:
    """An honest estimate from how long recent cases waited; None when there is no history."""
    waits = await turn.tx.cases.recent_waits()
    if len(waits) < 3:
        return None
    minutes = statistics.median(waits) / 60 * max(1, position)
    return max(5, int(5 * -(-minutes // 5)))  # rounded up to 5 minutes


async def queue_status(turn: Turn, case: Case) -> Outgoing:
    """Where the person is in the queue; what they were told is kept on the case, so the
    case watch can tell them again when it changes materially."""
    position = await turn.tx.cases.queue_position(case.id)
    await turn.tx.cases.update(case.id, details=dict(case.details) | {"told_position": position})
    office = turn.services.staff.office_hours
    reopen = office.next_opening(turn.now) if not office.is_open(turn.now) else None
    text = turn.text(
        "queue_status",
        position=position,
        minutes=await estimate_minutes(turn, position),
        closed=reopen is not None,
        reopen=reopen,
        urgent=case.priority in (Priority.CRITICAL, Priority.URGENT),
    )
    return Outgoing(text, buttons=((turn.button("leave_queue", LEAVE),),))


async def request(turn: Turn) -> Step:
    """The menu button, /tuvanvien, or the offer after an unanswered question."""
    case = await turn.tx.cases.open_of(turn.person.id)
    if case is None and turn.person.consent_at is None:
        return await ask_consent(turn, "handoff")
    if case is not None:
        if case.status == CaseStatus.ACTIVE:
            return Step(route="handoff", replies=[Outgoing(turn.text("already_talking"))],
                        flow=FlowName.TALKING, data={"case_id": case.id})
        return Step(route="handoff", replies=[await queue_status(turn, case)],
                    flow=FlowName.WAITING, data={"case_id": case.id})
    return Step(route="handoff",
                replies=[Outgoing(turn.text("intake_topic"), buttons=topic_buttons(turn))],
                flow=FlowName.INTAKE, data={})


async def intake(turn: Turn) -> Step:
    """Topic first (buttons), then an optional one-line description; then the queue."""
    incoming = turn.incoming
    data = dict(turn.data)
    if incoming.button.startswith(f"{PREFIX}topic:"):
        data["topic"] = incoming.button.removeprefix(f"{PREFIX}topic:")
        return Step(route="handoff",
                    replies=[Outgoing(turn.text("intake_describe"),
                                      buttons=((turn.button("skip", SKIP),),))],
                    flow=FlowName.INTAKE, data=data)
    if incoming.kind is IncomingKind.TEXT or incoming.button == SKIP:
        description = incoming.text.strip() if incoming.kind is IncomingKind.TEXT else ""
        return await join_queue(turn, str(data.get("topic", "khac")), description)
    return Step(route="handoff",
                replies=[Outgoing(turn.text("intake_topic"), buttons=topic_buttons(turn))])


async def join_queue(turn: Turn, topic: str, description: str) -> Step:
    case = await turn.tx.cases.create(turn.person.id, Priority.NORMAL, turn.now, topic=topic,
                                     summary=description[:300])
    await turn.tx.audit.record("bot", "case_opened", turn.now, case_id=case.id,
                        detail=f"priority=normal topic={topic}")
    card = StaffPost(turn.text("staff_new_case", case=case, first_name=turn.person.first_name,
                               topic=turn.services.render.label(f"topic_{topic}")),
                     case_id=case.id,
                     buttons=(((turn.services.render.label("claim"), claim_data(case.id)),),))
    return Step(route="handoff", replies=[await queue_status(turn, case)],
                flow=FlowName.WAITING, data={"case_id": case.id, "acked_at": turn.now.isoformat()},
                staff=[card], case_id=case.id)


def relay_post(turn: Turn, case: Case) -> StaffPost:
    """What the person sent, as it should appear in the case's topic (with their media, where
    the staff channel can copy it from the person's channel)."""
    incoming = turn.incoming
    copy_from = ""
    if incoming.attachment is not None and incoming.message_ref:
        copy_from = copy_address(incoming.channel, incoming.user_id, incoming.message_ref)
    text = turn.text("staff_relay", incoming=incoming, kind=incoming.kind.value)
    return StaffPost(text, case_id=case.id, priority=case.priority, copy_from=copy_from)


async def _current_case(turn: Turn) -> Case | None:
    return await turn.tx.cases.open_of(turn.person.id)


async def waiting(turn: Turn) -> Step:
    case = await _current_case(turn)
    if case is None:
        return Step(route="handoff", flow=FlowName.MENU, data={},
                    replies=[Outgoing(turn.text("case_gone"), buttons=main_menu(turn))])
    if case.status == CaseStatus.ACTIVE:
        return await talking(turn)
    replies: list[Outgoing] = []
    data = dict(turn.data)
    acked = str(data.get("acked_at", ""))
    if not acked or turn.now - datetime.fromisoformat(acked) >= ACK_EVERY:
        replies.append(Outgoing(turn.text("waiting_ack")))
        data["acked_at"] = turn.now.isoformat()
    return Step(route="handoff", replies=replies, data=data, staff=[relay_post(turn, case)],
                case_id=case.id)


async def talking(turn: Turn) -> Step:
    case = await _current_case(turn)
    if case is None:
        return Step(route="handoff", flow=FlowName.MENU, data={},
                    replies=[Outgoing(turn.text("case_gone"), buttons=main_menu(turn))])
    return Step(route="relay", staff=[relay_post(turn, case)], flow=FlowName.TALKING,
                data={"case_id": case.id}, case_id=case.id)


async def leave(turn: Turn) -> Step:
    """/huy or the button while waiting: leave the queue."""
    case = await _current_case(turn)
    staff: list[StaffPost] = []
    if case is not None and case.status == CaseStatus.WAITING:
        await turn.tx.cases.set_status(case.id, CaseStatus.CANCELLED, turn.now)
        await turn.tx.audit.record("person", "case_cancelled", turn.now, case_id=case.id)
        staff.append(StaffPost(turn.text("staff_cancelled", case=case), case_id=case.id,
                               priority=case.priority))
        staff.append(card_refresh(case))
    return Step(route="handoff", flow=FlowName.MENU, data={}, staff=staff,
                replies=[Outgoing(turn.text("queue_left"), buttons=main_menu(turn))])


async def stay(turn: Turn) -> Step:
    """'Keep waiting' after the apology for a long wait."""
    case = await _current_case(turn)
    if case is None:
        return Step(route="handoff", flow=FlowName.MENU, data={},
                    replies=[Outgoing(turn.text("case_gone"), buttons=main_menu(turn))])
    details = dict(case.details)
    details.pop("abandon_notice_at", None)
    await turn.tx.cases.update(case.id, details=details)
    return Step(route="handoff", replies=[await queue_status(turn, case)],
                flow=FlowName.WAITING, data={"case_id": case.id})


async def end(turn: Turn) -> Step:
    """/ketthuc: the person ends the conversation."""
    case = await _current_case(turn)
    if case is None:
        return Step(route="handoff", replies=[Outgoing(turn.text("case_gone"),
                                                        buttons=main_menu(turn))])
    if case.status == CaseStatus.WAITING:
        return await leave(turn)
    await turn.tx.cases.set_status(case.id, CaseStatus.CLOSED, turn.now,
                                  outcome="người dùng kết thúc")
    await turn.tx.audit.record("person", "case_closed", turn.now, case_id=case.id,
                        detail="ended by the person")
    staff = [StaffPost(turn.text("staff_person_ended", case=case), case_id=case.id,
                       priority=case.priority), card_refresh(case)]
    # The person asked to end it, so a reply is welcome even without the rating request.
    message, data = closing_message(turn.services, case)
    reply = message or Outgoing(turn.text("case_closed_person"))
    return Step(route="handoff", flow=FlowName.MENU, data=data, replies=[reply], staff=staff,
                case_id=case.id)


def closing_message(services: Services, case: Case) -> tuple[Outgoing | None, dict[str, Any]]:
    """The rating request (with thanks): the one message sent unasked after a case closes,
    because people living with their abuser may not want more. None when switched off.
    Also the person's flow data that makes the rating buttons work."""
    if not services.staff.rating_request:
        return None, {}
    stars = tuple(Button(f"{n}⭐", f"{RATE}{n}") for n in range(1, 6))
    text = (services.render.render("case_closed_person") + "\n\n"
            + services.render.render("rating_ask"))
    return Outgoing(text, buttons=(stars,)), {"rating_case": case.id}


async def rate(turn: Turn) -> Step:
    if turn.incoming.button == RATE_SKIP:
        return Step(route="handoff", flow=FlowName.MENU, data={},
                    replies=[Outgoing(turn.text("rating_comment_thanks"),
                                      buttons=main_menu(turn))])
    case_id = turn.data.get("rating_case")
    try:
        score = int(turn.incoming.button.removeprefix(RATE))
    except ValueError:
        score = 0
    if not case_id or not 1 <= score <= 5:
        return Step(route="fallback", replies=[Outgoing(turn.text("stale_button"),
                                                         buttons=main_menu(turn))])
    case = await turn.tx.cases.get(int(case_id))
    if case is not None:
        details = dict(case.details) | {"rating": score}
        await turn.tx.cases.update(case.id, details=details)
        await turn.tx.audit.record("person", "case_rated", turn.now, case_id=case.id,
                            detail=f"rating={score}")
    # The counsellors read the rating on the case's card.
    return Step(route="handoff", flow=FlowName.MENU,
                data={"rating_comment_case": case_id},
                replies=[Outgoing(turn.text("rating_thanks", score=score),
                                  buttons=((turn.button("skip", RATE_SKIP),),))],
                staff=[card_refresh(case)] if case is not None else [])


async def rating_comment(turn: Turn) -> Step | None:
    """The optional comment after a rating; None when this text is not one."""
    case_id = turn.data.get("rating_comment_case")
    if not case_id:
        return None
    staff: list[StaffPost] = []
    if turn.incoming.kind is IncomingKind.TEXT and turn.incoming.text.strip():
        case = await turn.tx.cases.get(int(case_id))
        if case is not None:
            details = dict(case.details) | {"rating_comment": turn.incoming.text.strip()[:1000]}
            await turn.tx.cases.update(case.id, details=details)
            staff.append(card_refresh(case))  # the comment too is on the card
    return Step(route="handoff", flow=FlowName.MENU, data={},
                replies=[Outgoing(turn.text("rating_comment_thanks"), buttons=main_menu(turn))],
                staff=staff)

"""A person's data: the notice, consent, seeing what we hold, and erasing it.

Emergency help never waits for consent. Erasure keeps only an open urgent or critical case
(a life may depend on it), and says so; everything else is deleted, not flagged, and the
counsellors' copies in the staff group go with it.
"""

from __future__ import annotations

from flows.cases import StaffPost, StaffPostKind
from flows.menu import main_menu
from flows.messages import Button, Outgoing, Priority
from flows.turn import FlowName, Step, Turn

PREFIX = "privacy:"
AGREE = "privacy:agree"
SHOW = "privacy:show"
ERASE = "privacy:erase"
ERASE_YES = "privacy:erase:yes"
ERASE_NO = "privacy:erase:no"


def consent_button(turn: Turn) -> Button:
    return turn.button("consent_agree", AGREE)


async def notice(turn: Turn) -> Step:
    """/baomat: the full notice."""
    buttons: tuple[tuple[Button, ...], ...] = ()
    if turn.person.consent_at is None:
        buttons = ((consent_button(turn),),)
    text = turn.text("privacy_full", retention=turn.services.retention)
    return Step(route="privacy", replies=[Outgoing(text, buttons=buttons)])


async def ask_consent(turn: Turn, then: str) -> Step:
    """Before a counsellor reads anything: the short notice and an explicit agreement."""
    return Step(
        route="privacy",
        replies=[Outgoing(turn.text("consent_needed"), buttons=((consent_button(turn),),))],
        data=dict(turn.data) | {"after_consent": then},
    )


async def agree(turn: Turn) -> Step:
    """Record consent with its time. The dispatcher then continues what was asked for."""
    await turn.tx.people.set_consent(turn.person.id, turn.now)
    await turn.tx.audit.record(f"person:{turn.person.id}", "consent_given", turn.now)
    return Step(route="privacy", data={},
                replies=[Outgoing(turn.text("consent_thanks"), buttons=main_menu(turn))])


async def my_data(turn: Turn) -> Step:
    """/dulieu: counts and dates, and buttons to see one's messages or erase them."""
    summary = await turn.tx.people.data_summary(turn.person.id)
    tz = turn.services.staff.office_hours.tz
    return Step(
        route="privacy",
        replies=[Outgoing(
            turn.text("my_data", summary=summary, tz=tz),
            buttons=((turn.button("show_my_messages", SHOW),),
                     (turn.button("erase_my_data", ERASE),)),
        )],
    )


async def show_messages(turn: Turn) -> Step:
    messages = await turn.tx.messages.own(turn.person.id)
    tz = turn.services.staff.office_hours.tz
    return Step(route="privacy",
                replies=[Outgoing(turn.text("my_messages", messages=messages, tz=tz))])


async def _urgent_open_cases(turn: Turn) -> list[int]:
    case = await turn.tx.cases.open_of(turn.person.id)
    return [case.id] if case is not None and case.priority is not Priority.NORMAL else []


async def erase_ask(turn: Turn) -> Step:
    """/xoa: say what will go and what must stay, then ask to confirm."""
    kept = await _urgent_open_cases(turn)
    yes, no = turn.button("erase_yes", ERASE_YES), turn.button("erase_no", ERASE_NO)
    return Step(route="privacy",
                replies=[Outgoing(turn.text("erase_confirm", kept=kept), buttons=((yes, no),))])


async def erase(turn: Turn) -> Step:
    if turn.incoming.button == ERASE_NO:
        return Step(route="privacy",
                    replies=[Outgoing(turn.text("erase_cancelled"), buttons=main_menu(turn))])
    kept = await _urgent_open_cases(turn)
    result = await turn.tx.people.erase(turn.person.id, kept)
    await turn.tx.audit.record(f"person:{turn.person.id}", "data_erased", turn.now,
                        detail=f"messages={result.messages} cases={result.cases} kept={kept}")
    staff = [StaffPost(turn.text("staff_case_erased", case_id=case_id), thread=thread,
                       edit=StaffPostKind.DELETE_TOPIC)
             for case_id, thread in result.erased_threads]
    staff += [StaffPost(turn.text("staff_erasure_kept", case_id=case_id), case_id=case_id)
              for case_id in kept]
    # With a kept case the person stays with it (still answering the emergency questions,
    # or in the queue); otherwise back to the menu.
    if not kept:
        flow, data = FlowName.MENU, {}
    elif turn.person.flow == FlowName.EMERGENCY:
        flow, data = FlowName.EMERGENCY, {"case_id": kept[0]}
    else:
        flow, data = FlowName.WAITING, {"case_id": kept[0]}
    return Step(
        route="privacy",
        replies=[Outgoing(turn.text("erase_done", kept=kept), buttons=main_menu(turn))],
        flow=flow,
        data=data,
        staff=staff,
        keep_history=False,
        compact=True,
    )

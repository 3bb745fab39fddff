"""The safety net: a message that describes a person's situation or feelings, that no triage
layer raised and no article answers, is read by a human.

Such a person never gets "rephrase your question". They get a warm reply that says a
counsellor will read what they wrote, a one-tap way to a counsellor and the general numbers
(111 too when a child may be involved); the message becomes a **review item**: a case at the
``review`` priority (below urgent, above normal), posted to the staff group with a claim
button. Later messages of the same kind join the open case instead of opening another.
"""

from __future__ import annotations

from flows.cases import Case, StaffPost, claim_data
from flows.menu import MENU_COUNSELLOR
from flows.messages import Outgoing, Priority
from flows.turn import FlowName, Step, Turn


def needs_human(turn: Turn) -> bool:
    """Did triage mark this message as one a human should read?"""
    assessment = turn.assessment
    return assessment is not None and assessment.review


async def review(turn: Turn) -> Step:
    text = turn.incoming.text.strip()
    tx = turn.tx
    case = await tx.cases.open_of(turn.person.id)
    new = case is None
    if case is None:
        case = await tx.cases.create(turn.person.id, Priority.REVIEW, turn.now,
                                    summary=text[:300])
        await tx.audit.record("bot", "case_opened", turn.now, case_id=case.id,
                       detail="priority=review reason=not_understood")
    assessment = turn.assessment
    child = assessment is not None and "child" in assessment.facets
    post = _staff_post(turn, case, text, new=new)
    reply = Outgoing(
        turn.text("safety_net", child=child, new=new),
        buttons=((turn.button("menu_counsellor", MENU_COUNSELLOR),),),
    )
    return Step(route="review", replies=[reply], staff=[post], case_id=case.id,
                flow=FlowName.MENU, data={"last_question": text}, urgency="none")


def _staff_post(turn: Turn, case: Case, text: str, *, new: bool) -> StaffPost:
    message = turn.text("staff_review", case=case, text=text, new=new,
                        first_name=turn.person.first_name, channel=turn.incoming.channel)
    claim = turn.services.render.label("claim")
    buttons = (((claim, claim_data(case.id)),),) if case.status == "waiting" else ()
    return StaffPost(message, case_id=case.id, buttons=buttons, priority=case.priority)

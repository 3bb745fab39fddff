"""What a counsellor sends into a case reaches the person one way: what they type in the
case's topic (flows/counsellor.py `relay`) and a canned reply (`/mau <tên>`, flows/canned.py)
are checked alike (the case is taken, open, and theirs or a supervisor's), kept in the
person's history, count as the case's first reply, and go out signed with the counsellor's
display name."""

from __future__ import annotations

from typing import Any

from flows.cases import Case, CaseStatus
from flows.messages import Outgoing
from flows.staff_turn import StaffTurn
from flows.turn import Notice, Step


def owns(turn: StaffTurn, case: Case) -> bool:
    """May this staff member act on the case: the counsellor who has it, or a supervisor."""
    actor = turn.staff_id
    return case.claimed_by == actor or turn.services.staff.directory.is_supervisor(actor)


def refusal(turn: StaffTurn, case: Case) -> str | None:
    """Why nothing may be sent to the person of this case now, or None."""
    if case.status == CaseStatus.WAITING:
        return turn.text("staff_claim_first", case=case)
    if not case.is_open:
        return turn.text("staff_case_closed", case=case)
    if not owns(turn, case):
        return turn.text("staff_not_yours", case=case)
    return None


async def send_to_person(
    turn: StaffTurn, case: Case, text: str, *, kind: str = "text", copy_from: str = "",
    meta: dict[str, Any] | None = None, route: str = "relay",
) -> Step:
    """Send `text` (or the media at `copy_from`, with `text` as its caption) to the case's
    person from the acting counsellor; the caller has checked `refusal`."""
    incoming = turn.incoming
    await turn.tx.messages.add(case.person_id, "staff", kind, text, turn.now,
                               event_id=incoming.event_id, case_id=case.id,
                               meta={"by": turn.staff_id, "edited": incoming.edited}
                               | (meta or {}))
    await turn.tx.cases.mark_first_reply(case.id, turn.now)
    said = turn.text("counsellor_message", name=turn.actor_name, text=text,
                     edited=incoming.edited, kind=kind)
    message = Outgoing(said, copy_from=copy_from, priority=case.priority)
    return Step(route=route, notices=[Notice(case.channel, case.external_id, message)],
                case_id=case.id)

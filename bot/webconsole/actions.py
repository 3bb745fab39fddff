"""What a supervisor does to a case from its page: change its level, hand it to another
counsellor, close it with an outcome. Each goes through the staff desk (flows/counsellor.py),
as the same action in Telegram does, with the staff member known by their staff id on the
web channel: the same checks, the same audit, the same posts in the case's topic and the
same message to the person."""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from bot.core import Core
from bot.webconsole.access import Visitor, read_form
from bot.webconsole.pages import Console
from flows.counsellor import level_data
from flows.messages import Handled, Priority, StaffIncoming
from flows.staff import WEB


class CaseActions:
    def __init__(self, core: Core, console: Console) -> None:
        self.core = core
        self.console = console

    async def act(self, request: Request, visitor: Visitor) -> Response:
        """POST /cases/N/{level|transfer|close}: done, then the case page says how it went."""
        try:
            case_id = int(request.path_params["case_id"])
        except (KeyError, ValueError):
            return self.console.access.page("case_missing", visitor=visitor, status=404)
        if not visitor.supervises:
            return self.console.access.page("supervisors_only", visitor=visitor, status=403)
        form = await read_form(request)
        action = str(request.path_params["action"])
        incoming = self.incoming(action, form, case_id, visitor)
        if incoming is None:
            return await self.console.case_page(request, visitor, notice="form_incomplete")
        handled = await self.core.desk.handle(incoming)
        self.core.wake()  # the topic's posts and the person's message are in the outbox
        return await self.console.case_page(request, visitor, notice=outcome_of(handled))

    def incoming(self, action: str, form: dict[str, str], case_id: int,
                 visitor: Visitor) -> StaffIncoming | None:
        text, button = "", ""
        if action == "level":
            levels = {p.value for p in Priority}
            if form.get("level") not in levels:
                return None
            button = level_data(case_id, Priority(form["level"]))
        elif action == "transfer":
            target = form.get("to", "")
            if not target.isdigit() or len(target) > 12:
                return None
            text = f"/chuyen {target}"
        elif action == "close":
            outcome = form.get("outcome", "")
            if outcome not in self.core.services.staff.outcomes:
                return None
            text = f"/dong {outcome}"
        else:
            return None
        return StaffIncoming(channel=WEB, event_id=f"web-{uuid.uuid4().hex}",
                             actor_id=visitor.member.id, actor_name=visitor.member.name,
                             received_at=self.core.clock(), text=text, button=button,
                             case_id=case_id)


def outcome_of(handled: Handled) -> str:
    """What the desk said back, for the page; its route when it said nothing (done)."""
    return handled.replies[0].text if handled.replies else f"done_{handled.route}"

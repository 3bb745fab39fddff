"""One staff action with what it needs: the unit of work, the services, who acted. The staff
desk (flows/counsellor.py) builds it; handlers there and in flows/corrections.py take it."""

from __future__ import annotations

from flows.cases import Case, StaffPost
from flows.messages import StaffIncoming
from flows.ports import Services
from flows.staff import WEB, StaffMember, outsider_actor, staff_actor
from flows.store import Transaction


class StaffTurn:
    """One staff action with what it needs: the transaction, services, the actor."""

    def __init__(self, incoming: StaffIncoming, tx: Transaction, services: Services) -> None:
        self.incoming = incoming
        self.tx = tx
        self.services = services
        self.now = services.clock()
        directory = services.staff.directory
        self.member: StaffMember | None = (
            directory.member(incoming.actor_id) if incoming.channel == WEB
            else directory.by_address(incoming.channel, str(incoming.actor_id)))

    def text(self, template: str, /, **values: object) -> str:
        return self.services.render.render(template, **values)

    @property
    def may_act(self) -> bool:
        return self.member is not None and self.member.may_act

    @property
    def staff_id(self) -> int:
        """The acting member's staff id; only members who may act reach the handlers."""
        if self.member is None:
            raise LookupError("not a staff member: the desk refuses them before any action")
        return self.member.id

    @property
    def actor(self) -> str:
        """Who acted, as the audit log names them."""
        if self.member is None:
            return outsider_actor(self.incoming.channel, str(self.incoming.actor_id))
        return staff_actor(self.member.id)

    @property
    def actor_name(self) -> str:
        name = self.services.staff.directory.name_of(self.member.id if self.member else None)
        return name or self.incoming.actor_name

    def here(self, text: str, case: Case | None = None) -> StaffPost:
        """A post where the staff member acted (the case's topic, or General)."""
        return StaffPost(text, case_id=case.id if case else None)

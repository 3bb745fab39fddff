"""Staff, channel-neutral: who works the hotline, in which role, and how each channel reaches
them.

A staff member has a stable id the domain uses everywhere (cases are claimed by it, the audit
log names it as `staff:<id>`), a display name shown to citizens, roles, and one address per
channel (the Telegram user id, later a console sign-in). A channel adapter reports who acted
by its own address; `StaffDirectory.by_address` turns that into the member.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    COUNSELLOR = "counsellor"  # takes cases
    SUPERVISOR = "supervisor"  # gets escalations directly and may act on any case
    ON_CALL = "on_call"  # told of urgent and critical cases out of office hours


# The web console's channel: a staff member acting there is known by their staff id, which is
# their address on it.
WEB = "web"

# Roles whose holders may act at the staff desk (claim, answer, close, correct).
DESK_ROLES = frozenset({Role.COUNSELLOR, Role.SUPERVISOR})


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str = ""  # shown to citizens instead of the channel account; empty: its first name
    roles: frozenset[Role] = frozenset({Role.COUNSELLOR})
    # channel -> the channel's own id of this person, e.g. {"telegram": "5001"}
    addresses: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def may_act(self) -> bool:
        return bool(self.roles & DESK_ROLES)

    @property
    def actor(self) -> str:
        return staff_actor(self.id)


def staff_actor(staff_id: int) -> str:
    """How the audit log (and the corrections kept for export) names a staff member."""
    return f"staff:{staff_id}"


def outsider_actor(channel: str, address: str) -> str:
    """How the audit log names someone who tried to act at the desk without being staff:
    there is no staff id, only the channel's address."""
    return f"{channel}:{address}"


@dataclass(frozen=True)
class StaffDirectory:
    """Every configured staff member, in the order the configuration lists them."""

    members: tuple[StaffMember, ...] = ()

    def member(self, staff_id: int | None) -> StaffMember | None:
        return next((m for m in self.members if m.id == staff_id), None)

    def by_address(self, channel: str, address: str) -> StaffMember | None:
        return next((m for m in self.members if m.addresses.get(channel) == address), None)

    def with_role(self, role: Role) -> tuple[StaffMember, ...]:
        return tuple(m for m in self.members if role in m.roles)

    def counsellors(self) -> tuple[StaffMember, ...]:
        """Who may act at the desk: counsellors and supervisors."""
        return tuple(m for m in self.members if m.may_act)

    def is_counsellor(self, staff_id: int | None) -> bool:
        """May this member take and work cases (counsellors and supervisors may)?"""
        found = self.member(staff_id)
        return found is not None and found.may_act

    def is_supervisor(self, staff_id: int | None) -> bool:
        found = self.member(staff_id)
        return found is not None and Role.SUPERVISOR in found.roles

    def name_of(self, staff_id: int | None) -> str:
        """A counsellor's or supervisor's display name; empty when unknown or unnamed."""
        found = self.member(staff_id)
        return found.name if found is not None and found.may_act else ""

    def counsellor_names(self) -> dict[int, str]:
        """Staff id -> display name of everyone who may act, for listings."""
        return {m.id: m.name for m in self.counsellors()}

    def find_counsellor(self, text: str) -> StaffMember | None:
        """A counsellor named by staff id or by display name (any case), e.g. after /chuyen."""
        arg = text.strip().lstrip("@").lower()
        if not arg:
            return None
        if arg.isdigit():
            by_id = self.member(int(arg))
            if by_id is not None and by_id.may_act:
                return by_id
        return next((m for m in self.counsellors() if m.name and m.name.lower() == arg), None)

    def addresses(self, role: Role, channel: str) -> tuple[str, ...]:
        """The `channel` addresses of everyone with `role`, for direct alerts."""
        return tuple(m.addresses[channel] for m in self.with_role(role)
                     if channel in m.addresses)

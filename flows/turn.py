"""The values a flow works with: one `Turn` in, one `Step` out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flows.cases import StaffPost
from flows.messages import Button, Incoming, Outgoing
from flows.ports import Assessment, Services
from flows.store import Person, Transaction


class FlowName(StrEnum):
    """Where a person is in the conversation; stored with the person."""

    MENU = "menu"
    POLICY = "policy"  # waiting for a policy question
    EMERGENCY = "emergency"  # emergency intake questions
    INTAKE = "intake"  # choosing a topic before joining the counsellors' queue
    WAITING = "waiting"  # in the counsellors' queue
    TALKING = "talking"  # a counsellor has the case: messages are relayed
    ENTITLEMENT = "entitlement"  # answering the entitlement check's questions


@dataclass(frozen=True)
class Notice:
    """A message to someone other than the sender (a supervisor, the on-call counsellor)."""

    channel: str
    recipient: str
    message: Outgoing


@dataclass(frozen=True)
class Turn:
    incoming: Incoming
    person: Person
    tx: Transaction
    services: Services
    now: datetime
    assessment: Assessment | None = None  # triage's verdict on this message, once

    @property
    def data(self) -> dict[str, Any]:
        return self.person.flow_data

    def text(self, template: str, /, **values: Any) -> str:
        return self.services.render.render(template, **values)

    def button(self, label_key: str, data: str) -> Button:
        return Button(self.services.render.label(label_key), data)


@dataclass(frozen=True)
class PersonFlow:
    """Move a person (not the sender) to a flow: staff actions change the citizen's state."""

    person_id: int
    flow: str
    data: dict[str, Any]


@dataclass
class Step:
    """What a flow decided: replies, where the person goes next, facts for reports."""

    route: str
    replies: list[Outgoing] = field(default_factory=list)
    flow: FlowName | None = None  # None: stay where they are
    data: dict[str, Any] | None = None  # None: keep the flow's data as it is
    articles: tuple[str, ...] = ()
    staff: list[StaffPost] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    urgency: str = "none"
    category: str | None = None
    signals: tuple[str, ...] = ()
    case_id: int | None = None
    person_flow: PersonFlow | None = None
    keep_history: bool = True  # False: the replies are not added to the conversation history
    compact: bool = False  # True: data was erased; squeeze it out of the database files

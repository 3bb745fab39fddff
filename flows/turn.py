"""The values a flow works with: one `Turn` in, one `Step` out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from flows.messages import Button, Incoming, Outgoing
from flows.ports import Services
from flows.store import Person, Transaction


class FlowName(StrEnum):
    """Where a person is in the conversation; stored with the person."""

    MENU = "menu"
    POLICY = "policy"  # waiting for a policy question
    EMERGENCY = "emergency"  # emergency intake questions


@dataclass(frozen=True)
class Turn:
    incoming: Incoming
    person: Person
    tx: Transaction
    services: Services
    now: datetime

    @property
    def data(self) -> dict[str, Any]:
        return self.person.flow_data

    def text(self, name: str, **values: Any) -> str:
        return self.services.render.render(name, **values)

    def button(self, label_key: str, data: str) -> Button:
        return Button(self.services.render.label(label_key), data)


@dataclass
class Step:
    """What a flow decided: replies, where the person goes next, facts for reports."""

    route: str
    replies: list[Outgoing] = field(default_factory=list)
    flow: FlowName | None = None  # None: stay where they are
    data: dict[str, Any] | None = None  # None: keep the flow's data as it is
    articles: tuple[str, ...] = ()

"""Builders of channel-neutral messages for flow tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.app import Core
from flows.messages import (
    Attachment,
    Incoming,
    IncomingKind,
    Location,
    Priority,
)

_event_ids = itertools.count(1)


def make_incoming(
    text: str = "",
    *,
    user: str = "111",
    kind: IncomingKind = IncomingKind.TEXT,
    button: str = "",
    attachment: str = "",
    location: tuple[float, float] | None = None,
    channel: str = "telegram",
    event_id: str | None = None,
    first_name: str = "Lan",
) -> Incoming:
    incoming = Incoming(
        channel=channel,
        user_id=user,
        event_id=event_id or f"e{next(_event_ids)}",
        kind=kind,
        received_at=datetime.now(UTC),
        text=text,
        first_name=first_name,
    )
    if button:
        incoming = replace(incoming, kind=IncomingKind.BUTTON, button=button)
    if attachment:
        incoming = replace(incoming, kind=IncomingKind.MEDIA, attachment=Attachment(attachment))
    if location:
        incoming = replace(incoming, kind=IncomingKind.LOCATION, location=Location(*location))
    return incoming


@dataclass(frozen=True)
class Queued:
    """A reply or post in the outbox, as the store holds it."""

    recipient: str
    text: str
    priority: Priority
    buttons: tuple[str, ...]
    location_button: str
    sent: bool

    def button_list(self) -> tuple[str, ...]:
        return self.buttons


async def queued(core: Core, channel: str) -> list[Queued]:
    """Everything queued for a channel, in order, sent or not."""
    return [
        Queued(d.recipient, d.message.text, d.message.priority,
               tuple(b.data for b in d.message.button_list()), d.message.location_button,
               sent_at is not None)
        for d, sent_at in await core.store.views.deliveries(channel)
    ]

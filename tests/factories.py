"""Builders of channel-neutral messages for flow tests."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from flows.messages import Attachment, Incoming, IncomingKind, Location

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

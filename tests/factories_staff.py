"""Builders of staff-side actions for desk tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from flows.messages import Attachment, StaffIncoming

_ids = itertools.count(1)


def staff(
    actor: int = 5001,
    text: str = "",
    *,
    thread: str = "",
    button: str = "",
    name: str = "Hoa",
    attachment: str = "",
    edited: bool = False,
) -> StaffIncoming:
    n = next(_ids)
    return StaffIncoming(
        channel="telegram",
        event_id=f"s{n}",
        actor_id=actor,
        actor_name=name,
        received_at=datetime.now(UTC),
        thread_id=thread,
        text=text,
        button=button,
        attachment=Attachment(attachment) if attachment else None,
        message_ref=f"telegram:-100777:{9000 + n}",
        edited=edited,
    )

"""Zalo's interaction window: an Official Account may write to a person only within 7 days of
the person's last message (the OA API answers -230 after that). Known to every instance, the
ones that do not run the Zalo channel too: their staff cards show the hours left."""

from __future__ import annotations

from datetime import timedelta

REPLY_WINDOW = timedelta(days=7)

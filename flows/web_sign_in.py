"""Signing in to the web console without a password: a staff member writes /dangnhap to the
bot in a private chat and gets a link, valid for SIGN_IN_VALID and once.

Only the token's hash is kept (`WebAccess`); the link itself passes through the outbox like
every reply, and is worthless once used or expired. The staff member's private chat is not a
citizen's: no person, no history, no case is made of it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flows.messages import Incoming, Outgoing
from flows.outbox import write_step
from flows.ports import Services
from flows.store import Transaction
from flows.turn import Step

SIGN_IN_COMMANDS = frozenset({"dangnhap", "login"})
SIGN_IN_VALID = timedelta(minutes=10)
SIGN_IN_PATH = "/login/"  # the console's page for a link, by token


def secret_hash(secret: str) -> str:
    """What is kept of a link's token or a session's cookie."""
    return hashlib.sha256(secret.encode()).hexdigest()


def is_sign_in(incoming: Incoming) -> bool:
    """The bare command only: anything written after it goes through triage like every
    message (an emergency signal wins over any flow)."""
    return incoming.command in SIGN_IN_COMMANDS and not incoming.command_args


async def sign_in(tx: Transaction, services: Services, incoming: Incoming,
                  now: datetime) -> Step:
    """The link for a staff member who may act at the desk; a polite refusal for anyone
    else (who learns nothing of who is staff)."""
    render = services.render
    member = services.staff.directory.by_address(incoming.channel, incoming.user_id)
    if not services.web_url:
        step = Step(route="web_sign_in", replies=[Outgoing(render.render("web_sign_in_off"))])
    elif member is None or not member.may_act:
        await tx.audit.record(f"{incoming.channel}:{incoming.user_id}", "web_sign_in_refused",
                              now)
        step = Step(route="web_sign_in",
                    replies=[Outgoing(render.render("web_sign_in_refused"))])
    else:
        token = secrets.token_urlsafe(32)
        until = now + SIGN_IN_VALID
        await tx.web_access.issue_sign_in(secret_hash(token), member.id, now, until)
        await tx.audit.record(member.actor, "web_sign_in_link", now)
        link = f"{services.web_url}{SIGN_IN_PATH}{token}"
        step = Step(route="web_sign_in", replies=[Outgoing(render.render(
            "web_sign_in_link", link=link, minutes=int(SIGN_IN_VALID.total_seconds() // 60)))])
    await write_step(tx, step, incoming.channel, incoming.user_id, None, now)
    return step

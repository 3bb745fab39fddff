"""Writing a step's effects: replies, staff posts and notices into the outbox, in the same
unit of work as the state change that caused them."""

from __future__ import annotations

from datetime import datetime

from flows.cases import StaffPost, staff_recipient
from flows.messages import Button, Outgoing, Priority
from flows.ports import Services
from flows.store import Delivery, Transaction
from flows.turn import Notice, Step

STAFF_CHANNEL = "staff"


async def write_step(
    tx: Transaction, step: Step, channel: str, recipient: str, person_id: int | None,
    now: datetime,
) -> None:
    """The replies, staff posts and notices of a step, into the outbox and the history."""
    for reply in step.replies:
        await tx.outbox.enqueue(channel, recipient, reply, now, person_id=person_id,
                         case_id=step.case_id)
        if person_id is not None and step.keep_history:
            await tx.messages.add(person_id, "out", "text", reply.text, now, case_id=step.case_id)
    for post in step.staff:
        buttons = tuple(tuple(Button(label, data) for label, data in row) for row in post.buttons)
        await tx.outbox.enqueue(
            STAFF_CHANNEL, staff_recipient(post.case_id, post.thread),
            Outgoing(post.message, buttons=buttons, priority=post.priority,
                     copy_from=post.copy_from, edit=post.edit),
            now, case_id=post.case_id,
        )
    for notice in step.notices:
        await tx.outbox.enqueue(notice.channel, notice.recipient, notice.message, now,
                         case_id=step.case_id)
    if step.person_flow is not None:
        await tx.people.set_flow(step.person_flow.person_id, step.person_flow.flow,
                          step.person_flow.data)


def undeliverable_step(services: Services, delivery: Delivery, reason: str) -> Step | None:
    """A reply to a person in a case could not be delivered: tell the counsellors (and the
    supervisors directly when the case is urgent or critical)."""
    if delivery.case_id is None or delivery.channel == STAFF_CHANNEL:
        return None
    text = services.render.render(
        "staff_undeliverable", case_id=delivery.case_id, why=undeliverable_why(reason))
    notices = []
    if delivery.message.priority is not Priority.NORMAL:
        staff = services.staff
        notices = [Notice(staff.channel, who, Outgoing(text, priority=delivery.message.priority))
                   for who in staff.supervisors]
    return Step(route="undeliverable", case_id=delivery.case_id, notices=notices,
                staff=[StaffPost(text, case_id=delivery.case_id,
                                 priority=delivery.message.priority)])


def undeliverable_why(reason: str) -> str:
    """What a channel's reason for giving up means for the counsellors, as a word their
    template says in Vietnamese (the reason itself, in the channel's English, is logged)."""
    if "zalo_window" in reason:
        return "window"  # Zalo's 7 days since the person's last message are over
    if reason.startswith("forbidden"):
        return "blocked"  # the person blocked the bot or left the chat
    if reason.startswith("bad request"):
        return "rejected"  # the channel refused this message
    if reason.startswith("gave up after"):
        return "retries"
    return "other"

"""The case watch: run every few seconds so that no case waits silently.

- A critical case unclaimed after `critical_alert_after` seconds (urgent: `urgent_alert_after`)
  is alerted again in the staff group, the supervisors are told directly, and the person is
  told we are still looking (once). Staff alerts repeat each interval until someone claims it.
- A normal case waiting longer than `abandon_after` gets an apology and a 'keep waiting' button.
- An active case silent for `silent_close_after` is closed with a notice to both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.cases import Case, CaseStatus, StaffPost, card_refresh, claim_data, closing_post
from flows.handoff import STAY
from flows.messages import Button, Outgoing, Priority
from flows.outbox import write_step
from flows.ports import Services
from flows.store import Store, Transaction
from flows.turn import FlowName, Notice, PersonFlow, Step


@dataclass(frozen=True)
class WatchReport:
    escalated: tuple[int, ...] = ()
    apologised: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()  # told that their place in the queue moved


class CaseWatch:
    def __init__(self, store: Store, services: Services) -> None:
        self.store = store
        self.services = services

    async def run_once(self) -> WatchReport:
        now = self.services.clock()
        escalated: list[int] = []
        apologised: list[int] = []
        closed: list[int] = []
        updated: list[int] = []
        async with self.store.transaction() as tx:
            for case in await tx.cases.open():
                step = await self.check(tx, case, now)
                if step is None:
                    continue
                await write_step(tx, step, case.channel, case.external_id, case.person_id, now)
                {"escalate": escalated, "apologise": apologised, "close": closed,
                 "moved": updated}[step.route].append(case.id)
        return WatchReport(tuple(escalated), tuple(apologised), tuple(closed), tuple(updated))

    async def check(self, tx: Transaction, case: Case, now: datetime) -> Step | None:
        staff = self.services.staff
        if case.status == CaseStatus.WAITING and case.priority in (Priority.CRITICAL,
                                                                    Priority.URGENT):
            after = (staff.critical_alert_after if case.priority == Priority.CRITICAL
                     else staff.urgent_alert_after)
            last = case.escalated_at or case.created_at
            if now - last >= timedelta(seconds=after):
                return await self.escalate(tx, case, now)
        elif case.status == CaseStatus.WAITING:
            if "abandon_notice_at" not in case.details and (
                now - case.created_at >= timedelta(seconds=staff.abandon_after)
            ):
                return await self.apologise(tx, case, now)
            return await self.position_moved(tx, case)
        elif case.status == CaseStatus.ACTIVE:
            last = await tx.cases.last_activity(case.id) or case.claimed_at or case.created_at
            if now - last >= timedelta(seconds=staff.silent_close_after):
                return await self.close_silent(tx, case, now)
        return None

    def render(self, template: str, /, **values: object) -> str:
        return self.services.render.render(template, **values)

    async def escalate(self, tx: Transaction, case: Case, now: datetime) -> Step:
        first = case.escalated_at is None
        await tx.cases.update(case.id, escalated_at=now)
        await tx.audit.record("bot", "case_escalated", now, case_id=case.id)
        minutes = int((now - case.created_at).total_seconds() // 60)
        staff = self.services.staff
        alert = self.render("staff_escalation", case=case, minutes=minutes)
        claim = ((self.services.render.label("claim"), claim_data(case.id)),)
        direct = Outgoing(self.render("supervisor_escalation", case=case, minutes=minutes),
                          priority=case.priority)
        return Step(
            route="escalate",
            replies=[Outgoing(self.render("escalated_person"), priority=case.priority)]
            if first else [],
            staff=[StaffPost(alert, case_id=case.id, buttons=(claim,), priority=case.priority),
                   StaffPost(alert, case_id=None, buttons=(claim,), priority=case.priority)],
            notices=[Notice(staff.channel, who, direct)
                     for who in dict.fromkeys(staff.supervisors + staff.on_call)],
            case_id=case.id,
        )

    async def position_moved(self, tx: Transaction, case: Case) -> Step | None:
        """Tell the person again when their place halved, or when they are next."""
        told = case.details.get("told_position")
        if not isinstance(told, int):
            return None
        position = await tx.cases.queue_position(case.id)
        if position >= told or not (position == 1 or position <= told // 2):
            return None
        await tx.cases.update(case.id, details=dict(case.details) | {"told_position": position})
        return Step(route="moved", case_id=case.id,
                    replies=[Outgoing(self.render("queue_moved", position=position))])

    async def apologise(self, tx: Transaction, case: Case, now: datetime) -> Step:
        await tx.cases.update(case.id, details=dict(case.details) | {
            "abandon_notice_at": now.isoformat()})
        stay = Button(self.services.render.label("keep_waiting"), STAY)
        leave = Button(self.services.render.label("leave_queue"), "queue:leave")
        return Step(route="apologise", case_id=case.id,
                    replies=[Outgoing(self.render("waiting_apology"), buttons=((stay, leave),))])

    async def close_silent(self, tx: Transaction, case: Case, now: datetime) -> Step:
        await tx.cases.set_status(case.id, CaseStatus.CLOSED, now, outcome="không liên lạc được")
        await tx.audit.record("bot", "case_closed", now, case_id=case.id, detail="silent")
        # Nothing is sent to the person: after a case closes we write only when asked.
        return Step(
            route="close", case_id=case.id,
            staff=[card_refresh(case),
                   closing_post(self.render("staff_silent_closed", case=case), case)],
            person_flow=PersonFlow(case.person_id, FlowName.MENU, {}),
        )


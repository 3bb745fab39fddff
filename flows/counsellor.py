"""The staff desk: what counsellors do in their group, one forum topic per case.

Only configured counsellors and supervisors can act; anyone else is refused and the attempt is
logged in the audit log. In a case's topic, what the counsellor writes reaches the person
(under the counsellor's display name, never their account); `!text` or /ghichu is a private
note; /dong closes with an outcome; /chuyen hands the case to another counsellor; /muc and
/loai (and the level buttons on the case card) correct triage's level and category
(flows/corrections.py); /mau sends a supervisor's canned reply (flows/canned.py) and /tag
labels the case (flows/tags.py). Anywhere in the group: /hangcho, /dangxuly (who works which
case), /cua_toi, /thongke, /mau (the list) and /help (staff_help.j2, every command).

Button data on staff posts is read here (`parse_case_button`): the claim button's through
`flows.cases.parse_claim`, next to `claim_data` that builds it, the level buttons' through
`level_data` here.

Staff act through a channel (today the Telegram group), which reports them by its own address;
the staff directory turns that into the member, whose staff id the cases and the audit log
(`staff:<id>`) name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from flows import canned, case_reply, corrections, handoff, tags
from flows.cases import Case, CaseStatus, StaffPost, card_refresh, closing_post, parse_claim
from flows.messages import Handled, Outgoing, Priority, StaffIncoming
from flows.ordering import KeyedLocks
from flows.outbox import write_step
from flows.ports import Services
from flows.reports import active_desk, case_label, day_figures, queue_rows
from flows.staff import WEB, staff_actor
from flows.staff_turn import StaffTurn
from flows.store import Store
from flows.turn import FlowName, Notice, PersonFlow, Step

LEVEL = "case:level:"


@dataclass(frozen=True)
class CaseButton:
    """What a button on a staff post asks for: claim the case, or set its level."""

    action: str  # "claim" | "level"
    case_id: int
    level: Priority | None = None


def level_data(case_id: int, level: Priority) -> str:
    return f"{LEVEL}{case_id}:{level.value}"


def parse_case_button(data: str) -> CaseButton | None:
    """The button's request, or None for data that is not a case button (or is malformed)."""
    claimed = parse_claim(data)
    if claimed is not None:
        return CaseButton("claim", claimed)
    if data.startswith(LEVEL):
        case_id, _, level = data.removeprefix(LEVEL).partition(":")
        if level in {p.value for p in Priority}:
            return CaseButton("level", _int(case_id), Priority(level))
    return None


def is_card_button(data: str) -> bool:
    """Does a post with this button carry a case's card (claim or level buttons)?"""
    return parse_case_button(data) is not None


StaffHandler = Callable[[StaffTurn, Case | None], Awaitable[Step]]


class StaffDesk:
    def __init__(self, store: Store, services: Services) -> None:
        self.store = store
        self.services = services
        self.locks = KeyedLocks()

    async def handle(self, incoming: StaffIncoming) -> Handled:
        where = incoming.thread_id or incoming.button or f"case:{incoming.case_id}"
        async with self.locks.hold(("staff", where)):
            async with self.store.transaction() as tx:
                if await tx.inbox.is_processed(incoming.channel, incoming.event_id):
                    return Handled(route="duplicate")
                turn = StaffTurn(incoming, tx, self.services)
                step = await self.route(turn)
                answers = tuple(step.replies)
                if not incoming.button and incoming.channel != WEB:
                    # A reply to a command or message is posted where the staff member wrote;
                    # a reply to a button press is shown to them alone (the channel's popup),
                    # as is one to an action on the web console's page.
                    here = await _case_of(turn)
                    step.staff = [turn.here(r.text, here) for r in answers] + step.staff
                    answers = ()
                step.replies = []
                await write_step(tx, step, incoming.channel, "", None, turn.now)
                await tx.inbox.mark_processed(incoming.channel, incoming.event_id, turn.now)
        return Handled(route=step.route, replies=answers)

    async def route(self, turn: StaffTurn) -> Step:
        incoming = turn.incoming
        if not turn.may_act:
            if not (incoming.button or incoming.command):
                return Step(route="staff_ignored")  # small talk in the group: not ours
            await turn.tx.audit.record(turn.actor, "refused", turn.now,
                                detail=incoming.command or incoming.button[:40])
            return Step(route="refused", replies=[Outgoing(turn.text("staff_refused"))])
        pressed = parse_case_button(incoming.button) if incoming.button else None
        if pressed is not None:
            case = await turn.tx.cases.get(pressed.case_id)
            if pressed.action == "level" and pressed.level is not None:
                return await corrections.set_level(turn, case, pressed.level)
            return await claim(turn, case)
        case = await _case_of(turn)
        command = incoming.command
        if command in GENERAL_COMMANDS:
            return await GENERAL_COMMANDS[command](turn, case)
        if case is None:
            if command in CASE_COMMANDS:  # ours, so say where it works
                return _say(turn, None, turn.text("staff_case_only", command=command))
            return Step(route="staff_general")  # conversation in General is not relayed
        if command in CASE_COMMANDS:
            return await CASE_COMMANDS[command](turn, case)
        if command:
            return _say(turn, case, turn.text("staff_unknown_command", command=command))
        if incoming.text.startswith("!"):
            return await note(turn, case)
        return await relay(turn, case)


# ---------------------------------------------------------------- actions on a case


async def claim(turn: StaffTurn, case: Case | None) -> Step:
    actor = turn.staff_id
    if case is None:
        return Step(route="claim", replies=[Outgoing(turn.text("staff_no_case"))])
    if case.status != CaseStatus.WAITING:
        taken = turn.services.staff.directory.name_of(case.claimed_by)
        return Step(route="claim",
                    replies=[Outgoing(turn.text("staff_claim_taken", case=case, by=taken))])
    mine = await turn.tx.cases.active_of(actor)
    cap = turn.services.staff.max_active_cases
    if len(mine) >= cap:
        return Step(route="claim", replies=[Outgoing(turn.text("staff_claim_cap", cap=cap))])
    if not await turn.tx.cases.claim(case.id, actor, turn.now):
        return Step(route="claim", replies=[Outgoing(turn.text("staff_claim_taken", case=case,
                                                                by=""))])
    await turn.tx.audit.record(turn.actor, "case_claimed", turn.now, case_id=case.id)
    person_note = Outgoing(turn.text("counsellor_joined", name=turn.actor_name))
    return Step(
        route="claim",
        replies=[Outgoing(turn.text("staff_claimed_you", case=case))],
        staff=[StaffPost(turn.text("staff_claimed", case=case, name=turn.actor_name),
                         case_id=case.id),
               card_refresh(case)],
        notices=[Notice(case.channel, case.external_id, person_note)],
        case_id=case.id,
        person_flow=PersonFlow(case.person_id, FlowName.TALKING, {"case_id": case.id}),
    )


def _owns(turn: StaffTurn, case: Case) -> bool:
    return case_reply.owns(turn, case)


def _say(turn: StaffTurn, case: Case | None, text: str) -> Step:
    return Step(route="staff", staff=[turn.here(text, case)])


async def relay(turn: StaffTurn, case: Case) -> Step:
    """What the counsellor writes in the case's topic goes to the person (flows/case_reply.py)."""
    incoming = turn.incoming
    refused = case_reply.refusal(turn, case)
    if refused is not None:
        return _say(turn, case, refused)
    kind = incoming.attachment.kind if incoming.attachment else "text"
    copy_from = incoming.message_ref if incoming.attachment else ""
    return await case_reply.send_to_person(turn, case, incoming.text, kind=kind,
                                           copy_from=copy_from)


async def note(turn: StaffTurn, case: Case | None) -> Step:
    if case is None:
        return _say(turn, None, turn.text("staff_no_case"))
    body = turn.incoming.text.removeprefix("!").strip()
    if turn.incoming.command == "ghichu":
        body = turn.incoming.command_args
    await turn.tx.messages.add(case.person_id, "note", "text", body, turn.now, case_id=case.id,
                              meta={"by": turn.staff_id})
    await turn.tx.audit.record(turn.actor, "note_added", turn.now, case_id=case.id)
    return _say(turn, case, turn.text("staff_note_saved"))


async def close(turn: StaffTurn, case: Case | None) -> Step:
    if case is None or not case.is_open:
        return _say(turn, case, turn.text("staff_case_closed", case=case))
    if not _owns(turn, case):
        return _say(turn, case, turn.text("staff_not_yours", case=case))
    outcomes = turn.services.staff.outcomes
    outcome = _match_outcome(turn.incoming.command_args, outcomes)
    if outcome is None:
        return _say(turn, case, turn.text("staff_outcomes", outcomes=outcomes))
    await turn.tx.cases.set_status(case.id, CaseStatus.CLOSED, turn.now, outcome=outcome)
    await turn.tx.audit.record(turn.actor, "case_closed", turn.now, case_id=case.id, detail=outcome)
    message, data = handoff.closing_message(turn.services, case)
    return Step(
        route="close",
        # The card first: once the topic is closed, nothing more is posted in it.
        staff=[card_refresh(case),
               closing_post(turn.text("staff_closed", case=case, outcome=outcome,
                                      name=turn.actor_name), case)],
        notices=[Notice(case.channel, case.external_id, message)] if message else [],
        case_id=case.id,
        person_flow=PersonFlow(case.person_id, FlowName.MENU, data),
    )


async def transfer(turn: StaffTurn, case: Case | None) -> Step:
    if case is None or case.status != CaseStatus.ACTIVE:
        return _say(turn, case, turn.text("staff_transfer_not_active"))
    if not _owns(turn, case):
        return _say(turn, case, turn.text("staff_not_yours", case=case))
    directory = turn.services.staff.directory
    target = directory.find_counsellor(turn.incoming.command_args)
    if target is None:
        names = directory.counsellor_names()
        return _say(turn, case, turn.text("staff_transfer_who", names=names))
    await turn.tx.cases.set_claimant(case.id, target.id)
    await turn.tx.audit.record(turn.actor, "case_transferred", turn.now,
                        case_id=case.id, detail=f"to {staff_actor(target.id)}")
    name = target.name
    return Step(
        route="transfer",
        staff=[StaffPost(turn.text("staff_transferred", case=case, name=name), case_id=case.id)],
        notices=[Notice(case.channel, case.external_id,
                        Outgoing(turn.text("counsellor_changed", name=name)))],
        case_id=case.id,
    )


# ---------------------------------------------------------------- General topic commands


async def _viewed(turn: StaffTurn, what: str) -> None:
    await turn.tx.audit.record(turn.actor, f"viewed_{what}", turn.now)


async def show_queue(turn: StaffTurn, case: Case | None) -> Step:
    await _viewed(turn, "queue")
    waiting = await turn.tx.cases.waiting()
    rows = queue_rows(waiting, turn.now, lambda c: case_label(turn.services, c))
    return _say(turn, case, turn.text("staff_queue", rows=rows))


async def my_cases(turn: StaffTurn, case: Case | None) -> Step:
    await _viewed(turn, "my_cases")
    mine = await turn.tx.cases.active_of(turn.staff_id)
    return _say(turn, case, turn.text("staff_my_cases", cases=mine))


async def show_stats(turn: StaffTurn, case: Case | None) -> Step:
    await _viewed(turn, "stats")
    day = await day_figures(turn.tx.views, turn.now, turn.services.staff.office_hours.tz,
                            lambda c: case_label(turn.services, c))
    return _say(turn, case, turn.text("staff_stats", day=day))


async def active_cases(turn: StaffTurn, case: Case | None) -> Step:
    """/dangxuly: every case a counsellor has now, by counsellor, and how many wait."""
    await _viewed(turn, "active")
    open_cases = await turn.tx.cases.open()
    active = [c for c in open_cases if c.status == CaseStatus.ACTIVE]
    tagged = await turn.tx.case_tags.of_cases([c.id for c in active])
    desk = active_desk(active, len(open_cases) - len(active), turn.now,
                       lambda c: case_label(turn.services, c),
                       turn.services.staff.directory.counsellor_names(), tagged)
    return _say(turn, case, turn.text("staff_active", desk=desk))


async def staff_help(turn: StaffTurn, case: Case | None) -> Step:
    """/help: every staff command, one line each (staff_help.j2)."""
    return _say(turn, case, turn.text("staff_help", outcomes=turn.services.staff.outcomes))


async def claim_here(turn: StaffTurn, case: Case | None) -> Step:
    return await claim(turn, case)


# Commands that work anywhere in the staff group (General or a case's topic), and those of a
# case's topic. staff_help.j2 lists every one of them.
GENERAL_COMMANDS: dict[str, StaffHandler] = {
    "hangcho": show_queue,
    "dangxuly": active_cases,
    "cua_toi": my_cases,
    "thongke": show_stats,
    "mau": canned.canned_command,
    "help": staff_help,
}
CASE_COMMANDS: dict[str, StaffHandler] = {
    "nhan": claim_here,
    "dong": close,
    "chuyen": transfer,
    "ghichu": note,
    "muc": corrections.level_command,
    "loai": corrections.category_command,
    "tag": tags.tag_command,
}


# ---------------------------------------------------------------- helpers


async def _case_of(turn: StaffTurn) -> Case | None:
    if turn.incoming.case_id is not None:
        return await turn.tx.cases.get(turn.incoming.case_id)
    thread = turn.incoming.thread_id
    return await turn.tx.cases.by_thread(thread) if thread else None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _match_outcome(arg: str, outcomes: tuple[str, ...]) -> str | None:
    arg = arg.strip().lower()
    if not arg:
        return None
    if arg.isdigit() and 1 <= int(arg) <= len(outcomes):
        return outcomes[int(arg) - 1]
    for outcome in outcomes:
        if outcome.lower() == arg or outcome.lower().startswith(arg):
            return outcome
    return None

"""Canned replies (`/mau`): answers the centre gives often, written once by a supervisor and
sent into a case by its counsellor with one command.

    /mau                          the list (anywhere in the staff group)
    /mau <tên>                    in a case's topic: send it to the person, as a typed reply
    /mau xem <tên>                the whole text, sent to nobody
    /mau luu <tên> <nội dung>     supervisors: add, or replace the one of that name
    /mau xoa <tên>                supervisors: delete

A name is one word ("chao", "giay-to", "ho_so"); it is found whatever the case and with or
without diacritics (`canned_key`). The text is plain, kept in the store, never a template: what
the supervisor wrote is what the person reads, under the counsellor's name. Sending goes the
way a typed reply goes (flows/case_reply.py); every change and every sending is audited.
"""

from __future__ import annotations

from flows.case_reply import refusal, send_to_person
from flows.cases import Case, StaffPost
from flows.corrections import fold
from flows.messages import Outgoing
from flows.staff_turn import StaffTurn
from flows.store import CannedReply
from flows.turn import Step

SAVE = frozenset({"luu", "them", "sua"})  # lưu, thêm, sửa
DELETE = frozenset({"xoa"})  # xóa, xoá
SHOW = frozenset({"xem"})
RESERVED = SAVE | DELETE | SHOW  # no canned reply may be named like a subcommand
NAME_LIMIT = 30  # characters of a name
TEXT_LIMIT = 3000  # characters of a text: with the signature, one chat message


def canned_key(name: str) -> str:
    """How a canned reply is found: 'Chào-Hỏi', 'chao hoi' and 'chào_hỏi' are one."""
    return fold(name)


async def canned_command(turn: StaffTurn, case: Case | None) -> Step:
    args = turn.incoming.command_args
    if not args:
        return await _list(turn, case)
    head, rest = _split(args)
    sub = fold(head)
    if sub in SAVE:
        return await _save(turn, case, rest)
    if sub in DELETE:
        return await _delete(turn, case, rest)
    if sub in SHOW:
        return await _show(turn, case, rest)
    return await _send(turn, case, args)


# ---------------------------------------------------------------- counsellors


async def _list(turn: StaffTurn, case: Case | None) -> Step:
    await turn.tx.audit.record(turn.actor, "viewed_canned", turn.now)
    replies = await turn.tx.canned_replies.all()
    return _reply(turn.text("staff_canned_list", replies=replies, supervisor=_supervisor(turn),
                            in_case=case is not None))


async def _show(turn: StaffTurn, case: Case | None, name: str) -> Step:
    if not canned_key(name):  # /mau xem alone: which are there
        return await _list(turn, case)
    found = await _find(turn, name)
    if isinstance(found, Step):
        return found
    await turn.tx.audit.record(turn.actor, "viewed_canned", turn.now,
                               case_id=case.id if case else None, detail=found.key)
    return _reply(turn.text("staff_canned_show", reply=found))


async def _send(turn: StaffTurn, case: Case | None, name: str) -> Step:
    if case is None:
        return await _problem(turn, "in_case_only", name=name)
    if turn.incoming.edited:  # an edited command is not a new request: nothing goes twice
        return await _problem(turn, "edited", name=name)
    refused = refusal(turn, case)
    if refused is not None:
        return _reply(refused)
    found = await _find(turn, name)
    if isinstance(found, Step):
        return found
    step = await send_to_person(turn, case, found.text, meta={"canned": found.key},
                                route="canned")
    await turn.tx.audit.record(turn.actor, "canned_sent", turn.now, case_id=case.id,
                               detail=found.key)
    # The topic shows what went, as it shows what a counsellor types.
    step.staff.append(StaffPost(
        turn.text("staff_canned_sent", reply=found, name=turn.actor_name, case=case),
        case_id=case.id, priority=case.priority))
    return step


# ---------------------------------------------------------------- supervisors


async def _save(turn: StaffTurn, case: Case | None, rest: str) -> Step:
    if not _supervisor(turn):
        return await _refuse(turn, "save")
    name, text = _split(rest)
    key = canned_key(name)
    if not key:
        return await _problem(turn, "no_name")
    if key in RESERVED:
        return await _problem(turn, "reserved", name=name)
    if len(name) > NAME_LIMIT:
        return await _problem(turn, "name_too_long", name=name)
    text = text.strip()
    if not text:
        return await _problem(turn, "no_text", name=name)
    if len(text) > TEXT_LIMIT:
        return await _problem(turn, "text_too_long", name=name, length=len(text))
    reply = CannedReply(key=key, name=name, text=text, updated_by=turn.actor,
                        updated_at=turn.now)
    replaced = await turn.tx.canned_replies.save(reply)
    await turn.tx.audit.record(turn.actor, "canned_saved", turn.now,
                               detail=f"{key} ({'replaced' if replaced else 'added'})")
    what = "replaced" if replaced else "added"
    return _reply(turn.text("staff_canned_saved", what=what, reply=reply))


async def _delete(turn: StaffTurn, case: Case | None, rest: str) -> Step:
    if not _supervisor(turn):
        return await _refuse(turn, "delete")
    if not canned_key(rest):
        return await _problem(turn, "no_name_delete")
    found = await _find(turn, rest)
    if isinstance(found, Step):
        return found
    await turn.tx.canned_replies.delete(found.key)
    await turn.tx.audit.record(turn.actor, "canned_deleted", turn.now, detail=found.key)
    return _reply(turn.text("staff_canned_saved", what="deleted", reply=found))


async def _refuse(turn: StaffTurn, what: str) -> Step:
    await turn.tx.audit.record(turn.actor, "canned_refused", turn.now, detail=what)
    return await _problem(turn, "supervisors_only")


# ---------------------------------------------------------------- helpers


async def _find(turn: StaffTurn, name: str) -> CannedReply | Step:
    """The canned reply of this name, or the answer that says there is none (with the
    names there are)."""
    found = await turn.tx.canned_replies.get(canned_key(name))
    if found is not None:
        return found
    return await _problem(turn, "unknown", name=name)


async def _problem(turn: StaffTurn, problem: str, *, name: str = "", length: int = 0) -> Step:
    names = [r.name for r in await turn.tx.canned_replies.all()]
    return _reply(turn.text("staff_canned_problem", problem=problem, name=name, names=names,
                            name_limit=NAME_LIMIT, text_limit=TEXT_LIMIT, length=length,
                            supervisor=_supervisor(turn)))


def _supervisor(turn: StaffTurn) -> bool:
    return turn.services.staff.directory.is_supervisor(turn.staff_id)


def _split(text: str) -> tuple[str, str]:
    """The first word and the rest, whose own lines and spacing are kept."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _reply(text: str) -> Step:
    # The desk posts a reply to a command where the command was written.
    return Step(route="canned", replies=[Outgoing(text)])

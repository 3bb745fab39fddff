"""Tags on cases (`/tag`), in the case's topic: short labels the centre's counsellors agree
on ("tái phát", "cần gọi lại", "chuyển công an"), to find and count cases by.

    /tag                          the case's tags
    /tag <nhãn>[, <nhãn>…]        add (commas separate several)
    /tag -<nhãn>, /tag xoa <nhãn>[, <nhãn>…]   remove

A tag is normalised (`normalise_tag`): lower case, no diacritics, words joined by "-", so
"Tái phát", "#tai phat" and "tái-phát" are one tag, "tai-phat". The counsellor who has the
case or a supervisor may change its tags, also after the case is closed (tagging is part of
wrapping a case up); each change is audited, said in the topic and shown on the case card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flows.case_reply import owns
from flows.cases import Case, CaseStatus, card_refresh
from flows.corrections import fold
from flows.messages import Outgoing
from flows.staff_turn import StaffTurn
from flows.turn import Step

TAG_LIMIT = 30  # characters of one tag, normalised
TAGS_PER_CASE = 10
# /tag xóa … (not "bỏ": "bỏ học" is a tag a centre may well use)
REMOVE_WORDS = frozenset({"xoa"})
_SEPARATORS = re.compile(r"[,;\n]")


def normalise_tag(text: str) -> str:
    """'#Tái  phát!' -> 'tai-phat'; '' when nothing of a tag is left."""
    return "-".join(fold(text).split())


@dataclass
class TagChange:
    """What one /tag did, for its answer."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # asked to add, and it was there
    missing: list[str] = field(default_factory=list)  # asked to remove, and it was not there
    too_long: list[str] = field(default_factory=list)  # as typed
    over_limit: list[str] = field(default_factory=list)  # not added: the case has enough

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def anything(self) -> bool:
        """Is there anything to say about the request (else: how to use /tag)?"""
        return bool(self.changed or self.already or self.missing or self.too_long
                    or self.over_limit)


def requested(args: str) -> tuple[list[str], list[str]]:
    """(to add, to remove) as typed, from what follows /tag: items separated by commas, an
    item starting with "-" removed, and every item removed after a leading "xoa" ("xóa")."""
    text = args.strip()
    remove_all = False
    parts = text.split(maxsplit=1)
    if parts and fold(parts[0]) in REMOVE_WORDS:
        remove_all, text = True, parts[1] if len(parts) > 1 else ""
    add: list[str] = []
    remove: list[str] = []
    for item in _SEPARATORS.split(text):
        item = item.strip()
        if not item:
            continue
        if remove_all or item.startswith("-"):
            remove.append(item.lstrip("-").strip())
        else:
            add.append(item)
    return add, remove


async def tag_command(turn: StaffTurn, case: Case | None) -> Step:
    if case is None:
        return _reply(turn.text("staff_no_case"))
    tags = await turn.tx.case_tags.of(case.id)
    args = turn.incoming.command_args
    if not args:
        await turn.tx.audit.record(turn.actor, "viewed_tags", turn.now, case_id=case.id)
        return _reply(_render(turn, case, tags, TagChange()))
    refused = _refusal(turn, case)
    if refused is not None:
        return _reply(refused)
    add, remove = requested(args)
    if not add and not remove:
        return _reply(_render(turn, case, tags, TagChange(), usage=True))
    change = TagChange()
    for typed in remove:
        await _remove(turn, case, typed, tags, change)
    for typed in add:
        await _add(turn, case, typed, tags, change)
    step = _reply(_render(turn, case, tags, change, usage=not change.anything))
    if change.changed:
        step.staff = [card_refresh(case)]
        step.case_id = case.id
    return step


async def _add(turn: StaffTurn, case: Case, typed: str, tags: list[str],
               change: TagChange) -> None:
    tag = normalise_tag(typed)
    if not tag:
        return
    if len(tag) > TAG_LIMIT:
        change.too_long.append(typed)
    elif tag in tags:
        if tag not in change.added:
            change.already.append(tag)
    elif len(tags) >= TAGS_PER_CASE:
        change.over_limit.append(tag)
    elif await turn.tx.case_tags.add(case.id, tag, turn.actor, turn.now):
        tags.append(tag)
        change.added.append(tag)
        await turn.tx.audit.record(turn.actor, "tag_added", turn.now, case_id=case.id,
                                   detail=tag)


async def _remove(turn: StaffTurn, case: Case, typed: str, tags: list[str],
                  change: TagChange) -> None:
    tag = normalise_tag(typed)
    if not tag:
        return
    if await turn.tx.case_tags.remove(case.id, tag):
        tags.remove(tag)
        change.removed.append(tag)
        await turn.tx.audit.record(turn.actor, "tag_removed", turn.now, case_id=case.id,
                                   detail=tag)
    elif tag not in change.removed:
        change.missing.append(tag)


def _refusal(turn: StaffTurn, case: Case) -> str | None:
    """The counsellor who has (or had) the case and supervisors may tag it."""
    if owns(turn, case):
        return None
    if case.status == CaseStatus.WAITING:
        why = "claim_first"
    elif case.claimed_by is None:
        why = "closed"  # cancelled or closed before anyone took it: supervisors only
    else:
        why = "not_yours"
    return turn.text("staff_tag_refused", case=case, why=why)


def _render(turn: StaffTurn, case: Case, tags: list[str], change: TagChange, *,
            usage: bool = False) -> str:
    return turn.text("staff_tags", case=case, tags=tags, change=change, name=turn.actor_name,
                     usage=usage, tag_limit=TAG_LIMIT, per_case=TAGS_PER_CASE)


def _reply(text: str) -> Step:
    # The desk posts a reply to a command in the topic where it was written.
    return Step(route="tag", replies=[Outgoing(text)])

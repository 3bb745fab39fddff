"""Counsellors correct triage, and the corpus grows.

In a case's topic the counsellor who has the case, or a supervisor, sets its level (`/muc gấp`,
or the level buttons on the case card) and its category (`/loai 3`, `/loai bạo lực gia đình`).
The level is the case's priority, so a correction moves it in the queue, up or down (staff
may lower what triage raised; triage itself only raises). Each change is audited, said in the
topic and shown on the card.

What triage had given the case before any correction stays on the case
(`details["before_correction"]`), and each correction is kept for `hotline triage export`
(the person's words are read from the conversation at export time, so an erasure takes them).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flows.cases import Case, CaseStatus, StaffPost, card_refresh
from flows.messages import Outgoing, Priority
from flows.ports import Triage
from flows.staff import staff_actor
from flows.staff_turn import StaffTurn
from flows.store import CorrectedCase, Correction
from flows.turn import Step

BEFORE = "before_correction"

# What a counsellor may type after /muc: Vietnamese with or without diacritics, or the ids.
LEVEL_WORDS: dict[str, Priority] = {
    "khan cap": Priority.CRITICAL,
    "critical": Priority.CRITICAL,
    "gap": Priority.URGENT,
    "urgent": Priority.URGENT,
    "can doc": Priority.REVIEW,
    "review": Priority.REVIEW,
    "thuong": Priority.NORMAL,
    "binh thuong": Priority.NORMAL,
    "normal": Priority.NORMAL,
}
LEVELS = (Priority.CRITICAL, Priority.URGENT, Priority.REVIEW, Priority.NORMAL)

_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower case, no diacritics, words separated by one space: 'Khẩn  cấp!' -> 'khan cap'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", bare).strip()


def parse_level(text: str) -> Priority | None:
    return LEVEL_WORDS.get(fold(text))


def triage_categories(triage: Triage | None) -> tuple[str, ...]:
    """The triage category ids in the lexicon's order (knowledge/triage.yaml `categories`)."""
    return triage.categories if triage is not None else ()


def category_label(triage: Triage | None, category: str) -> str:
    return triage.category_label(category) if triage is not None else category


def match_category(text: str, categories: tuple[str, ...], labels: dict[str, str]) -> str | None:
    """A category id from an id, a number in the list (1 is the first) or a Vietnamese label,
    accented or not; a beginning of a label is enough when only one label begins so."""
    arg = fold(text)
    if not arg:
        return None
    if arg.isdigit():
        n = int(arg)
        return categories[n - 1] if 1 <= n <= len(categories) else None
    for category in categories:
        if arg in (fold(category), fold(labels[category])):
            return category
    starting = [c for c in categories if fold(labels[c]).startswith(arg)]
    return starting[0] if len(starting) == 1 else None


# ---------------------------------------------------------------- staff actions


async def level_command(turn: StaffTurn, case: Case | None) -> Step:
    """/muc [khẩn cấp|gấp|cần đọc|thường]: without a level, the current one and the choices."""
    refused = _refusal(turn, case)
    if refused is not None or case is None:
        return _reply(refused or "")
    arg = turn.incoming.command_args
    level = parse_level(arg) if arg else None
    if level is None:
        return _reply(turn.text("staff_levels", case=case, level=_level_label(turn, case.priority),
                                unknown=arg))
    return await set_level(turn, case, level)


async def set_level(turn: StaffTurn, case: Case | None, level: Priority) -> Step:
    refused = _refusal(turn, case)
    if refused is not None or case is None:
        return _reply(refused or "")
    if level is case.priority:
        return _reply(turn.text("staff_level_same", case=case,
                                level=_level_label(turn, level)))
    return await _correct(turn, case, priority=level)


async def category_command(turn: StaffTurn, case: Case | None) -> Step:
    """/loai [id, label or number]: without one, the numbered list."""
    refused = _refusal(turn, case)
    if refused is not None or case is None:
        return _reply(refused or "")
    triage = turn.services.triage
    categories = triage_categories(triage)
    labels = {c: category_label(triage, c) for c in categories}
    arg = turn.incoming.command_args
    category = match_category(arg, categories, labels) if arg else None
    if category is None:
        current = labels.get(case.category, case.category) if case.category else ""
        return _reply(turn.text("staff_categories", case=case, current=current, unknown=arg,
                                categories=[labels[c] for c in categories]))
    if category == case.category:
        return _reply(turn.text("staff_category_same", case=case, category=labels[category]))
    return await _correct(turn, case, category=category)


def _refusal(turn: StaffTurn, case: Case | None) -> str | None:
    """Why this staff member may not correct this case, or None: the owner and supervisors
    may, while the case is open."""
    if case is None:
        return turn.text("staff_no_case")
    if not case.is_open:
        return turn.text("staff_correction_closed", case=case)
    staff_id = turn.staff_id
    if turn.services.staff.directory.is_supervisor(staff_id) or case.claimed_by == staff_id:
        return None
    if case.status == CaseStatus.WAITING:
        return turn.text("staff_correction_claim_first", case=case)
    return turn.text("staff_correction_not_yours", case=case)


def _reply(text: str) -> Step:
    # The desk posts replies to a command in the topic and shows those to a button press to
    # the presser alone.
    return Step(route="correction", replies=[Outgoing(text)])


async def _correct(turn: StaffTurn, case: Case, *, priority: Priority | None = None,
                   category: str | None = None) -> Step:
    tx, now = turn.tx, turn.now
    actor = staff_actor(turn.staff_id)
    before = _before(case)
    details = case.details if BEFORE in case.details else dict(case.details) | {BEFORE: before}
    await tx.cases.update(case.id, priority=priority, category=category, details=details)
    if priority is not None:
        await tx.audit.record(actor, "priority_set", now, case_id=case.id,
                       detail=f"{case.priority.value}->{priority.value}")
        what = "level"
        old, new = _level_label(turn, case.priority), _level_label(turn, priority)
    else:
        await tx.audit.record(actor, "category_set", now, case_id=case.id,
                       detail=f"{case.category or 'none'}->{category}")
        what = "category"
        triage = turn.services.triage
        old = category_label(triage, case.category) if case.category else ""
        new = category_label(triage, category or "")
    updated = await tx.cases.get(case.id)
    assert updated is not None
    await tx.feedback.add_correction(Correction(
        case_id=case.id,
        triage_priority=Priority(str(before["priority"])),
        triage_category=before["category"],
        triage_layer=str(before["layer"]),
        priority=updated.priority,
        category=updated.category,
        actor=actor,
        at=now,
    ))
    said = turn.text("staff_corrected", what=what, name=turn.actor_name, case=updated,
                     old=old, new=new)
    step = Step(route="correction", case_id=case.id,
                staff=[StaffPost(said, case_id=case.id, priority=updated.priority),
                       card_refresh(updated)])
    if turn.incoming.button:
        step.replies = [Outgoing(turn.text("staff_corrected_you", what=what, case=updated,
                                           new=new))]
    return step


def _before(case: Case) -> dict[str, Any]:
    """What triage had given the case: kept from the first correction on."""
    kept = case.details.get(BEFORE)
    if isinstance(kept, dict):
        return kept
    triage = case.details.get("triage")
    layer = str(triage.get("layer") or "") if isinstance(triage, dict) else ""
    if not layer and case.priority is Priority.REVIEW:
        layer = "safety_net"  # a review item: no layer raised it, the safety net made it
    return {"priority": case.priority.value, "category": case.category, "layer": layer}


def _level_label(turn: StaffTurn, level: Priority) -> str:
    return turn.services.render.label(f"level_{level.value}")


# ---------------------------------------------------------------- the export


def labelled_level(priority: Priority) -> str:
    """The labelled-message level (knowledge/labelled.py) of a case priority."""
    return {Priority.CRITICAL: "critical", Priority.URGENT: "urgent"}.get(priority, "none")


def case_text(corrected: CorrectedCase) -> str:
    """The person's words in the case, one message a line."""
    return "\n".join(t.strip() for t in corrected.texts if t.strip())


def labelled_record(corrected: CorrectedCase, text: str) -> dict[str, object]:
    """One line of `hotline triage export`: `text` (already masked) labelled as the counsellor
    left the case, with what triage had said beside it. No ids of people or staff."""
    c: Correction = corrected.correction
    level = labelled_level(c.priority)
    triage_level = "review" if c.triage_priority is Priority.REVIEW else labelled_level(
        c.triage_priority)
    return {
        "text": text,
        "level": level,
        "category": c.category if level != "none" else None,
        "style": [],
        "triage_level": triage_level,
        "triage_category": c.triage_category,
        "triage_layer": c.triage_layer or None,
        "corrected_at": c.at.isoformat(timespec="seconds"),
    }

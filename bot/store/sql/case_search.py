"""Finding cases for the web console (flows/case_search.py): portable SQL, one page at a
time, every filter a bound parameter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.sql.rows import CASE_SELECT, SqlFamily, _case, parse_ts, required_ts, ts
from flows.case_search import PAGE, AuditEntry, CaseFilter, CounsellorCase
from flows.cases import Case

# A staff member held a case they claimed (the audit's actor) or that was handed to them
# (the detail of a transfer names them), whoever holds it now.
HELD = ("(c.claimed_by = ? OR EXISTS (SELECT 1 FROM audit_log a WHERE a.case_id = c.id AND"
        " ((a.action = 'case_claimed' AND a.actor = ?)"
        " OR (a.action = 'case_transferred' AND a.detail = ?))))")


def _held_params(staff_id: int) -> tuple[Any, ...]:
    return staff_id, f"staff:{staff_id}", f"to staff:{staff_id}"


class CaseSearchSql(SqlFamily):
    async def find(self, wanted: CaseFilter) -> tuple[list[Case], int]:
        where, params = _conditions(wanted)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        count = await self.ex.fetch(
            f"SELECT count(*) FROM cases c JOIN people p ON p.id = c.person_id{clause}", params)
        rows = await self.ex.fetch(
            f"{CASE_SELECT}{clause} ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (*params, PAGE, max(0, wanted.page) * PAGE),
        )
        return [_case(r) for r in rows], int(count[0][0])

    async def held(self, case_id: int, staff_id: int) -> bool:
        rows = await self.ex.fetch(f"SELECT 1 FROM cases c WHERE c.id = ? AND {HELD}",
                                   (case_id, *_held_params(staff_id)))
        return bool(rows)

    async def held_between(self, staff_id: int, since: datetime,
                           until: datetime) -> set[int]:
        rows = await self.ex.fetch(
            f"SELECT c.id FROM cases c WHERE c.created_at >= ? AND c.created_at < ? AND {HELD}",
            (ts(since), ts(until), *_held_params(staff_id)))
        return {int(r[0]) for r in rows}

    async def trail(self, case_id: int) -> list[AuditEntry]:
        rows = await self.ex.fetch(
            "SELECT at, actor, action, detail FROM audit_log WHERE case_id = ? ORDER BY id",
            (case_id,),
        )
        return [AuditEntry(required_ts(r[0]), r[1], r[2], r[3] or "") for r in rows]

    async def claimed_between(self, since: datetime, until: datetime) -> list[CounsellorCase]:
        rows = await self.ex.fetch(
            "SELECT claimed_by, created_at, claimed_at, first_reply_at FROM cases"
            " WHERE claimed_by IS NOT NULL AND created_at >= ? AND created_at < ?",
            (ts(since), ts(until)),
        )
        return [CounsellorCase(int(r[0]), required_ts(r[1]), parse_ts(r[2]), parse_ts(r[3]))
                for r in rows]

    async def categories(self) -> list[str]:
        rows = await self.ex.fetch(
            "SELECT DISTINCT category FROM cases WHERE category IS NOT NULL ORDER BY category")
        return [str(r[0]) for r in rows]

    async def outcomes(self) -> list[str]:
        rows = await self.ex.fetch(
            "SELECT DISTINCT outcome FROM cases WHERE outcome IS NOT NULL ORDER BY outcome")
        return [str(r[0]) for r in rows]


def _conditions(wanted: CaseFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []

    def add(condition: str, *values: Any) -> None:
        where.append(condition)
        params.extend(values)

    if wanted.number is not None:
        add("c.id = ?", wanted.number)
    if wanted.opened_from is not None:
        add("c.created_at >= ?", ts(wanted.opened_from))
    if wanted.opened_to is not None:
        add("c.created_at < ?", ts(wanted.opened_to))
    if wanted.priority is not None:
        add("c.priority = ?", wanted.priority.value)
    if wanted.status is not None:
        add("c.status = ?", wanted.status.value)
    if wanted.category:
        add("c.category = ?", wanted.category)
    if wanted.outcome:
        add("c.outcome = ?", wanted.outcome)
    if wanted.channel:
        add("p.channel = ?", wanted.channel)
    if wanted.counsellor is not None:
        add("c.claimed_by = ?", wanted.counsellor)
    if wanted.tag:
        add("EXISTS (SELECT 1 FROM case_tags t WHERE t.case_id = c.id AND t.tag = ?)",
            wanted.tag)
    if wanted.text:
        # LIKE's own characters in the words are matched as themselves; both sides are
        # lowered by the database's own lower() (SQLite's folds ASCII letters only).
        escaped = wanted.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        add("lower(c.summary) LIKE lower(?) ESCAPE '\\'", f"%{escaped}%")
    if wanted.held_by is not None:
        add(HELD, *_held_params(wanted.held_by))
    return where, params

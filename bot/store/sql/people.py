"""The people table: who wrote in, where they are in a conversation, their consent; what
the hotline holds about one of them, and erasing it (/dulieu, /xoa)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store.sql.rows import (
    SqlFamily,
    _person,
    parse_ts,
    ts,
)
from flows.store import (
    DataSummary,
    Erasure,
    Person,
)


class PeopleSql(SqlFamily):
    async def get(self, channel: str, external_id: str, first_name: str = "") -> Person:
        now = ts(self.clock())
        rows = await self.ex.fetch(
            "INSERT INTO people (channel, external_id, first_name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, external_id) DO UPDATE SET"
            " last_seen_at = excluded.last_seen_at,"
            " first_name = CASE WHEN excluded.first_name != '' THEN excluded.first_name"
            " ELSE people.first_name END RETURNING *",
            (channel, external_id, first_name, now, now),
        )
        row = rows[0] if rows else None
        assert row is not None
        return _person(row)

    async def find(self, channel: str, external_id: str) -> Person | None:
        rows = await self.ex.fetch(
            "SELECT * FROM people WHERE channel = ? AND external_id = ?", (channel, external_id)
        )
        return _person(rows[0]) if rows else None

    async def set_flow(self, person_id: int, flow: str, data: dict[str, Any]) -> None:
        await self.ex.execute(
            "UPDATE people SET flow = ?, flow_data = ? WHERE id = ?",
            (flow, json.dumps(data, ensure_ascii=False), person_id),
        )

    async def set_consent(self, person_id: int, at: datetime | None) -> None:
        await self.ex.execute(
            "UPDATE people SET consent_at = ? WHERE id = ?", (ts(at) if at else None, person_id)
        )

    async def data_summary(self, person_id: int) -> DataSummary:
        rows = await self.ex.fetch(
            "SELECT p.created_at, p.last_seen_at, p.consent_at,"
            " (SELECT count(*) FROM messages WHERE person_id = p.id AND direction = 'in'),"
            " (SELECT count(*) FROM messages WHERE person_id = p.id AND direction != 'in'"
            "  AND direction != 'note'),"
            " (SELECT count(*) FROM cases WHERE person_id = p.id),"
            " (SELECT count(*) FROM cases WHERE person_id = p.id"
            "  AND status IN ('waiting', 'active'))"
            " FROM people p WHERE p.id = ?",
            (person_id,),
        )
        row = rows[0] if rows else None
        assert row is not None
        return DataSummary(parse_ts(row[0]), parse_ts(row[1]), parse_ts(row[2]),
                           row[3], row[4], row[5], row[6])

    async def erase(self, person_id: int, keep_cases: Sequence[int]) -> Erasure:
        """Delete what the hotline holds about a person except the cases it must keep.

        The people row stays as an empty shell (channel and id only) because the bot must
        still be able to answer this chat; everything said and every case goes.
        """
        # -1 stands for "none": `id NOT IN (NULL)` would match no row at all.
        keep = list(keep_cases) or [-1]
        marks = ",".join("?" for _ in keep)
        rows = await self.ex.fetch(
            f"SELECT id, thread_id FROM cases WHERE person_id = ? AND id NOT IN ({marks})",
            (person_id, *keep),
        )
        erased = [(r[0], r[1]) for r in rows]
        erased_ids = [cid for cid, _ in erased]
        if erased_ids:
            # Staff posts and relays of those cases hold the person's words too. Before the
            # cases go: deleting a case would only unlink them (ON DELETE SET NULL).
            await self.ex.execute(
                f"DELETE FROM outbox WHERE case_id IN ({','.join('?' for _ in erased_ids)})",
                erased_ids,
            )
        messages = await self.ex.execute(
            f"DELETE FROM messages WHERE person_id = ? AND (case_id IS NULL"
            f" OR case_id NOT IN ({marks}))",
            (person_id, *keep),
        )
        # Corrections for the triage export go with their cases (explicitly: the export
        # must never keep a case the person erased, whatever the foreign keys say).
        await self.ex.execute(
            f"DELETE FROM triage_corrections WHERE case_id IN (SELECT id FROM cases"
            f" WHERE person_id = ? AND id NOT IN ({marks}))",
            (person_id, *keep),
        )
        await self.ex.execute(
            f"DELETE FROM case_tags WHERE case_id IN (SELECT id FROM cases"
            f" WHERE person_id = ? AND id NOT IN ({marks}))",
            (person_id, *keep),
        )
        await self.ex.execute(
            f"DELETE FROM cases WHERE person_id = ? AND id NOT IN ({marks})", (person_id, *keep)
        )
        await self.ex.execute("DELETE FROM answer_feedback WHERE person_id = ?", (person_id,))
        await self.ex.execute(
            "DELETE FROM unanswered_questions WHERE person_id = ?", (person_id,)
        )
        await self.ex.execute(
            "DELETE FROM offered_buttons WHERE EXISTS (SELECT 1 FROM people p WHERE p.id = ?"
            " AND p.channel = offered_buttons.channel"
            " AND p.external_id = offered_buttons.recipient)",
            (person_id,),
        )
        # Replies too, sent or not (a greeting holds the name), except a kept case's.
        await self.ex.execute(
            f"DELETE FROM outbox WHERE person_id = ? AND (case_id IS NULL"
            f" OR case_id NOT IN ({marks}))",
            (person_id, *keep),
        )
        await self.ex.execute(
            "UPDATE people SET first_name = '', flow = 'menu', flow_data = '{}',"
            " consent_at = NULL WHERE id = ?",
            (person_id,),
        )
        return Erasure(messages, len(erased), tuple(k for k in keep if k != -1),
                       tuple((cid, thread) for cid, thread in erased if thread))

"""The messages table: every message in and out, in a person's history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.store.sql.rows import (
    SqlFamily,
    parse_ts,
    required_ts,
    ts,
)
from flows.store import (
    StoredMessage,
)


class MessagesSql(SqlFamily):
    async def add(
        self,
        person_id: int,
        direction: str,
        kind: str,
        text: str,
        at: datetime,
        *,
        event_id: str = "",
        meta: dict[str, Any] | None = None,
        case_id: int | None = None,
    ) -> int:
        rows = await self.ex.fetch(
            "INSERT INTO messages (person_id, case_id, direction, kind, text, meta, event_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (person_id, case_id, direction, kind, text, json.dumps(meta or {}), event_id, ts(at)),
        )
        return int(rows[0]["id"])

    async def link(self, message_id: int, case_id: int) -> None:
        await self.ex.execute(
            "UPDATE messages SET case_id = ? WHERE id = ?", (case_id, message_id)
        )

    async def own(self, person_id: int, limit: int = 50) -> list[StoredMessage]:
        rows = await self.ex.fetch(
            "SELECT * FROM (SELECT * FROM messages WHERE person_id = ? AND direction = 'in'"
            " AND text != '' ORDER BY id DESC LIMIT ?) AS latest ORDER BY id",
            (person_id, limit),
        )
        return [
            StoredMessage(r["id"], r["person_id"], r["direction"], r["kind"], r["text"],
                          required_ts(r["created_at"]), r["case_id"])
            for r in rows
        ]

    async def history(self, person_id: int, limit: int = 200) -> list[StoredMessage]:
        rows = await self.ex.fetch(
            "SELECT * FROM (SELECT * FROM messages WHERE person_id = ? ORDER BY id DESC LIMIT ?)"
            " AS latest ORDER BY id",
            (person_id, limit),
        )
        return [
            StoredMessage(
                id=r["id"],
                person_id=r["person_id"],
                direction=r["direction"],
                kind=r["kind"],
                text=r["text"],
                created_at=required_ts(r["created_at"]),
                case_id=r["case_id"],
            )
            for r in rows
        ]

    async def last_from(self, person_id: int) -> datetime | None:
        rows = await self.ex.fetch(
            "SELECT max(created_at) FROM messages WHERE person_id = ? AND direction = 'in'",
            (person_id,),
        )
        return parse_ts(rows[0][0]) if rows else None

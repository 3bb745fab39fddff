"""The audit log: who did what to which case, when; append only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.sql.rows import (
    SqlFamily,
    ts,
)


class AuditSql(SqlFamily):
    async def record(
        self, actor: str, action: str, at: datetime, *, case_id: int | None = None, detail: str = ""
    ) -> None:
        await self.ex.execute(
            "INSERT INTO audit_log (at, actor, action, case_id, detail) VALUES (?, ?, ?, ?, ?)",
            (ts(at), actor, action, case_id, detail),
        )

    async def entries(self, since: str = "") -> list[tuple[str, str, str, Any, str]]:
        rows = await self.ex.fetch(
            "SELECT at, actor, action, case_id, detail FROM audit_log WHERE at >= ? ORDER BY id",
            (ts(datetime.fromisoformat(since)) if since else "",),
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

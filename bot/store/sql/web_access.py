"""The web console's sign-in links and sessions, each kept as the hash of its secret: a copy
of the database signs nobody in."""

from __future__ import annotations

from datetime import datetime

from bot.store.sql.rows import SqlFamily, ts
from flows.store import WebSession


class WebAccessSql(SqlFamily):
    async def issue_sign_in(self, token_hash: str, staff_id: int, at: datetime,
                            until: datetime) -> None:
        await self.ex.execute(
            "INSERT INTO web_sign_ins (token_hash, staff_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, staff_id, ts(at), ts(until)),
        )

    async def use_sign_in(self, token_hash: str, at: datetime) -> int | None:
        """The staff id of a link not used and not expired, now used up; None otherwise. One
        statement: two presses at once sign in once."""
        rows = await self.ex.fetch(
            "UPDATE web_sign_ins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING staff_id",
            (ts(at), token_hash, ts(at)),
        )
        return int(rows[0][0]) if rows else None

    async def sign_in_usable(self, token_hash: str, at: datetime) -> bool:
        rows = await self.ex.fetch(
            "SELECT 1 FROM web_sign_ins WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (token_hash, ts(at)),
        )
        return bool(rows)

    async def open_session(self, id_hash: str, staff_id: int, csrf: str, at: datetime,
                           until: datetime) -> None:
        await self.ex.execute(
            "INSERT INTO web_sessions (id_hash, staff_id, csrf, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (id_hash, staff_id, csrf, ts(at), ts(until)),
        )

    async def session(self, id_hash: str, at: datetime) -> WebSession | None:
        rows = await self.ex.fetch(
            "SELECT staff_id, csrf FROM web_sessions WHERE id_hash = ? AND revoked_at IS NULL"
            " AND expires_at > ?",
            (id_hash, ts(at)),
        )
        return WebSession(int(rows[0][0]), str(rows[0][1])) if rows else None

    async def revoke_session(self, id_hash: str, at: datetime) -> None:
        await self.ex.execute(
            "UPDATE web_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
            (ts(at), id_hash),
        )

    async def revoke_sessions_of(self, staff_id: int, at: datetime) -> int:
        return await self.ex.execute(
            "UPDATE web_sessions SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL",
            (ts(at), staff_id),
        )

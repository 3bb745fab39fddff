"""The counsellors' tools: the supervisors' canned replies (`/mau`) and tags on cases
(`/tag`). Keys and tags arrive normalised by the domain (flows/canned.py, flows/tags.py);
here they are only kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store.sql.rows import Row, SqlFamily, required_ts, ts
from flows.store import CannedReply

_CANNED = "SELECT slug, name, body, updated_by, updated_at FROM canned_replies"


class CannedRepliesSql(SqlFamily):
    async def all(self) -> list[CannedReply]:
        return [_canned(r) for r in await self.ex.fetch(f"{_CANNED} ORDER BY slug")]

    async def get(self, key: str) -> CannedReply | None:
        rows = await self.ex.fetch(f"{_CANNED} WHERE slug = ?", (key,))
        return _canned(rows[0]) if rows else None

    async def save(self, reply: CannedReply) -> bool:
        existed = await self.ex.fetch("SELECT 1 FROM canned_replies WHERE slug = ?",
                                      (reply.key,))
        await self.ex.execute(
            "INSERT INTO canned_replies (slug, name, body, updated_by, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (slug) DO UPDATE SET name = excluded.name,"
            " body = excluded.body, updated_by = excluded.updated_by,"
            " updated_at = excluded.updated_at",
            (reply.key, reply.name, reply.text, reply.updated_by, ts(reply.updated_at)),
        )
        return bool(existed)

    async def delete(self, key: str) -> bool:
        return await self.ex.execute("DELETE FROM canned_replies WHERE slug = ?", (key,)) > 0


class CaseTagsSql(SqlFamily):
    async def of(self, case_id: int) -> list[str]:
        rows = await self.ex.fetch(
            "SELECT tag FROM case_tags WHERE case_id = ? ORDER BY id", (case_id,))
        return [r[0] for r in rows]

    async def of_cases(self, case_ids: Sequence[int]) -> dict[int, list[str]]:
        ids = list(dict.fromkeys(case_ids))
        if not ids:  # `IN ()` is not SQL
            return {}
        rows = await self.ex.fetch(
            f"SELECT case_id, tag FROM case_tags WHERE case_id IN ({','.join('?' for _ in ids)})"
            " ORDER BY case_id, id",
            ids,
        )
        out: dict[int, list[str]] = {}
        for r in rows:
            out.setdefault(int(r[0]), []).append(r[1])
        return out

    async def add(self, case_id: int, tag: str, actor: str, at: datetime) -> bool:
        added = await self.ex.execute(
            "INSERT INTO case_tags (case_id, tag, added_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (case_id, tag) DO NOTHING",
            (case_id, tag, actor, ts(at)),
        )
        return added > 0

    async def remove(self, case_id: int, tag: str) -> bool:
        removed = await self.ex.execute(
            "DELETE FROM case_tags WHERE case_id = ? AND tag = ?", (case_id, tag))
        return removed > 0


def _canned(r: Row) -> CannedReply:
    return CannedReply(key=r["slug"], name=r["name"], text=r["body"],
                       updated_by=r["updated_by"], updated_at=required_ts(r["updated_at"]))

"""What the editors and the triage's trainers learn from: ratings of answers, questions not
answered, counsellors' corrections of a case's level or category."""

from __future__ import annotations

from datetime import datetime

from bot.store.sql.rows import (
    Row,
    SqlFamily,
    required_ts,
    ts,
)
from flows.messages import Priority
from flows.store import (
    UNANSWERED_KINDS,
    CorrectedCase,
    Correction,
    GapCounts,
    GapQuestion,
)


class FeedbackSql(SqlFamily):
    async def add_rating(
        self, person_id: int, article_id: str, helpful: bool, question: str, at: datetime
    ) -> None:
        await self.ex.execute(
            "INSERT INTO answer_feedback (person_id, article_id, helpful, question, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (person_id, article_id, int(helpful), question, ts(at)),
        )

    async def add_unanswered(
        self, person_id: int, question: str, nearest_article: str | None, kind: str, at: datetime
    ) -> None:
        if kind not in UNANSWERED_KINDS:
            raise ValueError(f"unanswered kind must be one of {', '.join(UNANSWERED_KINDS)},"
                             f" got {kind!r}")
        await self.ex.execute(
            "INSERT INTO unanswered_questions (person_id, question, nearest_article, kind,"
            " created_at) VALUES (?, ?, ?, ?, ?)",
            (person_id, question, nearest_article or None, kind, ts(at)),
        )

    async def gap_counts(self, since: datetime) -> GapCounts:
        rows = await self.ex.fetch(
            "SELECT (SELECT count(*) FROM unanswered_questions WHERE created_at >= ?),"
            " (SELECT count(*) FROM answer_feedback WHERE helpful = 0 AND created_at >= ?)",
            (ts(since), ts(since)),
        )
        return GapCounts(int(rows[0][0]), int(rows[0][1]))

    async def gap_questions(self, since: datetime) -> list[GapQuestion]:
        rows = await self.ex.fetch(
            "SELECT u.kind, u.nearest_article, u.question, p.first_name, u.created_at"
            " FROM unanswered_questions u JOIN people p ON p.id = u.person_id"
            " WHERE u.created_at >= ?"
            " UNION ALL SELECT 'unhelpful', f.article_id, f.question,"
            " COALESCE(p.first_name, ''), f.created_at"
            " FROM answer_feedback f LEFT JOIN people p ON p.id = f.person_id"
            " WHERE f.helpful = 0 AND f.created_at >= ?"
            " ORDER BY 5",
            (ts(since), ts(since)),
        )
        return [GapQuestion(r[0], r[1] or None, r[2], r[3], required_ts(r[4])) for r in rows]

    async def add_correction(self, correction: Correction) -> None:
        c = correction
        await self.ex.execute(
            "INSERT INTO triage_corrections (case_id, triage_priority, triage_category,"
            " triage_layer, priority, category, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (c.case_id, c.triage_priority.value, c.triage_category, c.triage_layer,
             c.priority.value, c.category, c.actor, ts(c.at)),
        )

    async def corrected_cases(self, since: datetime | None = None) -> list[CorrectedCase]:
        """Each corrected case with its latest correction and the person's own words in that
        case up to it (typed text and captions; no commands, no button presses)."""
        rows = await self.ex.fetch(
            "SELECT t.*, p.first_name FROM triage_corrections t"
            " JOIN cases c ON c.id = t.case_id JOIN people p ON p.id = c.person_id"
            " WHERE t.id IN (SELECT max(id) FROM triage_corrections GROUP BY case_id)"
            " AND t.at >= ? ORDER BY t.at, t.id",
            (ts(since) if since else "",),
        )
        out = []
        for r in rows:
            texts = await self.ex.fetch(
                "SELECT text FROM messages WHERE case_id = ? AND direction = 'in'"
                " AND kind != 'button' AND text != '' AND text NOT LIKE '/%' AND created_at <= ?"
                " ORDER BY id",
                (r["case_id"], r["at"]),
            )
            out.append(CorrectedCase(_correction(r), tuple(t[0] for t in texts),
                                     r["first_name"]))
        return out

    async def corrections(self, since: datetime | None = None) -> list[Correction]:
        """Every correction on or after `since`, oldest first: each case's full trail, where
        `corrected_cases` keeps only the latest."""
        rows = await self.ex.fetch(
            "SELECT * FROM triage_corrections WHERE at >= ? ORDER BY at, id",
            (ts(since) if since else "",),
        )
        return [_correction(r) for r in rows]

    async def ratings(self, since: datetime | None = None) -> list[tuple[str, bool, str, datetime]]:
        """(article id, helpful, question, at) of every rating on or after `since`, oldest
        first; 👍 too, which `gap_questions` leaves out."""
        rows = await self.ex.fetch(
            "SELECT article_id, helpful, question, created_at FROM answer_feedback"
            " WHERE created_at >= ? ORDER BY created_at, id",
            (ts(since) if since else "",),
        )
        return [(r[0], bool(r[1]), r[2], required_ts(r[3])) for r in rows]


def _correction(r: Row) -> Correction:
    return Correction(
        case_id=r["case_id"],
        triage_priority=Priority(r["triage_priority"]),
        triage_category=r["triage_category"],
        triage_layer=r["triage_layer"],
        priority=Priority(r["priority"]),
        category=r["category"],
        actor=r["actor"],
        at=required_ts(r["at"]),
    )

"""What the retention purge deletes: each kind of data past its time, children before parents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.store.sql.rows import ts
from flows.retention import RetentionPolicy


def purge_targets(now: datetime, policy: RetentionPolicy) -> list[tuple[str, str, list[Any]]]:
    """(kind, "table WHERE …", parameters) of everything past its retention time, in an order
    that deletes children before parents."""

    def before(days: int) -> str:
        return ts(now - timedelta(days=days))

    # Closed cases: per-outcome cut-offs first, the default cut-off for every other outcome.
    rules = [(outcome, before(days)) for outcome, days in policy.outcome_days.items()]
    clauses = ["(outcome = ? AND closed_at < ?)" for _ in rules]
    params: list[Any] = [value for rule in rules for value in rule]
    if rules:  # `outcome NOT IN ()` is not SQL, and NOT IN (NULL) would match nothing
        marks = ",".join("?" for _ in rules)
        clauses.append(f"((outcome IS NULL OR outcome NOT IN ({marks})) AND closed_at < ?)")
        params += [outcome for outcome, _ in rules]
    else:
        clauses.append("(closed_at < ?)")
    params.append(before(policy.closed_case_days))
    closed = f"status IN ('closed', 'cancelled') AND ({' OR '.join(clauses)})"
    conversation = before(policy.conversation_days)
    delivery = before(policy.delivery_days)
    return [
        ("case messages", f"messages WHERE case_id IN (SELECT id FROM cases WHERE {closed})",
         params),
        ("triage corrections",
         f"triage_corrections WHERE case_id IN (SELECT id FROM cases WHERE {closed})", params),
        ("case tags", f"case_tags WHERE case_id IN (SELECT id FROM cases WHERE {closed})",
         params),
        ("closed cases", f"cases WHERE {closed}", params),
        ("conversations without a case", "messages WHERE case_id IS NULL AND created_at < ?",
         [conversation]),
        ("answer feedback", "answer_feedback WHERE created_at < ?", [conversation]),
        ("unanswered questions", "unanswered_questions WHERE created_at < ?", [conversation]),
        ("idle people", "people WHERE last_seen_at < ? AND NOT EXISTS (SELECT 1 FROM messages m"
         " WHERE m.person_id = people.id) AND NOT EXISTS (SELECT 1 FROM cases c"
         " WHERE c.person_id = people.id)", [conversation]),
        ("audit log", "audit_log WHERE at < ?", [before(policy.audit_days)]),
        ("delivered replies", "outbox WHERE (sent_at IS NOT NULL OR failed_at IS NOT NULL)"
         " AND created_at < ?", [delivery]),
        ("handled events", "inbox WHERE processed_at IS NOT NULL AND received_at < ?",
         [delivery]),
        ("offered buttons", "offered_buttons WHERE offered_at < ?", [conversation]),
    ]

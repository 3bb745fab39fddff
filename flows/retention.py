"""How long each kind of data is kept. Applied daily and by `hotline purge [--dry-run]`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetentionPolicy:
    conversation_days: int = 90  # messages that belong to no case, and idle people
    closed_case_days: int = 365  # closed or cancelled cases with their messages
    outcome_days: Mapping[str, int] = field(default_factory=dict)  # per outcome, overrides
    audit_days: int = 1825
    delivery_days: int = 7  # sent replies in the outbox, handled events in the inbox

    def case_days(self, outcome: str | None) -> int:
        return self.outcome_days.get(outcome or "", self.closed_case_days)


@dataclass(frozen=True)
class PurgeReport:
    counts: Mapping[str, int]
    dry_run: bool

    @property
    def total(self) -> int:
        return sum(self.counts.values())

"""A reporting period and the drill-down key of a report's bars.

A period is a run of whole local days, [start, end] in the centre's time zone
(`hotline.timezone`), at most MAX_DAYS long, so that a report never reads more than a year of
cases. Every bar of a report carries `Filters`: the case search that finds the cases behind
it, in the words of a console's query string (`/cases?from=2026-11-01&to=2026-11-30&
priority=critical`). `matches` is what those words mean, so a console that shows the cases
behind a bar and the report that counted them agree (the tests check it bar by bar).

    key         value                     a case matches when
    from, to    YYYY-MM-DD (local dates)  it was opened on one of these local days (inclusive)
    priority    critical|urgent|review|normal  its priority now (after any correction)
    status      waiting|active|closed|cancelled
    category    a triage category id | none    its category (none: triage gave none)
    topic       an intake topic id | none      the topic the person chose (none: no topic)
    channel     telegram|zalo|…           the person's channel
    outcome     an outcome | none         its closing outcome (none: closed without one)
    counsellor  a staff id | none         who holds (or last held) it
    group       GROUPS                    the group of people it is about (`group_of`)
    sla         met|missed                claimed within its priority's target, or not
    abandoned   yes                       the person left the queue before a counsellor
    replied     yes                       a counsellor has replied at least once
    rating      1..5                      the person's rating of the help
    emergency   yes                       critical or urgent
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import urlencode

from flows.cases import Case, CaseStatus
from flows.messages import Priority
from flows.ports import StaffSettings

MAX_DAYS = 366  # a longer period is refused: one report per year at most
NONE = "none"  # a filter value: the field is empty
YES = "yes"

# What a counsellor's closing outcome calls a referral to another service (the shipped
# `staff.outcomes`: "chuyển tuyến"). A centre that renames it counts no referral.
REFERRAL = "chuyển tuyến"

# The group of people a case is about. The case records no such field: it is read from the
# intake topic the person chose and from triage's category, and "not_recorded" says so.
GROUPS = ("children", "elderly", "disabled", "elderly_or_disabled", "not_recorded")
_TOPIC_GROUPS = {"tre_em": "children", "nguoi_cao_tuoi": "elderly",
                 "nguoi_khuyet_tat": "disabled"}
_CATEGORY_GROUPS = {
    "child_abuse": "children", "child_labour": "children", "missing_child": "children",
    "abandoned_child": "children",
    "elder_abuse": "elderly_or_disabled",  # "Người cao tuổi, người khuyết tật bị ngược đãi…"
}

Filters = tuple[tuple[str, str], ...]


class PeriodError(ValueError):
    """A period that cannot be reported; the message is for the operator (English)."""


@dataclass(frozen=True)
class Period:
    """Whole local days [start, end] (both included) in `tz`."""

    start: date
    end: date
    tz: tzinfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as instants: its first local midnight, and the one after its end."""
        return local_midnight(self.start, self.tz), local_midnight(
            self.end + timedelta(days=1), self.tz)

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    @property
    def kind(self) -> str:
        """"day", "week" (Monday to Sunday), "month" (a calendar month) or "days"."""
        if self.days == 1:
            return "day"
        if self.days == 7 and self.start.weekday() == 0:
            return "week"
        if self.start.day == 1 and (self.end + timedelta(days=1)).day == 1 and (
                self.end.month == self.start.month and self.end.year == self.start.year):
            return "month"
        return "days"

    def previous(self) -> Period:
        """What the period is compared with: the calendar month before a month, else as many
        days just before it."""
        if self.kind == "month":
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end, self.tz)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1),
                      self.tz)

    def filters(self) -> Filters:
        return (("from", self.start.isoformat()), ("to", self.end.isoformat()))


def local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def checked_period(start: date, end: date, tz: tzinfo, *, max_days: int = MAX_DAYS) -> Period:
    """The period [start, end]; PeriodError when it runs backwards or is longer than
    `max_days` (refused, never cut silently)."""
    if end < start:
        raise PeriodError(f"the period ends ({end.isoformat()}) before it starts"
                          f" ({start.isoformat()})")
    period = Period(start, end, tz)
    if period.days > max_days:
        raise PeriodError(f"the period is {period.days} days long; a report covers at most"
                          f" {max_days} days (make one report per year)")
    return period


def query(filters: Filters) -> str:
    """The filters as a URL query string (UTF-8, percent-encoded)."""
    return urlencode(filters)


# ---------------------------------------------------------------- what a case is


@dataclass(frozen=True)
class ReportRules:
    """What the figures are measured against: the centre's time zone, the time the report is
    made (a case still waiting past its target has missed it already) and the target of
    each priority for a counsellor to take the case, in seconds (`sla_targets`)."""

    tz: tzinfo
    now: datetime
    sla: Mapping[Priority, float]


def sla_targets(staff: StaffSettings) -> dict[Priority, float]:
    """Seconds within which a case should be claimed: the case watch's own alert delays. A
    critical case unclaimed after `critical_alert_after` is alerted again (urgent:
    `urgent_alert_after`); review items and normal cases have `abandon_after`, the wait
    after which the watch apologises to the person."""
    return {Priority.CRITICAL: staff.critical_alert_after,
            Priority.URGENT: staff.urgent_alert_after,
            Priority.REVIEW: staff.abandon_after,
            Priority.NORMAL: staff.abandon_after}


def report_rules(staff: StaffSettings, tz: tzinfo, now: datetime) -> ReportRules:
    return ReportRules(tz, now, sla_targets(staff))


def subject(case: Case) -> Filters:
    """What the case is about, as a filter: triage's category, else the intake topic (as the
    staff desk labels cases, flows.reports.case_label); both none when nothing is known."""
    if case.category:
        return (("category", case.category),)
    return (("category", NONE), ("topic", case.topic or NONE))


def group_of(case: Case) -> str:
    """The group of people the case is about, one of GROUPS, read from its intake topic and
    triage category (a category says more than a topic)."""
    return (_CATEGORY_GROUPS.get(case.category or "")
            or _TOPIC_GROUPS.get(case.topic) or "not_recorded")


def sla_state(case: Case, rules: ReportRules) -> str | None:
    """"met" when a counsellor claimed the case within its target, "missed" when not (still
    unclaimed past the target, or left or closed later than it); None when it did
    not wait that long unclaimed (left before the target, or still inside it)."""
    target = timedelta(seconds=rules.sla[case.priority])
    if case.claimed_at is not None:
        return "met" if case.claimed_at - case.created_at <= target else "missed"
    waited_until = case.closed_at or rules.now
    return "missed" if waited_until - case.created_at > target else None


def abandoned(case: Case) -> bool:
    """The person left the queue (/huy, "Rời hàng chờ") before any counsellor took the case:
    the only way a case becomes cancelled (flows/handoff.py `leave`)."""
    return case.status is CaseStatus.CANCELLED and case.claimed_at is None


def rating(case: Case) -> int | None:
    """The person's 1–5 rating of the help (flows/handoff.py keeps it on the case)."""
    value = case.details.get("rating")
    return value if isinstance(value, int) and 1 <= value <= 5 else None


def first_reply_minutes(case: Case) -> float | None:
    if case.first_reply_at is None:
        return None
    return (case.first_reply_at - case.created_at).total_seconds() / 60


def emergency(case: Case) -> bool:
    """An emergency reception: triage (or the person, with /khancap) put it at critical or
    urgent, or a counsellor raised it there."""
    return case.priority in (Priority.CRITICAL, Priority.URGENT)


def matches(case: Case, filters: Filters, rules: ReportRules) -> bool:
    """Does the case meet every filter (the table in this module's docstring)? An unknown
    key matches nothing, so a typo never widens a list."""
    day = case.created_at.astimezone(rules.tz).date().isoformat()
    return all(_meets(case, key, value, day, rules) for key, value in filters)


def _meets(case: Case, key: str, value: str, day: str, rules: ReportRules) -> bool:
    if key in ("from", "to"):
        try:
            bound = date.fromisoformat(value).isoformat()
        except ValueError:
            return False
        return day >= bound if key == "from" else day <= bound
    read = _READ.get(key)
    return read is not None and read(case, rules) == value


def _flag(test: Callable[[Case], bool]) -> Callable[[Case, ReportRules], str | None]:
    return lambda case, _: YES if test(case) else None


# What each filter key reads of a case, as the filter's value ("none": empty).
_READ: dict[str, Callable[[Case, ReportRules], str | None]] = {
    "priority": lambda c, _: c.priority.value,
    "status": lambda c, _: c.status.value,
    "category": lambda c, _: c.category or NONE,
    "topic": lambda c, _: c.topic or NONE,
    "channel": lambda c, _: c.channel or NONE,
    "outcome": lambda c, _: (c.outcome or NONE) if c.status is CaseStatus.CLOSED else None,
    "counsellor": lambda c, _: str(c.claimed_by) if c.claimed_by is not None else NONE,
    "group": lambda c, _: group_of(c),
    "sla": sla_state,
    "abandoned": _flag(abandoned),
    "replied": _flag(lambda c: c.first_reply_at is not None),
    "rating": lambda c, _: str(r) if (r := rating(c)) is not None else None,
    "emergency": _flag(emergency),
}
FILTER_KEYS = ("from", "to", *_READ)  # every key `matches` knows, for a console's query

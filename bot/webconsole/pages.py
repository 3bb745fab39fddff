"""The console's pages: the live queue, the cases with their filters, and one case.

Counsellors see the cases they held; supervisors see every case. Opening a case is audited
as viewing it in Telegram is.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from bot.core import Core
from bot.webconsole.access import Access, Visitor
from bot.webconsole.render import Pages
from bot.webconsole.reports import Reports, is_drill_down
from flows.case_search import MAX_TEXT, PAGE, CaseFilter, local_period
from flows.cases import Case, CaseStatus
from flows.messages import Priority
from flows.reports import case_label
from flows.staff import Role, StaffMember
from flows.tags import normalise_tag

CHANNELS = ("telegram", "zalo", "console")
HISTORY = 500  # messages of a conversation a case page shows


@dataclass(frozen=True)
class WaitingRow:
    case: Case
    category: str
    waited: int  # seconds
    breach: bool  # waited past its alert delay (critical and urgent cases)


@dataclass(frozen=True)
class ActiveRow:
    case: Case
    category: str
    counsellor: str
    held: int  # seconds since claimed


@dataclass(frozen=True)
class Queue:
    waiting: tuple[WaitingRow, ...]
    active: tuple[ActiveRow, ...]
    at: datetime

    @property
    def reviews(self) -> int:
        return sum(1 for row in self.waiting if row.case.priority is Priority.REVIEW)

    @property
    def breaches(self) -> int:
        return sum(1 for row in self.waiting if row.breach)


class Console:
    def __init__(self, core: Core, access: Access, pages: Pages,
                 reports: Reports | None = None) -> None:
        self.core = core
        self.access = access
        self.pages = pages
        self.reports = reports  # for the cases behind a report's bar

    # ---------------------------------------------------------------- the queue

    async def queue(self) -> Queue:
        """Waiting cases by severity then wait (the store's order), the active ones."""
        core = self.core
        now = core.clock()
        staff = core.services.staff
        waiting = tuple(
            WaitingRow(c, case_label(core.services, c), seconds(now - c.created_at),
                       breached(c, now, staff.critical_alert_after, staff.urgent_alert_after))
            for c in await core.store.views.queue())
        active = tuple(
            ActiveRow(c, case_label(core.services, c), staff.directory.name_of(c.claimed_by),
                      seconds(now - (c.claimed_at or c.created_at)))
            for c in await core.store.views.open_cases() if c.status is CaseStatus.ACTIVE)
        return Queue(waiting, active, now)

    async def queue_fragment(self, visitor: Visitor) -> str:
        return self.pages.render("_queue", queue=await self.queue(), visitor=visitor)

    async def queue_page(self, request: Request, visitor: Visitor) -> Response:
        return self.access.page("queue", visitor=visitor,
                                fragment=await self.queue_fragment(visitor))

    # ---------------------------------------------------------------- cases

    async def cases_page(self, request: Request, visitor: Visitor) -> Response:
        wanted, problems = self.filter_from(request.query_params, visitor)
        if self.reports is not None and is_drill_down(request.query_params):
            # A chart's bar: the report's own filters say which cases it counted.
            matching, problem = await self.reports.drill_down(request.query_params, visitor)
            total = len(matching)
            found = matching[wanted.page * PAGE:(wanted.page + 1) * PAGE]
            problems = [problem] if problem else []
        else:
            found, total = await self.core.store.case_search.find(wanted)
        directory = self.core.services.staff.directory
        search = self.core.store.case_search
        tags = await self.core.store.case_tags.of_cases([c.id for c in found])
        rows = [(c, case_label(self.core.services, c), directory.name_of(c.claimed_by),
                 tags.get(c.id, [])) for c in found]
        return self.access.page(
            "cases", visitor=visitor, rows=rows, total=total, page=wanted.page,
            pages=max(1, -(-total // PAGE)), query=dict(request.query_params),
            page_query=lambda n: urlencode({**request.query_params, "page": n}),
            problems=problems, priorities=list(Priority), statuses=list(CaseStatus),
            channels=CHANNELS, counsellors=directory.counsellors(),
            categories=[(c, self.core.services.triage.category_label(c)
                         if self.core.services.triage else c) for c in await search.categories()],
            outcomes=await search.outcomes(),
        )

    def filter_from(self, query: Mapping[str, str],
                    visitor: Visitor) -> tuple[CaseFilter, list[str]]:
        """The filters a query asks for; what could not be read is named, and left out."""
        problems: list[str] = []

        def text(key: str) -> str:
            return (query.get(key) or "").strip()[:MAX_TEXT]

        def day(key: str) -> date | None:
            value = text(key)
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                problems.append(key)
                return None

        def number(key: str) -> int | None:
            value = text(key).lstrip("#")
            if not value:
                return None
            if value.isdigit() and len(value) <= 12:
                return int(value)
            problems.append(key)
            return None

        def one_of(key: str, values: set[str]) -> str:
            value = text(key)
            if value and value not in values:
                problems.append(key)
                return ""
            return value

        start, end = day("from"), day("to")
        if start and end and start > end:
            start, end = end, start
        lower, upper, cut = local_period(start, end, self.core.config.hotline.tz)
        if cut:
            problems.append("period")
        counsellor = number("counsellor")
        return CaseFilter(
            opened_from=lower, opened_to=upper,
            priority=Priority(p) if (p := one_of("priority", {p.value for p in Priority}))
            else None,
            status=CaseStatus(s) if (s := one_of("status", {s.value for s in CaseStatus}))
            else None,
            category=text("category"), outcome=text("outcome"),
            channel=text("channel") if text("channel") in CHANNELS else "",
            counsellor=counsellor,
            held_by=None if visitor.supervises else visitor.member.id,
            number=number("number"),
            tag=normalise_tag(text("tag")) if text("tag") else "",
            text=text("q"),
            page=min(number("page") or 0, 10_000),
        ), problems

    async def counsellors_page(self, request: Request, visitor: Visitor) -> Response:
        """Open cases per counsellor now, and the last week's cases and first replies; who
        is at the desk (office hours) or on call."""
        core = self.core
        now = core.clock()
        staff = core.services.staff
        open_now = Counter(c.claimed_by for c in await core.store.views.open_cases()
                           if c.status is CaseStatus.ACTIVE)
        recent = await core.store.case_search.claimed_between(
            now - timedelta(days=WORKLOAD_DAYS), now)
        at_desk = staff.office_hours.is_open(now)
        rows = []
        for member in staff.directory.members:
            mine = [c for c in recent if c.staff_id == member.id]
            replies = [seconds(c.first_reply - c.opened) for c in mine
                       if c.first_reply is not None]
            rows.append(CounsellorRow(
                member, open_now.get(member.id, 0), len(mine),
                int(statistics.median(replies)) if replies else None,
                on_duty=(member.may_act and at_desk)
                or (not at_desk and Role.ON_CALL in member.roles)))
        return self.access.page("counsellors", visitor=visitor, rows=rows, at_desk=at_desk,
                                days=WORKLOAD_DAYS, roles=Role,
                                max_active=staff.max_active_cases)

    async def case_page(self, request: Request, visitor: Visitor, *,
                        notice: str = "") -> Response:
        try:
            case_id = int(request.path_params["case_id"])
        except (KeyError, ValueError):
            return self.access.page("case_missing", visitor=visitor, status=404)
        store = self.core.store
        card = await store.views.case_card(case_id, history=HISTORY)
        if card is None:
            return self.access.page("case_missing", visitor=visitor, status=404)
        if not visitor.supervises and not await store.case_search.held(case_id,
                                                                       visitor.member.id):
            return self.access.page("case_not_yours", visitor=visitor, status=403)
        await store.audit.record(visitor.member.actor, "viewed_case_web", self.core.clock(),
                                 case_id=case_id)
        case = card.case
        directory = self.core.services.staff.directory
        return self.access.page(
            "case", visitor=visitor, case=case, category=case_label(self.core.services, case),
            counsellor=directory.name_of(case.claimed_by),
            tags=await store.case_tags.of(case.id),
            conversation=[m for m in card.history if m.direction in ("in", "out", "staff")],
            notes=[m for m in card.history if m.direction == "note"],
            earlier=card.earlier, trail=await store.case_search.trail(case_id),
            names=self.actor_names(), notice=notice, levels=list(Priority),
            outcomes=self.core.services.staff.outcomes,
            counsellors=[m for m in directory.counsellors() if m.id != case.claimed_by],
        )

    def actor_names(self) -> dict[str, str]:
        """The audit log's actors as staff read them."""
        directory = self.core.services.staff.directory
        names = {f"staff:{m.id}": m.name or f"Cán bộ {m.id}" for m in directory.members}
        return names | {"bot": "Bot", "person": "Người dân"}


@dataclass(frozen=True)
class CounsellorRow:
    member: StaffMember
    open_now: int  # active cases held now
    cases: int  # cases of the last WORKLOAD_DAYS claimed
    median_reply: int | None  # seconds from opening to the first reply, over those answered
    on_duty: bool


WORKLOAD_DAYS = 7


def seconds(span: timedelta) -> int:
    return max(0, int(span.total_seconds()))


def breached(case: Case, now: datetime, critical_after: float, urgent_after: float) -> bool:
    """Unclaimed past the delay after which the watch alerts again."""
    after = {Priority.CRITICAL: critical_after, Priority.URGENT: urgent_after}.get(case.priority)
    return after is not None and (now - case.created_at).total_seconds() >= after

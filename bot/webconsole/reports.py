"""The console's reports, for supervisors: a period's figures and charts (every bar leads
to the cases behind it), the cases as CSV and the printable monthly report, made by the same
code as `hotline report` (bot/reporting/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from bot.core import Core
from bot.reporting.charts import charts, link_pattern
from bot.reporting.document import html_report
from bot.reporting.export import cases_csv
from bot.reporting.text import ReportText, report_text
from bot.webconsole.access import SECURITY_HEADERS, Access, Visitor
from flows.cases import Case
from flows.period import FILTER_KEYS, Period, PeriodError, checked_period, matches, report_rules
from flows.period_report import PeriodFigures, figures_of, read_period

DRILL_DOWN = "/cases?{query}"


@dataclass(frozen=True)
class Asked:
    """The period a page asks for, and why the one asked for could not be used."""

    period: Period
    problem: str = ""  # "" | "dates" | "backwards" | "too_long"


class Reports:
    def __init__(self, core: Core, access: Access) -> None:
        self.core = core
        self.access = access

    @property
    def text(self) -> ReportText:
        triage = self.core.services.triage
        return report_text(self.core.config,
                           triage.category_label if triage is not None else str)

    def asked(self, query: Mapping[str, str]) -> Asked:
        """?from=&to= (local dates); this month so far when absent or unusable."""
        tz = self.core.config.hotline.tz
        today = self.core.clock().astimezone(tz).date()
        default = Period(today.replace(day=1), today, tz)
        start, end = (query.get("from") or "")[:10], (query.get("to") or "")[:10]
        if not start and not end:
            return Asked(default)
        try:
            first = date.fromisoformat(start) if start else default.start
            last = date.fromisoformat(end) if end else today
        except ValueError:
            return Asked(default, "dates")
        try:
            return Asked(checked_period(first, last, tz))
        except PeriodError:
            return Asked(default, "backwards" if last < first else "too_long")

    async def figures(self, period: Period) -> tuple[PeriodFigures, list[Case]]:
        record = await read_period(self.core.store.views, period)
        rules = report_rules(self.core.services.staff, period.tz, self.core.clock())
        return figures_of(record, period, rules), list(record.cases)

    async def page(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.supervises:
            return self.access.page("supervisors_only", visitor=visitor, status=403)
        asked = self.asked(request.query_params)
        figures, _ = await self.figures(asked.period)
        today = self.core.clock().astimezone(asked.period.tz).date()
        drawn = charts(figures, self.text, today=today, link=link_pattern(DRILL_DOWN))
        await self.core.store.audit.record(visitor.member.actor, "viewed_report_web",
                                           self.core.clock())
        return self.access.page("reports", visitor=visitor, period=asked.period,
                                problem=asked.problem, figures=figures, charts=drawn,
                                query=f"from={asked.period.start}&to={asked.period.end}")

    async def csv(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.supervises:
            return self.access.page("supervisors_only", visitor=visitor, status=403)
        period = self.asked(request.query_params).period
        _, cases = await self.figures(period)
        await self.core.store.audit.record(visitor.member.actor, "exported_cases_csv",
                                           self.core.clock(), detail=f"{period.start}/{period.end}")
        body = cases_csv(cases, self.text, period.tz)
        return download(body, f"hotline-ca-{period.start}-{period.end}.csv",
                        "text/csv; charset=utf-8")

    async def document(self, request: Request, visitor: Visitor) -> Response:
        if not visitor.supervises:
            return self.access.page("supervisors_only", visitor=visitor, status=403)
        period = self.asked(request.query_params).period
        figures, _ = await self.figures(period)
        now = self.core.clock().astimezone(period.tz)
        body = html_report(figures, self.text, service=self.core.config.hotline.name,
                           generated_at=now, today=now.date())
        await self.core.store.audit.record(visitor.member.actor, "exported_report",
                                           self.core.clock(), detail=f"{period.start}/{period.end}")
        return download(body, f"bao-cao-{period.start}-{period.end}.html",
                        "text/html; charset=utf-8")

    async def drill_down(self, query: Mapping[str, str], visitor: Visitor,
                         ) -> tuple[list[Case], str]:
        """The cases behind a chart's bar: the filters a report link carries (flows/period.py
        says what each means), within its period; a counsellor's own cases only."""
        asked = self.asked(query)
        _, cases = await self.figures(asked.period)
        filters = tuple((k, v[:100]) for k, v in query.items()
                        if k in FILTER_KEYS and k not in ("from", "to") and v)
        rules = report_rules(self.core.services.staff, asked.period.tz, self.core.clock())
        found = [c for c in cases if matches(c, filters, rules)]
        if not visitor.supervises:  # one read for the whole period, not one per case
            mine = await self.core.store.case_search.held_between(
                visitor.member.id, *asked.period.bounds())
            found = [c for c in found if c.id in mine]
        found.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        return found, asked.problem


def is_drill_down(query: Mapping[str, str]) -> bool:
    """A query only the report's filters can answer (a bar's link): a key the case search
    does not have, or an empty field asked for ("none")."""
    plain = {"from", "to", "number", "page", "priority", "status", "category", "outcome",
             "channel", "counsellor"}
    return any((k in FILTER_KEYS and k not in plain) or (k in FILTER_KEYS and v == "none")
               for k, v in query.items())


def download(body: str, filename: str, media_type: str) -> Response:
    return Response(body.encode("utf-8"), media_type=media_type, headers={
        **SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'})

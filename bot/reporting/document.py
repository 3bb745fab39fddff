"""The period's report as one self-contained, printable HTML file: inline CSS, inline SVG
charts without links or scripts, nothing fetched from anywhere. It holds the figures a centre
sends to its provincial department (consultations by subject and by group of people,
emergency receptions, referrals, people helped) and no personal data of citizens: counts
only, and the counsellors' names as the staff directory gives them. Every text from the
configuration or the knowledge folder is escaped (`templates/report/report.html.j2` is
autoescaped)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

from markupsafe import Markup

from bot.reporting.charts import Chart, charts
from bot.reporting.text import ReportText
from flows.period_report import Bar, PeriodFigures

TEMPLATE = "report.html.j2"


def shares(bars: Sequence[Bar], total: int,
           label: Callable[[str], str]) -> list[tuple[str, int, float | None]]:
    """(label, count, share of `total`) of each bar."""
    return [(label(b.key), b.count, b.count / total if total else None) for b in bars]


def html_report(figures: PeriodFigures, text: ReportText, *, service: str,
                generated_at: datetime, today: date) -> str:
    f = figures
    drawn: dict[str, Chart] = {c.name: c for c in charts(f, text, today=today)}
    return text.page(
        TEMPLATE,
        service=service,
        title=text.label("report_title"),
        period=f.period,
        generated=generated_at.strftime("%H:%M %d/%m/%Y"),
        f=f,
        svg={name: Markup(c.svg) for name, c in drawn.items()},  # pygal escapes its texts
        titles={name: c.title for name, c in drawn.items()},
        statements={name: c.statement for name, c in drawn.items()},
        subjects=shares(f.by_category, f.total, text.subject),
        groups=shares(f.by_group, f.total, text.group),
        outcomes=shares(f.by_outcome, sum(b.count for b in f.by_outcome), text.outcome),
        counsellors=shares(f.by_counsellor, f.total, text.counsellor),
        levels={p.value: text.priority(p.value) for p in (r.priority for r in f.sla)},
    )

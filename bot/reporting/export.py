"""The CSV export: one row per case opened in the period, for Excel.

UTF-8 with a byte order mark (Excel reads Vietnamese only then), comma-separated, CRLF line
ends, headers from `templates/report/labels.j2`. Nothing a person wrote or is: no message
text, summary, name, phone number, location or answer; the counsellor is named as the staff
directory names them. A cell that Excel would read as a formula (=, +, -, @) is prefixed
with an apostrophe."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.reporting.text import ReportText
from flows.cases import Case
from flows.period import first_reply_minutes, group_of, rating

BOM = "\ufeff"
COLUMNS = ("number", "opened", "claimed", "closed", "priority", "category", "topic", "group",
           "channel", "status", "outcome", "counsellor", "first_reply", "rating")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def local_time(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def cell(text: str) -> str:
    """Text that Excel shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(_FORMULA) else text


def case_row(case: Case, text: ReportText, tz: tzinfo) -> list[str]:
    minutes = first_reply_minutes(case)
    stars = rating(case)
    return [
        str(case.id),
        local_time(case.created_at, tz),
        local_time(case.claimed_at, tz),
        local_time(case.closed_at, tz),
        text.priority(case.priority.value),
        cell(text.subject(f"category:{case.category}")) if case.category else "",
        cell(text.subject(f"topic:{case.topic}")) if case.topic else "",
        text.group(group_of(case)),
        cell(text.channel(case.channel)),
        text.status(case.status.value),
        cell(case.outcome or ""),
        cell(text.counsellor(str(case.claimed_by))) if case.claimed_by is not None else "",
        f"{minutes:.1f}" if minutes is not None else "",
        str(stars) if stars is not None else "",
    ]


def cases_csv(cases: Sequence[Case], text: ReportText, tz: tzinfo) -> str:
    """The CSV text, starting with the byte order mark: write it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([text.label(f"csv_{column}") for column in COLUMNS])
    writer.writerows(case_row(case, text, tz) for case in cases)
    return BOM + out.getvalue()

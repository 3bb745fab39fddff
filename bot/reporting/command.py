"""`hotline report --from YYYY-MM-DD --to YYYY-MM-DD --format csv|html [--output PATH]`:
the period's cases as CSV (one row per case) or the printable HTML report, for the operator
who sends it on. Problems with the input get one English line and exit code 2."""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.app import make_store
from bot.config import Config, ConfigError
from bot.reporting.document import html_report
from bot.reporting.export import cases_csv
from bot.reporting.text import report_text
from flows.period import Period, PeriodError, checked_period, report_rules
from flows.period_report import figures_of, read_period
from flows.ports import Clock
from knowledge.text import Abbreviations
from knowledge.triage import TriageRules

FORMATS = ("csv", "html")


def parse_period(config: Config, start: str, end: str) -> Period | str:
    """The period, or the line that says what is wrong with it."""
    days: list[date] = []
    for flag, text in (("--from", start), ("--to", end)):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            return f"{flag}: {text[:40]!r} is not a date like 2026-11-01"
    try:
        return checked_period(days[0], days[1], config.hotline.tz)
    except PeriodError as exc:
        return str(exc)


async def report(config: Config, start: str, end: str, fmt: str, output: str | None,
                 out: TextIO, *, clock: Clock) -> int:
    period = parse_period(config, start, end)
    if isinstance(period, str):
        print(f"hotline report: {period}", file=sys.stderr)
        return 2
    knowledge = config.knowledge_path
    try:
        triage = TriageRules.load(knowledge / "triage.yaml",
                                  Abbreviations.load(knowledge / "teencode.yaml"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"hotline.knowledge_dir: {exc}") from None
    text = report_text(config, triage.category_label)
    store = make_store(config.database.url, clock, config.hotline.instance)
    await store.open()
    try:
        record = await read_period(store.views, period)
    finally:
        await store.close()
    now = clock()
    tz = config.hotline.tz
    figures = figures_of(record, period, report_rules(config.staff, tz, now))
    if fmt == "csv":
        body = cases_csv(record.cases, text, tz)
    else:
        body = html_report(figures, text, service=config.hotline.name,
                           generated_at=now.astimezone(tz), today=now.astimezone(tz).date())
    what = (f"{figures.total} cases from {period.start.isoformat()} to"
            f" {period.end.isoformat()}")
    if not output:
        out.write(body)
        if not figures.total:
            print(f"hotline report: no cases from {period.start.isoformat()} to"
                  f" {period.end.isoformat()}", file=sys.stderr)
        return 0
    try:
        await asyncio.to_thread(Path(output).write_text, body, encoding="utf-8", newline="")
    except OSError as exc:
        print(f"hotline report: --output: cannot write {output}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    print(f"wrote {fmt.upper()} of {what} to {output}", file=sys.stderr)
    return 0

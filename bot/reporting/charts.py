"""A period's figures as SVG charts (pygal), each with the one sentence that states it.

The font is DejaVu Sans (Debian's `fonts-dejavu-core`), which has every Vietnamese letter;
the SVG names the family only. Each bar of a chart of cases links to the cases behind it when
the caller gives a URL pattern (`/cases?{query}`: `{query}` becomes the bar's filters,
flows/period.py); without one (the printable report) there are no links. The SVG has no
script and no external resource: it can be inlined in a page that is printed or mailed."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pygal  # type: ignore[import-untyped]  # no type information shipped
from pygal.style import Style  # type: ignore[import-untyped]

from bot.reporting.text import ReportText, day_month, vn_duration, vn_minutes, vn_number
from flows.period import Filters, query
from flows.period_report import Bar, PeriodFigures

# pygal appends an import hook for its map plugins to sys.meta_path, one without find_spec:
# on Python 3.11 every later import that reaches it (an optional `try: import x` that fails)
# then raises ImportWarning, an error wherever warnings are (the test suite). We draw no maps.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

FONT = "'DejaVu Sans', sans-serif"
STYLE = Style(
    font_family=FONT, background="#ffffff", plot_background="#ffffff",
    foreground="#222222", foreground_strong="#111111", foreground_subtle="#777777",
    colors=("#1f5f8b", "#d9822b", "#3a8e5c", "#b03a48", "#6c5b9e", "#8a8a8a"),
    value_font_size=11, label_font_size=11, major_label_font_size=11, title_font_size=15,
    legend_font_size=12,
)
LABEL_CHARS = 40  # a longer label (an outcome, a name) is cut with "…"
# What pygal writes that a static chart does not need: its comments, and the script that
# hands its whole configuration (labels included) to its optional tooltips script.
_UNNEEDED = re.compile(r"<!--.*?-->|<script\b[^>]*>.*?</script>", re.DOTALL)

Link = Callable[[Filters], str]


@dataclass(frozen=True)
class Chart:
    name: str  # days, priority, category, group, channel, status, outcome, response, sla,
    #            ratings, feedback, counsellor
    title: str
    svg: str
    statement: str


def link_pattern(pattern: str | None) -> Link | None:
    """`pattern` with `{query}` replaced by a bar's filters; None: no links."""
    if pattern is None:
        return None
    return lambda filters: pattern.replace("{query}", query(filters))


def short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def charts(figures: PeriodFigures, text: ReportText, *, today: date,
           link: Link | None = None) -> tuple[Chart, ...]:
    """Every chart of the report, in the report's order."""
    f = figures
    by = {b.key: b.count for b in f.by_status}
    return (
        _days(f, text, today, link),
        _counts("priority", f.by_priority, text.priority, text, link,
                text.statement("priority", total=f.total,
                               **{b.key: b.count for b in f.by_priority})),
        _counts("category", f.by_category, text.subject, text, link,
                _top_statement(text, "category", f.by_category, text.subject, f.total),
                horizontal=True),
        _counts("group", f.by_group, text.group, text, link, _group_statement(f, text),
                horizontal=True),
        _counts("channel", f.by_channel, text.channel, text, link,
                text.statement("channel", channels=[(text.channel(b.key), b.count)
                                                    for b in f.by_channel])),
        _counts("status", f.by_status, text.status, text, link,
                text.statement("status", total=f.total, closed=by.get("closed", 0),
                               open=by.get("waiting", 0) + by.get("active", 0),
                               abandoned=f.abandoned.count)),
        _counts("outcome", f.by_outcome, text.outcome, text, link, _outcome_statement(f, text),
                horizontal=True),
        _response(f, text, link),
        _sla(f, text, link),
        _counts("ratings", f.ratings.stars, lambda k: k + text.label("stars"), text, link,
                text.statement("ratings", count=f.ratings.count, mean=f.ratings.mean)),
        _feedback(f, text),
        _counts("counsellor", f.by_counsellor, text.counsellor, text, link,
                _counsellor_statement(f, text), horizontal=True),
    )


# ---------------------------------------------------------------- the charts


def _days(f: PeriodFigures, text: ReportText, today: date, link: Link | None) -> Chart:
    chart = _chart(pygal.Bar, text.label("chart_days"), text, [b.count for b in f.per_day])
    chart.x_labels = [day_month(date.fromisoformat(b.key)) for b in f.per_day]
    if len(f.per_day) > 31:
        chart.x_labels_major = chart.x_labels[::7]
        chart.show_minor_x_labels = False
        chart.print_values = False
    if len(f.per_day) > 14:
        chart.x_label_rotation = 45
    chart.add(text.label("series_cases"), _values(f.per_day, link))
    p = f.period
    statement = text.statement(
        "days", kind=p.kind, current=p.start <= today <= p.end, start=p.start, end=p.end,
        days=p.days, total=f.total, previous=f.previous_total)
    return _done("days", chart, statement)


def _counts(name: str, bars: Sequence[Bar], label: Callable[[str], str], text: ReportText,
            link: Link | None, statement: str, *, horizontal: bool = False) -> Chart:
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = _chart(kind, text.label(f"chart_{name}"), text, [b.count for b in bars])
    if horizontal:
        # pygal draws a horizontal chart's first bar at the bottom: the largest goes on top.
        bars = list(reversed(bars))
    chart.x_labels = [short(label(b.key)) for b in bars]
    if bars:
        chart.add(text.label("series_cases"), _values(bars, link))
    return _done(name, chart, statement)


def _response(f: PeriodFigures, text: ReportText, link: Link | None) -> Chart:
    chart = _chart(pygal.Bar, text.label("chart_response"), text, [])
    chart.value_formatter = vn_minutes
    chart.show_legend = True
    chart.legend_at_bottom = True
    chart.x_labels = [f"{w.week[-3:]} ({day_month(w.start)}–{day_month(w.end)})"
                      for w in f.weeks]
    for series, values in (("series_p50", [w.p50 for w in f.weeks]),
                           ("series_p90", [w.p90 for w in f.weeks])):
        chart.add(text.label(series), [
            _value(v, w.filters, link) if v is not None else None
            for v, w in zip(values, f.weeks, strict=True)])
    statement = text.statement("response", answered=f.answered, p50=f.p50, p90=f.p90)
    return _done("response", chart, statement)


def _sla(f: PeriodFigures, text: ReportText, link: Link | None) -> Chart:
    rows = f.sla
    chart = _chart(pygal.StackedBar, text.label("chart_sla"), text,
                   [r.counted for r in rows])
    chart.show_legend = True
    chart.legend_at_bottom = True
    chart.x_labels = [text.priority(r.priority.value) for r in rows]
    chart.add(text.label("series_met"), _values([r.met for r in rows], link))
    chart.add(text.label("series_missed"), _values([r.missed for r in rows], link))
    statement = text.statement("sla", rows=[
        (text.priority(r.priority.value), r.met.count, r.counted, r.share,
         vn_duration(r.target_seconds))
        for r in rows if r.counted])
    return _done("sla", chart, statement)


def _feedback(f: PeriodFigures, text: ReportText) -> Chart:
    """👍/👎 and unanswered questions: no case behind these bars, so no links."""
    fb = f.feedback
    values = [fb.helpful, fb.unhelpful, fb.no_answer, fb.which]
    chart = _chart(pygal.Bar, text.label("chart_feedback"), text, values)
    chart.x_labels = [text.label(k) for k in ("feedback_helpful", "feedback_unhelpful",
                                              "feedback_no_answer", "feedback_which")]
    chart.add(text.label("series_cases"), values)
    statement = text.statement("feedback", helpful=fb.helpful, unhelpful=fb.unhelpful,
                               unanswered=fb.unanswered)
    return _done("feedback", chart, statement)


# ---------------------------------------------------------------- sentences


def _top_statement(text: ReportText, name: str, bars: Sequence[Bar],
                   label: Callable[[str], str], total: int) -> str:
    top = bars[0] if bars else None
    return text.statement(name, total=total, label=label(top.key) if top else "",
                          count=top.count if top else 0,
                          share=top.count / total if top and total else None)


def _group_statement(f: PeriodFigures, text: ReportText) -> str:
    known = [b for b in f.by_group if b.key != "not_recorded" and b.count]
    top = max(known, key=lambda b: b.count, default=None)
    unknown = sum(b.count for b in f.by_group if b.key == "not_recorded")
    return text.statement("group", total=f.total, label=text.group(top.key) if top else None,
                          count=top.count if top else 0, unknown=unknown)


def _outcome_statement(f: PeriodFigures, text: ReportText) -> str:
    closed = sum(b.count for b in f.by_outcome)
    top = f.by_outcome[0] if f.by_outcome else None
    return text.statement("outcome", closed=closed,
                          label=text.outcome(top.key) if top else "",
                          count=top.count if top else 0, referrals=f.referrals.count)


def _counsellor_statement(f: PeriodFigures, text: ReportText) -> str:
    top = f.by_counsellor[0] if f.by_counsellor else None
    return text.statement("counsellor", counsellors=len(f.by_counsellor),
                          name=text.counsellor(top.key) if top else "",
                          count=top.count if top else 0)


# ---------------------------------------------------------------- pygal


def _chart(kind: Any, title: str, text: ReportText, counts: Sequence[int]) -> Any:
    chart = kind(
        style=STYLE, title=title, width=800, height=380, show_legend=False,
        disable_xml_declaration=True, js=[],
        no_data_text=text.label("no_data"), print_values=True, print_zeroes=False,
        value_formatter=vn_number, truncate_label=-1, margin=12,
    )
    top = max(counts, default=0)
    if counts:  # whole numbers on the axis of a count, never "0.2 ca"
        step = max(1, math.ceil(top / 8))
        chart.y_labels = list(range(0, max(top, 1) + step, step))
    return chart


def _value(value: float, filters: Filters, link: Link | None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value}
    if link is not None:
        out["xlink"] = {"href": link(filters), "target": "_top"}
    return out


def _values(bars: Sequence[Bar], link: Link | None) -> list[dict[str, Any]]:
    """A bar of 0 has no case behind it: nothing to click."""
    return [_value(b.count, b.filters, link if b.count else None) for b in bars]


def _done(name: str, chart: Any, statement: str) -> Chart:
    svg = _UNNEEDED.sub("", chart.render(is_unicode=True))
    return Chart(name, chart.config.title, svg, statement)

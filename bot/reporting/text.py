"""The reports' words, from the knowledge folder's templates so that a centre edits them
without touching code: labels (`templates/report/labels.j2`, then the levels of
`templates/labels.j2`), the one sentence under each chart (`templates/report/statement_<chart>
.j2`, plain text) and the HTML report (`templates/report/*.html.j2`, autoescaped: every name,
outcome and label from the configuration is escaped)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

import knowledge
from bot.config import Config

LABEL_FILES = ("report/labels.j2", "labels.j2")


def rounded(value: float, digits: int = 0) -> Decimal:
    """Half up, as people round: 3.25 -> 3.3 (Python's round gives 3.2)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


def vn_number(value: float, digits: int = 0) -> str:
    """1234.5 -> "1.234,5": Vietnamese separators."""
    text = f"{rounded(value, digits):,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def vn_minutes(value: float | None) -> str:
    """Minutes with one decimal when it matters: 6 -> "6", 3.25 -> "3,3"; None -> "–"."""
    if value is None:
        return "–"
    tenths = rounded(value, 1)
    return vn_number(float(tenths), 0 if tenths == tenths.to_integral_value() else 1)


def vn_percent(share: float | None) -> str:
    return "–" if share is None else f"{vn_number(share * 100)}%"


def vn_duration(seconds: float) -> str:
    """60 -> "1 phút", 90 -> "90 giây", 5400 -> "1 giờ 30 phút"."""
    whole = int(round(seconds))
    if whole % 60:
        return f"{vn_number(whole)} giây"
    hours, minutes = divmod(whole // 60, 60)
    if not hours:
        return f"{minutes} phút"
    return f"{hours} giờ" + (f" {minutes} phút" if minutes else "")


def day_month(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}"


def full_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


FILTERS: dict[str, Callable[..., str]] = {
    "num": vn_number, "minutes": vn_minutes, "pct": vn_percent, "dm": day_month,
    "duration": vn_duration,
    "dmy": full_date,
}


class ReportText:
    """Labels, sentences and the HTML page of the reports. `category_label` names a triage
    category (the triage lexicon's label); `staff_name` a staff member by id ("" unknown)."""

    def __init__(self, templates: Sequence[Path], *, category_label: Callable[[str], str],
                 staff_name: Callable[[int], str]) -> None:
        """`templates`: template folders, the first that has a template wins (a centre's
        own knowledge folder, then the shipped one for what an older copy lacks)."""
        self.category_label = category_label
        self.staff_name = staff_name
        self.plain = self._env(templates, autoescape=False)
        self.html = self._env(templates, autoescape=True)
        self._labels: dict[str, str] | None = None

    @staticmethod
    def _env(templates: Sequence[Path], *, autoescape: bool) -> Environment:
        env = Environment(loader=FileSystemLoader([str(t) for t in templates]),
                          undefined=StrictUndefined, autoescape=autoescape, trim_blocks=True,
                          lstrip_blocks=True)
        env.filters.update(FILTERS)
        return env

    def label(self, key: str) -> str:
        if self._labels is None:
            labels: dict[str, str] = {}
            for name in reversed(LABEL_FILES):  # the report's own labels win
                module = self.plain.get_template(name).module
                labels |= {k: str(v) for k, v in vars(module).items() if not k.startswith("_")}
            self._labels = labels
        try:
            return self._labels[key]
        except KeyError:
            raise KeyError(f"report/labels.j2 has no label {key!r}") from None

    def statement(self, chart: str, /, **values: Any) -> str:
        """The one sentence that states a chart's figure, on one line."""
        text = self.plain.get_template(f"report/statement_{chart}.j2").render(**values)
        return " ".join(text.split())

    def page(self, template: str, /, **values: Any) -> str:
        return self.html.get_template(f"report/{template}").render(**values)

    # ------------------------------------------------------------ what each key is called

    def priority(self, value: str) -> str:
        return self.label(f"level_{value}")

    def subject(self, key: str) -> str:
        """A `by_category` key: "category:<id>", "topic:<id>" or "" (nothing known)."""
        kind, _, value = key.partition(":")
        if kind == "category":
            return self.category_label(value) or value
        if kind == "topic":
            return self._known(f"topic_{value}", value)
        return self.label("unknown_subject")

    def channel(self, value: str) -> str:
        return self._known(f"channel_{value}", value)

    def status(self, value: str) -> str:
        return self.label(f"status_{value}")

    def group(self, value: str) -> str:
        return self.label(f"group_{value}")

    def outcome(self, value: str) -> str:
        return value or self.label("no_outcome")

    def counsellor(self, key: str) -> str:
        name = self.staff_name(int(key)) if key.isdigit() else ""
        return name or self.label("counsellor_unnamed").replace("{id}", key)

    def _known(self, key: str, fallback: str) -> str:
        try:
            return self.label(key)
        except KeyError:
            return fallback


SHIPPED_TEMPLATES = Path(knowledge.__file__).resolve().parent / "templates"


def report_text(config: Config, category_label: Callable[[str], str]) -> ReportText:
    """The report's words from the configured knowledge folder; a template it lacks (a
    centre's copy made before the reports existed) from the shipped one."""
    own = config.knowledge_path / "templates"
    return ReportText(list(dict.fromkeys([own, SHIPPED_TEMPLATES])),
                      category_label=category_label, staff_name=config.staff.directory.name_of)

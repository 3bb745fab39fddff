"""Office hours: when counsellors are at their desks, per weekday, in the centre's time zone.

Written as text in config.yaml, e.g. "mon-fri 07:30-17:00, sat 08:00-11:30"; empty means the
line is staffed around the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OfficeHoursError(ValueError):
    pass


@dataclass(frozen=True)
class OfficeHours:
    # For each weekday (0 = Monday), the open intervals as (start, end) times.
    week: tuple[tuple[tuple[time, time], ...], ...] = ()
    tz: ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")

    @property
    def always_open(self) -> bool:
        return not self.week

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> OfficeHours:
        text = text.strip().lower()
        if not text or text in {"24/7", "always"}:
            return cls((), tz)
        week: list[list[tuple[time, time]]] = [[] for _ in DAYS]
        for part in (p.strip() for p in text.split(",") if p.strip()):
            try:
                days, hours = part.split()
                start_text, end_text = hours.split("-")
                start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
            except ValueError:
                raise OfficeHoursError(
                    f"{part!r} is not like 'mon-fri 07:30-17:00'"
                ) from None
            if end <= start:
                raise OfficeHoursError(f"{part!r}: the end is not after the start")
            for day in _days(days, part):
                week[day].append((start, end))
        return cls(tuple(tuple(sorted(d)) for d in week), tz)

    def is_open(self, moment: datetime) -> bool:
        if self.always_open:
            return True
        local = moment.astimezone(self.tz)
        return any(s <= local.time() < e for s, e in self.week[local.weekday()])

    def next_opening(self, moment: datetime) -> datetime | None:
        """When counsellors are next at their desks (None if always open)."""
        if self.always_open:
            return None
        local = moment.astimezone(self.tz)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for start, _ in self.week[day.weekday()]:
                opening = datetime.combine(day, start, self.tz)
                if opening > local:
                    return opening
        return None


def _days(spec: str, part: str) -> list[int]:
    if "-" in spec:
        first, last = spec.split("-", 1)
        if first not in DAYS or last not in DAYS:
            raise OfficeHoursError(f"{part!r}: days are mon, tue, wed, thu, fri, sat, sun")
        a, b = DAYS.index(first), DAYS.index(last)
        return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    if spec not in DAYS:
        raise OfficeHoursError(f"{part!r}: days are mon, tue, wed, thu, fri, sat, sun")
    return [DAYS.index(spec)]

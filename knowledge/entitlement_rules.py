"""`knowledge/entitlements.yaml`, loaded strictly: the rules of the entitlement check.

Every problem raises `EntitlementsError` with the file and the field, e.g.
``knowledge/entitlements.yaml: allowances[3].tiers[0].coefficient: expected a number from 0.1
to 10, got 'hai'``. A key the loader does not know is an error too: a misspelt condition must
never be silently ignored (it would make an allowance apply to everyone).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from knowledge.articles import FieldError, Source

# The facts a condition may test. Asked: the bot asks about them; the others are known only
# when the person says so.
CHOICES: dict[str, tuple[str, ...]] = {
    "disability": ("dac_biet_nang", "nang", "nhe", "khong"),
    "household": ("ngheo", "can_ngheo", "khong"),
}
FLAGS = ("pension", "orphan", "studying", "area", "no_carer", "cared_for", "single_parent", "hiv",
         "no_income")
ASKED = frozenset({"age", "disability", "household", "pension", "orphan", "studying"})
# Never send a citizen to an office that no longer exists (cấp huyện ended on 01/7/2025).
_GONE = re.compile(r"huyện|phòng lđ|phòng lao động|sở lđ|sở lao động", re.IGNORECASE)
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP = {"base", "apply", "combining", "health_insurance", "later_within_years", "allowances",
        "social_pension", "disability_level"}
_GROUP = {"id", "name", "when", "tiers", "sources", "bring", "only_if_stated", "per_child",
          "paid_with", "not_with"}
_PENSION = {"id", "name", "amount", "when", "tiers", "sources", "bring"}


class EntitlementsError(FieldError):
    """entitlements.yaml holds something unusable."""


@dataclass(frozen=True)
class AgeRule:
    """From `start` completed years ("từ đủ"), below `end` ("dưới"; None: no end). `through`:
    written "đến N tuổi" in the law (end = N + 1)."""

    start: int = 0
    end: int | None = None
    through: bool = False

    def state(self, age: tuple[int, int | None] | None) -> bool | None:
        """True when every age in the band fits, False when none does, None otherwise."""
        if age is None:
            return None
        low, high = age
        if (high is not None and high < self.start) or (self.end is not None and low >= self.end):
            return False
        if low >= self.start and (self.end is None or (high is not None and high < self.end)):
            return True
        return None

    @property
    def last(self) -> int | None:
        """The last age in the rule ("đến 22 tuổi": 22)."""
        return None if self.end is None else self.end - 1


@dataclass(frozen=True)
class Condition:
    field: str
    allowed: tuple[str | bool, ...]

    def state(self, profile: object) -> bool | None:
        value = getattr(profile, self.field)
        return None if value is None else value in self.allowed

    @property
    def asked(self) -> bool:
        return self.field in ASKED


@dataclass(frozen=True)
class Tier:
    age: AgeRule | None
    conditions: tuple[Condition, ...] = ()
    coefficient: Decimal | None = None  # None for the social pension (a fixed amount)


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    kind: str  # "allowance" (coefficient × base) or "social_pension" (a fixed amount)
    conditions: tuple[Condition, ...]
    tiers: tuple[Tier, ...]
    sources: tuple[Source, ...]
    amount: int | None = None
    bring: tuple[str, ...] = ()
    only_if_stated: tuple[str, ...] = ()
    per_child: bool = False
    paid_with: tuple[str, ...] = ()
    not_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class Base:
    name: str
    amount: int
    source: Source
    local: Source  # a province may set higher levels


@dataclass(frozen=True)
class Place:
    where: str
    online: str
    source: Source


@dataclass(frozen=True)
class LevelAssessment:
    """Who decides a disability level and how to ask for it: told when the level is unknown."""

    decides: str
    apply: str
    days: int  # working days the council has to decide
    source: Source


@dataclass(frozen=True)
class Parsed:
    base: Base
    apply_at: Place
    highest_only: Source
    higher_of_both: Source
    health_insurance: Mapping[str, Source]
    groups: tuple[Group, ...]
    later_within_years: int
    disability_level: LevelAssessment | None = None


def parse_rules(path: Path) -> Parsed:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise EntitlementsError(path, "file", f"not valid YAML{line}") from None
    return _Loader(path).rules(raw)


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> EntitlementsError:
        return EntitlementsError(self.path, where, message)

    def rules(self, raw: Any) -> Parsed:
        root = self.mapping(raw, "top level",
                            required=_TOP - {"later_within_years", "disability_level"},
                            known=_TOP)
        base = self.mapping(root["base"], "base", required={"name", "amount", "source", "local"})
        place = self.mapping(root["apply"], "apply", required={"where", "online", "source"})
        combining = self.mapping(root["combining"], "combining",
                                 required={"highest_only", "higher_of_both"})
        card = self.mapping(root["health_insurance"], "health_insurance",
                            required={"with_allowance", "with_social_pension"})
        later = root.get("later_within_years", 10)
        if isinstance(later, bool) or not isinstance(later, int) or not 0 <= later <= 50:
            raise self.fail("later_within_years", f"expected whole years 0-50, got {later!r}")
        items = root["allowances"]
        if not isinstance(items, list) or not items:
            raise self.fail("allowances", "expected a non-empty list")
        groups = [self.group(item, f"allowances[{n}]") for n, item in enumerate(items)]
        groups.append(self.group(root["social_pension"], "social_pension", pension=True))
        self.cross_check(groups)
        return Parsed(
            base=Base(self.text(base, "name", "base"), self.money(base["amount"], "base.amount"),
                      self.source(base["source"], "base.source"),
                      self.source(base["local"], "base.local")),
            apply_at=Place(self.place(place, "where"), self.place(place, "online"),
                           self.source(place["source"], "apply.source")),
            highest_only=self.source(combining["highest_only"], "combining.highest_only"),
            higher_of_both=self.source(combining["higher_of_both"], "combining.higher_of_both"),
            health_insurance={
                "allowance": self.source(card["with_allowance"], "health_insurance.with_allowance"),
                "social_pension": self.source(card["with_social_pension"],
                                              "health_insurance.with_social_pension"),
            },
            groups=tuple(groups),
            later_within_years=later,
            disability_level=(self.level(root["disability_level"])
                              if "disability_level" in root else None),
        )

    def level(self, raw: Any) -> LevelAssessment:
        where = "disability_level"
        level = self.mapping(raw, where, required={"decides", "apply", "days", "source"})
        days = level["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= 365:
            raise self.fail(f"{where}.days", f"expected working days 1-365, got {days!r}")
        return LevelAssessment(self.text(level, "decides", where, advice=True),
                               self.text(level, "apply", where, advice=True), days,
                               self.source(level["source"], f"{where}.source"))

    # ------------------------------------------------------------------ parts

    def mapping(self, value: Any, where: str, *, required: Collection[str] = (),
                known: Collection[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        for key in sorted(required):
            if key not in value:
                raise self.fail(f"{where}.{key}" if where != "top level" else key, "missing")
        allowed = known if known is not None else required
        for key in value:
            if str(key) not in allowed:
                field = f"{where}.{key}" if where != "top level" else str(key)
                raise self.fail(field, f"unknown key (known: {', '.join(sorted(allowed))})")
        return value

    def text(self, parent: Mapping[str, Any], key: str, where: str, *,
             advice: bool = False) -> str:
        """Non-empty text; `advice` (where to go, what to bring) must not name an office that
        no longer exists."""
        value = parent.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}", f"expected non-empty text, got {value!r}")
        if advice and _GONE.search(value):
            raise self.fail(f"{where}.{key}",
                            "names cấp huyện or the Phòng/Sở LĐ-TB&XH, which no longer handle "
                            "this (since 01/7/2025 it is the UBND cấp xã)")
        return value.strip()

    def place(self, parent: Mapping[str, Any], key: str) -> str:
        return self.text(parent, key, "apply", advice=True)

    def money(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(where, f"expected a whole number of đồng above 0, got {value!r}")
        return value

    def source(self, value: Any, where: str) -> Source:
        raw = self.mapping(value, where, required={"document", "article", "effective"})
        effective = raw["effective"]
        if not isinstance(effective, date):
            raise self.fail(f"{where}.effective", f"expected a date YYYY-MM-DD, got {effective!r}")
        return Source(self.text(raw, "document", where), self.text(raw, "article", where),
                      effective)

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, "expected a list")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{where}[{i}]", f"expected non-empty text, got {item!r}")
            if _GONE.search(item):
                raise self.fail(f"{where}[{i}]", "names cấp huyện or the Phòng/Sở LĐ-TB&XH, "
                                                 "which no longer handle this")
            out.append(item.strip())
        return tuple(out)

    def ids(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "expected a list of allowance ids")
        return tuple(value)

    def group(self, value: Any, where: str, *, pension: bool = False) -> Group:
        required = {"id", "name", "tiers", "sources"} | ({"amount"} if pension else set())
        raw = self.mapping(value, where, required=required, known=_PENSION if pension else _GROUP)
        group_id = raw["id"]
        if not isinstance(group_id, str) or not _ID.match(group_id):
            raise self.fail(f"{where}.id", f"expected lower-case-words-with-dashes, got "
                                           f"{group_id!r}")
        tiers = raw["tiers"]
        if not isinstance(tiers, list) or not tiers:
            raise self.fail(f"{where}.tiers", "expected a non-empty list")
        sources = raw["sources"]
        if not isinstance(sources, list) or not sources:
            raise self.fail(f"{where}.sources", "expected a non-empty list of sources")
        stated = self.ids(raw.get("only_if_stated", []), f"{where}.only_if_stated")
        for name in stated:
            if name not in FLAGS:
                raise self.fail(f"{where}.only_if_stated", f"{name!r} is not a yes/no condition")
        per_child = raw.get("per_child", False)
        if not isinstance(per_child, bool):
            raise self.fail(f"{where}.per_child", "expected true or false")
        parsed = tuple(self.tier(t, f"{where}.tiers[{i}]", pension=pension)
                       for i, t in enumerate(tiers))
        self.no_overlap(parsed, f"{where}.tiers")
        return Group(
            id=group_id,
            name=self.text(raw, "name", where),
            kind="social_pension" if pension else "allowance",
            conditions=self.conditions(raw.get("when", {}), f"{where}.when"),
            tiers=parsed,
            sources=tuple(self.source(s, f"{where}.sources[{i}]") for i, s in enumerate(sources)),
            amount=self.money(raw["amount"], f"{where}.amount") if pension else None,
            bring=self.texts(raw.get("bring", []), f"{where}.bring"),
            only_if_stated=stated,
            per_child=per_child,
            paid_with=self.ids(raw.get("paid_with", []), f"{where}.paid_with"),
            not_with=self.ids(raw.get("not_with", []), f"{where}.not_with"),
        )

    def tier(self, value: Any, where: str, *, pension: bool) -> Tier:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, got {type(value).__name__}")
        rest = {k: v for k, v in value.items() if k not in ("age", "coefficient")}
        if pension and "coefficient" in value:
            raise self.fail(f"{where}.coefficient", "the social pension has an amount, not a "
                                                    "coefficient")
        coefficient = None if pension else self.coefficient(value.get("coefficient"),
                                                            f"{where}.coefficient")
        age = self.age(value["age"], f"{where}.age") if "age" in value else None
        return Tier(age, self.conditions(rest, where), coefficient)

    def coefficient(self, value: Any, where: str) -> Decimal:
        try:
            number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("nan")
        except InvalidOperation:
            number = Decimal("nan")
        if value is None or number.is_nan() or not Decimal("0.1") <= number <= 10:
            raise self.fail(where, f"expected a number from 0.1 to 10, got {value!r}")
        return number.quantize(Decimal("0.1"))

    def age(self, value: Any, where: str) -> AgeRule:
        raw = self.mapping(value, where, known={"from", "under", "to"})
        if not raw:
            raise self.fail(where, "expected from, under or to")
        if "under" in raw and "to" in raw:
            raise self.fail(where, "give either under (dưới) or to (đến), not both")
        numbers = {}
        for key, number in raw.items():
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 120:
                raise self.fail(f"{where}.{key}", f"expected whole years 0-120, got {number!r}")
            numbers[key] = number
        start = numbers.get("from", 0)
        end = numbers["under"] if "under" in numbers else (
            numbers["to"] + 1 if "to" in numbers else None)
        if end is not None and end <= start:
            raise self.fail(where, f"the range is empty (from {start}, below {end})")
        return AgeRule(start, end, through="to" in numbers)

    def conditions(self, value: Any, where: str) -> tuple[Condition, ...]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping of conditions, got {type(value).__name__}")
        out = []
        for key, allowed in value.items():
            field = f"{where}.{key}"
            if key in CHOICES:
                if not isinstance(allowed, list) or not allowed or any(
                        v not in CHOICES[key] for v in allowed):
                    raise self.fail(field, f"expected a list from {', '.join(CHOICES[key])}, "
                                           f"got {allowed!r}")
                out.append(Condition(key, tuple(allowed)))
            elif key in FLAGS:
                if not isinstance(allowed, bool):
                    raise self.fail(field, f"expected true or false, got {allowed!r}")
                out.append(Condition(key, (allowed,)))
            else:
                known = ", ".join(["age", *CHOICES, *FLAGS])
                raise self.fail(field, f"unknown condition (known: {known})")
        return tuple(out)

    def no_overlap(self, tiers: tuple[Tier, ...], where: str) -> None:
        """Two tiers that could both fit one person would make the amount ambiguous."""
        for i, a in enumerate(tiers):
            for j in range(i + 1, len(tiers)):
                b = tiers[j]
                if a.conditions != b.conditions:
                    continue
                ra, rb = a.age or AgeRule(), b.age or AgeRule()
                a_end = ra.end if ra.end is not None else 10_000
                b_end = rb.end if rb.end is not None else 10_000
                if ra.start < b_end and rb.start < a_end:
                    raise self.fail(f"{where}[{j}]", f"overlaps tiers[{i}] (the same person "
                                                     "would fit both)")

    def cross_check(self, groups: list[Group]) -> None:
        seen: dict[str, int] = {}
        for n, group in enumerate(groups):
            if group.id in seen:
                raise self.fail(self.where(n, len(groups)) + ".id",
                                f"{group.id!r} is listed twice")
            seen[group.id] = n
        for n, group in enumerate(groups):
            for key, listed in (("paid_with", group.paid_with), ("not_with", group.not_with)):
                for other in listed:
                    if other not in seen or other == group.id:
                        raise self.fail(f"{self.where(n, len(groups))}.{key}",
                                        f"{other!r} is not another allowance's id")

    @staticmethod
    def where(n: int, count: int) -> str:
        return "social_pension" if n == count - 1 else f"allowances[{n}]"

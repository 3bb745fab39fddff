"""The questions of the entitlement check and their answer buttons. Pure.

Age buttons follow the age limits in entitlements.yaml (every "từ đủ" and "dưới" there starts a
band, so a band never straddles a limit); the last question's buttons each answer all it asks
in one tap ("Hộ nghèo, không có lương hưu").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.entitlement_profile import Age
from knowledge.entitlement_rules import CHOICES

# A parent or grandparent is taken to be an adult: their age buttons start with one band below
# old age.
ADULT_FROM, ELDERLY_FROM = 16, 60


@dataclass(frozen=True)
class Option:
    """One answer button: `answer` is what it sets ("household=ngheo,pension=0", "75-79", ""
    for "not sure"); `label` a key in labels.j2, or empty for an age band."""

    answer: str
    label: str = ""
    band: Age | None = None


@dataclass(frozen=True)
class Question:
    id: str  # age | disability | status
    asks: tuple[str, ...]  # the fields it asks about
    options: tuple[Option, ...]


def age_options(bounds: Sequence[int], *, adult: bool) -> tuple[Option, ...]:
    """One button per band between the age limits; `adult`: one band below old age."""
    limits = sorted(set(bounds))
    bands = [Age(low, high - 1) for low, high in zip([0, *limits], limits, strict=False)]
    bands.append(Age(limits[-1] if limits else 0, None))
    if adult:
        bands = [Age(ADULT_FROM, ELDERLY_FROM - 1)] + [b for b in bands if b.low >= ELDERLY_FROM]
    # Someone asking for a neighbour or a relative far away may not know the age: "Chưa rõ"
    # leaves it unknown, and the result says what each age would get.
    return tuple(Option(f"{b.low}-{'' if b.high is None else b.high}", band=b)
                 for b in bands) + (Option("", "ent_unsure"),)


def disability_options() -> tuple[Option, ...]:
    return tuple(Option(f"disability={v}", f"ent_dis_{v}") for v in CHOICES["disability"]) + (
        Option("", "ent_unsure"),)


def band(answer: str) -> Age | None:
    low, sep, high = answer.partition("-")
    if not sep or not low.isdigit() or (high and not high.isdigit()):
        return None
    band = Age(int(low), int(high) if high else None)
    if band.high is not None and band.high < band.low:
        return None
    return band


def status_options(fields: Sequence[str]) -> tuple[Option, ...]:
    """One tap answers the whole status question: each option sets every asked fact it can.
    Orphanhood first (a child), then the household (with "no pension" when the pension is
    asked too), then "has a pension", then "not sure"."""
    first: list[dict[str, Any]] = []
    rest: dict[str, Any] = {}
    if "orphan" in fields:
        if "studying" in fields:
            first = [{"orphan": True, "studying": True}, {"orphan": True, "studying": False}]
        else:
            first = [{"orphan": True}]
        rest["orphan"] = False
    elif "studying" in fields:
        first = [{"studying": True}]
        rest["studying"] = False
    last: list[dict[str, Any]] = []
    if "pension" in fields:
        last = [{"pension": True}]
        rest["pension"] = False
    if "household" in fields:
        body = [rest | {"household": v} for v in CHOICES["household"]]
    else:
        body = [rest]
    options = [Option(_answer(facts), _label(facts)) for facts in first + body + last]
    return tuple(options) + (Option("", "ent_unsure"),)


def _answer(facts: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={int(v) if isinstance(v, bool) else v}" for k, v in facts.items())


def _label(facts: Mapping[str, Any]) -> str:
    """The labels.j2 key of a status option."""
    if facts.get("orphan") is True:
        studying = facts.get("studying")
        return "ent_orphan" + ("" if studying is None else
                               "_studying" if studying else "_not_studying")
    if facts.get("studying") is True:
        return "ent_studying"
    if "household" in facts:
        return f"ent_{facts['household']}" + ("_no_pension" if "pension" in facts else "")
    if facts.get("pension") is True:
        return "ent_pension"
    if "pension" in facts:
        return "ent_no_pension"
    return "ent_not_studying" if "studying" in facts and "orphan" not in facts else \
        "ent_not_orphan"

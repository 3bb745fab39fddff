"""What the entitlement check knows of a person: a `Profile`, kept in the person's flow data
as `to_dict()` between messages. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from knowledge.entitlement_rules import CHOICES, FLAGS


@dataclass(frozen=True)
class Age:
    """Completed years, or a band of them from a button ("75–79"); `high` None: no upper end."""

    low: int
    high: int | None

    @property
    def exact(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True)
class Profile:
    """What is known of the person the question is about; None: not known (yet)."""

    who: str = ""  # elder | young | self | "" (not said)
    noun: str = "người bạn hỏi"  # how replies name them: "mẹ bạn", "con bạn", "bạn"
    age: Age | None = None
    disability: str | None = None
    household: str | None = None
    pension: bool | None = None
    orphan: bool | None = None
    studying: bool | None = None
    area: bool | None = None
    no_carer: bool | None = None
    cared_for: bool | None = None
    single_parent: bool | None = None
    hiv: bool | None = None
    no_income: bool | None = None
    children: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the person's flow data."""
        out: dict[str, Any] = {"who": self.who, "noun": self.noun}
        if self.age is not None:
            out["age"] = [self.age.low, self.age.high]
        for name in (*CHOICES, *FLAGS, "children"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """The inverse of `to_dict`; what does not fit is left unknown."""
        values: dict[str, Any] = {}
        age = data.get("age")
        if isinstance(age, list | tuple) and len(age) == 2 and isinstance(age[0], int):
            values["age"] = Age(age[0], age[1] if isinstance(age[1], int) else None)
        for name, allowed in CHOICES.items():
            if data.get(name) in allowed:
                values[name] = data[name]
        for name in FLAGS:
            if isinstance(data.get(name), bool):
                values[name] = data[name]
        if isinstance(data.get("children"), int) and data["children"] > 0:
            values["children"] = data["children"]
        return cls(who=str(data.get("who", "")), noun=str(data.get("noun") or cls.noun),
                   **values)

    def with_facts(self, facts: Mapping[str, Any]) -> Profile:
        """This profile with the facts read from a message (a later answer wins)."""
        values = {k: v for k, v in facts.items() if k != "age"}
        if "age" in facts:
            low, high = facts["age"]
            values["age"] = Age(low, high)
        return replace(self, **values)

    @property
    def known(self) -> tuple[str, ...]:
        """Fields known, in the order a summary names them."""
        order = ("age", "disability", "household", "pension", "orphan", "studying", "area",
                 "no_carer", "cared_for", "single_parent", "children", "hiv", "no_income")
        return tuple(f for f in order if getattr(self, f) is not None)

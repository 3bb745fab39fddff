"""What the entitlement check (flows/entitlement.py) asks of its rules: protocols only, so
that `Services` can name the rules without importing the flow (knowledge/entitlements.py
implements them)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable


class Profile(Protocol):
    """What is known of the person the question is about (knowledge/entitlements.py)."""

    def to_dict(self) -> dict[str, Any]: ...


class Option(Protocol):
    @property
    def answer(self) -> str: ...

    @property
    def label(self) -> str: ...  # a labels.j2 key; empty for an age band

    @property
    def band(self) -> object | None: ...  # the age band, for its label template


class Question(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def asks(self) -> tuple[str, ...]: ...

    @property
    def options(self) -> Sequence[Option]: ...


@runtime_checkable
class EntitlementRules(Protocol):
    """What this flow asks of the rules. Profiles travel as their `to_dict()` form, the way they
    are kept in the person's flow data."""

    def recognise(self, text: str) -> Profile | None: ...

    def recognise_story(self, text: str, question: str) -> Profile | None: ...

    def is_other_question(self, text: str) -> bool: ...  # "… làm ở đâu?" typed as an answer

    def asks_amount(self, text: str) -> bool: ...  # "được bao nhiêu?" typed as an answer

    def profile(self, data: Mapping[str, Any]) -> Profile: ...

    def read(self, data: Mapping[str, Any], text: str, question: str) -> Profile | None: ...

    def apply(self, data: Mapping[str, Any], question: str, answer: str) -> Profile | None: ...

    def questions(
        self, data: Mapping[str, Any], asked: Collection[str] = ...
    ) -> Sequence[Question]: ...

    def assess(self, data: Mapping[str, Any]) -> Result: ...  # the result template reads it


class Result(Protocol):
    @property
    def subjects(self) -> tuple[str, ...]: ...  # what is paid, then what might be

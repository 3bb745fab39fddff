"""What the domain needs from the outside, as protocols: templates, policy search, triage.

`bot/app.py` passes in the real objects from `knowledge/`; flows never import them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class Renderer(Protocol):
    def render(self, name: str, **values: Any) -> str: ...

    def label(self, key: str) -> str: ...


class Assessment(Protocol):
    @property
    def level(self) -> str: ...  # none | urgent | critical

    @property
    def category(self) -> str | None: ...

    @property
    def signals(self) -> tuple[str, ...]: ...


class Assessor(Protocol):
    def assess(self, text: str) -> Assessment: ...


class Hit(Protocol):
    @property
    def article_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def score(self) -> float: ...


class SearchResult(Protocol):
    @property
    def hits(self) -> Sequence[Hit]: ...

    @property
    def confident(self) -> bool: ...

    @property
    def ambiguous(self) -> bool: ...


class Article(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def short_answer(self) -> str: ...

    @property
    def details(self) -> str: ...

    @property
    def sources_line(self) -> str: ...

    @property
    def reviewed(self) -> Any: ...  # a date

    @property
    def related(self) -> tuple[str, ...]: ...


class PolicySearch(Protocol):
    def search(self, query: str, limit: int = 5) -> SearchResult: ...

    def article(self, article_id: str) -> Article: ...


class Hotline(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def number(self) -> str: ...

    @property
    def purpose(self) -> str: ...


class Directory(Protocol):
    def numbers_for(self, category: str | None) -> Sequence[Hotline]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Services:
    """Everything flows may call besides the store. Built once by bot/app.py."""

    render: Renderer
    clock: Clock = utc_now
    search: PolicySearch | None = None
    triage: Assessor | None = None
    directory: Directory | None = None

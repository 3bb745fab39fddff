"""What the domain needs from the outside, as protocols: templates, policy search, triage.

`bot/app.py` passes in the real objects from `knowledge/`; flows never import them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from flows.entitlement_rules import EntitlementRules
from flows.messages import TriageLevel
from flows.office_hours import OfficeHours
from flows.retention import RetentionPolicy
from flows.staff import Role, StaffDirectory


class Renderer(Protocol):
    def render(self, template: str, /, **values: Any) -> str: ...

    def label(self, key: str) -> str: ...


class Assessment(Protocol):
    @property
    def level(self) -> TriageLevel: ...

    @property
    def category(self) -> str | None: ...

    @property
    def signals(self) -> tuple[str, ...]: ...

    @property
    def facets(self) -> frozenset[str]: ...  # third_party | done | child

    @property
    def review(self) -> bool: ...  # not raised, but describes a situation: a human reads it

    @property
    def layer(self) -> str: ...  # which triage layer raised it: "rules", "model" or ""

    @property
    def reasons(self) -> tuple[str, ...]: ...  # rule phrases, or the model's words and odds

    @property
    def needs_check(self) -> bool: ...  # a model-only raise: a counsellor checks the level


class Triage(Protocol):
    """Layered triage (flows/triage.py), asked once per message for the full assessment."""

    async def assess(self, text: str) -> Assessment: ...  # both layers; keeps the loop serving

    def quick_check(self, text: str) -> TriageLevel: ...  # rules only: to order a batch early

    @property
    def categories(self) -> tuple[str, ...]: ...  # ids, in the lexicon's order

    def category_label(self, category: str | None) -> str: ...




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

    @property
    def passage(self) -> str: ...  # the top article's paragraph that best answers it

    @property
    def asked(self) -> Any: ...  # knowledge.asked.Asked: what is asked, about whom

    @property
    def subject(self) -> str: ...  # what the question was read as (kept for a follow-up)

    @property
    def follows(self) -> bool: ...  # read with the previous question's subject


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
    def body(self) -> str: ...

    @property
    def citations(self) -> Sequence[Any]: ...  # knowledge.articles.Citation, one per document

    @property
    def reviewed(self) -> Any: ...  # a date

    @property
    def related(self) -> tuple[str, ...]: ...


class PolicySearch(Protocol):
    def search(self, query: str, limit: int = 5) -> SearchResult: ...

    async def find(
        self, query: str, limit: int = 5, *, previous: str | None = None,
        previous_article: str | None = None,
    ) -> SearchResult: ...  # `search` with the encoder off the event loop

    async def warm(self, query: str) -> None: ...  # embed it now, before the unit of work

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


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class StaffSettings:
    """Who is told about cases, how soon, and when counsellors are at their desks."""

    channel: str = "telegram"  # the channel that reaches supervisors and on-call staff directly
    directory: StaffDirectory = field(default_factory=StaffDirectory)
    critical_alert_after: float = 60.0  # seconds unclaimed before alerting again
    urgent_alert_after: float = 300.0
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    outcomes: tuple[str, ...] = (
        "đã tư vấn", "chuyển tuyến", "can thiệp khẩn cấp", "không liên lạc được",
    )
    max_active_cases: int = 5  # per counsellor
    abandon_after: float = 1800.0  # seconds waiting before an apology and 'keep waiting'
    silent_close_after: float = 86400.0  # seconds of silence before an active case closes
    rating_request: bool = True  # the one message sent after a case closes

    @property
    def supervisors(self) -> tuple[str, ...]:
        """The supervisors' addresses on `channel`, for escalations sent to them directly."""
        return self.directory.addresses(Role.SUPERVISOR, self.channel)

    @property
    def on_call(self) -> tuple[str, ...]:
        """The on-call staff's addresses on `channel`."""
        return self.directory.addresses(Role.ON_CALL, self.channel)


@dataclass(frozen=True)
class PolicySettings:
    """How policy questions are answered."""

    # After an answer, a follow-up that leans on it ("còn hồ sơ thì sao?") is read with its
    # subject for this long; later, every question stands on its own.
    context: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Services:
    """Everything flows may call besides the store. Built once by bot/app.py."""

    render: Renderer
    clock: Clock  # the one clock, built by bot/app.py; flows never read the wall clock
    search: PolicySearch | None = None
    triage: Triage | None = None
    directory: Directory | None = None
    staff: StaffSettings = field(default_factory=StaffSettings)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    policy: PolicySettings = field(default_factory=PolicySettings)
    entitlements: EntitlementRules | None = None  # the entitlement check; None: it is off
    # The web console's address (sign-in links point there); empty: no web console.
    web_url: str = ""

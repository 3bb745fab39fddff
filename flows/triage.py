"""Layered triage, raise-only: the rules first, a statistical model under them, and a human
under both.

- Layer 1, the rules (``knowledge/triage.yaml``): precise phrases, negation, idioms, caps for
  the past, films, news and policy questions. When they raise a message, that is the verdict:
  the emergency reply goes out at once and never waits for the model.
- Layer 2, the model (``knowledge/triage_model.py``), scored only when the rules raised
  nothing. It may raise; it never lowers. A rule cue that the message is an idiom, over, a
  film or news item, or a policy question vetoes a model-only raise. A model "urgent" becomes
  critical when the rules saw an immediacy cue (now, a weapon, held, a plan, means, a place, a
  farewell). A model-only raise is marked for a counsellor to check.
- The safety net: a message nobody raised that still describes a person's situation or
  feelings (a rule cue, or a model probability above the review line) is marked ``review``,
  so the flows make it a review item a human reads instead of a "rephrase your question".

The thresholds are fitted on the dev split and recorded in ``knowledge/triage_model.yaml``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from flows.messages import TriageLevel

CACHED_TEXT = 4_096  # characters: the longest text whose rule reading is kept for reuse
LONG_TEXT = 2_000  # characters; longer messages are triaged off the event loop
# Cues that say a model-only raise is a false alarm.
VETOES = frozenset({"hyperbole", "past", "resolved", "not_real", "trivial"})
# Cues that say nobody needs a human: it is over and well ("giờ đã ổn rồi"), or hyperbole.
CALM = frozenset({"resolved", "hyperbole"})


class RuleAssessment(Protocol):
    """The rules' own verdict (knowledge/triage.py). Its level is the plain string: knowledge
    may not import flows, so `LayeredTriage` turns it into a `TriageLevel`."""

    @property
    def level(self) -> str: ...

    @property
    def category(self) -> str | None: ...

    @property
    def signals(self) -> tuple[str, ...]: ...


class RuleReading(Protocol):
    @property
    def assessment(self) -> RuleAssessment: ...

    @property
    def vetoes(self) -> frozenset[str]: ...

    @property
    def immediacy(self) -> bool: ...

    @property
    def situation(self) -> bool: ...

    @property
    def facets(self) -> frozenset[str]: ...


class RuleLayer(Protocol):
    def read(self, text: str) -> RuleReading: ...

    def category_label(self, category: str | None) -> str: ...

    @property
    def categories(self) -> tuple[str, ...]: ...


class ModelScore(Protocol):
    @property
    def p_emergency(self) -> float: ...

    @property
    def p_critical(self) -> float: ...

    @property
    def category(self) -> str | None: ...

    @property
    def reason(self) -> str: ...


class ModelLayer(Protocol):
    def score(self, text: str) -> ModelScore: ...


@dataclass(frozen=True)
class Thresholds:
    """Where the model's probabilities become decisions (fitted on the dev split)."""

    raise_at: float = 0.5  # p(urgent or critical) that raises a message
    critical_at: float = 0.5  # p(critical) that makes a raise critical on its own
    review_at: float = 0.25  # p(urgent or critical) that makes an unraised message a review
    # A veto cue stops a model raise only below this p: on the dev split the cues (written for
    # the rules) stopped far more real emergencies than false alarms when the model was sure.
    veto_below: float = 1.01
    # p(critical) at which the model lifts a rules "urgent" to critical (off above 1).
    promote_at: float = 1.01
    # Fewer words than this is too little for the model to raise on its own ("em đang chờ
    # ạ"); the rules' precise phrases still catch "muốn chết", and the safety net the rest.
    min_words: int = 5


@dataclass(frozen=True)
class Verdict:
    """The combined verdict on one message (an ``Assessment`` for the flows)."""

    level: TriageLevel
    category: str | None
    signals: tuple[str, ...]
    facets: frozenset[str] = frozenset()
    layer: str = ""  # "rules" | "model" | "" (nobody raised it)
    reasons: tuple[str, ...] = ()  # the rule phrases, or the model's words and probability
    needs_check: bool = False  # a model-only raise: a counsellor should check the level
    review: bool = False  # not raised, but describes a person's situation: a human reads it
    vetoed: str = ""  # the rule cue that stopped a model raise, for the benchmark

    @property
    def is_emergency(self) -> bool:
        return self.level.is_emergency


class LayeredTriage:
    """The triage the flows call (the `Triage` port of flows/ports.py), once per message."""

    def __init__(self, rules: RuleLayer, model: ModelLayer | None = None,
                 thresholds: Thresholds | None = None) -> None:
        self.rules = rules
        self.model = model
        self.thresholds = thresholds or Thresholds()
        # A channel asks `quick_check` to order its batch, then the dispatcher asks `assess`:
        # the rules read each message once (short texts only are kept, a few hundred at most).
        self._recent = lru_cache(maxsize=256)(rules.read)

    def _read(self, text: str) -> RuleReading:
        return self._recent(text) if len(text) <= CACHED_TEXT else self.rules.read(text)

    def category_label(self, category: str | None) -> str:
        return self.rules.category_label(category)

    @property
    def categories(self) -> tuple[str, ...]:
        return self.rules.categories

    def quick_check(self, text: str) -> TriageLevel:
        """The rules' level alone (no model, no review), for a channel ordering a batch
        before it is stored; never the assessment a flow acts on."""
        return TriageLevel(self._read(text).assessment.level)

    async def assess(self, text: str) -> Verdict:
        """The verdict, on a worker thread for a long text: a 100,000-character message takes
        about 0.1 s to scan whole, and the event loop keeps serving others meanwhile."""
        if len(text) <= LONG_TEXT:
            return self.verdict(text)
        return await asyncio.to_thread(self.verdict, text)

    def verdict(self, text: str) -> Verdict:
        """Both layers combined, in the caller's thread (scripts, the benchmark, `assess`)."""
        reading = self._read(text)
        found = reading.assessment
        level = TriageLevel(found.level)
        if level is TriageLevel.CRITICAL or (level.is_emergency and self.model is None):
            return Verdict(level, found.category, found.signals, reading.facets,
                           layer="rules", reasons=found.signals)
        if level is TriageLevel.URGENT:
            return self._promoted(text, found, reading)
        calm = bool(reading.vetoes & CALM)
        situation = reading.situation and not calm
        if self.model is None:
            return Verdict(TriageLevel.NONE, None, (), reading.facets, review=situation)
        score = self.model.score(text)
        t = self.thresholds
        review = situation or (score.p_emergency >= t.review_at and not calm)
        if score.p_emergency < t.raise_at or len(text.split()) < t.min_words:
            return Verdict(TriageLevel.NONE, None, (), reading.facets, review=review)
        veto = sorted(reading.vetoes & VETOES)
        if veto and score.p_emergency < t.veto_below:
            return Verdict(TriageLevel.NONE, None, (), reading.facets, review=review,
                           vetoed=veto[0])
        critical = score.p_critical >= t.critical_at or reading.immediacy
        # A child category brings the child line by itself (knowledge/directory.yaml).
        facets = reading.facets
        # The model's words and probability are the signals counsellors see on the alert.
        reason = f"{score.reason} (cần người kiểm tra)"
        level = TriageLevel.CRITICAL if critical else TriageLevel.URGENT
        return Verdict(level, score.category, (reason,), facets, layer="model",
                       reasons=(score.reason,), needs_check=True)

    def _promoted(self, text: str, found: RuleAssessment, reading: RuleReading) -> Verdict:
        """A rules "urgent" that the model reads as critical (a person held now, a night
        outside in the cold) is raised to critical; the rules' reasons stay."""
        assert self.model is not None
        score = self.model.score(text)
        if score.p_critical < self.thresholds.promote_at:
            return Verdict(TriageLevel.URGENT, found.category, found.signals, reading.facets,
                           layer="rules", reasons=found.signals)
        return Verdict(TriageLevel.CRITICAL, found.category, found.signals, reading.facets,
                       layer="rules+model", reasons=(*found.signals, score.reason),
                       needs_check=True)


"""The entitlement check: which monthly allowances may apply to a person, from a data file.

`knowledge/entitlements.yaml` holds the groups of Nghị định 20/2021/NĐ-CP Điều 5 with their
coefficients (Điều 6), the base amount (mức chuẩn) with its document and effective date, the
social pension (trợ cấp hưu trí xã hội) of the Luật Bảo hiểm xã hội 2024, the health-insurance
card, the sources and where to apply. Every figure comes from that file; nothing here makes
one up. The shape of the check:

    Profile (what is known)  ->  questions(profile, asked)  the questions still worth asking,
                                                            at most three in all
                             ->  assess(profile)            an Assessment: what applies, the
                                                            amount, which one is paid and why

Conditions are three-valued: a fact may be true, false or not known yet. An allowance whose
conditions all hold *applies*; one that still depends on something unknown is *possible*; when
nothing applies, one that only needs the person to be older is *later*.

Pure: the only I/O is `EntitlementRules.load`, which is strict and raises `EntitlementsError`
naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from knowledge.articles import Source
from knowledge.entitlement_profile import Age, Profile
from knowledge.entitlement_questions import (
    ADULT_FROM,
    Option,
    Question,
    age_options,
    disability_options,
    status_options,
)
from knowledge.entitlement_questions import band as band_of
from knowledge.entitlement_reading import ELDER, YOUNG, Reader, yes_or_no
from knowledge.entitlement_rules import (
    ASKED,
    CHOICES,
    FLAGS,
    AgeRule,
    Base,
    Condition,
    EntitlementsError,
    Group,
    LevelAssessment,
    Place,
    Tier,
    parse_rules,
)
from knowledge.text import Abbreviations

__all__ = ["Age", "Assessment", "Entitlement", "EntitlementRules", "EntitlementsError",
           "Option", "Profile", "Question", "Source"]

MAX_QUESTIONS = 3
OLDER_SIBLINGS = ("anh ", "chị ")  # "chị tôi": older than the writer, who asks for them
STATUS_FIELDS = ("orphan", "studying", "household", "pension")


@dataclass(frozen=True)
class Entitlement:
    """One allowance for this person: the group, the tier that fits, the amount per month."""

    group: Group
    tier: Tier
    amount: int  # per month; per child when the group is per child
    children: int | None = None
    unknown: tuple[Condition, ...] = ()  # what must still hold (for possible and later ones)
    unknown_age: AgeRule | None = None
    age_picks_tier: bool = False  # the group pays at every age the person may be; age sets how much

    @property
    def id(self) -> str:
        return self.group.id

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def kind(self) -> str:
        return self.group.kind

    @property
    def coefficient(self) -> Decimal | None:
        return self.tier.coefficient

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.group.sources

    @property
    def total(self) -> int:
        return self.amount * (self.children or 1) if self.group.per_child else self.amount

    @property
    def missing(self) -> int:
        """How many facts must still turn out right for it to apply (the age counts one, unless
        it only says which of the group's amounts is paid)."""
        return len(self.unknown) + (self.unknown_age is not None and not self.age_picks_tier)


@dataclass(frozen=True)
class Assessment:
    profile: Profile
    applies: tuple[Entitlement, ...]  # everything that applies, highest first
    chosen: tuple[Entitlement, ...]  # what is paid
    reason: str  # among the allowances: "" | "one" | "highest" | "single_parent"
    versus: str  # social pension against allowance: "" | "social_pension" | "allowance" | "equal"
    possible: tuple[Entitlement, ...]  # would pay more if what is unknown holds
    later: tuple[Entitlement, ...]  # nothing applies now; this one when the person is older
    rules: EntitlementRules
    held_back: int = 0  # possible ones hanging on two unknown facts or more, not listed

    @property
    def total(self) -> int:
        return sum(e.total for e in self.chosen)

    @property
    def health_insurance(self) -> tuple[Source, ...]:
        """The rules that give the card for what is paid (one card, the best one)."""
        card = self.rules.health_insurance
        kinds = {e.kind for e in self.chosen}
        return tuple(card[k] for k in ("allowance", "social_pension") if k in kinds)

    @property
    def level_unknown(self) -> bool:
        """An allowance might be paid if the disability level were known: say who decides it."""
        return self.profile.disability is None and any(
            c.field == "disability" for e in self.possible for c in e.unknown)

    @property
    def subjects(self) -> tuple[str, ...]:
        """The allowances paid, then those that might be: what a follow-up asks about."""
        return tuple(e.name for e in (*self.chosen, *self.possible))

    @property
    def bring(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b for e in self.chosen + self.possible for b in e.group.bring))

    @property
    def per_child_unknown(self) -> bool:
        return any(e.group.per_child and not e.children for e in self.chosen + self.possible)


@dataclass(frozen=True)
class EntitlementRules:
    base: Base
    apply_at: Place
    highest_only: Source
    higher_of_both: Source
    health_insurance: Mapping[str, Source]  # "allowance" / "social_pension" -> the card's rule
    groups: tuple[Group, ...]  # the allowances in file order, then the social pension
    later_within_years: int
    reader: Reader
    path: Path | None = None
    disability_level: LevelAssessment | None = None

    @classmethod
    def load(cls, path: Path, abbreviations: Abbreviations | None = None) -> EntitlementRules:
        parsed = parse_rules(path)
        return cls(parsed.base, parsed.apply_at, parsed.highest_only, parsed.higher_of_both,
                   parsed.health_insurance, parsed.groups, parsed.later_within_years,
                   Reader(abbreviations), path, parsed.disability_level)

    def group(self, group_id: str) -> Group:
        return next(g for g in self.groups if g.id == group_id)

    # ------------------------------------------------------------- reading what people write

    def recognise(self, text: str) -> Profile | None:
        """The facts of a message that asks what someone is entitled to ("mẹ tôi 80 tuổi, hộ
        nghèo được hưởng gì?"); None for any other message."""
        reader = self.reader
        if not reader.asks_entitlement(text):
            return None
        return self._told(text)

    def _told(self, text: str) -> Profile | None:
        """What the message tells of the person it is about; None when it names nobody."""
        reader = self.reader
        subject = reader.subject(text)
        if subject is None:
            return None
        profile = Profile(who=subject.who, noun=subject.noun)
        profile = profile.with_facts(reader.facts(text, who=subject.who))
        if subject.who == ELDER:  # a parent or grandparent is not an orphaned child
            profile = replace(profile, orphan=profile.orphan or False,
                              studying=profile.studying or False)
        return profile

    def recognise_story(self, text: str, question: str) -> Profile | None:
        """For a story search could not answer from one article ("Tôi có người dì năm nay 81
        tuổi, không chồng con… Vậy dì tôi có được nhận trợ cấp hằng tháng không?"): the facts it
        tells of the person, when its question sentences (`question`) ask what is paid every
        month and the story names something the check decides on (an age, a disability, even
        without its level, an orphan, a single parent, HIV); None otherwise."""
        reader = self.reader
        if not reader.story_asks_allowance(question) or reader.other_regime(text):
            return None
        profile = self._told(text)
        if profile is None:  # a question about a group in general: the articles' business
            return None
        named = (profile.age is not None
                 or profile.disability not in (None, "khong")
                 or (profile.disability is None and reader.names_disability(text))
                 or profile.who == YOUNG  # a child: its age and carers decide
                 or bool(profile.orphan) or bool(profile.single_parent) or bool(profile.hiv))
        return profile if named else None

    def is_other_question(self, text: str) -> bool:
        """A question of another kind ("giấy xác nhận làm ở đâu?") typed instead of an answer:
        it leaves the check and is handled as any message."""
        return self.reader.asks_other_question(text)

    def asks_amount(self, text: str) -> bool:
        """"được bao nhiêu?" typed instead of an answer: the amount hangs on the answer."""
        return self.reader.asks_amount(text)

    def profile(self, data: Profile | Mapping[str, Any]) -> Profile:
        return data if isinstance(data, Profile) else Profile.from_dict(data)

    def read(
        self, data: Profile | Mapping[str, Any], text: str, question: str
    ) -> Profile | None:
        """The profile with an answer to `question` typed in: "78", "nặng", "hộ nghèo",
        "không". Unchanged for "không biết"; None when the text answers nothing."""
        profile = self.profile(data)
        reader = self.reader
        if reader.unsure(text):
            return profile
        facts = reader.facts(text, who=profile.who, pending=question)
        if question == "status":
            said = yes_or_no(reader.bare(text))
            asked = self._status_fields(profile)
            if said is False:
                for name in asked:
                    facts.setdefault(name, "khong" if name == "household" else False)
            elif said is True and len(asked) == 1 and asked[0] in FLAGS:
                facts.setdefault(asked[0], True)
        return profile.with_facts(facts) if facts else None

    def apply(
        self, data: Profile | Mapping[str, Any], question: str, answer: str
    ) -> Profile | None:
        """The profile with a pressed button's answer; None for an answer we never offer."""
        profile = self.profile(data)
        if question == "age":
            if not answer:  # "Chưa rõ": a parent, grandparent or older sibling is an adult
                adult = profile.who == ELDER or profile.noun.startswith(OLDER_SIBLINGS)
                return replace(profile, age=Age(ADULT_FROM, None)) if adult else profile
            band = band_of(answer)
            return None if band is None else replace(profile, age=band)
        if question not in ("disability", "status"):
            return None
        facts: dict[str, Any] = {}
        for part in filter(None, answer.split(",")):
            name, _, raw = part.partition("=")
            if name in CHOICES and raw in CHOICES[name]:
                facts[name] = raw
            elif name in FLAGS and raw in ("0", "1"):
                facts[name] = raw == "1"
            else:
                return None
        return profile.with_facts(facts)

    # ------------------------------------------------------------- what is still worth asking

    def questions(
        self, data: Profile | Mapping[str, Any], asked: Collection[str] = ()
    ) -> tuple[Question, ...]:
        """The questions still worth asking, in order; never more than three in all."""
        profile = self.profile(data)
        out: list[Question] = []
        if profile.age is None and "age" not in asked:
            bounds = [b for g in self.groups for t in g.tiers if t.age is not None
                      for b in (t.age.start, t.age.end) if b]
            out.append(Question("age", ("age",),
                                age_options(bounds, adult=profile.who == ELDER)))
        if profile.disability is None and "disability" not in asked:
            out.append(Question("disability", ("disability",), disability_options()))
        fields = self._status_fields(profile)
        if fields and "status" not in asked:
            out.append(Question("status", fields, status_options(fields)))
        return tuple(out[: max(0, MAX_QUESTIONS - len(set(asked)))])

    def _status_fields(self, profile: Profile) -> tuple[str, ...]:
        """The asked facts (household, pension, orphanhood, studies) some allowance still
        waiting on them could turn on."""
        needed: set[str] = set()
        for group in self.groups:
            for tier in group.tiers:
                state = _tier_state(group, tier, profile)
                if state is False or not _worth_mentioning(group, tier, profile):
                    continue
                needed |= {c.field for c in _conditions(group, tier)
                           if c.state(profile) is None and c.field in STATUS_FIELDS}
        return tuple(f for f in STATUS_FIELDS if f in needed)

    # ------------------------------------------------------------- the assessment

    def assess(self, data: Profile | Mapping[str, Any]) -> Assessment:
        profile = self.profile(data)
        applies: list[Entitlement] = []
        maybe: list[Entitlement] = []
        for group in self.groups:
            for tier in group.tiers:
                state = _tier_state(group, tier, profile)
                if state is True:
                    applies.append(self._entitlement(group, tier, profile))
                elif state is None and _worth_mentioning(group, tier, profile):
                    maybe.append(self._entitlement(group, tier, profile, unknown=True))
        excluded = {e.id for e in applies if any(x.id in e.group.not_with for x in applies)}
        applies = [e for e in applies if e.id not in excluded]
        allowances = [e for e in applies if e.kind == "allowance"]
        chosen, reason = _choose_allowances(allowances)
        pension = next((e for e in applies if e.kind == "social_pension"), None)
        versus = ""
        if pension is not None and chosen:
            paid = sum(e.total for e in chosen)
            versus = ("social_pension" if pension.amount > paid else
                      "allowance" if pension.amount < paid else "equal")
            if versus != "allowance":
                chosen = [pension]
        elif pension is not None:
            chosen = [pension]
        paid = sum(e.total for e in chosen)
        possible = [e for e in maybe if e.total > paid or (
            e.group.per_child and any(c.id in e.group.paid_with for c in chosen))]
        # One unknown fact away ("nếu bố bạn từ đủ 60 tuổi: 1.250.000 đ") is an answer; a list
        # of everything a person of any age and household might get is not. What hangs on more
        # is held back and the reply says that more may apply.
        near = [e for e in possible if e.missing <= 1]
        held_back = len(possible) - len(near)
        applies.sort(key=lambda e: (e not in chosen, -e.total))  # what is paid first
        later = () if chosen else self._later(profile)
        return Assessment(profile, tuple(applies), tuple(chosen), reason, versus,
                          tuple(near), later, self, held_back)

    def _entitlement(self, group: Group, tier: Tier, profile: Profile,
                     *, unknown: bool = False) -> Entitlement:
        amount = group.amount if group.amount is not None else int(
            (tier.coefficient or Decimal(0)) * self.base.amount)
        missing = tuple(c for c in _conditions(group, tier) if c.state(profile) is None)
        age = tier.age if unknown and tier.age is not None and tier.age.state(
            _age(profile)) is None else None
        return Entitlement(group, tier, amount, profile.children if group.per_child else None,
                           missing if unknown else (), age,
                           age is not None and _every_age_paid(group, profile))

    def _later(self, profile: Profile) -> tuple[Entitlement, ...]:
        """Allowances the person is only too young for, within `later_within_years`: the
        soonest ones."""
        age = profile.age
        if age is None or age.high is None:
            return ()
        found: list[Entitlement] = []
        for group in self.groups:
            for tier in group.tiers:
                rule = tier.age
                if rule is None or rule.start <= age.high:
                    continue
                if rule.start - age.low > self.later_within_years:
                    continue
                states = [c.state(profile) for c in _conditions(group, tier)]
                if False in states or not _worth_mentioning(group, tier, profile):
                    continue
                found.append(self._entitlement(group, tier, profile, unknown=True))
        if not found:
            return ()
        soonest = min(e.tier.age.start for e in found if e.tier.age is not None)
        return tuple(e for e in found if e.tier.age is not None and e.tier.age.start == soonest)


def _every_age_paid(group: Group, profile: Profile) -> bool:
    """Do the group's tiers (each with its own age band) together cover every age the person
    may be? "Chị tôi bị mù" with no age: the disability allowance is paid at 16 and at 70, only
    the amount differs, so it is one unknown (the level) away, not two."""
    low, high = _age(profile) or (0, None)
    bands = sorted((t.age.start, t.age.end) for t in group.tiers if t.age is not None)
    if len(bands) != len(group.tiers):
        return False
    reach = low
    for start, end in bands:
        if start > reach:
            break
        reach = max(reach, end) if end is not None else None  # type: ignore[assignment]
        if reach is None:
            return True
    return high is not None and reach is not None and reach > high


def _age(profile: Profile) -> tuple[int, int | None] | None:
    return None if profile.age is None else (profile.age.low, profile.age.high)


def _conditions(group: Group, tier: Tier) -> tuple[Condition, ...]:
    return group.conditions + tier.conditions


def _tier_state(group: Group, tier: Tier, profile: Profile) -> bool | None:
    states = [c.state(profile) for c in _conditions(group, tier)]
    if tier.age is not None:
        states.append(tier.age.state(_age(profile)))
    if False in states:
        return False
    return None if None in states else True


def _worth_mentioning(group: Group, tier: Tier, profile: Profile) -> bool:
    """Only what the person said makes an `only_if_stated` group worth a word, and at most one
    unknown fact the bot never asks about ("không có người phụng dưỡng")."""
    if any(getattr(profile, f) is not True for f in group.only_if_stated):
        return False
    unasked = [c for c in _conditions(group, tier)
               if c.field not in ASKED and c.state(profile) is None]
    return len(unasked) <= 1


def _choose_allowances(found: Sequence[Entitlement]) -> tuple[list[Entitlement], str]:
    """Điều 6 khoản 2: only the highest; a single poor parent's allowance per child is paid
    besides the parent's own as an elderly, disabled or HIV-positive person."""
    if not found:
        return [], ""
    best = max(found, key=lambda e: e.total)  # the first of equals, in the file's order
    per_child = [e for e in found if e.group.per_child]
    own = [e for e in found if not e.group.per_child]
    if per_child and own:
        top = max(own, key=lambda e: e.total)
        if top.id in per_child[0].group.paid_with:
            return [top, per_child[0]], "single_parent"
    return [best], "one" if len(found) == 1 else "highest"



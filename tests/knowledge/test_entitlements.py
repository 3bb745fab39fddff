"""The entitlement rules (knowledge/entitlements.yaml) and the pure module around them: every
coefficient and age edge of Nghị định 20/2021/NĐ-CP Điều 5–6 with the 500.000 đ base, the
social pension of the Luật BHXH 2024, how two allowances combine, what is asked, how typed
answers are read, and the strict loading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from knowledge.entitlements import Age, Assessment, EntitlementRules, EntitlementsError, Profile
from knowledge.render import Templates
from knowledge.text import Abbreviations

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
SHIPPED = KNOWLEDGE / "entitlements.yaml"


@pytest.fixture(scope="module")
def rules() -> EntitlementRules:
    return EntitlementRules.load(SHIPPED, Abbreviations.load(KNOWLEDGE / "teencode.yaml"))


def person(age: int | None = None, **facts: Any) -> Profile:
    return Profile(age=None if age is None else Age(age, age), **facts)


def assess(rules: EntitlementRules, age: int | None = None, **facts: Any) -> Assessment:
    return rules.assess(person(age, **facts))


def applying(rules: EntitlementRules, age: int | None = None, **facts: Any) -> dict[str, int]:
    """allowance id -> amount per month, for everything that applies."""
    return {e.id: e.total for e in assess(rules, age, **facts).applies}


def paid(rules: EntitlementRules, age: int | None = None, **facts: Any) -> dict[str, int]:
    return {e.id: e.total for e in assess(rules, age, **facts).chosen}


# ----------------------------------------------------------------------- the base and the file


def test_the_base_is_500000_from_nd_76_2024_in_force_from_1_july_2024(
    rules: EntitlementRules,
) -> None:
    assert rules.base.amount == 500_000
    assert rules.base.source.document == "Nghị định 76/2024/NĐ-CP"
    assert rules.base.source.effective.isoformat() == "2024-07-01"
    assert rules.highest_only.article == "Điều 6 khoản 2"
    assert rules.apply_at.where.startswith("UBND cấp xã")
    assert "Cổng dịch vụ công quốc gia" in rules.apply_at.online


def test_every_amount_is_the_coefficient_times_the_base(rules: EntitlementRules) -> None:
    coefficients = {str(t.coefficient) for g in rules.groups for t in g.tiers if t.coefficient}
    assert coefficients == {"1.0", "1.5", "2.0", "2.5", "3.0"}
    for group in rules.groups:
        for tier in group.tiers:
            entitlement = rules._entitlement(group, tier, Profile())
            expected = group.amount if group.amount else int(tier.coefficient * 500_000)
            assert entitlement.amount == expected, group.id


# ----------------------------------------------------------------------- K1, K2: children


@pytest.mark.parametrize(("age", "amount"), [(0, 1_250_000), (3, 1_250_000), (4, 750_000),
                                             (15, 750_000)])
def test_a_child_without_carers_gets_2_5_under_4_and_1_5_from_4(
    rules: EntitlementRules, age: int, amount: int
) -> None:
    assert applying(rules, age, orphan=True, disability="khong") == {
        "tre-em-khong-nguon-nuoi-duong": amount}


def test_at_16_the_childs_allowance_ends_and_studying_continues_it_to_22(
    rules: EntitlementRules,
) -> None:
    assert applying(rules, 16, orphan=True, studying=False, disability="khong") == {}
    for age in (16, 22):
        assert applying(rules, age, orphan=True, studying=True, disability="khong") == {
            "nguoi-16-22-tuoi-dang-hoc": 750_000}, age
    assert applying(rules, 23, orphan=True, studying=True, disability="khong") == {}
    assert applying(rules, 15, orphan=True, studying=True, disability="khong") == {
        "tre-em-khong-nguon-nuoi-duong": 750_000}


# ----------------------------------------------------------------------- K3, K8: HIV


@pytest.mark.parametrize(("age", "amount"), [(3, 1_250_000), (4, 1_000_000), (15, 1_000_000)])
def test_a_child_with_hiv_in_a_poor_household(
    rules: EntitlementRules, age: int, amount: int
) -> None:
    assert applying(rules, age, hiv=True, household="ngheo", disability="khong") == {
        "tre-em-nhiem-hiv-ho-ngheo": amount}
    assert applying(rules, age, hiv=True, household="can_ngheo", disability="khong") == {}


def test_an_adult_with_hiv_poor_and_without_income(rules: EntitlementRules) -> None:
    assert applying(rules, 30, hiv=True, household="ngheo", no_income=True,
                    disability="khong") == {"nguoi-nhiem-hiv-ho-ngheo": 750_000}
    assert applying(rules, 16, hiv=True, household="ngheo", no_income=True,
                    disability="khong") == {"nguoi-nhiem-hiv-ho-ngheo": 750_000}
    # HIV is never brought up unless the person said it.
    assert all(e.group.only_if_stated != ("hiv",) for e in
               assess(rules, 30, household="ngheo", disability="khong").possible)


# ----------------------------------------------------------------------- K4: single parent


def test_a_single_poor_parent_gets_1_0_for_each_child(rules: EntitlementRules) -> None:
    for household in ("ngheo", "can_ngheo"):
        assert paid(rules, 35, single_parent=True, household=household, children=3,
                    disability="khong") == {"nguoi-don-than-nuoi-con": 1_500_000}
    unknown = assess(rules, 35, single_parent=True, household="ngheo", disability="khong")
    assert unknown.chosen[0].amount == 500_000 and unknown.per_child_unknown
    assert paid(rules, 35, single_parent=True, household="khong", disability="khong") == {}


def test_a_single_poor_parent_who_is_also_disabled_or_elderly_gets_both(
    rules: EntitlementRules,
) -> None:
    both = assess(rules, 40, single_parent=True, household="ngheo", children=1,
                  disability="dac_biet_nang")
    assert both.reason == "single_parent"
    assert {e.id: e.total for e in both.chosen} == {"nguoi-khuyet-tat-dac-biet-nang": 1_000_000,
                                                   "nguoi-don-than-nuoi-con": 500_000}
    assert both.total == 1_500_000
    elderly = assess(rules, 65, single_parent=True, household="ngheo", no_carer=True,
                     children=2, disability="khong")
    assert {e.id for e in elderly.chosen} == {"nguoi-cao-tuoi-ho-ngheo",
                                              "nguoi-don-than-nuoi-con"}
    assert elderly.total == 750_000 + 1_000_000


# ----------------------------------------------------------------------- K5: the elderly


@pytest.mark.parametrize(("age", "amount"), [(59, None), (60, 750_000), (79, 750_000),
                                             (80, 1_000_000), (95, 1_000_000)])
def test_a_poor_elderly_person_without_carers_1_5_from_60_and_2_0_from_80(
    rules: EntitlementRules, age: int, amount: int | None
) -> None:
    found = applying(rules, age, household="ngheo", no_carer=True, pension=True,
                     disability="khong")
    assert found.get("nguoi-cao-tuoi-ho-ngheo") == amount


def test_a_poor_elderly_person_cared_for_in_the_community_gets_3_0(
    rules: EntitlementRules,
) -> None:
    assert paid(rules, 60, household="ngheo", no_carer=True, cared_for=True,
                disability="khong") == {"nguoi-cao-tuoi-co-nguoi-nhan-cham-soc": 1_500_000}


@pytest.mark.parametrize(("age", "applies"), [(74, False), (75, True), (79, True), (80, False)])
def test_75_to_80_in_a_poor_household_of_a_special_difficulty_area_gets_1_0(
    rules: EntitlementRules, age: int, applies: bool
) -> None:
    found = applying(rules, age, household="can_ngheo", area=True, pension=True,
                     disability="khong")
    assert ("nguoi-75-80-tuoi-vung-kho-khan" in found) is applies
    assert applying(rules, 77, household="can_ngheo", area=False, pension=True,
                    disability="khong") == {}


@pytest.mark.parametrize(("age", "applies"), [(79, False), (80, True), (101, True)])
def test_from_80_without_a_pension_1_0(rules: EntitlementRules, age: int, applies: bool) -> None:
    found = applying(rules, age, pension=False, household="khong", disability="khong")
    assert ("nguoi-tu-80-tuoi" in found) is applies
    assert "nguoi-tu-80-tuoi" not in applying(rules, age, pension=True, household="khong",
                                              disability="khong")


# ----------------------------------------------------------------------- K6: disability


@pytest.mark.parametrize(("age", "severe", "heavy"), [
    (5, 1_250_000, 1_000_000),  # a child: 2,5 / 2,0
    (15, 1_250_000, 1_000_000),
    (16, 1_000_000, 750_000),  # an adult: 2,0 / 1,5
    (59, 1_000_000, 750_000),
    (60, 1_250_000, 1_000_000),  # an elderly person: 2,5 / 2,0
    (85, 1_250_000, 1_000_000),
])
def test_disability_tiers_for_a_child_an_adult_and_an_elderly_person(
    rules: EntitlementRules, age: int, severe: int, heavy: int
) -> None:
    facts = {"household": "khong", "pension": True, "orphan": False, "studying": False}
    assert paid(rules, age, disability="dac_biet_nang", **facts) == {
        "nguoi-khuyet-tat-dac-biet-nang": severe}
    assert paid(rules, age, disability="nang", **facts) == {"nguoi-khuyet-tat-nang": heavy}
    assert paid(rules, age, disability="nhe", **facts) == {}


# ----------------------------------------------------------------------- K7: under 3


def test_a_child_under_3_in_a_poor_household_of_a_special_difficulty_area(
    rules: EntitlementRules,
) -> None:
    for household in ("ngheo", "can_ngheo"):
        assert paid(rules, 2, household=household, area=True, orphan=False,
                    disability="khong") == {"tre-em-duoi-3-tuoi-vung-kho-khan": 750_000}
    assert paid(rules, 3, household="ngheo", area=True, orphan=False, disability="khong") == {}
    assert paid(rules, 2, household="khong", area=True, orphan=False, disability="khong") == {}
    # Not for a child who has an allowance of their own group (K1, K3, K6).
    orphan = applying(rules, 2, household="ngheo", area=True, orphan=True, disability="khong")
    assert orphan == {"tre-em-khong-nguon-nuoi-duong": 1_250_000}


# ----------------------------------------------------------------------- the social pension


@pytest.mark.parametrize(("age", "household", "applies"), [
    (74, "khong", False), (75, "khong", True),
    (69, "ngheo", False), (70, "ngheo", True), (70, "can_ngheo", True), (70, "khong", False),
])
def test_the_social_pension_from_75_or_from_70_in_a_poor_or_near_poor_household(
    rules: EntitlementRules, age: int, household: str, applies: bool
) -> None:
    found = applying(rules, age, household=household, pension=False, disability="khong")
    assert found.get("tro-cap-huu-tri-xa-hoi") == (500_000 if applies else None)
    assert "tro-cap-huu-tri-xa-hoi" not in applying(rules, age, household=household,
                                                    pension=True, disability="khong")


# ----------------------------------------------------------------------- combining


def test_two_allowances_pay_only_the_highest(rules: EntitlementRules) -> None:
    found = assess(rules, 82, disability="dac_biet_nang", household="ngheo", no_carer=True,
                   pension=True)
    assert {e.id for e in found.applies} == {"nguoi-khuyet-tat-dac-biet-nang",
                                             "nguoi-cao-tuoi-ho-ngheo"}
    assert [e.id for e in found.chosen] == ["nguoi-khuyet-tat-dac-biet-nang"]
    assert found.reason == "highest" and found.total == 1_250_000
    assert found.applies[0] is found.chosen[0]  # what is paid comes first


def test_the_higher_of_the_social_pension_and_the_allowance(rules: EntitlementRules) -> None:
    allowance = assess(rules, 76, disability="nang", household="khong", pension=False)
    assert allowance.versus == "allowance" and allowance.total == 1_000_000
    assert [e.id for e in allowance.chosen] == ["nguoi-khuyet-tat-nang"]
    equal = assess(rules, 80, disability="khong", household="khong", pension=False)
    assert equal.versus == "equal" and equal.total == 500_000
    assert [e.id for e in equal.chosen] == ["tro-cap-huu-tri-xa-hoi"]
    assert equal.health_insurance == (rules.health_insurance["social_pension"],)
    alone = assess(rules, 75, disability="khong", household="khong", pension=False)
    assert alone.versus == "" and [e.id for e in alone.chosen] == ["tro-cap-huu-tri-xa-hoi"]


def test_a_higher_social_pension_wins_over_the_allowance(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace("  amount: 500000\n  when: {pension",
                                                       "  amount: 1200000\n  when: {pension")
    (tmp_path / "entitlements.yaml").write_text(text, encoding="utf-8")
    rules = EntitlementRules.load(tmp_path / "entitlements.yaml")
    found = rules.assess(person(77, disability="nang", household="khong", pension=False))
    assert found.versus == "social_pension" and found.total == 1_200_000  # above 2,0 × base
    assert [e.id for e in found.chosen] == ["tro-cap-huu-tri-xa-hoi"]


def test_nothing_applies_says_what_might_later(rules: EntitlementRules) -> None:
    nothing = assess(rules, 40, disability="khong", household="khong")
    assert nothing.chosen == () and nothing.possible == () and nothing.later == ()
    soon = assess(rules, 66, disability="khong", household="khong")
    assert [(e.id, e.tier.age.start) for e in soon.later] == [("tro-cap-huu-tri-xa-hoi", 75)]
    poor = assess(rules, 62, disability="khong", household="ngheo")
    assert [(e.id, e.tier.age.start) for e in poor.later] == [("tro-cap-huu-tri-xa-hoi", 70)]
    assert [(e.id, [c.field for c in e.unknown]) for e in poor.possible] == [
        ("nguoi-cao-tuoi-ho-ngheo", ["no_carer"])]


def test_what_is_not_known_makes_an_allowance_possible_not_paid(
    rules: EntitlementRules,
) -> None:
    unsure = assess(rules, 30, household="khong")  # "Chưa rõ" to the disability question
    assert unsure.chosen == ()
    assert {e.id for e in unsure.possible} == {"nguoi-khuyet-tat-dac-biet-nang",
                                               "nguoi-khuyet-tat-nang"}


# ----------------------------------------------------------------------- what is asked


def asked(rules: EntitlementRules, profile: Profile, done: tuple[str, ...] = ()) -> list[
        tuple[str, tuple[str, ...]]]:
    return [(q.id, q.asks) for q in rules.questions(profile, done)]


def test_only_what_is_still_unknown_is_asked(rules: EntitlementRules) -> None:
    assert asked(rules, Profile()) [0] == ("age", ("age",))
    told = rules.recognise("mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?")
    assert told is not None
    assert asked(rules, told) == [("disability", ("disability",)), ("status", ("pension",))]
    assert asked(rules, told, ("disability",)) == [("status", ("pension",))]
    assert asked(rules, person(80, household="ngheo", disability="khong", pension=False)) == []


@pytest.mark.parametrize(("age", "asks"), [
    (2, ("orphan", "household")),  # K1, and K7 under 3
    (10, ("orphan",)),
    (18, ("orphan", "studying")),
    (40, None),  # nothing an adult could get turns on the household or a pension
    (65, ("household",)),
    (72, ("household", "pension")),
    (85, ("household", "pension")),
])
def test_the_last_question_fits_the_age(rules: EntitlementRules, age: int,
                                         asks: tuple[str, ...] | None) -> None:
    status = [a for q, a in asked(rules, person(age, disability="khong")) if q == "status"]
    assert status == ([] if asks is None else [asks])


def test_never_more_than_three_questions_in_all(rules: EntitlementRules) -> None:
    assert len(rules.questions(Profile())) <= 3
    assert rules.questions(Profile(), ("age", "disability", "status")) == ()


def test_age_buttons_follow_the_ages_in_the_file(rules: EntitlementRules) -> None:
    anyone = [o.answer for o in rules.questions(Profile())[0].options]
    # The last button, "Chưa rõ", is for someone who does not know the age.
    assert anyone == ["0-2", "3-3", "4-15", "16-22", "23-59", "60-69", "70-74", "75-79", "80-",
                      ""]
    parent = [o.answer for o in rules.questions(Profile(who="elder"))[0].options]
    assert parent == ["16-59", "60-69", "70-74", "75-79", "80-", ""]


def test_not_knowing_the_age_leaves_it_open_but_a_parent_is_an_adult(
    rules: EntitlementRules,
) -> None:
    assert rules.apply(Profile(who="young"), "age", "") == Profile(who="young")
    parent = rules.apply(Profile(who="elder", disability="dac_biet_nang"), "age", "")
    assert parent is not None and parent.age == Age(16, None)
    result = rules.assess(parent)
    # Two ages, two amounts: from 16 to under 60 coefficient 2,0, from 60 coefficient 2,5;
    # never the under-16 tier for a father.
    amounts = sorted(e.total for e in result.possible if e.id == "nguoi-khuyet-tat-dac-biet-nang")
    assert amounts == [1_000_000, 1_250_000]


def test_what_hangs_on_two_unknown_facts_is_held_back_not_listed(
    rules: EntitlementRules,
) -> None:
    result = rules.assess(Profile(who="self", disability="nhe"))
    assert result.chosen == ()
    assert all(e.missing <= 1 for e in result.possible)
    assert result.held_back > 0  # the elderly and orphans' allowances, age and status unknown


def test_every_button_has_a_label(rules: EntitlementRules) -> None:
    templates = Templates(KNOWLEDGE / "templates")
    profiles = [person(a, disability=None) for a in (2, 10, 18, 40, 65, 72, 85)] + [
        Profile(), person(18, single_parent=True, hiv=True), person(2, area=True, hiv=True)]
    for profile in profiles:
        for question in rules.questions(profile):
            for option in question.options:
                label = (templates.label(option.label) if option.label else
                         templates.render("entitlement_band", band=option.band))
                assert 0 < len(label) <= 40, (question.id, option)
                data = f"ent:{question.id}:{option.answer}"
                assert len(data.encode()) <= 64, data  # Telegram's callback_data limit


def test_a_pressed_button_sets_what_it_says(rules: EntitlementRules) -> None:
    base = Profile(who="elder", noun="mẹ bạn").to_dict()
    pressed = rules.apply(base, "status", "pension=0,household=can_ngheo")
    assert pressed is not None and (pressed.pension, pressed.household) == (False, "can_ngheo")
    band = rules.apply(base, "age", "80-")
    assert band is not None and band.age == Age(80, None)
    assert rules.apply(base, "status", "household=rich") is None
    assert rules.apply(base, "age", "x") is None
    assert rules.apply(base, "status", "") == rules.profile(base)  # "Chưa rõ"


def test_a_profile_survives_the_flow_data(rules: EntitlementRules) -> None:
    profile = person(78, noun="bố bạn", who="elder", household="ngheo", pension=False,
                     single_parent=True, children=2)
    assert Profile.from_dict(profile.to_dict()) == profile


# ----------------------------------------------------------------------- reading what is typed


@pytest.mark.parametrize(("text", "who", "noun", "facts"), [
    ("mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?", "elder", "mẹ bạn",
     {"age": Age(80, 80), "household": "ngheo"}),
    ("me toi dc huong che do gi", "elder", "mẹ bạn", {}),
    ("bố e 78t thì đc hưởng j ko", "elder", "bố bạn", {"age": Age(78, 78)}),
    ("bà ngoại tôi 85 tuổi không có lương hưu hay trợ cấp BHXH được hưởng gì", "elder",
     "bà bạn", {"age": Age(85, 85), "pension": False}),
    ("ba toi 70 tuoi duoc huong gi", "elder", "người thân của bạn", {"age": Age(70, 70)}),
    ("con tôi 3 tuổi bị khuyết tật đặc biệt nặng thì được hưởng gì", "young", "con bạn",
     {"age": Age(3, 3), "disability": "dac_biet_nang"}),
    ("cháu tôi mồ côi cả cha lẫn mẹ, 10 tuổi, được hưởng gì", "young", "cháu bạn",
     {"age": Age(10, 10), "orphan": True}),
    ("tôi 72 tuổi hộ cận nghèo không có lương hưu được hưởng gì", "self", "bạn",
     {"age": Age(72, 72), "household": "can_ngheo", "pension": False}),
    ("Ông tôi 78 tuổi, ở thôn đặc biệt khó khăn thì được hưởng gì?", "elder", "ông bạn",
     {"age": Age(78, 78), "area": True}),
    ("mẹ tôi 80, không bị khuyết tật, có lương hưu, được hưởng gì", "elder", "mẹ bạn",
     {"age": Age(80, 80), "disability": "khong", "pension": True}),
    ("cho em hỏi bé nhà em 18 tháng tuổi, nhà nghèo, được hưởng chế độ gì", "young", "bé bạn",
     {"age": Age(1, 1), "household": "ngheo"}),
    ("bố tôi không có ai phụng dưỡng, hộ nghèo, được hưởng gì", "elder", "bố bạn",
     {"no_carer": True, "household": "ngheo"}),
    # "ốm nặng" is an illness, not the disability's certified level.
    ("mẹ tôi 70 tuổi bị ốm nặng, liệt nửa người, được hưởng gì", "elder", "mẹ bạn",
     {"age": Age(70, 70)}),
    # Southern "lãnh" is "nhận"; the question mark alone ends the yes/no question.
    ("nay mẹ tôi có thể lãnh trợ cấp xã hội hàng tháng?", "elder", "mẹ bạn", {}),
    ("Trẻ em dưới 3 tuổi thuộc hộ cận nghèo ở thôn đặc biệt khó khăn có được trợ cấp hàng "
     "tháng không?", "self", "bạn", {"age": Age(0, 2), "household": "can_ngheo", "area": True}),
])
def test_the_question_is_recognised_with_what_it_says(
    rules: EntitlementRules, text: str, who: str, noun: str, facts: dict[str, Any]
) -> None:
    profile = rules.recognise(text)
    assert profile is not None, text
    assert (profile.who, profile.noun) == (who, noun)
    for name, value in facts.items():
        assert getattr(profile, name) == value, (text, name)
    assert set(profile.known) - {"orphan", "studying"} <= set(facts) | (
        {"orphan"} if "orphan" in facts else set())


@pytest.mark.parametrize("text", [
    "mức chuẩn trợ giúp xã hội là bao nhiêu",
    "Người cao tuổi không có ai phụng dưỡng thuộc hộ nghèo được hưởng chế độ gì?",  # no one
    "tôi bị tai nạn lao động được hưởng gì",
    "mẹ tôi nghỉ hưu được hưởng gì",
    "nhà tôi bị cháy nhà được hỗ trợ gì",
    "mẹ tôi 80 tuổi có được trợ cấp hưu trí xã hội không",  # one allowance: an article answers
    "bố tôi được trợ cấp hàng tháng, giờ chuyển nhà thì sao",  # already paid: a move
    "xin chào",
])
def test_other_messages_are_not_an_entitlement_check(rules: EntitlementRules, text: str) -> None:
    assert rules.recognise(text) is None


@pytest.mark.parametrize(("question", "text", "field", "value"), [
    ("age", "78", "age", Age(78, 78)),
    ("age", "78 tuổi", "age", Age(78, 78)),
    ("age", "năm nay 78 rồi", "age", Age(78, 78)),
    ("disability", "nặng", "disability", "nang"),
    ("disability", "đặc biệt nặng", "disability", "dac_biet_nang"),
    ("disability", "nhẹ thôi", "disability", "nhe"),
    ("disability", "không", "disability", "khong"),
    ("disability", "ko bị", "disability", "khong"),
    ("status", "hộ nghèo", "household", "ngheo"),
    ("status", "cận nghèo", "household", "can_ngheo"),
    ("status", "không", "household", "khong"),
    ("status", "không", "pension", False),
    ("status", "có lương hưu", "pension", True),
    ("status", "ko có lương hưu, hộ nghèo", "pension", False),
])
def test_typed_answers_are_read(rules: EntitlementRules, question: str, text: str, field: str,
                                value: object) -> None:
    before = Profile(who="elder", noun="bố bạn", age=Age(78, 78) if question != "age" else None)
    read = rules.read(before.to_dict(), text, question)
    assert read is not None and getattr(read, field) == value, text


def test_a_bare_yes_answers_a_yes_or_no_question(rules: EntitlementRules) -> None:
    child = person(10, who="young", disability="khong")
    read = rules.read(child.to_dict(), "có", "status")  # asked: orphan only
    assert read is not None and read.orphan is True
    assert rules.read(person(72, disability="khong").to_dict(), "có", "status") is None


def test_not_knowing_leaves_the_fact_unknown(rules: EntitlementRules) -> None:
    before = person(78, who="elder").to_dict()
    for text in ("không biết", "ko bt", "chưa rõ"):
        read = rules.read(before, text, "disability")
        assert read is not None and read.disability is None, text
    assert rules.read(before, "hôm nay trời đẹp", "disability") is None


def test_a_question_typed_instead_of_an_answer_is_seen(rules: EntitlementRules) -> None:
    assert rules.is_other_question("giấy xác nhận khuyết tật làm ở đâu?")
    assert rules.is_other_question("thu tuc ho ngheo the nao")
    assert not rules.is_other_question("hộ nghèo ạ")


# ----------------------------------------------------------------------- strict loading


def broken(tmp_path: Path, old: str, new: str) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "entitlements.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(EntitlementsError) as err:
        EntitlementRules.load(path)
    assert str(err.value).startswith(f"{path}: ")
    return str(err.value).removeprefix(f"{path}: ")


def test_the_shipped_file_loads(rules: EntitlementRules) -> None:
    assert len(rules.groups) == 13 and rules.groups[-1].kind == "social_pension"


def test_a_bad_coefficient_names_the_field(tmp_path: Path) -> None:
    assert broken(tmp_path, "coefficient: 2.5}", "coefficient: hai}") == (
        "allowances[0].tiers[0].coefficient: expected a number from 0.1 to 10, got 'hai'")


def test_a_misspelt_condition_is_an_error_not_ignored(tmp_path: Path) -> None:
    message = broken(tmp_path, "when: {orphan: true}", "when: {orphn: true}")
    assert message.startswith("allowances[0].when.orphn: unknown condition")


def test_an_unknown_value_or_key_is_an_error(tmp_path: Path) -> None:
    assert broken(tmp_path, "household: [ngheo]}", "household: [rich]}").startswith(
        "allowances[2].when.household: expected a list from ngheo, can_ngheo, khong")
    assert broken(tmp_path, "later_within_years: 10", "later_years: 10").startswith(
        "later_years: unknown key")


def test_a_missing_base_amount_or_bad_date_names_the_field(tmp_path: Path) -> None:
    assert broken(tmp_path, "  amount: 500000\n  source:", "  source:") == "base.amount: missing"
    assert broken(tmp_path, "effective: 2024-07-01}", "effective: 1/7/2024}") == (
        "base.source.effective: expected a date YYYY-MM-DD, got '1/7/2024'")


def test_an_office_that_no_longer_exists_is_refused(tmp_path: Path) -> None:
    message = broken(tmp_path, "where: UBND cấp xã (xã, phường, đặc khu) nơi cư trú",
                     "where: Phòng LĐ-TB&XH huyện")
    assert message.startswith("apply.where: names cấp huyện")


def test_overlapping_tiers_and_unknown_ids_are_errors(tmp_path: Path) -> None:
    assert broken(tmp_path, "- {age: {from: 4, under: 16}, coefficient: 1.5}",
                  "- {age: {from: 3, under: 16}, coefficient: 1.5}").startswith(
        "allowances[0].tiers[1]: overlaps tiers[0]")
    assert broken(tmp_path, "      - nguoi-nhiem-hiv-ho-ngheo\n",
                  "      - nguoi-nhiem-hiv\n").startswith(
        "allowances[3].paid_with: 'nguoi-nhiem-hiv' is not another allowance's id")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "entitlements.yaml"
    path.write_text("base: [oops\n", encoding="utf-8")
    with pytest.raises(EntitlementsError, match=r"file: not valid YAML \(line \d+\)"):
        EntitlementRules.load(path)


def test_kb_check_reports_a_broken_file(tmp_path: Path) -> None:
    from datetime import date

    from knowledge.check import check_knowledge

    root = tmp_path / "knowledge"
    (root / "templates").mkdir(parents=True)
    (root / "entitlements.yaml").write_text("base: 1\n", encoding="utf-8")
    problems = [str(p) for p in check_knowledge(root, date(2026, 12, 1))
                if "entitlements" in str(p)]
    assert problems == ["error: knowledge/entitlements.yaml: cannot be read: "
                        f"{root / 'entitlements.yaml'}: allowances: missing"]


def test_kb_check_accepts_the_shipped_file(knowledge_dir: Path) -> None:
    from datetime import date

    from knowledge.check import check_knowledge

    problems = [str(p) for p in check_knowledge(knowledge_dir, date(2026, 12, 1))
                if "entitlement" in str(p)]
    assert problems == []


def test_a_story_is_read_for_the_check_only_when_it_asks_what_is_paid(
    rules: EntitlementRules,
) -> None:
    story = ("Dì tôi năm nay 81 tuổi, không chồng con, sống một mình, không có lương hưu. "
             "Vậy dì tôi có được nhận trợ cấp hằng tháng không?")
    profile = rules.recognise_story(story, "Vậy dì tôi có được nhận trợ cấp hằng tháng không?")
    assert profile is not None and profile.age == Age(81, 81) and profile.noun == "dì bạn"
    # The question sentences ask about burial support or a change of address: not the check.
    assert rules.recognise_story(story, "Khi dì tôi mất thì có được hỗ trợ mai táng không?") \
        is None
    assert rules.recognise_story(story, "Chuyển về ở với tôi thì làm sao tiếp tục được "
                                        "nhận trợ cấp ở nơi cư trú mới?") is None
    # A survivor's allowance already drawn is something the check does not weigh.
    survivor = ("Em tôi bị khuyết tật đặc biệt nặng, đang hưởng chế độ tuất. Em tôi có được "
                "hưởng trợ cấp xã hội hằng tháng không?")
    assert rules.recognise_story(survivor, "Em tôi có được hưởng trợ cấp xã hội hằng tháng "
                                           "không?") is None
    merit = ("Ông nội tôi 85 tuổi, là thương binh, bố tôi là liệt sĩ. Ông tôi có được nhận "
             "trợ cấp xã hội hằng tháng không?")
    assert rules.recognise_story(merit, "Ông tôi có được nhận trợ cấp xã hội hằng tháng "
                                        "không?") is None
    # "Phòng Lao động - Thương binh và Xã hội" is an office, not a war invalid.
    office = ("Mẹ tôi 82 tuổi, không có lương hưu, phòng lao động thương binh và xã hội bảo "
              "lên xã hỏi. Mẹ tôi có được nhận trợ cấp xã hội hằng tháng không?")
    assert rules.recognise_story(office, "Mẹ tôi có được nhận trợ cấp xã hội hằng tháng "
                                         "không?") is not None
    # Nobody in particular ("trẻ dưới 16 tuổi mất cha"): a question for the articles.
    general = "Trẻ dưới 16 tuổi mất cha thì có được hưởng trợ cấp xã hội hằng tháng không?"
    assert rules.recognise_story(general, general) is None


@pytest.mark.parametrize(("text", "amount"), [
    ("dc bn 1 thang v ad", True),
    ("được bao nhiêu tiền một tháng?", True),
    ("mỗi tháng được mấy trăm nghìn vậy", True),
    ("mẹ tôi mấy tuổi thì được?", False),
    ("hồ sơ nộp ở đâu, mất bao nhiêu ngày?", False),  # another question: it leaves the check
])
def test_a_question_about_the_amount_typed_as_an_answer(
    rules: EntitlementRules, text: str, amount: bool,
) -> None:
    assert rules.asks_amount(text) is amount

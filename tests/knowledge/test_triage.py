"""Triage of single messages: what a counsellor sees when a message arrives."""

from __future__ import annotations

import ast
import statistics
import time
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from knowledge.text import Abbreviations
from knowledge.triage import Assessment, TriageDataError, TriageRules

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture(scope="module")
def abbreviations() -> Abbreviations:
    return Abbreviations.load(KNOWLEDGE / "teencode.yaml")


@pytest.fixture(scope="module")
def triage(abbreviations: Abbreviations) -> TriageRules:
    return TriageRules.load(KNOWLEDGE / "triage.yaml", abbreviations)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("toi uong het vi thuoc ngu roi", "suicide"),
        ("t cam dao roi", "suicide"),
        ("đây là tin nhắn cuối cùng của em", "suicide"),
        ("chong em dang danh em", "domestic_violence"),
        ("hàng xóm đang đánh vợ, chị ấy kêu cứu", "domestic_violence"),
        ("co dua be bi bo o cong cho", "abandoned_child"),
        ("con toi mat tich tu chieu qua", "missing_child"),
        ("bi lua sang trung quoc", "trafficking"),
        ("em bé sốt cao co giật", "medical"),
    ],
)
def test_danger_now_is_critical_with_its_category(
    triage: TriageRules, text: str, category: str
) -> None:
    result = triage.assess(text)
    assert (result.level, result.category) == ("critical", category)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("tôi không muốn sống nữa", "suicide"),
        ("em ko con thiet song", "suicide"),
        ("hang xom danh con ghe lam", "child_abuse"),
        ("ck hay danh e lam, e ko biet lam sao", "domestic_violence"),
        ("em không có chỗ ngủ tối nay", "homeless"),
    ],
)
def test_real_risk_without_immediate_danger_is_urgent(
    triage: TriageRules, text: str, category: str
) -> None:
    result = triage.assess(text)
    assert (result.level, result.category) == ("urgent", category)


@pytest.mark.parametrize(
    "text",
    [
        "cuoi chet mat",
        "mệt chết đi được",
        "đói muốn chết",
        "phim hom qua co canh tu tu",
        "nam ngoai toi bi chong danh, gio da ly hon va on roi",
        "tro cap cho nan nhan bao luc gia dinh la bao nhieu",
        "luật phòng chống bạo lực gia đình quy định gì",
        "nạn nhân bạo lực gia đình được hỗ trợ gì",
        "đánh giá dịch vụ của trung tâm ở đâu",
        "chồng em tắt máy không nghe điện thoại cả ngày",
        "con mèo nhà em mất tích 2 hôm rồi",
        "xin chào",
    ],
)
def test_idioms_past_events_and_policy_questions_are_not_emergencies(
    triage: TriageRules, text: str
) -> None:
    assert triage.assess(text) == Assessment("none", None, ())


def test_negation_cancels_the_signal(triage: TriageRules) -> None:
    assert triage.assess("tôi không bị đánh").level == "none"
    assert triage.assess("tôi bị đánh").level == "urgent"


def test_a_past_event_is_at_most_urgent_unless_it_is_happening_again(
    triage: TriageRules,
) -> None:
    assert triage.assess("hồi nhỏ em bị bố dượng xâm hại").level == "urgent"
    assert triage.assess("năm ngoái chồng đánh em, giờ anh ta lại đang đánh em").level == (
        "critical"
    )


def test_a_policy_question_from_a_victim_stays_an_emergency(triage: TriageRules) -> None:
    result = triage.assess("chồng em đánh em thì có bị xử phạt không")
    assert (result.level, result.category) == ("urgent", "domestic_violence")


def test_third_party_report_of_violence_now_is_critical(triage: TriageRules) -> None:
    result = triage.assess("hang xom dang danh vo, toi phai lam sao")
    assert (result.level, result.category) == ("critical", "domestic_violence")


def test_accented_unaccented_and_teencode_forms_reach_the_same_verdict(
    triage: TriageRules,
) -> None:
    forms = ["chồng em đang đánh em", "chong em dang danh em", "ck e đag đánh e"]
    assert {(r.level, r.category) for r in map(triage.assess, forms)} == {
        ("critical", "domestic_violence")
    }


def test_signals_are_shown_to_counsellors_with_diacritics(triage: TriageRules) -> None:
    # The person's own words around the signals, as one whole phrase, with the diacritics the
    # patterns know ("vi" stays as typed: no pattern says which "vỉ/vì" it is).
    result = triage.assess("toi uong het vi thuoc ngu roi")
    assert result.signals == ("uống hết vi thuốc ngủ",)


def test_a_context_word_is_shown_inside_its_phrase_never_alone(triage: TriageRules) -> None:
    result = triage.assess("chong em dang danh em")
    assert result.signals == ("chồng em đang đánh em",)
    assert "đang" not in result.signals


def test_a_bare_cry_for_help_is_critical_without_a_category(triage: TriageRules) -> None:
    result = triage.assess("cứu em với")
    assert (result.level, result.category) == ("critical", None)
    assert result.signals == ("cứu em",)


def test_diacritics_typed_by_the_person_are_respected(triage: TriageRules) -> None:
    # "tát" (slap) and "tắt" (switch off) fold to the same letters.
    assert triage.assess("chồng em tắt máy").level == "none"
    assert triage.assess("chồng em tát em").level == "urgent"


def test_every_category_has_a_vietnamese_label(triage: TriageRules) -> None:
    assert triage.category_label("domestic_violence") == "Bạo lực gia đình"
    assert triage.category_label(None) == "Chưa rõ loại"
    assert all(triage.category_label(c) for c in triage.categories)
    assert triage.category_label("retired_category") == "retired_category"


def test_assessment_is_immutable(triage: TriageRules) -> None:
    result = triage.assess("cuu voi")
    with pytest.raises(FrozenInstanceError):
        result.level = "none"  # type: ignore[misc]


def test_assess_is_well_under_a_millisecond(triage: TriageRules) -> None:
    text = "chồng em say rượu về đang đập phá đồ đạc, em và con trốn trong nhà vệ sinh"
    triage.assess(text)
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        triage.assess(text)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "triage.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
categories: [{id: suicide, label: Tự tử}]
compounds: [trẻ em]
signals:
  - {group: g, kind: intent, category: suicide, level: urgent, phrases: [muốn chết]}
rules: [{name: r, all: [intent], level: urgent}]
suppressors:
  negation: {phrases: [không]}
"""


def test_a_minimal_lexicon_loads_and_works(tmp_path: Path, abbreviations: Abbreviations) -> None:
    rules = TriageRules.load(_write(tmp_path, MINIMAL), abbreviations)
    assert rules.assess("muon chet").level == "urgent"
    assert rules.assess("không muốn chết").level == "none"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("level: urgent, phrases", "level: hight, phrases"), "signals[0].level"),
        (("category: suicide, level", "category: nope, level"), "signals[0].category"),
        (("all: [intent]", "all: [nothing]"), "rules[0].all"),
        (("phrases: [muốn chết]", "phrases: ['muốn (chết']"), "signals[0].phrases[0]"),
        (("phrases: [muốn chết]", "phrases: ['{NOPE} chết']"), "signals[0].phrases[0]"),
    ],
)
def test_bad_data_is_refused_with_the_key_named(
    tmp_path: Path, abbreviations: Abbreviations, change: tuple[str, str], key: str
) -> None:
    path = _write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(TriageDataError, match=key.replace("[", r"\[").replace("]", r"\]")):
        TriageRules.load(path, abbreviations)


def test_invalid_yaml_is_refused_with_the_file_named(
    tmp_path: Path, abbreviations: Abbreviations
) -> None:
    path = _write(tmp_path, "categories: [")
    with pytest.raises(TriageDataError, match="triage.yaml"):
        TriageRules.load(path, abbreviations)


def test_triage_modules_import_nothing_from_bot_or_flows() -> None:
    for name in ("triage.py", "triage_load.py", "triage_rules.py", "directory.py"):
        tree = ast.parse((KNOWLEDGE / name).read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] in ("bot", "flows")}, name

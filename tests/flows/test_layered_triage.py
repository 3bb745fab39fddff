"""How the two triage layers combine: the model may raise; a rule cue for an idiom, the past,
a film or a policy question vetoes a model-only raise; a model "urgent" becomes critical
beside an immediacy cue; nothing is ever lowered; the emergency reply never waits for the
model. The model here is a real ``TriageModel`` with a tiny, hand-set vocabulary, so each
case is decided by known weights."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from flows.triage import LayeredTriage, Thresholds
from knowledge.text import Abbreviations
from knowledge.triage import TriageRules
from knowledge.triage_model import TriageModel, features

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def tiny_model(words: dict[str, float], *, critical: bool = False) -> TriageModel:
    """A model whose emergency evidence is the given words (weight per word), nothing else;
    the evidence points to "urgent", or to "critical" when asked."""
    weight = {features(w)[0]: v for w, v in words.items()}  # the folded word feature
    vocabulary = sorted(weight)
    coef = {str(j): ([-weight[f], 0.0, weight[f]] if critical else [-weight[f], weight[f], 0.0])
            for j, f in enumerate(vocabulary) if f in weight}
    return TriageModel({
        "vocabulary": vocabulary,
        "idf": [1.0] * len(vocabulary),
        "level": {"classes": ["none", "urgent", "critical"], "intercept": [2.0, 0.0, -6.0],
                  "coef": coef},
        "category": {"classes": ["suicide", "child_abuse"], "intercept": [0.0, 0.0],
                     "vocabulary": vocabulary, "idf": [1.0] * len(vocabulary),
                     "coef": {str(j): [1.0, 0.0] for j in range(len(vocabulary))}},
    })


@pytest.fixture(scope="module")
def rules() -> TriageRules:
    return TriageRules.load(KNOWLEDGE / "triage.yaml",
                            Abbreviations.load(KNOWLEDGE / "teencode.yaml"))


@pytest.fixture(scope="module")
def layered(rules: TriageRules) -> LayeredTriage:
    model = tiny_model({"mây": 12.0, "gió": 12.0})  # words the rules know nothing of
    return LayeredTriage(rules, model, Thresholds(raise_at=0.5, critical_at=0.5,
                                                  review_at=0.25))


def test_the_model_raises_what_the_rules_missed_and_says_so(layered: LayeredTriage) -> None:
    verdict = layered.verdict("em thấy mình như đám mây trôi")
    assert (verdict.level, verdict.layer, verdict.needs_check) == ("urgent", "model", True)
    assert verdict.category == "suicide"
    assert "«mây»" in verdict.reasons[0] and "%" in verdict.reasons[0]


def test_a_film_idiom_or_the_past_vetoes_a_model_only_raise(layered: LayeredTriage) -> None:
    for text in ("xem phim về đám mây trôi hay ghê", "năm ngoái em như đám mây, giờ đã ổn rồi",
                 "thủ tục hỗ trợ cho người như đám mây là gì"):
        verdict = layered.verdict(text)
        assert verdict.level == "none", text
        assert verdict.vetoed, text


def test_a_model_urgent_beside_an_immediacy_cue_is_critical(layered: LayeredTriage) -> None:
    assert layered.verdict("đám mây đang ở trên sân thượng").level == "critical"


def test_the_model_lifts_a_rules_urgent_to_critical_and_says_so(rules: TriageRules) -> None:
    triage = LayeredTriage(rules, tiny_model({"gió": 14.0}, critical=True),
                           Thresholds(promote_at=0.5))
    verdict = triage.verdict("em không muốn sống nữa, ngoài kia gió lắm")
    assert (verdict.level, verdict.layer, verdict.needs_check) == ("critical", "rules+model", True)
    assert "không muốn sống" in verdict.signals[0]  # the rules' reason stays first
    calm = LayeredTriage(rules, tiny_model({"gió": 14.0}, critical=True), Thresholds())
    assert calm.verdict("em không muốn sống nữa, ngoài kia gió lắm").level == "urgent"


def test_the_rules_verdict_stands_and_the_model_never_lowers_it(rules: TriageRules) -> None:
    # A model that sees nothing at all: the rules' critical stays critical.
    silent = LayeredTriage(rules, tiny_model({"xyz": 0.0}))
    verdict = silent.verdict("chồng em đang cầm dao đòi giết em")
    assert (verdict.level, verdict.layer) == ("critical", "rules")


def test_when_the_rules_raise_the_model_is_not_consulted(rules: TriageRules) -> None:
    class Unreachable:
        def score(self, text: str) -> object:
            raise AssertionError("the first emergency reply must not wait for the model")

    triage = LayeredTriage(rules, Unreachable())  # type: ignore[arg-type]
    assert triage.verdict("tôi uống hết vỉ thuốc ngủ rồi").level == "critical"


def test_a_situation_nobody_raised_is_marked_for_review(layered: LayeredTriage) -> None:
    verdict = layered.verdict("dạo này em thấy tủi thân lắm, chẳng ai hiểu em")
    assert (verdict.level, verdict.review) == ("none", True)
    assert not layered.verdict("trợ cấp người cao tuổi là bao nhiêu").review
    assert not layered.verdict("cười chết mất").review


def test_the_shipped_model_scores_like_scikit_learn_would(rules: TriageRules) -> None:
    model = TriageModel.load(KNOWLEDGE / "triage_model.json.gz")
    score = model.score("dạo này tôi chẳng thiết gì nữa, chắc mình biến đi cho xong")
    assert 0.0 <= score.p_critical <= score.p_emergency <= 1.0 + 1e-9
    assert not math.isnan(score.p_emergency)
    assert model.trained_on >= 3000


@pytest.mark.parametrize("text", [
    "a" * 100_000,
    "😭" * 5000,
    "\u200b\u202e\u0000" * 3000 + "chồng đang đánh em",
    "مرحبا Привет 你好 chồng em đang đánh em",
    ("tôi đi chợ " * 20_000) + "tôi vừa uống hết vỉ thuốc ngủ rồi",
])
def test_bad_input_is_triaged_whole_without_a_crash(layered: LayeredTriage, text: str) -> None:
    verdict = layered.verdict(text)
    if "đánh em" in text or "thuốc ngủ" in text:
        # The danger at the very end of a huge message is still seen: cues scan it all.
        assert verdict.level == "critical"
    else:
        assert verdict.level == "none"


@pytest.mark.parametrize("text", [
    "chồng em đang đánh em, cứu với!!",
    "a b c d e f g h",  # one-letter words: grams that cross several spaces
    "tôi   mún\tchết\n\nthật sự 😭 a",
    "x",
    "",
])
def test_the_fast_counting_finds_exactly_the_training_features(text: str) -> None:
    model = TriageModel.load(KNOWLEDGE / "triage_model.json.gz")
    known = {name: n for n, name in enumerate(model._names)}
    expected: dict[int, int] = {}
    for f in features(text):
        if f in known:
            expected[known[f]] = expected.get(known[f], 0) + 1
    assert dict(model._counts(text)) == expected
    assert dict(model._counts(text)) == expected  # and again, from the remembered grams


@pytest.fixture(scope="module")
def shipped() -> LayeredTriage:
    from bot.app import load_triage

    return load_triage(KNOWLEDGE, Abbreviations.load(KNOWLEDGE / "teencode.yaml"))


@pytest.mark.parametrize("text", [
    # A policy question told as a story: illness, disability, an accident that is over.
    "Chào ban biên tập, cách đây 4 năm tôi bị tai nạn giao thông, gãy cột sống, giờ liệt hai "
    "chân phải ngồi xe lăn, mọi sinh hoạt nhờ vợ. Tôi 41 tuổi, không có lương hưu. Xin hỏi tôi "
    "có được hưởng trợ cấp người khuyết tật hằng tháng không và làm hồ sơ ở đâu?",
    "Em có đứa con trai 7 tuổi bị bại não từ nhỏ, nằm một chỗ, không tự ăn uống được. Gia đình "
    "em rất buồn và lo lắng, chồng em đi làm thuê xa. Cho em hỏi cháu có được nhận tiền hỗ trợ "
    "hằng tháng không ạ, được bao nhiêu?",
    "còn nếu bố tôi mới 72 tuổi thì sao ạ?",
])
def test_a_policy_story_about_illness_or_the_past_is_not_an_emergency(
    shipped: LayeredTriage, text: str,
) -> None:
    assert shipped.verdict(text).level == "none"


def test_a_policy_story_with_a_danger_in_it_is_still_raised(shipped: LayeredTriage) -> None:
    verdict = shipped.verdict(
        "Bà nội em 85 tuổi, đang hưởng trợ cấp người cao tuổi. Tối nay chú em say rượu nhốt bà "
        "trong kho, không cho ăn từ hôm qua, bà kêu cứu mà không ai dám vào. Em phải làm gì?")
    assert verdict.level == "critical"

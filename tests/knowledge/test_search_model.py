"""The article model of policy search: the shipped weights, the file format, and how its reading
joins the ranking's (knowledge/search_model.py, knowledge.search.with_model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.search import Choice, PolicySearch, with_model
from knowledge.search_model import NONE, Prediction, SearchModel

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"

NIGHT = "Tổng đài bảo vệ trẻ em có làm việc ban đêm không?"
BURIAL = ("Bà nội tôi 86 tuổi, đang hưởng trợ cấp xã hội hằng tháng ở xã thì tuần trước bà qua "
          "đời. Gia đình lo hậu sự xong rồi. Xin hỏi nhà tôi có được nhận tiền hỗ trợ mai táng "
          "không, được bao nhiêu?")


def ranking_alone(search: PolicySearch) -> PolicySearch:
    built = search._built  # noqa: SLF001
    return PolicySearch(search.articles, built.abbreviations, built.synonyms,
                        encoder=search._encoder,  # noqa: SLF001
                        vector_dirs=[KNOWLEDGE / "vectors"], cues=built.cues,
                        calibration=built.calibration)


def test_the_shipped_model_knows_every_shipped_article(shipped_dense: PolicySearch) -> None:
    model = shipped_dense.model
    assert model is not None
    assert model.articles == {a.id for a in shipped_dense.articles}
    assert NONE in model.classes  # it can also say that no article answers
    assert 0 < model.reorder_at <= 1 and model.answer_short > 0 and model.answer_long > 0


def test_a_question_the_ranking_would_ask_about_is_answered_from_the_right_article(
    shipped_dense: PolicySearch,
) -> None:
    alone = ranking_alone(shipped_dense).search(NIGHT)
    assert alone.ambiguous  # without the model: "which one?" between two help lines
    result = shipped_dense.search(NIGHT)
    assert result.confident and not result.ambiguous
    assert result.hits[0].article_id == "tong-dai-111"


def test_the_model_puts_the_article_a_story_is_about_first(shipped_dense: PolicySearch) -> None:
    alone = ranking_alone(shipped_dense).search(BURIAL)
    assert alone.hits[0].article_id == "ho-tro-mai-tang-khan-cap"  # disasters' burial support
    assert shipped_dense.search(BURIAL).hits[0].article_id == "ho-tro-mai-tang"


def choice(*docs: int, confident: bool = False, ambiguous: bool = False) -> Choice:
    return Choice(list(docs), confident, ambiguous)


POSITIONS = {f"a{n}": n for n in range(10)}


def test_the_models_article_goes_first_only_from_the_ranking_candidates() -> None:
    ranked = choice(0, 1, 2, 3, 4, 5, 6)
    moved = with_model(ranked, Prediction("a3", 0.5), POSITIONS, reorder_at=0.4, answer_at=0.9)
    assert moved.order[:2] == [3, 0] and not moved.confident
    outside = with_model(ranked, Prediction("a6", 0.99), POSITIONS, reorder_at=0.4,
                         answer_at=0.9)
    assert outside == ranked  # sixth by ranking: the two readings do not agree
    unsure = with_model(ranked, Prediction("a3", 0.3), POSITIONS, reorder_at=0.4,
                        answer_at=0.9)
    assert unsure == ranked


def test_the_model_answers_only_when_sure_and_never_for_no_article() -> None:
    ranked = choice(0, 1, 2, ambiguous=True)
    sure = with_model(ranked, Prediction("a1", 0.95), POSITIONS, reorder_at=0.4, answer_at=0.9)
    assert sure.order[0] == 1 and sure.confident and not sure.ambiguous
    none = with_model(ranked, Prediction(NONE, 0.99), POSITIONS, reorder_at=0.4, answer_at=0.9)
    assert none == ranked
    unknown = with_model(ranked, Prediction("new-article", 0.99), POSITIONS, reorder_at=0.4,
                         answer_at=0.9)
    assert unknown == ranked  # an article added after training is not the model's to pick
    first_unknown = with_model(choice(7, 1, 2), Prediction("a1", 0.99), POSITIONS,
                               reorder_at=0.4, answer_at=0.9, known=frozenset({1, 2}))
    assert first_unknown.order[0] == 7  # nor is it pushed down by one the model knows


def test_the_model_answers_lower_when_the_ranking_had_its_article_first() -> None:
    unsure = choice(1, 0, 2)
    agreeing = with_model(unsure, Prediction("a1", 0.6), POSITIONS, reorder_at=0.4,
                          answer_at=0.9, agree_at=0.5)
    assert agreeing.order[0] == 1 and agreeing.confident and not agreeing.ambiguous
    # Moved first by the model alone, the same probability is not enough to answer.
    moved = with_model(choice(0, 1, 2), Prediction("a1", 0.6), POSITIONS, reorder_at=0.4,
                       answer_at=0.9, agree_at=0.5)
    assert moved.order[0] == 1 and not moved.confident
    below = with_model(unsure, Prediction("a1", 0.45), POSITIONS, reorder_at=0.4,
                       answer_at=0.9, agree_at=0.5)
    assert not below.confident


def test_a_model_file_round_trips_and_a_broken_one_is_named(tmp_path: Path) -> None:
    model = SearchModel(["", "a0"], np.ones((2, 3)), np.zeros(2), 0.4, 0.8, 0.9, "enc",
                        {"C": 10}, agree_short=0.5, agree_long=0.7)
    path = tmp_path / "search_model.npz"
    model.save(path)
    loaded = SearchModel.load(path)
    assert loaded.classes == ("", "a0") and loaded.threshold(long=True) == pytest.approx(0.9)
    assert loaded.agreement(long=False) == pytest.approx(0.5)
    assert loaded.agreement(long=True) == pytest.approx(0.7)
    assert loaded.reorder_at == pytest.approx(0.4) and loaded.meta == {"C": 10}
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="broken.npz"):
        SearchModel.load(broken)


def test_a_vector_of_another_size_gets_no_opinion() -> None:
    model = SearchModel(["", "a0"], np.ones((2, 3)), np.zeros(2), 0.4, 0.8, 0.9, "enc")
    assert model.predict_features(np.ones(5, dtype=np.float32)).article_id == NONE

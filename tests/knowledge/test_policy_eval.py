"""Accuracy floors on the labelled question set (`policy_eval.yaml`).

The floors sit a little below what the search reaches today (see the benchmark) and at or
above the figures the issue asks for, so a change that makes answers worse fails here.
"""

from collections import Counter
from pathlib import Path

import pytest

from knowledge.evaluation import Ranked, Report, evaluate, load_cases
from knowledge.search import PolicySearch

EVAL = Path(__file__).with_name("policy_eval.yaml")
TOP1_FLOOR = {"accented": 0.90, "unaccented": 0.90, "teencode": 0.90}
OVERALL_TOP1_FLOOR = 0.91
TOP3_FLOOR = 0.97
UNANSWERABLE_CONFIDENT_CEILING = 0.05
ANSWERABLE_CONFIDENT_WRONG_CEILING = 0.04


@pytest.fixture(scope="module")
def report(shipped_search: PolicySearch) -> Report:
    def run(question: str) -> Ranked:
        result = shipped_search.search(question, limit=5)
        return Ranked([hit.article_id for hit in result.hits], result.confident)

    return evaluate(load_cases(EVAL), run)


def test_the_set_is_big_and_mixed_enough() -> None:
    cases = load_cases(EVAL)
    styles = Counter(case.style for case in cases)
    assert len(cases) - styles["unanswerable"] >= 200
    assert styles["unaccented"] * 3 >= len(cases)
    assert styles["teencode"] * 6 >= len(cases)
    assert styles["unanswerable"] >= 30


def test_every_label_names_a_shipped_article(shipped_search: PolicySearch) -> None:
    ids = {article.id for article in shipped_search.articles}
    unknown = {i for case in load_cases(EVAL) for i in case.expect} - ids
    assert unknown == set()


def test_eval_questions_are_not_copies_of_sample_questions(shipped_search: PolicySearch) -> None:
    samples = {q.lower().strip(" ?") for a in shipped_search.articles for q in a.questions}
    copies = [c.question for c in load_cases(EVAL) if c.question.lower().strip(" ?") in samples]
    assert copies == []


@pytest.mark.parametrize("style", sorted(TOP1_FLOOR))
def test_top1_accuracy_per_style(report: Report, style: str) -> None:
    score = report.scores[style]
    assert score.top1_rate >= TOP1_FLOOR[style], _misses(report, style)


def test_top1_and_top3_accuracy_overall(report: Report) -> None:
    assert report.answerable.top1_rate >= OVERALL_TOP1_FLOOR
    assert report.answerable.top3_rate >= TOP3_FLOOR


def test_unanswerable_questions_are_not_answered_confidently(report: Report) -> None:
    score = report.scores["unanswerable"]
    assert score.confident_wrong_rate <= UNANSWERABLE_CONFIDENT_CEILING, _misses(
        report, "unanswerable"
    )


def test_confident_answers_are_rarely_wrong(report: Report) -> None:
    assert report.answerable.confident_wrong_rate <= ANSWERABLE_CONFIDENT_WRONG_CEILING


def _misses(report: Report, style: str) -> str:
    return "\n".join(
        f"{case.question} -> {list(ranked.ids[:3])} (want {sorted(case.expect)})"
        for case, ranked in report.misses
        if case.style == style
    )

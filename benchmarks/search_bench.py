"""Policy search benchmark: accuracy per question style and latency, against a plain baseline.

Run: .venv/bin/python benchmarks/search_bench.py

Prints top-1 / top-3 accuracy per style on tests/knowledge/policy_eval.yaml, the share of
unanswerable questions answered confidently, search latency (p50/p99) with the shipped
articles and with 5,000 synthetic ones, and the same accuracy for a plain BM25 baseline
(rank_bm25 over whitespace tokens, no normalisation).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rank_bm25 import BM25Okapi  # type: ignore[import-untyped]  # noqa: E402

from knowledge.articles import Article, load_articles  # noqa: E402
from knowledge.evaluation import STYLES, Case, Ranked, Report, evaluate, load_cases  # noqa: E402
from knowledge.query import Synonyms  # noqa: E402
from knowledge.search import PolicySearch  # noqa: E402
from knowledge.text import Abbreviations  # noqa: E402

KNOWLEDGE = ROOT / "knowledge"
EVAL = ROOT / "tests" / "knowledge" / "policy_eval.yaml"
SYNTHETIC = 5_000


def print_report(name: str, report: Report, has_confidence: bool = True) -> None:
    print(f"\n{name}")
    print(f"  {'style':<13}{'n':>5}{'top-1':>9}{'top-3':>9}{'confident':>11}{'conf-wrong':>12}")
    for style in STYLES:
        s = report.scores.get(style)
        if s is None:
            continue
        conf = f"{s.rate(s.confident):.1%}" if has_confidence else "n/a"
        wrong = f"{s.confident_wrong_rate:.1%}" if has_confidence else "n/a"
        top1 = "-" if style == "unanswerable" else f"{s.top1_rate:.1%}"
        top3 = "-" if style == "unanswerable" else f"{s.top3_rate:.1%}"
        print(f"  {style:<13}{s.total:>5}{top1:>9}{top3:>9}{conf:>11}{wrong:>12}")
    a = report.answerable
    conf = f"{a.rate(a.confident):.1%}" if has_confidence else "n/a"
    wrong = f"{a.confident_wrong_rate:.1%}" if has_confidence else "n/a"
    print(
        f"  {'all answerable':<13}{a.total:>5}{a.top1_rate:>9.1%}{a.top3_rate:>9.1%}"
        f"{conf:>11}{wrong:>12}"
    )


def latency(search: Callable[[str], object], questions: Sequence[str], rounds: int) -> str:
    for q in questions[:20]:  # warm caches
        search(q)
    samples = []
    for _ in range(rounds):
        for q in questions:
            start = time.perf_counter()
            search(q)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return f"p50 {statistics.median(samples):.2f} ms, p99 {p99:.2f} ms ({len(samples)} searches)"


def synthetic_articles(real: Sequence[Article], count: int, seed: int = 7) -> list[Article]:
    """Plausible filler: sentences and questions reshuffled from the real articles."""
    rng = random.Random(seed)
    sentences = [s.strip() for a in real for s in a.body.replace("\n", " ").split(". ") if s]
    questions = [q for a in real for q in a.questions]
    titles = [a.title for a in real]
    out = []
    for i in range(count):
        base = rng.choice(real)
        body = ". ".join(rng.sample(sentences, 4)) + ".\n\n" + ". ".join(rng.sample(sentences, 4))
        out.append(
            replace(
                base,
                id=f"synthetic-{i}",
                title=f"{rng.choice(titles)} ({i})",
                questions=tuple(rng.sample(questions, 4)),
                body=body,
            )
        )
    return out


def baseline(articles: Sequence[Article]) -> Callable[[str], Ranked]:
    docs = [f"{a.title} {' '.join(a.questions)} {a.body}".split() for a in articles]
    bm25 = BM25Okapi(docs)
    ids = [a.id for a in articles]

    def run(question: str) -> Ranked:
        scores = bm25.get_scores(question.split())
        order = sorted(range(len(ids)), key=lambda i: -scores[i])[:5]
        # Plain BM25 has no notion of "I don't know": it always answers its top hit.
        return Ranked([ids[i] for i in order], confident=True)

    return run


def main() -> None:
    cases: list[Case] = load_cases(EVAL)
    questions = [c.question for c in cases]
    started = time.perf_counter()
    search = PolicySearch.from_directory(KNOWLEDGE)
    built = (time.perf_counter() - started) * 1000
    articles = list(search.articles)
    print(f"{len(articles)} articles, {len(cases)} questions; index built in {built:.0f} ms")

    def ours(question: str) -> Ranked:
        result = search.search(question, limit=5)
        return Ranked([h.article_id for h in result.hits], result.confident)

    print_report("hotline search (FTS5 + normalisation)", evaluate(cases, ours))
    plain = baseline(articles)
    print_report("baseline (rank_bm25, whitespace tokens)", evaluate(cases, plain), False)
    print("  (the baseline has no confidence signal: it answers every unanswerable question,")
    print("   so its confident-wrong rate on them is 100%)")

    print("\nlatency")
    print(f"  hotline, shipped articles:   {latency(search.search, questions, 10)}")
    print(f"  baseline, shipped articles:  {latency(plain, questions, 3)}")

    abbreviations = Abbreviations.load(KNOWLEDGE / "teencode.yaml")
    synonyms = Synonyms.load(KNOWLEDGE / "synonyms.yaml")
    big = [*load_articles(KNOWLEDGE / "articles"), *synthetic_articles(articles, SYNTHETIC)]
    started = time.perf_counter()
    large = PolicySearch.build(big, abbreviations, synonyms)
    built = (time.perf_counter() - started) * 1000
    print(
        f"  hotline, {len(big)} articles: {latency(large.search, questions, 3)}"
        f" (index built in {built:.0f} ms)"
    )
    print(f"  baseline, {len(big)} articles: {latency(baseline(big), questions[:60], 1)}")


if __name__ == "__main__":
    main()

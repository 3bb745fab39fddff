"""Layer 2 of triage: a linear model over the folded text, scored in pure Python.

The model is trained at development time with scikit-learn (``benchmarks/train_triage.py``:
TF-IDF of character 2–5-grams and word 1–2-grams, logistic regression) and
shipped as ``knowledge/triage_model.json.gz``: the vocabulary, the idf weights and the
coefficients. Scoring here repeats exactly what scikit-learn computes (sublinear tf, idf, l2
norm, a dot product, softmax), so the bot needs no numpy or scipy at run time.

``features`` is the one analyser: training passes it to ``TfidfVectorizer(analyzer=...)``, so
the training and the running code cannot drift apart.

Cost is bounded: a long message is scored in at most ``MAX_WINDOWS`` windows of
``WINDOW_CHARS`` characters spread over the whole text, and the highest risk wins.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeGuard

from knowledge.text import clean, fold

WINDOW_CHARS = 700
MAX_WINDOWS = 12
MAX_WORD = 40  # longer "words" (pasted links, keyboard mashing) add nothing but cost
TOP_FEATURES = 5
# Character gram sizes. 3–5 read the dev split as well as 2–5 (false alarms at 95% recall
# 3.6% against 4.4%) with a sixth fewer features per message to score.
CHAR_GRAMS = (3, 4, 5)
GRAM_CACHE = 200_000  # (word, next characters) pairs remembered with their known grams

_WORD = re.compile(r"\w+", re.UNICODE)


def folded_words(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in _WORD.findall(fold(clean(text)))]


def word_features(text: str) -> list[str]:
    """Word 1–2-grams of the folded text: what the category model reads."""
    tokens = folded_words(text)
    out = ["w:" + t for t in tokens]
    out.extend(f"w:{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    return out


def features(text: str) -> list[str]:
    """Word 1–2-grams, and character 3–5-grams over the folded words joined by spaces: what
    the level model reads.

    The character grams cross word boundaries ("n ch" of "muon chet"): on the dev split that
    halved the false alarms at 95% recall against grams kept inside words."""
    out = word_features(text)
    joined = " ".join(folded_words(text))
    for n in CHAR_GRAMS:
        out.extend("c:" + joined[i : i + n] for i in range(len(joined) - n + 1))
    return out


def windows(text: str) -> list[str]:
    """The whole text when short; otherwise evenly spread, overlapping windows."""
    if len(text) <= WINDOW_CHARS:
        return [text]
    step = WINDOW_CHARS // 2
    starts = list(range(0, len(text) - WINDOW_CHARS + step, step))
    if len(starts) > MAX_WINDOWS:
        last = len(text) - WINDOW_CHARS
        starts = [round(i * last / (MAX_WINDOWS - 1)) for i in range(MAX_WINDOWS)]
    return [text[s : s + WINDOW_CHARS] for s in starts]


def _known(index: int | None) -> TypeGuard[int]:
    return index is not None


class ModelScore:
    """What the model thinks of one message. The category and the words behind the score
    are worked out only when asked for: most messages are not raised and need neither."""

    def __init__(self, model: TriageModel, p_emergency: float, p_critical: float,
                 counts: Mapping[int, int], text: str) -> None:
        self.p_emergency = p_emergency  # urgent or critical
        self.p_critical = p_critical
        self._model, self._counts, self._text = model, counts, text

    @property
    def category(self) -> str | None:
        return self._category_and_p[0]

    @property
    def category_p(self) -> float:
        return self._category_and_p[1]

    @cached_property
    def top(self) -> tuple[str, ...]:
        """The person's words that pushed hardest towards an emergency."""
        return self._model.top_words(self._counts, self._text)

    @property
    def reason(self) -> str:
        return f"mô hình {self.p_emergency:.0%}: " + ", ".join(self.top)

    @cached_property
    def _category_and_p(self) -> tuple[str, float]:
        return self._model.category_of(self._text)


@dataclass(frozen=True)
class _Linear:
    classes: tuple[str, ...]
    coef: Mapping[int, Sequence[float]]  # feature index -> one weight per class
    intercept: tuple[float, ...]

    def probabilities(self, x: Mapping[int, float]) -> list[float]:
        z = list(self.intercept)
        coef = self.coef
        for j, v in x.items():
            row = coef.get(j)
            if row is not None:
                for k, w in enumerate(row):
                    z[k] += w * v
        if len(z) == 1:  # binary: scikit-learn keeps one row, for the second class
            p = 1 / (1 + math.exp(-z[0]))
            return [1 - p, p]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        s = sum(e)
        return [v / s for v in e]


class TriageModel:
    """The shipped weights. ``load`` reads them once; ``score`` is pure and bounded."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.version = str(raw.get("version", ""))
        self._names: list[str] = list(raw["vocabulary"])
        # Character grams are looked up without their "c:" prefix: no string is built per
        # gram while scoring, which is most of the work.
        self._chars = {f[2:]: n for n, f in enumerate(self._names) if f.startswith("c:")}
        self._words = {f[2:]: n for n, f in enumerate(self._names) if f.startswith("w:")}
        self._word_ids = frozenset(self._words.values())
        self._gram_cache: dict[tuple[str, str], tuple[int, ...]] = {}
        self._idf: list[float] = list(raw["idf"])
        self._level = self._linear(raw["level"])
        # The category model reads words only (a fifteenth of the features): it runs only for
        # a message the model raises, and must stay cheap there too.
        self._category = self._linear(raw["category"])
        self._category_words = {f[2:]: n for n, f in enumerate(raw["category"]["vocabulary"])}
        self._category_idf: list[float] = list(raw["category"]["idf"])
        if set(self._level.classes) != {"none", "urgent", "critical"}:
            raise ValueError("triage model: level classes must be none, urgent, critical")
        self._order = tuple(self._level.classes.index(c) for c in ("none", "urgent", "critical"))
        # Level weights times idf, in (none, urgent, critical) order: one pass over a
        # message's features then gives the three logits, before the norm is even known.
        none, urgent, critical = self._order
        self._scaled = {j: (row[none] * self._idf[j], row[urgent] * self._idf[j],
                            row[critical] * self._idf[j])
                        for j, row in self._level.coef.items()}
        self._bias = tuple(self._level.intercept[k] for k in self._order)
        zero = (0.0, 0.0, 0.0)
        self._params = [(idf * idf, *self._scaled.get(j, zero)) for j, idf in enumerate(self._idf)]
        self.trained_on = int(raw.get("trained_on", 0))

    @staticmethod
    def _linear(raw: Mapping[str, Any]) -> _Linear:
        coef: dict[int, tuple[float, ...]] = {}
        for j, row in raw["coef"].items():
            coef[int(j)] = tuple(row)
        return _Linear(tuple(raw["classes"]), coef, tuple(raw["intercept"]))

    @classmethod
    def load(cls, path: Path) -> TriageModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def _counts(self, text: str) -> dict[int, int]:
        """How often each known feature (``features``) occurs, by index."""
        tokens = folded_words(text)
        joined = " ".join(tokens)
        # The character grams that start in a word (or on the space after it) depend only on
        # the word and the few characters after it: those are looked up once and remembered,
        # as people reuse the same words. The result is exactly the grams of `features`.
        counts: Counter[int] = Counter()
        start = 0
        for word in tokens:
            end = start + len(word)
            counts.update(self._grams_at(word, joined[end : end + max(CHAR_GRAMS)]))
            start = end + 1
        pairs = [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        counts.update(filter(_known, map(self._words.get, [*tokens, *pairs])))
        return counts

    def _grams_at(self, word: str, tail: str) -> tuple[int, ...]:
        """Known character grams starting in ``word`` or on the space that follows it."""
        key = (word, tail)
        found = self._gram_cache.get(key)
        if found is None:
            text = word + tail
            last = len(word) if tail else len(word) - 1
            grams = [text[p : p + n] for n in CHAR_GRAMS for p in range(last + 1)
                     if p + n <= len(text)]
            found = tuple(filter(_known, map(self._chars.get, grams)))
            if len(self._gram_cache) >= GRAM_CACHE:
                self._gram_cache.clear()  # a crude bound: the cache refills from what is said
            self._gram_cache[key] = found
        return found

    def vector(self, text: str) -> dict[int, float]:
        """The message as scikit-learn's TfidfVectorizer sees it (``features``, sublinear tf,
        idf, l2 norm), keyed by feature index."""
        return self.weigh(self._counts(text))

    def weigh(self, counts: Mapping[int, int]) -> dict[int, float]:
        idf = self._idf
        x = {j: (1 + math.log(c)) * idf[j] for j, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in x.values())) or 1.0
        return {j: v / norm for j, v in x.items()}

    def _level_p(self, counts: Mapping[int, int]) -> tuple[float, float]:
        """p(urgent or critical) and p(critical), in one pass over the counts."""
        params, log = self._params, math.log
        z0 = z1 = z2 = squares = 0.0
        for j, c in counts.items():
            idf2, w0, w1, w2 = params[j]
            if c == 1:  # most grams occur once: no logarithm
                squares += idf2
                z0 += w0
                z1 += w1
                z2 += w2
            else:
                tf = 1.0 + log(c)
                squares += tf * tf * idf2
                z0 += tf * w0
                z1 += tf * w1
                z2 += tf * w2
        norm = math.sqrt(squares) or 1.0
        b0, b1, b2 = self._bias
        z = (b0 + z0 / norm, b1 + z1 / norm, b2 + z2 / norm)
        top = max(z)
        e0, e1, e2 = (math.exp(v - top) for v in z)
        total = e0 + e1 + e2
        return (e1 + e2) / total, e2 / total

    def score(self, text: str) -> ModelScore:
        best: tuple[float, float, dict[int, int], str] | None = None
        for part in windows(text):
            counts = self._counts(part)
            emergency, critical = self._level_p(counts)
            if best is None or emergency > best[0]:
                best = (emergency, critical, counts, part)
        assert best is not None
        emergency, critical, counts, part = best
        return ModelScore(self, emergency, critical, counts, part)

    def category_of(self, text: str) -> tuple[str, float]:
        tokens = folded_words(text)
        pairs = [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        counts = Counter(filter(_known, map(self._category_words.get, [*tokens, *pairs])))
        idf = self._category_idf
        x = {j: (1 + math.log(c)) * idf[j] for j, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in x.values())) or 1.0
        cat_p = self._category.probabilities({j: v / norm for j, v in x.items()})
        k = max(range(len(cat_p)), key=cat_p.__getitem__)
        return self._category.classes[k], cat_p[k]

    def top_words(self, counts: Mapping[int, int], text: str) -> tuple[str, ...]:
        """The person's words behind the word features that pushed hardest towards an
        emergency (the model reads folded words; counsellors read what was typed). The
        push is tf·idf times the weight margin; the message's norm is the same for all."""
        typed = {fold(w): w for w in _WORD.findall(clean(text).lower())}
        words, scaled, names = self._word_ids, self._scaled, self._names
        pushes = []
        for j, c in counts.items():
            if j not in words or (row := scaled.get(j)) is None:
                continue
            push = (1 + math.log(c)) * (max(row[1], row[2]) - row[0])
            if push > 0:
                pushes.append((push, names[j][2:]))
        pushes.sort(reverse=True)
        return tuple("«" + " ".join(typed.get(w, w) for w in name.split()) + "»"
                     for _, name in pushes[:TOP_FEATURES])

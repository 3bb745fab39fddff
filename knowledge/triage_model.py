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
from pathlib import Path
from typing import Any

from knowledge.text import clean, fold

WINDOW_CHARS = 700
MAX_WINDOWS = 12
MAX_WORD = 40  # longer "words" (pasted links, keyboard mashing) add nothing but cost
TOP_FEATURES = 5

_WORD = re.compile(r"\w+", re.UNICODE)


def folded_words(text: str) -> list[str]:
    return [w[:MAX_WORD] for w in _WORD.findall(fold(clean(text)))]


def features(text: str) -> list[str]:
    """Word 1–2-grams, and character 2–5-grams over the folded words joined by spaces.

    The character grams cross word boundaries ("n ch" of "muon chet"): on the dev split that
    halved the false alarms at 95% recall against grams kept inside words."""
    tokens = folded_words(text)
    out = ["w:" + t for t in tokens]
    out.extend(f"w:{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
    joined = " ".join(tokens)
    for n in range(2, 6):
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


@dataclass(frozen=True)
class ModelScore:
    """What the model thinks of one message."""

    p_emergency: float  # urgent or critical
    p_critical: float
    category: str | None
    category_p: float
    top: tuple[str, ...]  # the features that pushed most towards an emergency, readable

    @property
    def reason(self) -> str:
        return f"mô hình {self.p_emergency:.0%}: " + ", ".join(self.top)


@dataclass(frozen=True)
class _Linear:
    classes: tuple[str, ...]
    coef: Mapping[int, Sequence[float]]  # feature index -> one weight per class
    intercept: tuple[float, ...]

    def probabilities(self, x: Mapping[int, float]) -> list[float]:
        z = list(self.intercept)
        for j, v in x.items():
            row = self.coef.get(j)
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
        self._index: dict[str, int] = {f: n for n, f in enumerate(self._names)}
        self._idf: list[float] = list(raw["idf"])
        self._level = self._linear(raw["level"])
        self._category = self._linear(raw["category"])
        if set(self._level.classes) != {"none", "urgent", "critical"}:
            raise ValueError("triage model: level classes must be none, urgent, critical")
        self.trained_on = int(raw.get("trained_on", 0))

    @staticmethod
    def _linear(raw: Mapping[str, Any]) -> _Linear:
        coef: dict[int, list[float]] = {}
        for j, row in raw["coef"].items():
            coef[int(j)] = list(row)
        return _Linear(tuple(raw["classes"]), coef, tuple(raw["intercept"]))

    @classmethod
    def load(cls, path: Path) -> TriageModel:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return cls(json.load(fh))

    def vector(self, text: str) -> dict[int, float]:
        counts = Counter(j for f in features(text) if (j := self._index.get(f)) is not None)
        x = {j: (1 + math.log(n)) * self._idf[j] for j, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in x.values())) or 1.0
        return {j: v / norm for j, v in x.items()}

    def score(self, text: str) -> ModelScore:
        best: tuple[float, float, dict[int, float], str] | None = None
        levels = self._level.classes
        for part in windows(text):
            x = self.vector(part)
            p = dict(zip(levels, self._level.probabilities(x), strict=True))
            emergency = p["urgent"] + p["critical"]
            if best is None or emergency > best[0]:
                best = (emergency, p["critical"], x, part)
        assert best is not None
        emergency, critical, x, part = best
        cat_p = self._category.probabilities(x)
        k = max(range(len(cat_p)), key=cat_p.__getitem__)
        return ModelScore(emergency, critical, self._category.classes[k], cat_p[k],
                          self._top(x, part))

    def _top(self, x: Mapping[int, float], text: str) -> tuple[str, ...]:
        """The person's words behind the word features that pushed hardest towards an
        emergency (the model reads folded words; counsellors read what was typed)."""
        typed = {fold(w): w for w in _WORD.findall(clean(text).lower())}
        levels = self._level.classes
        none, urgent, critical = (levels.index(c) for c in ("none", "urgent", "critical"))
        names = self._names
        pushes = []
        for j, v in x.items():
            row = self._level.coef.get(j)
            if row is None or not names[j].startswith("w:"):
                continue
            push = v * (max(row[urgent], row[critical]) - row[none])
            if push > 0:
                pushes.append((push, names[j][2:]))
        pushes.sort(reverse=True)
        return tuple("«" + " ".join(typed.get(w, w) for w in name.split()) + "»"
                     for _, name in pushes[:TOP_FEATURES])

"""Fitting the triage model with scikit-learn (development time only; the bot never imports
this). ``fit`` returns the raw weights that ``knowledge.triage_model.TriageModel`` scores.

Install the tools with ``.venv/bin/pip install -e ".[train]"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.labelled import Labelled, load, load_dir
from knowledge.triage_model import features, word_features

# Chosen by 5-fold cross-validation over the corpus (benchmarks/triage_bench.py --cv);
# the dev split sets the thresholds, the test split is never consulted.
C_LEVEL = 6.0
C_CATEGORY = 8.0
MAX_FEATURES = 60_000
MIN_DF = 2


def fit(messages: Sequence[Labelled], *, c_level: float = C_LEVEL,
        c_category: float = C_CATEGORY, max_features: int = MAX_FEATURES) -> dict[str, Any]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [m.text for m in messages]
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DF,
                                 max_features=max_features, norm="l2", smooth_idf=True,
                                 dtype=np.float64)
    x = vectorizer.fit_transform(texts)
    level = LogisticRegression(C=c_level, max_iter=3000, class_weight="balanced")
    level.fit(x, [m.level for m in messages])
    positives = [m for m in messages if m.category]
    words = TfidfVectorizer(analyzer=word_features, sublinear_tf=True, min_df=MIN_DF,
                            norm="l2", smooth_idf=True, dtype=np.float64)
    category = LogisticRegression(C=c_category, max_iter=3000, class_weight="balanced")
    category.fit(words.fit_transform([m.text for m in positives]),
                 [m.category for m in positives])
    vocabulary = _vocabulary(vectorizer)
    return {
        "version": "1",
        "trained_on": len(messages),
        "vocabulary": vocabulary,
        "idf": [round(float(v), 5) for v in vectorizer.idf_],
        "level": _export(level),
        "category": _export(category) | {
            "vocabulary": _vocabulary(words), "idf": [round(float(v), 5) for v in words.idf_],
        },
    }


def _vocabulary(vectorizer: Any) -> list[str]:
    out = [""] * len(vectorizer.vocabulary_)
    for name, j in vectorizer.vocabulary_.items():
        out[j] = name
    return out


def _export(model: Any) -> dict[str, Any]:
    coef = model.coef_
    rows: dict[str, list[float]] = {}
    for j in range(coef.shape[1]):
        column = [round(float(w), 4) for w in coef[:, j]]
        if any(abs(w) >= 1e-4 for w in column):
            rows[str(j)] = column
    return {
        "classes": [str(c) for c in model.classes_],
        "intercept": [round(float(b), 5) for b in model.intercept_],
        "coef": rows,
    }


def training_messages(root: Path) -> list[Labelled]:
    """The corpus and the rules' regression set: what the model may learn from."""
    corpus = load_dir(root / "knowledge/triage_corpus")
    regression = load(root / "tests/knowledge/triage_eval.yaml")
    seen: set[str] = set()
    out = []
    for m in [*corpus, *regression]:
        if m.text not in seen:
            seen.add(m.text)
            out.append(m)
    return out

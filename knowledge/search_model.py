"""Which article a question is about, learned: a linear model over the encoder's vector of the
question and what the question says of the person and of what is wanted.

Nearest passages alone cannot tell a story's subject: "Bà tôi hơn 80 tuổi, đang nhận trợ cấp…
bà mất tháng trước… có được tiền mai táng không?" is as close to the elderly allowance as to
burial support (similarities 0.90 and 0.89). A model fitted on many questions per article
learns which directions of the vector name a subject and which are a story's noise.

Trained at development time by `benchmarks/train_search.py` with scikit-learn (multinomial
logistic regression) on the articles' own sample questions and the written stories of
`knowledge/search_training/`: never on the real questions, nor on the project's own set, which
stays a check. Probabilities are chosen on the dev split of real questions: from which the
model's article goes first among the ranking's candidates (`reorder_at`); from which it is
answered although the ranking was unsure (`answer_short`, `answer_long` for stories); and,
lower, from which it is answered when the ranking's own first is the same article
(`agree_short`, `agree_long`): two readings that agree are wrong less often than either.
Shipped as `knowledge/search_model.npz`; scored here with numpy only.

An article added after training is not in the model: search treats it as before (ranking and
calibration), and `hotline kb check` names the articles the model does not know.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.asked import ASKS, TRAITS, Asked

NONE = ""  # the class of questions no article answers
NEVER = 2.0  # a probability threshold no prediction reaches
SIDE_WEIGHT = 0.6  # traits and the kind of answer beside the vector (fitted on the dev split)


def side_features(asked: Asked | None) -> list[float]:
    """What the question says of the person (age group, disability, household…) and of what
    is wanted (an amount, the papers…), one number each: the story's facts that the
    question sentences' vector does not carry."""
    traits = asked.person.traits if asked is not None else frozenset()
    kind = asked.asks if asked is not None else None
    return ([SIDE_WEIGHT if t in traits else 0.0 for t in TRAITS]
            + [SIDE_WEIGHT if kind == k else 0.0 for k in ASKS])


def features(vector: Any, asked: Asked | None) -> Any:
    import numpy as np

    return np.concatenate([np.asarray(vector, dtype=np.float32),
                           np.asarray(side_features(asked), dtype=np.float32)])


@dataclass(frozen=True)
class Prediction:
    article_id: str  # NONE: no article answers it
    probability: float


class SearchModel:
    def __init__(self, classes: Iterable[str], coef: Any, intercept: Any, reorder_at: float,
                 answer_short: float, answer_long: float, encoder: str,
                 meta: dict[str, Any] | None = None, *, agree_short: float = NEVER,
                 agree_long: float = NEVER) -> None:
        import numpy as np

        self.classes = tuple(classes)
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.reorder_at = float(reorder_at)
        self.answer_short = float(answer_short)
        self.answer_long = float(answer_long)
        self.agree_short = float(agree_short)
        self.agree_long = float(agree_long)
        self.encoder = encoder
        self.meta = meta or {}
        if self.coef.shape != (len(self.classes), self.coef.shape[1]):
            raise ValueError("search model: coefficients do not match the classes")

    @property
    def articles(self) -> frozenset[str]:
        return frozenset(c for c in self.classes if c != NONE)

    def predict(self, vector: Any, asked: Asked | None) -> Prediction:
        return self.predict_features(features(vector, asked))

    def predict_features(self, x: Any) -> Prediction:
        import numpy as np

        if x.shape[0] != self.coef.shape[1]:
            return Prediction(NONE, 0.0)  # another encoder's vector: no opinion
        logits = self.coef @ x + self.intercept
        logits -= logits.max()
        p = np.exp(logits)
        p /= p.sum()
        best = int(p.argmax())
        return Prediction(self.classes[best], float(p[best]))

    def threshold(self, long: bool) -> float:
        return self.answer_long if long else self.answer_short

    def agreement(self, long: bool) -> float:
        return self.agree_long if long else self.agree_short

    def save(self, path: Path) -> None:
        import numpy as np

        np.savez_compressed(
            path, classes=np.array(self.classes), coef=self.coef, intercept=self.intercept,
            at=np.array([self.reorder_at, self.answer_short, self.answer_long,
                         self.agree_short, self.agree_long], dtype=np.float64),
            encoder=np.array(self.encoder),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)))

    @classmethod
    def load(cls, path: Path) -> SearchModel:
        """Raises ValueError naming the file when it is not a search model."""
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                at = [float(a) for a in data["at"]]
                agree = at[3:5] if len(at) >= 5 else [NEVER, NEVER]  # a model from before
                return cls([str(c) for c in data["classes"]], data["coef"], data["intercept"],
                           at[0], at[1], at[2], str(data["encoder"]),
                           json.loads(str(data["meta"])), agree_short=agree[0],
                           agree_long=agree[1])
        except (OSError, KeyError, ValueError, IndexError) as exc:
            raise ValueError(f"{path}: not a search model ({exc})") from exc


__all__ = ["NEVER", "NONE", "Prediction", "SearchModel", "features", "side_features"]

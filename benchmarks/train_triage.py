"""Train the triage model (layer 2) on the corpus and ship its weights.

Run from the repository root, after ``.venv/bin/pip install -e ".[train]"``:

    .venv/bin/python benchmarks/train_triage.py

Reads every ``knowledge/triage_corpus/*.yaml`` file and the rules' regression set
``tests/knowledge/triage_eval.yaml``; never the dev or the frozen test split. Writes
``knowledge/triage_model.json.gz`` and checks that the pure-Python scorer the bot runs gives
the probabilities scikit-learn gives.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from triage_training import fit, training_messages  # noqa: E402

from knowledge.triage_model import TriageModel  # noqa: E402

OUT = ROOT / "knowledge/triage_model.json.gz"


def main() -> int:
    messages = training_messages(ROOT)
    start = time.perf_counter()
    raw = fit(messages)
    print(f"trained on {len(messages)} messages in {time.perf_counter() - start:.1f} s; "
          f"{len(raw['vocabulary'])} features")
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        json.dump(raw, fh, ensure_ascii=False, separators=(",", ":"))
    model = TriageModel.load(OUT)
    worst = max(abs(model.score(m.text).p_emergency - _sklearn_p(raw, m.text))
                for m in messages[:: max(1, len(messages) // 200)])
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KiB); "
          f"largest difference from scikit-learn on a sample: {worst:.2e}")
    return 0 if worst < 1e-3 else 1


def _sklearn_p(raw: dict, text: str) -> float:
    """The same probability computed with numpy from the exported weights (a check of the
    pure-Python arithmetic, windows aside: the sample keeps to short messages)."""
    import numpy as np

    from knowledge.triage_model import features, windows

    best = 0.0
    index = {f: n for n, f in enumerate(raw["vocabulary"])}
    idf = np.array(raw["idf"])
    level = raw["level"]
    coef = np.zeros((len(level["classes"]), len(idf)))
    for j, row in level["coef"].items():
        coef[:, int(j)] = row
    for part in windows(text):
        x = np.zeros(len(idf))
        for f in features(part):
            if f in index:
                x[index[f]] += 1
        nz = x > 0
        x[nz] = (1 + np.log(x[nz])) * idf[nz]
        norm = np.linalg.norm(x) or 1.0
        z = coef @ (x / norm) + np.array(level["intercept"])
        p = np.exp(z - z.max())
        p /= p.sum()
        classes = level["classes"]
        best = max(best, float(p[classes.index("urgent")] + p[classes.index("critical")]))
    return best


if __name__ == "__main__":
    raise SystemExit(main())

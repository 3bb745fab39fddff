"""Labelled messages for triage: the corpus, the dev and test splits, counsellors' exports.

Two shapes are read: a mapping with ``source`` and ``messages`` (the format in
``knowledge/triage_corpus/DEFINITIONS.md``), and a bare list of messages (the older
``tests/knowledge/triage_eval.yaml``). JSONL (one message object per line) is read too, so
``hotline triage export`` output can be evaluated as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LEVELS = ("none", "urgent", "critical")
STYLES = frozenset({
    "accented", "unaccented", "teencode", "dialect_south", "dialect_central", "long",
    "third_party", "hesitant", "typos", "mixed",
})


class LabelledDataError(ValueError):
    """A labelled file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Labelled:
    text: str
    level: str
    category: str | None
    styles: frozenset[str]
    negative: str = ""  # for level none: policy, hyperbole, news, film, past, …
    origin: str = ""  # the file it came from

    @property
    def is_emergency(self) -> bool:
        return self.level != "none"


def load(path: Path, categories: Iterable[str] | None = None) -> list[Labelled]:
    """Every message of one file, checked. ``categories``: the ids a category must be one of."""
    known = frozenset(categories) if categories is not None else None
    text = path.read_text(encoding="utf-8")
    raw: Any
    try:
        if path.suffix == ".jsonl":
            raw = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            raw = yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as err:
        raise LabelledDataError(f"{path}: not valid {path.suffix[1:]}: {err}") from None
    items = raw.get("messages") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise LabelledDataError(f"{path}: expected a list of messages")
    out = []
    for n, item in enumerate(items):
        out.append(_message(item, f"{path.name}[{n}]", known, path.name))
    return out


def load_dir(folder: Path, categories: Iterable[str] | None = None) -> list[Labelled]:
    """Every ``*.yaml`` file in a folder, in name order."""
    out: list[Labelled] = []
    for path in sorted(folder.glob("*.yaml")):
        out.extend(load(path, categories))
    return out


def _message(item: Any, where: str, known: frozenset[str] | None, origin: str) -> Labelled:
    if not isinstance(item, dict):
        raise LabelledDataError(f"{where}: expected a mapping")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LabelledDataError(f"{where}.text: expected non-empty text")
    level = item.get("level")
    if level not in LEVELS:
        raise LabelledDataError(f"{where}.level: {level!r} is not one of {', '.join(LEVELS)}")
    category = item.get("category")
    if level == "none":
        category = None
    elif category is not None and not isinstance(category, str):
        raise LabelledDataError(f"{where}.category: expected an id")
    if category is not None and known is not None and category not in known:
        raise LabelledDataError(f"{where}.category: {category!r} is not a triage category")
    style = item.get("style") or []
    styles = frozenset([style] if isinstance(style, str) else style)
    unknown = styles - STYLES
    if unknown:
        raise LabelledDataError(f"{where}.style: unknown {', '.join(sorted(unknown))}")
    negative = item.get("negative") or ""
    return Labelled(text, level, category, styles, str(negative), origin)

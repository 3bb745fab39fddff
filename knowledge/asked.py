"""What a policy question asks and who it is about, read from how people really write.

Real questions are often a story, then the question: "Mẹ tôi năm nay 81 tuổi, bố tôi mất
lâu rồi, nhà không có lương hưu… Xin hỏi mẹ tôi có được trợ cấp gì không?". Search reads the
question sentences (the story's words about hospitals and fields only add noise), keeps what
the story says about the person (age, disability level, orphan, poor household, single
parent, living alone, no pension) to rank and to phrase the answer, and the kind of answer
wanted (an amount, eligibility, the papers, where, how long, a number).

Cue phrases live in `knowledge/asking.yaml` so editors can add how their province writes.
A cue typed with diacritics matches text typed with the same diacritics, and text typed flat
matches folded: "còn" (still) is not "con" (child) unless the person typed neither mark.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.query import tokens
from knowledge.text import Abbreviations, fold, is_folded

MAX_CHARS = 6_000  # read at most this much of a message (the end, where questions are)
MAX_FOCUS_WORDS = 80
_SENTENCE = re.compile(r"(?<=[.?!;:…])\s+|\n+")
_AGE = re.compile(r"(?<![\d.,])(\d{1,3})\s*(?:tuổi|tuoi|t)(?![\w])", re.IGNORECASE)
_UNDER = re.compile(r"(?:dưới|duoi|chưa đủ|chua du)\s*$")
_AGE_BEFORE = re.compile(r"(?:ngoài|ngoai|hơn|hon|gần|gan|trên|tren)\s+(\d{2,3})(?![\d.,])")
ASKS = ("number", "where", "how_long", "dossier", "amount", "eligibility")
TRAITS = ("disability_very_severe", "disability_severe", "disability_mild", "disabled", "poor",
          "near_poor", "orphan", "single_parent", "alone", "no_pension", "hiv", "elderly",
          "child", "funeral", "disaster", "violence")
# Traits that say who a benefit is for; an article for one group rarely answers another's.
GROUPS = frozenset({"disability_very_severe", "disability_severe", "disability_mild",
                    "disabled", "orphan", "single_parent", "hiv", "elderly", "child"})


@dataclass(frozen=True)
class _Cue:
    accented: tuple[str, ...]
    folded: tuple[str, ...]
    flat: bool  # written without diacritics: matches any spelling


def _cue(phrase: str) -> _Cue:
    toks = tuple(tokens(phrase))
    folded = tuple(fold(t) for t in toks)
    return _Cue(toks, folded, all(is_folded(t) for t in toks))


def _cues(path: Path, raw: object, field: str) -> tuple[_Cue, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str | int) for x in raw):
        raise ValueError(f"{path}: {field}: expected a list of phrases")
    return tuple(c for c in (_cue(str(x)) for x in raw) if c.folded)


@dataclass(frozen=True)
class Words:
    """A message as tokens, accented and folded, for cue matching. `flat`: the person typed
    (almost) no diacritics, so a folded match is all there is to go on; otherwise a cue must
    match as written ("Còn tôi" is not "con tôi")."""

    accented: tuple[str, ...]
    folded: tuple[str, ...]
    flat: bool

    def tail(self, start: int) -> Words:
        return Words(self.accented[start:], self.folded[start:], self.flat)

    def find(self, cue: _Cue, start: int = 0) -> int:
        """Index of the first match of `cue` at or after `start`, or -1."""
        size = len(cue.folded)
        for i in range(start, len(self.folded) - size + 1):
            if self.folded[i : i + size] != cue.folded:
                continue
            if self.flat or self.accented[i : i + size] == cue.accented:
                return i
        return -1

    def has(self, cues: Iterable[_Cue]) -> bool:
        return any(self.find(c) >= 0 for c in cues)

    def starts_with(self, cues: Iterable[_Cue]) -> bool:
        return any(self.find(c) == 0 for c in cues)

    def ends_with(self, cues: Iterable[_Cue]) -> bool:
        n = len(self.folded)
        return any(n >= len(c.folded) and self.find(c, n - len(c.folded)) >= 0 for c in cues)


@dataclass(frozen=True)
class Person:
    """Who the question is about, as far as the message says."""

    relation: str | None = None  # "mẹ", "bố", "con"…; None: the writer, or not said
    age: int | None = None
    traits: frozenset[str] = frozenset()

    @property
    def known(self) -> bool:
        return self.age is not None or bool(self.traits)


@dataclass(frozen=True)
class Asked:
    focus: str  # the question sentences, or the whole (capped) text when none stands out
    asks: str | None  # one of ASKS, or None when not said
    person: Person
    leans: bool  # reads like a follow-up: "còn … thì sao", "thế hồ sơ", "vậy nộp ở đâu"
    sentences: int  # how many sentences the message has (1 for a short question)
    own: bool = False  # the writer speaks of themself or their family ("tôi", "mẹ em")


@dataclass(frozen=True)
class Cues:
    asks: Mapping[str, tuple[_Cue, ...]]
    question_words: tuple[_Cue, ...]
    leaning_starts: tuple[_Cue, ...]
    leaning_ends: tuple[_Cue, ...]
    relations: Mapping[str, tuple[_Cue, ...]]
    self_words: tuple[_Cue, ...]
    traits: Mapping[str, tuple[_Cue, ...]]

    @classmethod
    def load(cls, path: Path) -> Cues:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping")

        def group(name: str, allowed: Sequence[str] | None) -> dict[str, tuple[_Cue, ...]]:
            section = raw.get(name)
            if not isinstance(section, dict):
                raise ValueError(f"{path}: {name}: expected a mapping of name -> phrases")
            unknown = sorted(set(map(str, section)) - set(allowed)) if allowed else []
            if unknown:
                raise ValueError(f"{path}: {name}: unknown key {unknown[0]!r}")
            return {str(k): _cues(path, v, f"{name}.{k}") for k, v in section.items()}

        asks = group("asks", ASKS)
        return cls(
            asks={k: asks[k] for k in ASKS if k in asks},
            question_words=_cues(path, raw.get("question_words"), "question_words"),
            leaning_starts=_cues(path, raw.get("leaning_starts"), "leaning_starts"),
            leaning_ends=_cues(path, raw.get("leaning_ends"), "leaning_ends"),
            relations=group("relations", None),
            self_words=_cues(path, raw.get("self_words"), "self_words"),
            traits=group("traits", TRAITS),
        )

    def ask_kind(self, words: Words) -> str | None:
        for kind, cues in self.asks.items():
            if words.has(cues):
                return kind
        return None

    def is_question(self, sentence: str, words: Words) -> bool:
        return "?" in sentence or self.ask_kind(words) is not None or words.ends_with(
            self.question_words)

    def person(self, words: Words, text: str) -> Person:
        traits = {name for name, cues in self.traits.items() if words.has(cues)}
        if traits & {"disability_very_severe", "disability_severe", "disability_mild"}:
            traits.discard("disabled")
        if "near_poor" in traits:
            traits.discard("poor")  # "cận nghèo" contains "nghèo"
        age = _age(text)
        if age is not None:
            traits.add("elderly" if age >= 60 else "child" if age < 16 else "adult")
            if age >= 16:
                traits.discard("child")
        return Person(self._relation(words), age, frozenset(traits))

    def speaks_of_self(self, words: Words) -> bool:
        """A word for the writer anywhere ("tôi", "em", "mình"), "trẻ em" and "em bé" aside."""
        for cue in self.self_words:
            start = 0
            while (i := words.find(cue, start)) >= 0:
                before = words.folded[i - 1] if i > 0 else ""
                after = words.folded[i + 1] if i + 1 < len(words.folded) else ""
                if not (cue.folded == ("em",) and (before == "tre" or after == "be")):
                    return True
                start = i + 1
        return False

    def _relation(self, words: Words) -> str | None:
        """'mẹ tôi', 'bố em', 'con mình': a relation word followed by a word for the writer."""
        best: tuple[int, str] | None = None
        for name, cues in self.relations.items():
            for cue in cues:
                start = 0
                while (i := words.find(cue, start)) >= 0:
                    after = words.tail(i + len(cue.folded))
                    if after.starts_with(self.self_words) and (best is None or i < best[0]):
                        best = (i, name)
                    start = i + 1
        return best[1] if best else None


def is_flat(typed: Sequence[str]) -> bool:
    letters = [t for t in typed if t.isalpha()]
    return sum(not is_folded(t) for t in letters) * 5 <= len(letters)


def _age(text: str) -> int | None:
    lowered = text.lower()
    for pattern in (_AGE, _AGE_BEFORE):
        for match in pattern.finditer(lowered):
            value = int(match.group(1))
            if 0 < value <= 120:
                # "trẻ dưới 16 tuổi" is a child of at most 15, not a 16-year-old adult.
                return value - 1 if _UNDER.search(lowered, 0, match.start()) else value
    return None


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def read(text: str, cues: Cues, abbreviations: Abbreviations) -> Asked:
    """The question inside a message: its question sentences, the kind of answer wanted and
    what the message says about the person concerned."""
    text = text[-MAX_CHARS:] if len(text) > MAX_CHARS else text
    parts = sentences(text) or [text]
    read_parts = []
    flat = is_flat(tokens(text))
    for part in parts:
        expanded = abbreviations.expand_words(tokens(part))
        read_parts.append((part, Words(tuple(expanded), tuple(fold(t) for t in expanded), flat)))
    whole = Words(
        tuple(t for _, w in read_parts for t in w.accented),
        tuple(t for _, w in read_parts for t in w.folded),
        flat,
    )
    questions = [(p, w) for p, w in read_parts if cues.is_question(p, w)]
    chosen = questions or read_parts
    if len(read_parts) > 1 and questions:
        # The sentence before a question often names its subject: "Bố tôi bị liệt. Vậy có
        # được trợ cấp không?"
        first = read_parts.index(questions[0])
        if first > 0 and len(questions[0][1].folded) < 8:
            chosen = [read_parts[first - 1], *questions]
    focus_words = [t for _, w in chosen for t in w.accented]
    if len(focus_words) > MAX_FOCUS_WORDS:
        focus_words = focus_words[-MAX_FOCUS_WORDS:]
    asks = None
    for _, words in questions or read_parts:
        asks = cues.ask_kind(words)
        if asks:
            break
    first_words = read_parts[0][1]
    leans = first_words.starts_with(cues.leaning_starts) or any(
        w.ends_with(cues.leaning_ends) for _, w in read_parts)
    person = cues.person(whole, text)
    return Asked(
        focus=" ".join(focus_words),
        asks=asks,
        person=person,
        leans=leans,
        sentences=len(read_parts),
        own=person.relation is not None or cues.speaks_of_self(whole),
    )

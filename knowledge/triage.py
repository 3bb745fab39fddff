"""Emergency triage of one inbound message: a level, a category and the signals that matched.

The lexicon and rules are data in ``knowledge/triage.yaml`` (loaded and checked by
``knowledge/triage_load.py``; phrase matching lives in ``knowledge/triage_rules.py``). This
module loads them once and then only scans: ``assess`` is pure and takes a fraction of a
millisecond.

How one message is read:

1. It is cut into clauses at ``. ! ? ; ,`` and line breaks. Phrases, gaps and negation stay
   inside a clause; everything else looks at the whole message.
2. Each clause is normalised, teencode is written out (the shared table, then the extra one
   in ``triage.yaml``), words are folded and fixed terms joined ("trẻ em", "con mèo").
3. One pass over the phrase trie finds every signal and every suppressor cue.
4. A signal is dropped when it overlaps an idiom ("chết cười", "đánh giá"), when a negation
   word stands just before it ("không bị đánh"), or when a cap cue that would be lifted by
   its kind contains it ("giờ" inside "giờ đã ổn" is not a now-marker).
5. The level is the highest of the signals' own levels and of every rule whose kinds are all
   present ("harm" + "now" -> critical).
6. Caps: an event told as over gives ``none``; told as past, at most ``urgent``; a policy
   question, film, news item or joke gives ``none`` unless the person also speaks of
   themselves, of now, or cries for help.
7. The category is the first, in ``categories`` order, among the signals that reach the final
   level, then refined ("violence" with a partner named is "domestic_violence").

``TriageRules.load`` raises ``TriageDataError`` (a ``ValueError``) for bad data; its message
names the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.text import Abbreviations, fold, words
from knowledge.triage_load import (
    IDIOM,
    LEVELS,
    NEGATION,
    RANK,
    RHETORICAL,
    Lexicon,
    TriageDataError,
    build_lexicon,
)
from knowledge.triage_rules import Match, Token

__all__ = ["LEVELS", "Assessment", "TriageDataError", "TriageRules"]

_CLAUSE = re.compile(r"[.!?;,\n\r…]+")
_HIDDEN_KINDS = frozenset({"personal", "partner", "minor", "child_named", "fear"})
_CLAUSE_SPAN = 10_000  # matches of clause n are shifted by n * this, so clauses never overlap


@dataclass(frozen=True)
class Assessment:
    """The verdict on one message. ``signals`` are accented phrases, in message order."""

    level: str
    category: str | None
    signals: tuple[str, ...]

    @property
    def is_emergency(self) -> bool:
        return self.level != "none"


NO_EMERGENCY = Assessment("none", None, ())


class TriageRules:
    """The compiled lexicon. Build it with ``load``; call ``assess`` for each inbound text."""

    def __init__(self, lexicon: Lexicon, abbreviations: Abbreviations) -> None:
        self._lex = lexicon
        self._abbreviations = abbreviations
        self._priority = {cat: n for n, cat in enumerate(lexicon.labels)}

    @classmethod
    def load(cls, path: Path, abbreviations: Abbreviations) -> TriageRules:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            raise TriageDataError(f"{path}: not valid YAML: {err}") from None
        try:
            return cls(build_lexicon(raw), abbreviations)
        except TriageDataError as err:
            raise TriageDataError(f"{path}: {err}") from None

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self._lex.labels)

    def category_label(self, category: str | None) -> str:
        """Vietnamese label of a category id, for counsellors ("Bạo lực gia đình").

        An id the lexicon no longer has (an old case) is returned as it is, never an error.
        """
        if category is None:
            return "Chưa rõ loại"
        return self._lex.labels.get(category, category)

    def assess(self, text: str) -> Assessment:
        active, cues = self._signals(text)
        present = {m.entry.kind for m in active}
        for cap in self._lex.caps:
            if cap.drops and cues[cap.kind] and not (cap.unless & present):
                # A fire or a fight told as past is over; abuse told as past may still hurt.
                active = [m for m in active if m.entry.kind not in cap.drops]
        present = {m.entry.kind for m in active}

        effective = {id(m): m.entry.level for m in active}
        for rule in self._lex.rules:
            if rule.kinds <= present:
                for m in active:
                    if m.entry.kind in rule.kinds and RANK[rule.level] > RANK[effective[id(m)]]:
                        effective[id(m)] = rule.level
        level = max(effective.values(), key=RANK.__getitem__, default="none")
        for cap in self._lex.caps:
            if cues[cap.kind] and not (cap.unless & present) and RANK[level] > RANK[cap.level]:
                level = cap.level
        if level == "none":
            return NO_EMERGENCY

        at_level = [m.entry.category for m in active if effective[id(m)] == level]
        pool = [c for c in at_level if c] or [m.entry.category for m in active if m.entry.category]
        category = min(pool, key=self._priority.__getitem__) if pool else None
        for ref in self._lex.refinements:
            if category == ref.category and ref.if_kind in present:
                category = ref.becomes
        names = dict.fromkeys(m.entry.name for m in active if m.entry.kind not in _HIDDEN_KINDS)
        return Assessment(level, category, tuple(names))

    # ------------------------------------------------------------------ internals
    def _signals(self, text: str) -> tuple[list[Match], dict[str, list[Match]]]:
        """Signals that survive idioms, negation and cue containment; cap cues by kind."""
        active: list[Match] = []
        cues: dict[str, list[Match]] = {cap.kind: [] for cap in self._lex.caps}
        for n, clause in enumerate(self._clauses(text)):
            found = self._lex.index.find(clause)
            idioms = [m for m in found if m.entry.kind == IDIOM]
            rhetorical = [m for m in found if m.entry.kind == RHETORICAL]
            # "sao mình không chết quách đi cho rồi" is not a negation.
            negations = [
                m
                for m in found
                if m.entry.kind == NEGATION and not any(m.overlaps(r) for r in rhetorical)
            ]
            for m in found:
                kind = m.entry.kind
                if kind in (IDIOM, NEGATION, RHETORICAL) or any(m.overlaps(i) for i in idioms):
                    continue
                shifted = Match(m.entry, m.start + n * _CLAUSE_SPAN, m.end + n * _CLAUSE_SPAN)
                if kind in cues:
                    cues[kind].append(shifted)
                elif not self._negated(m, negations) and not self._after_excluded(m, clause):
                    active.append(shifted)
        for cap in self._lex.caps:
            active = [
                m
                for m in active
                if not (m.entry.kind in cap.unless and any(_inside(m, c) for c in cues[cap.kind]))
            ]
        return active, cues

    def _negated(self, m: Match, negations: list[Match]) -> bool:
        window = self._lex.negation_window
        return m.entry.negatable and any(
            n.start < m.start and 0 <= m.start - n.end <= window for n in negations
        )

    @staticmethod
    def _after_excluded(m: Match, clause: list[Token]) -> bool:
        return m.start > 0 and clause[m.start - 1].folded in m.entry.not_after

    def _clauses(self, text: str) -> list[list[Token]]:
        out = []
        for part in _CLAUSE.split(text):
            tokens = [
                full
                for tok in self._expand_shared(words(part))
                for full in self._lex.extra.get(tok, (tok,))
            ]
            if tokens:
                out.append(self._lex.index.tokens(tokens))
        return out

    def _expand_shared(self, tokens: list[str]) -> list[str]:
        # The shared table also lists plain re-accentings ("roi" -> "rồi", "cung" -> "cũng").
        # Those guess a tone the person never typed ("quay roi" is "quấy rối"), so a word whose
        # expansion folds back to itself stays as typed and matches every accented reading.
        out: list[str] = []
        for tok in tokens:
            full = self._abbreviations.expand_words([tok])
            out.extend([tok] if fold(" ".join(full)) == fold(tok) else full)
        return out


def _inside(inner: Match, outer: Match) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end

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
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from knowledge.text import Abbreviations, clean, fold, is_folded, words
from knowledge.triage_load import (
    HYPERBOLE,
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
# Laughter written as emoticons or emoji: a cue that the words before it are in jest.
_LAUGH = re.compile(r"[=:;]\)\)+|=\)+|[\U0001F602\U0001F923\U0001F606\U0001F639\U0001F61C]")
_HIDDEN_KINDS = frozenset({"personal", "partner", "minor", "child_named", "fear"})
# Kinds that are context, not a danger: never shown as a signal to counsellors.
_QUIET_KINDS = _HIDDEN_KINDS | {"third_party", "done", "situation"}
_CLAUSE_SPAN = 10_000  # matches of clause n are shifted by n * this, so clauses never overlap
_CLAUSE_WORDS = 2_000  # longer clauses are read in runs of this many words (expansions fit)


@dataclass(frozen=True)
class Assessment:
    """The verdict on one message. ``signals`` are accented phrases, in message order."""

    level: str
    category: str | None
    signals: tuple[str, ...]
    # What the reply should fit: "third_party" (written about someone else), "done" (an
    # overdose or injury already happened), "child" (a child may be involved).
    facets: frozenset[str] = frozenset()
    review: bool = False  # rules alone never ask for a review; the layered triage does
    layer: str = ""  # "rules" once the rules raised it
    reasons: tuple[str, ...] = ()
    needs_check: bool = False

    @property
    def is_emergency(self) -> bool:
        return self.level != "none"


NO_EMERGENCY = Assessment("none", None, ())

# Kinds that make a danger immediate: a model "urgent" becomes critical beside one of these.
IMMEDIACY = frozenset({"now", "weapon", "self_weapon", "held", "plan", "method", "place",
                       "farewell", "danger", "help"})
# Kinds that say the message is about someone else, or about what is already done.
_THIRD_PARTY, _DONE, _SITUATION = "third_party", "done", "situation"
_CHILD_KINDS = frozenset({"minor"})  # "con trai" may be a grown son: not enough alone
_CHILD_CATEGORIES = frozenset({"child_abuse", "missing_child", "abandoned_child", "child_labour"})


@dataclass(frozen=True)
class RuleReading:
    """Everything layer 1 saw in a message: its verdict, and the cues the layers combine.

    ``vetoes`` names the caps whose cue phrases are present with nothing to lift them (past,
    resolved, not_real, trivial) and "hyperbole" when one matched: the message tells of
    something over, told in jest, in a film or in a policy question. ``immediacy`` is true
    when a now, weapon, plan, means, place or farewell cue is present, even when no rule made
    an emergency of it. ``situation`` is true when the person describes their own or a close
    person's situation or feelings.
    """

    assessment: Assessment
    vetoes: frozenset[str]
    immediacy: bool
    situation: bool
    facets: frozenset[str]


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
        return self.read(text).assessment

    quick = assess

    def read(self, text: str) -> RuleReading:
        active, cues, idiom, shown = self._signals(text)
        seen = {m.entry.kind for m in active}
        vetoes = frozenset(
            cap.kind.removeprefix("_cap:")
            for cap in self._lex.caps
            if cues[cap.kind] and not (cap.unless & seen)
        ) | ({"hyperbole"} if idiom else frozenset())
        facets = set()
        if _THIRD_PARTY in seen and "personal" not in seen:
            facets.add("third_party")
        if _DONE in seen:
            facets.add("done")
        if seen & _CHILD_KINDS:
            facets.add("child")
        assessment = self._verdict(active, cues, shown)
        if assessment.category in _CHILD_CATEGORIES:
            facets.add("child")
        return RuleReading(
            replace(assessment, facets=frozenset(facets)) if assessment.is_emergency
            else assessment,
            vetoes, bool(seen & IMMEDIACY), _SITUATION in seen or bool(seen & _HIDDEN_KINDS),
            frozenset(facets),
        )

    def _verdict(
        self, active: list[Match], cues: dict[str, list[Match]], shown: list[list[str]]
    ) -> Assessment:
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
        signals = _whole_phrases([m for m in active if m.entry.kind not in _QUIET_KINDS], shown)
        return Assessment(level, category, signals, layer="rules", reasons=signals)

    # ------------------------------------------------------------------ internals
    def _signals(
        self, text: str
    ) -> tuple[list[Match], dict[str, list[Match]], bool, list[list[str]]]:
        """Signals that survive idioms, negation and cue containment; cap cues by kind;
        whether any idiom matched; and each clause's words, one entry per token."""
        active: list[Match] = []
        cues: dict[str, list[Match]] = {cap.kind: [] for cap in self._lex.caps}
        any_idiom = False
        shown: list[list[str]] = []
        for n, (clause, words_of) in enumerate(self._clauses(text)):
            shown.append(words_of)
            found = self._lex.index.find(clause)
            idioms = [m for m in found if m.entry.kind in (IDIOM, HYPERBOLE)]
            any_idiom = any_idiom or any(m.entry.kind == HYPERBOLE for m in idioms)
            rhetorical = [m for m in found if m.entry.kind == RHETORICAL]
            # "sao mình không chết quách đi cho rồi" is not a negation.
            negations = [
                m
                for m in found
                if m.entry.kind == NEGATION and not any(m.overlaps(r) for r in rhetorical)
            ]
            for m in found:
                kind = m.entry.kind
                if kind in (IDIOM, HYPERBOLE, NEGATION, RHETORICAL) or any(
                    m.overlaps(i) for i in idioms
                ):
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
        return active, cues, any_idiom, shown

    def _negated(self, m: Match, negations: list[Match]) -> bool:
        window = self._lex.negation_window
        return m.entry.negatable and any(
            n.start < m.start and 0 <= m.start - n.end <= window for n in negations
        )

    @staticmethod
    def _after_excluded(m: Match, clause: list[Token]) -> bool:
        return m.start > 0 and clause[m.start - 1].folded in m.entry.not_after

    def _clauses(self, text: str) -> list[tuple[list[Token], list[str]]]:
        """Each clause's tokens, and beside each token the words it stands for (written out,
        so counsellors read "chồng đang đánh em" even when "ck dg danh e" was typed)."""
        out = []
        for part in _CLAUSE.split(_LAUGH.sub(" haha ", clean(text))):
            found = words(part)
            # A clause without punctuation may run to 100,000 characters: read it in bounded
            # runs, so positions stay inside the clause's span and work stays linear.
            for run in range(0, len(found), _CLAUSE_WORDS):
                if clause := self._clause(found[run : run + _CLAUSE_WORDS]):
                    out.append(clause)
        return out

    def _clause(self, found: list[str]) -> tuple[list[Token], list[str]] | None:
        expanded = [
            full
            for tok in self._expand_shared(found)
            for full in self._lex.extra.get(tok, (tok,))
        ]
        if not expanded:
            return None
        tokens = self._lex.index.tokens(expanded)
        shown, i = [], 0
        for tok in tokens:
            size = tok.folded.count("_") + 1  # a joined compound covers several words
            shown.append(" ".join(expanded[i : i + size]))
            i += size
        return tokens, shown

    def _expand_shared(self, tokens: list[str]) -> list[str]:
        # The shared table also lists plain re-accentings ("roi" -> "rồi", "cung" -> "cũng").
        # Those guess a tone the person never typed ("quay roi" is "quấy rối"), so a word whose
        # expansion folds back to itself stays as typed and matches every accented reading.
        out: list[str] = []
        for tok in tokens:
            full = self._abbreviations.expand_words([tok])
            out.extend([tok] if fold(" ".join(full)) == fold(tok) else full)
        return out


def _whole_phrases(matches: list[Match], shown: list[list[str]]) -> tuple[str, ...]:
    """The person's own words around each signal, as whole phrases: signals of one clause
    that touch or overlap are one phrase ("bà tôi đang bị đánh", not "bà … bị … đánh" and
    "đang")."""
    spans: list[tuple[int, int, int, dict[str, list[str]]]] = []  # clause, start, end, accents
    for m in sorted(matches, key=lambda m: (m.start, m.end)):
        clause, start = divmod(m.start, _CLAUSE_SPAN)
        end = m.end - clause * _CLAUSE_SPAN
        # The pattern's accented words, to write out what was typed flat ("dang" -> "đang").
        accents: dict[str, list[str]] = {}
        for w in m.entry.name.split():
            accents.setdefault(fold(w), []).append(w)
        if spans and spans[-1][0] == clause and start <= spans[-1][2] + 2:
            c, s, e, a = spans[-1]
            for k, v in accents.items():
                a[k] = a.get(k, []) + v
            spans[-1] = (c, s, max(e, end), a)
        else:
            spans.append((clause, start, end, accents))
    phrases = (_accented([w for t in shown[c][s:e] for w in t.split()], a)
               for c, s, e, a in spans)
    return tuple(dict.fromkeys(p for p in phrases if p))


def _accented(typed: list[str], accents: dict[str, list[str]]) -> str:
    """Typed words, with a pattern's accented word in place of each word typed flat, in
    order ("tu tu" -> "tự tử")."""
    queues = {k: list(v) for k, v in accents.items()}
    out = []
    for w in typed:
        queue = queues.get(w) if is_folded(w) else None
        out.append(queue.pop(0) if queue else w)
    return " ".join(out)


def _inside(inner: Match, outer: Match) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end

"""Phrase patterns for triage: parsing, expansion and matching over folded tokens.

A phrase is Vietnamese text with a tiny syntax that staff can read:

- ``(a|b c|)``: one of the alternatives; an empty one makes the group optional;
- ``{NAME}``: a macro defined in ``triage.yaml`` (itself a phrase, usually a group);
- ``**``: a gap of zero to four words, which may not be a negation word ("không", "chưa").

Matching is on tokens folded to plain letters, so "đánh", "danh" and teencode written out in
full all meet the same pattern. One refinement keeps accented typing precise: when the person
typed a word *with* diacritics and the pattern word has diacritics too, the marks must agree,
so "tắt máy" never matches the pattern "tát" while the unaccented "tat" still does.
Every phrase expands into plain token sequences at load time and they share one trie, so a
message is scanned once whatever the size of the lexicon.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from knowledge.text import fold

GAP = "**"
GAP_MAX = 4
MAX_EXPANSIONS = 20_000

_MACRO = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOKEN = re.compile(r"\w+")


class PatternError(ValueError):
    """A phrase that cannot be parsed; the message says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class Token:
    """One word: its folded letters and the diacritics it carried ("" when typed without)."""

    folded: str
    marks: str


@lru_cache(maxsize=65_536)
def token(word: str) -> Token:
    low = word.lower()
    decomposed = unicodedata.normalize("NFD", low)
    marks = sorted(ch for ch in decomposed if unicodedata.combining(ch))
    marks.extend("đ" for ch in low if ch == "đ")
    return Token(fold(low), "".join(sorted(marks)))


def compatible(typed: Token, pattern: Token) -> bool:
    return typed.folded == pattern.folded and (
        not typed.marks or not pattern.marks or typed.marks == pattern.marks
    )


# --------------------------------------------------------------------------- expansion
def substitute_macros(phrase: str, macros: Mapping[str, str]) -> str:
    for _ in range(10):
        if "{" not in phrase:
            return phrase
        try:
            phrase = _MACRO.sub(lambda m: "(" + macros[m.group(1)] + ")", phrase)
        except KeyError as err:
            raise PatternError(f"unknown macro {{{err.args[0]}}}") from None
    raise PatternError("macros nest too deeply (a macro that uses itself?)")


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _alternatives(text: str) -> list[str]:
    results = [""]
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth, j = 1, i + 1
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            if depth:
                raise PatternError("'(' without ')'")
            options = [
                alt for part in _split_top(text[i + 1 : j - 1]) for alt in _alternatives(part)
            ]
            results = [r + " " + o + " " for r in results for o in options]
            i = j
        elif ch in ")|":
            raise PatternError(f"unexpected {ch!r} outside a group")
        else:
            results = [r + ch for r in results]
            i += 1
        if len(results) > MAX_EXPANSIONS:
            raise PatternError(f"expands to more than {MAX_EXPANSIONS} phrases")
    return results


def expand(phrase: str, macros: Mapping[str, str]) -> list[str]:
    """All plain phrases a pattern stands for, accented as written, words single-spaced."""
    out: dict[str, None] = {}
    for alt in _alternatives(substitute_macros(phrase, macros)):
        words = alt.split()
        if not words:
            raise PatternError("can match an empty message")
        if words[0] == GAP or words[-1] == GAP:
            raise PatternError("'**' must stand between two words")
        for word in words:
            if word != GAP and _TOKEN.fullmatch(word) is None:
                raise PatternError(f"{word!r} is not a single word")
        out[" ".join(words)] = None
    return list(out)


# --------------------------------------------------------------------------- compounds
@dataclass(frozen=True)
class Compounds:
    """Fixed multi-word terms ("trẻ em", "con mèo") joined into one token before matching."""

    by_first: Mapping[str, tuple[tuple[Token, ...], ...]]

    @classmethod
    def build(cls, terms: Iterable[str]) -> Compounds:
        table: dict[str, list[tuple[Token, ...]]] = {}
        for term in terms:
            parts = tuple(token(w) for w in term.split())
            if len(parts) < 2:
                raise PatternError(f"compound {term!r} needs two words or more")
            table.setdefault(parts[0].folded, []).append(parts)
        return cls({k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()})

    def join(self, tokens: Sequence[Token]) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            for parts in self.by_first.get(tokens[i].folded, ()):
                span = tokens[i : i + len(parts)]
                if len(span) == len(parts) and all(map(compatible, span, parts)):
                    marks = "/".join(t.marks for t in span) if any(t.marks for t in span) else ""
                    out.append(Token("_".join(t.folded for t in span), marks))
                    i += len(parts)
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out


# --------------------------------------------------------------------------- trie
@dataclass(frozen=True, slots=True)
class Entry:
    """What a phrase means once matched. ``name`` is the accented phrase shown to counsellors."""

    name: str
    kind: str
    category: str | None
    level: str
    negatable: bool
    not_after: frozenset[str] = frozenset()  # folded words that may not stand just before


@dataclass(slots=True)
class _Node:
    children: dict[str, dict[str, _Node]] = field(default_factory=dict)
    gap: _Node | None = None
    ends: list[Entry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    start: int
    end: int  # exclusive

    def overlaps(self, other: Match) -> bool:
        return self.start < other.end and other.start < self.end


class PhraseIndex:
    """Every expanded phrase in one trie keyed by folded token, then by diacritic marks."""

    def __init__(self, compounds: Compounds, blockers: Iterable[str]) -> None:
        self._root = _Node()
        self._compounds = compounds
        self._blockers = frozenset(blockers)  # folded words a '**' gap may not cross
        self.size = 0

    def tokens(self, words: Sequence[str]) -> list[Token]:
        return self._compounds.join([token(w) for w in words])

    def add(self, phrase: str, entry: Entry) -> None:
        node = self._root
        # Compounds apply to patterns exactly as to messages, between gaps.
        segments: list[list[str]] = [[]]
        for word in phrase.split():
            if word == GAP:
                segments.append([])
            else:
                segments[-1].append(word)
        for n, segment in enumerate(segments):
            if n:
                if node.gap is None:
                    node.gap = _Node()
                node = node.gap
            for tok in self.tokens(segment):
                node = node.children.setdefault(tok.folded, {}).setdefault(tok.marks, _Node())
        node.ends.append(entry)
        self.size += 1

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        found: dict[tuple[int, int, int], Match] = {}
        for start in range(len(tokens)):
            self._walk(self._root, tokens, start, start, found)
        return sorted(found.values(), key=lambda m: (m.start, m.end))

    def _walk(
        self,
        node: _Node,
        tokens: Sequence[Token],
        i: int,
        start: int,
        found: dict[tuple[int, int, int], Match],
    ) -> None:
        for entry in node.ends:
            found.setdefault((id(entry), start, i), Match(entry, start, i))
        if i < len(tokens):
            typed = tokens[i]
            variants = node.children.get(typed.folded)
            if variants:
                for marks, child in variants.items():
                    if not typed.marks or not marks or typed.marks == marks:
                        self._walk(child, tokens, i + 1, start, found)
        if node.gap is not None and i > start:
            j = i
            for _ in range(GAP_MAX + 1):
                self._walk_children(node.gap, tokens, j, start, found)
                if j >= len(tokens) or tokens[j].folded in self._blockers:
                    break
                j += 1

    def _walk_children(
        self,
        node: _Node,
        tokens: Sequence[Token],
        i: int,
        start: int,
        found: dict[tuple[int, int, int], Match],
    ) -> None:
        if i < len(tokens):
            typed = tokens[i]
            for marks, child in node.children.get(typed.folded, {}).items():
                if not typed.marks or not marks or typed.marks == marks:
                    self._walk(child, tokens, i + 1, start, found)

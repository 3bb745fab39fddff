"""Text analysis for policy search: the same steps for articles and for what people type.

Both sides become *terms*: syllables and adjacent-syllable pairs ("khuyết_tật"), each in an
accented form and a folded form. Indexing both lets an accented query match accented text
(and score higher) while a query typed without diacritics still matches everything.

Query-only steps: teencode/abbreviation expansion, typo correction for words the index does
not know (including Telex typed without an input method: "trowj caaps" -> "tro cap"), and
dropping function words that say nothing about the topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from knowledge.text import Abbreviations, fold, is_folded, words

# Function words: dropped as single terms from queries (they still form pairs).
STOPWORDS = frozenset(
    fold(w)
    for w in (
        "tôi em anh chị mình ạ ơi nhé à ừ vâng dạ thì là mà có không được của và với cho "
        "này kia đó ấy thế vậy sao hỏi xin cần muốn biết giúp ai gì nào bị đã đang sẽ rồi "
        "cũng các những một người ở tại khi nếu để nên phải"
    ).split()
)
# Old-style tone placement ("hoà", "thuỷ") -> new style ("hòa", "thủy") at word end, so both
# spellings match each other with their accents.
_RETONE = re.compile(r"(?<![qg])([ou])([àáảãạèéẻẽẹỳýỷỹỵ])$")
_TONE_MOVE: dict[tuple[str, str], str] = {}
for _plain, _marked in (("a", "àáảãạ"), ("e", "èéẻẽẹ"), ("y", "ỳýỷỹỵ")):
    for _mark_index, _ch in enumerate(_marked):
        for _lead, _lead_marked in (("o", "òóỏõọ"), ("u", "ùúủũụ")):
            _TONE_MOVE[(_lead, _ch)] = _lead_marked[_mark_index] + _plain
_TELEX_TONES = "sfrxj"
_TELEX = (("dd", "d"), ("uow", "uo"), ("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"),
          ("ow", "o"), ("uw", "u"), ("w", "u"))  # fmt: skip


# A Vietnamese syllable written without diacritics: initial consonant, 1-3 vowels, final.
_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|nh|ng|[cmnpt])?$"
)


def is_syllable(folded: str) -> bool:
    """True for anything that could be a real Vietnamese word ("nhanh", "ruou"); typos such as
    "nag", "cpa", "conn" are not, and only those are worth correcting."""
    return bool(_SYLLABLE.match(folded))


def retone(token: str) -> str:
    match = _RETONE.search(token)
    if not match:
        return token
    moved = _TONE_MOVE.get((match.group(1), match.group(2)))
    return token[: match.start()] + moved if moved else token


def tokens(text: str) -> list[str]:
    """Normalised words with a canonical tone placement."""
    return [retone(t) for t in words(text)]


def pair(left: str, right: str) -> str:
    return f"{left}_{right}"


@dataclass(frozen=True)
class Synonyms:
    """Phrase -> canonical phrase; both sides get the canonical phrase added, so any two
    members of a group match each other. Data: `knowledge/synonyms.yaml`.

    Text typed with diacritics is matched with its diacritics ("bảo" is not "bão"). Text typed
    flat is matched folded, except single syllables that have diacritics in the table: a flat
    "bao" could be bão, bảo, báo or bao, so it is not taken for "bão".
    """

    accented: Mapping[str, str]  # accented phrase -> canonical accented phrase
    folded: Mapping[str, str]  # folded phrase -> canonical accented phrase

    @classmethod
    def load(cls, path: Path) -> Synonyms:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping of canonical phrase -> list of phrases")
        accented: dict[str, str] = {}
        folded: dict[str, str] = {}
        for canonical, others in raw.items():
            if not isinstance(others, list) or not others:
                raise ValueError(f"{path}: {canonical}: expected a non-empty list of phrases")
            target = " ".join(tokens(str(canonical)))
            for phrase in others:
                words_ = tokens(str(phrase))
                if not words_:
                    continue
                accented[" ".join(words_)] = target
                if len(words_) > 1 or is_folded(words_[0]):
                    folded[fold(" ".join(words_))] = target
        return cls(accented, folded)

    @classmethod
    def empty(cls) -> Synonyms:
        return cls({}, {})

    @cached_property
    def _longest(self) -> int:
        return max((len(k.split()) for k in self.accented), default=1)

    @property
    def words(self) -> frozenset[str]:
        """Folded words that appear in any synonym phrase (known words, never typos)."""
        phrases = (*self.accented, *self.accented.values())
        return frozenset(w for p in phrases for w in fold(p).split())

    @cached_property
    def _starts(self) -> frozenset[str]:
        return frozenset(k.split()[0] for k in (*self.accented, *self.folded))

    def _matches(self, toks: Sequence[str]) -> list[tuple[int, int, list[str]]]:
        """(start, size, canonical tokens) for each synonym phrase, longest match first."""
        if not self.accented:
            return []
        longest, starts = self._longest, self._starts
        folded = [fold(t) for t in toks]
        flat = [f == t for f, t in zip(folded, toks, strict=True)]
        found: list[tuple[int, int, list[str]]] = []
        i = 0
        while i < len(toks):
            if toks[i] not in starts and folded[i] not in starts:
                i += 1
                continue
            for size in range(min(longest, len(toks) - i), 0, -1):
                if all(flat[i : i + size]):
                    canonical = self.folded.get(" ".join(folded[i : i + size]))
                    canonical = fold(canonical) if canonical else None
                else:
                    canonical = self.accented.get(" ".join(toks[i : i + size]))
                if canonical is not None:
                    found.append((i, size, canonical.split()))
                    i += size
                    break
            else:
                i += 1
        return found

    def additions(self, toks: Sequence[str]) -> list[list[str]]:
        """Canonical phrases for every synonym found in `toks` (folded if typed flat)."""
        return [canonical for _, _, canonical in self._matches(toks)]

    def canonicalise(self, toks: Sequence[str]) -> list[str]:
        """`toks` with every synonym phrase replaced by its canonical phrase."""
        out: list[str] = []
        i = 0
        for start, size, canonical in self._matches(toks):
            out.extend(toks[i:start])
            out.extend(canonical)
            i = start + size
        out.extend(toks[i:])
        return out


def terms_of(segments: Iterable[Sequence[str]], *, keep_stopwords: bool = True) -> list[str]:
    """Unigrams and adjacent pairs for each segment (pairs never cross segments)."""
    out: list[str] = []
    for seg in segments:
        out.extend(t for t in seg if keep_stopwords or fold(t) not in STOPWORDS)
        out.extend(
            pair(a, b)
            for a, b in zip(seg, seg[1:], strict=False)
            if keep_stopwords or fold(a) not in STOPWORDS or fold(b) not in STOPWORDS
        )
    return out


def document_terms(text: str, synonyms: Synonyms) -> list[str]:
    """Accented terms of an article field (fold them for the folded column)."""
    toks = tokens(text)
    return terms_of([toks, *synonyms.additions(toks)])


def _osa_distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions; returns limit + 1 when above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def telex_fold(token: str) -> str:
    """'trowj' -> 'tro', 'khuyeets' -> 'khuyet': Telex keystrokes read as a folded word."""
    word = token[:-1] if len(token) > 2 and token[-1] in _TELEX_TONES else token
    for keys, letter in _TELEX:
        word = word.replace(keys, letter)
    return word


@dataclass
class Speller:
    """Typo correction against the folded vocabulary of the index (symmetric-delete lookup)."""

    frequency: Mapping[str, int]
    known: frozenset[str] = frozenset()  # real words that are not in the index (never "fixed")
    _variants: dict[str, set[str]] = field(default_factory=dict, repr=False)

    MIN_LENGTH = 4  # shorter words have too many neighbours to guess safely

    def __post_init__(self) -> None:
        for word in self.frequency:
            if len(word) >= self.MIN_LENGTH - 1 and "_" not in word:
                for variant in _deletes(word, self._depth(len(word))):
                    self._variants.setdefault(variant, set()).add(word)

    @staticmethod
    def _depth(length: int) -> int:
        return 1 if length <= 6 else 2

    def correct(self, word: str) -> str | None:
        """The known word closest to `word`, or None when nothing is close enough."""
        if word in self.frequency:
            return word
        telex = telex_fold(word)
        if telex != word and telex in self.frequency:
            return telex
        # A real word the index lacks is a different topic, not a typo: guessing would turn
        # "giảm cân nhanh" into "giảm cân nhận" and answer something never asked.
        if len(word) < self.MIN_LENGTH - 1 or not word.isalpha() or is_syllable(word):
            return None
        limit = self._depth(len(word))
        best: tuple[int, int, str] | None = None
        candidates: set[str] = set()
        for variant in _deletes(word, limit):
            candidates |= self._variants.get(variant, set())
        for candidate in candidates - STOPWORDS:
            distance = _osa_distance(word, candidate, limit)
            if distance <= limit:
                key = (distance, -self.frequency[candidate], candidate)
                best = key if best is None or key < best else best
        return best[2] if best else None


@dataclass(frozen=True)
class QueryTerm:
    """One term to look up: `accented` is None when the person typed it flat."""

    folded: str
    accented: str | None
    is_pair: bool
    corrected: bool = False


@dataclass(frozen=True)
class AnalysedQuery:
    terms: tuple[QueryTerm, ...]
    content: tuple[str, ...]  # folded content words (for coverage)
    pairs: tuple[str, ...]  # folded adjacent content-word pairs (for coverage)
    corrected: frozenset[str]  # folded content words that came from a typo correction
    unknown: frozenset[str]  # folded content words the index does not know at all


def analyse(
    query: str, abbreviations: Abbreviations, synonyms: Synonyms, speller: Speller
) -> AnalysedQuery:
    toks = abbreviations.expand_words(tokens(query))
    fixed: list[str] = []
    corrected: set[str] = set()
    unknown: set[str] = set()
    for tok in toks:
        flat = fold(tok)
        if flat in speller.frequency or flat in STOPWORDS or not flat.isalpha():
            fixed.append(tok)
            continue
        if flat in speller.known:
            unknown.add(flat)
            fixed.append(tok)
            continue
        guess = speller.correct(flat)
        if guess is None:
            unknown.add(flat)
            fixed.append(tok)
        else:
            corrected.add(guess)
            fixed.append(guess)
    segments = [fixed, *synonyms.additions(fixed)]
    seen: set[str] = set()
    terms: list[QueryTerm] = []
    for text in terms_of(segments, keep_stopwords=False):
        if text in seen:
            continue
        seen.add(text)
        flat = fold(text)
        parts = flat.split("_")
        terms.append(
            QueryTerm(
                folded=flat,
                accented=None if text == flat else text,
                is_pair=len(parts) > 1,
                corrected=any(p in corrected for p in parts),
            )
        )
    canonical = [fold(t) for t in synonyms.canonicalise(fixed)]
    # Numbers (ages, dates) are the person's details, not the topic; they do not count.
    keep = [t if t not in STOPWORDS and t.isalpha() else "" for t in canonical]
    content = tuple(dict.fromkeys(t for t in keep if t))
    pairs = tuple(
        dict.fromkeys(pair(a, b) for a, b in zip(keep, keep[1:], strict=False) if a and b)
    )
    return AnalysedQuery(tuple(terms), content, pairs, frozenset(corrected), frozenset(unknown))

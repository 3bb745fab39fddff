"""Vietnamese text normalisation shared by search and triage.

People type on phones: without diacritics, in teencode ("ko", "dc", "bnhiu"), with stray
punctuation. Everything here is pure and cheap; the abbreviation table is data
(`knowledge/teencode.yaml`) so staff can extend it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

_WORD = re.compile(r"\w+", re.UNICODE)
# Letters whose base form NFD does not reach by stripping combining marks.
_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})
# Keys in teencode.yaml that start with this are settings, not full forms.
_RESERVED_PREFIX = "_"


# Characters that change nothing a reader sees but split or hide words: zero-width marks,
# direction overrides, the byte-order mark, the soft hyphen, controls (NUL included).
_INVISIBLE = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u00ad\u200b-\u200f\u202a-\u202e"
                        r"\u2060-\u2064\ufeff]")


def clean(text: str) -> str:
    """NFC without invisible characters: 'đ\u200bánh' reads as 'đánh' to people and to us."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def normalise(text: str) -> str:
    """NFC, lower case, single spaces. Keeps diacritics."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lower case without diacritics: 'Người khuyết tật' -> 'nguoi khuyet tat'."""
    decomposed = unicodedata.normalize("NFD", text.lower().translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def words(text: str) -> list[str]:
    """Normalised word tokens (diacritics kept)."""
    return _WORD.findall(normalise(text))


def is_folded(token: str) -> bool:
    """True when the token carries no diacritics (typed 'flat')."""
    return token == fold(token)


@dataclass(frozen=True)
class Abbreviations:
    """Teencode and abbreviation table: folded short form -> full accented phrase.

    Short forms may be several words ("nhu the nao", "tro cap"); the longest match wins.
    A short form typed without diacritics is looked up folded, so "mun" meets "muốn". A short
    form listed *with* diacritics ("mún", "bít", "rùi", "kô", "đc") is also looked up exactly
    as typed: people type those marks, and "có" must still never become anything else.
    `keep` lists folded phrases that are never expanded because a short form inside them is
    a real word there ("y te" is "y tế", not "y trẻ em"; "hu hong" is "hư hỏng").
    """

    table: Mapping[str, str]
    keep: frozenset[str] = field(default_factory=frozenset)
    exact: Mapping[str, str] = field(default_factory=dict)  # accented short form -> full

    @classmethod
    def load(cls, path: Path) -> Abbreviations:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping of full form -> list of short forms")
        table: dict[str, str] = {}
        exact: dict[str, str] = {}
        keep: set[str] = set()
        for full, shorts in raw.items():
            if not isinstance(shorts, list):
                raise ValueError(f"{path}: {full}: expected a list of short forms")
            if str(full).startswith(_RESERVED_PREFIX):
                if str(full) == "_keep":
                    keep.update(" ".join(fold(str(s)).split()) for s in shorts)
                continue
            for short in shorts:
                table[" ".join(fold(str(short)).split())] = normalise(str(full))
                if not is_folded(normalise(str(short))):
                    exact[normalise(str(short))] = normalise(str(full))
        return cls(table, frozenset(keep), exact)

    @cached_property
    def _longest(self) -> int:
        return max((len(k.split()) for k in (*self.table, *self.keep)), default=1)

    def expand_words(self, tokens: Sequence[str]) -> list[str]:
        out: list[str] = []
        longest = self._longest
        i = 0
        while i < len(tokens):
            matched = False
            for size in range(min(longest, len(tokens) - i), 0, -1):
                window = tokens[i : i + size]
                key = " ".join(window)
                # A folded short form only counts when typed without diacritics, so "có"
                # stays; an accented one only as listed.
                if not all(is_folded(t) for t in window):
                    if key not in self.exact:
                        continue
                    out.extend(self.exact[key].split())
                elif key in self.keep:
                    out.extend(window)
                elif key in self.table:
                    out.extend(self.table[key].split())
                else:
                    continue
                i += size
                matched = True
                break
            if not matched:
                out.append(tokens[i])
                i += 1
        return out

    def expand(self, text: str) -> str:
        """Normalised text with every known short form written out in full."""
        return " ".join(self.expand_words(words(text)))

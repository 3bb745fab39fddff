"""Diacritics put back on a question typed without them, from the articles' own words.

The meaning encoder reads "tro cap nguoi khuyet tat" far worse than "trợ cấp người khuyết
tật" (on the project's set, 42% against 84% right at the top). General-purpose restorers get
exactly the domain words wrong, but the knowledge base itself says how its words are spelt:
each folded word takes the accented form seen most often after the same (folded) previous
word in the articles, else its most frequent form; a word the articles never use stays as
typed. Only the encoder's input is restored; BM25 matches folded text anyway.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.query import tokens
from knowledge.text import fold, is_folded

DOMINANT = 0.8  # without context, a form must be this share of a word's uses to be taken


@dataclass(frozen=True)
class Restorer:
    forms: dict[str, Counter[str]]  # folded word -> its accented forms and their counts
    left: Counter[tuple[str, str]]  # (previous folded word, accented form)
    right: Counter[tuple[str, str]]  # (accented form, next folded word)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Restorer:
        forms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        left: Counter[tuple[str, str]] = Counter()
        right: Counter[tuple[str, str]] = Counter()
        for text in texts:
            toks = [t for t in tokens(text)]
            letters = [t for t in toks if t.isalpha()]
            if sum(not is_folded(t) for t in letters) * 2 < len(letters):
                continue  # a sample question typed flat says nothing about the marks
            for i, tok in enumerate(toks):
                flat = fold(tok)
                if not flat.isalpha():
                    continue
                forms[flat][tok] += 1
                if i > 0:
                    left[(fold(toks[i - 1]), tok)] += 1
                if i + 1 < len(toks):
                    right[(tok, fold(toks[i + 1]))] += 1
        return cls(dict(forms), left, right)

    def restore(self, toks: Sequence[str]) -> list[str]:
        out: list[str] = []
        folded = [fold(t) for t in toks]
        for i, tok in enumerate(toks):
            flat = folded[i]
            seen = self.forms.get(flat)
            if not is_folded(tok) or not flat.isalpha() or not seen:
                out.append(tok)  # typed with its marks, a number, or a word we never saw
                continue
            before = folded[i - 1] if i > 0 else ""
            after = folded[i + 1] if i + 1 < len(toks) else ""
            scored = {f: self.left[(before, f)] + self.right[(f, after)] for f in seen}
            form, hits = max(scored.items(), key=lambda kv: (kv[1], seen[kv[0]]))
            if hits == 0:
                form, count = seen.most_common(1)[0]
                if count < DOMINANT * sum(seen.values()):
                    form = tok  # "bao" could be bao, bảo or báo: leave it as typed
            out.append(form)
        return out

    def whole(self, text: str) -> bool:
        """Does every word of `text` carry its marks (or need none the articles know of)?"""
        for tok in tokens(text):
            flat = fold(tok)
            if flat.isalpha() and is_folded(tok) and tok not in self.forms.get(flat, ()):
                return False
        return True

    def text(self, text: str) -> str:
        """`text` with marks restored on the words typed without them (teencode expanded
        beforehand mixes both in one question)."""
        return " ".join(self.restore(tokens(text)))

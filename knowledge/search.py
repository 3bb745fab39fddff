"""Policy search: SQLite FTS5 with BM25 over the articles, built in memory at start.

Each article is indexed in four columns: head (title, sample questions, tags) and body, each
accented and folded (see `knowledge.query`). A query term typed with diacritics is looked up
in both the accented and the folded columns, so a document that matches the accents scores
the two contributions and ranks above one that only matches the folded spelling. Sample
questions weigh more than body text through the BM25 column weights.

The index lives in an in-memory SQLite database (no disk I/O); a search is sub-millisecond
CPU work, which is why this API is synchronous even though the bot is async: calling it on
the event loop costs less than a thread hop would.

`SearchResult` has three mutually exclusive states the answer flow can act on:
`confident` (answer with the top article), `ambiguous` (ask which of the top ones is meant)
or neither (say honestly that we do not know, maybe offer the hits as suggestions).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge.articles import Article, article_paths, load_articles
from knowledge.query import (
    AnalysedQuery,
    Speller,
    Synonyms,
    analyse,
    document_terms,
)
from knowledge.text import Abbreviations, fold

# BM25 column weights: head (accented), head (folded), body (accented), body (folded).
HEAD_ACCENTED, HEAD_FOLDED, BODY_ACCENTED, BODY_FOLDED = 3.0, 4.0, 0.6, 0.8
# Coverage: share of the query's content (IDF-weighted) found in the top article.
CONFIDENT_COVERAGE = 0.6
BODY_COVERAGE = 0.5  # a word found only in the body counts half
CORRECTED_COVERAGE = 0.5  # a word we had to guess from a typo counts less
PAIR_SHARE = 0.5  # share of coverage from word pairs ("hộ chiếu" is not "đối chiếu")
AMBIGUOUS_RATIO = 0.9  # second score at least this share of the first: ask which one
CANDIDATES = 10
# Terms in more than this share of a large index add almost nothing to BM25 (FTS5 clamps
# their IDF); leaving them out of the MATCH keeps latency flat as the corpus grows.
PRUNE_SHARE, PRUNE_MIN_DOCS = 0.5, 200

_SCHEMA = (
    "CREATE VIRTUAL TABLE docs USING fts5(head, headf, body, bodyf, "
    "tokenize = \"unicode61 remove_diacritics 0 tokenchars '_'\")"
)
_RANK = f"bm25(docs, {HEAD_ACCENTED}, {HEAD_FOLDED}, {BODY_ACCENTED}, {BODY_FOLDED})"
_QUERY = f"SELECT rowid, -{_RANK} FROM docs WHERE docs MATCH ? ORDER BY {_RANK} LIMIT ?"


@dataclass(frozen=True)
class Hit:
    article_id: str
    title: str
    score: float  # BM25, higher is better; only comparable within one search


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    confident: bool  # the top hit is good enough to answer directly
    ambiguous: bool  # the top two are too close to choose; ask the person

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


@dataclass(frozen=True)
class _Indexed:
    article: Article
    head: frozenset[str]  # folded words and pairs of title, questions, tags (and synonyms)
    body: frozenset[str]


class _Index:
    """One built index; replaced whole on rebuild so a search never sees half of one."""

    def __init__(self, articles: Sequence[Article], synonyms: Synonyms, known: frozenset[str]):
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute(_SCHEMA)
        self.docs: list[_Indexed] = []
        self.accented_df: Counter[str] = Counter()
        self.folded_df: Counter[str] = Counter()
        rows = []
        for rowid, article in enumerate(articles, start=1):
            head_text = "\n".join((article.title, *article.questions, *article.tags))
            head = document_terms(head_text, synonyms)
            body = document_terms(f"{article.title}\n{article.body}", synonyms)
            head_f = [fold(t) for t in head]
            body_f = [fold(t) for t in body]
            self.accented_df.update(set(head) | set(body))
            self.folded_df.update(set(head_f) | set(body_f))
            rows.append((rowid, " ".join(head), " ".join(head_f), " ".join(body), " ".join(body_f)))
            self.docs.append(_Indexed(article, frozenset(head_f), frozenset(body_f)))
        self.db.executemany(
            "INSERT INTO docs(rowid, head, headf, body, bodyf) VALUES (?,?,?,?,?)", rows
        )
        self.db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        words = {t: n for t, n in self.folded_df.items() if "_" not in t}
        self.speller = Speller(words, known=known)

    def idf(self, folded_word: str) -> float:
        return math.log((len(self.docs) + 1) / (self.folded_df.get(folded_word, 0) + 0.5))

    def match_expression(self, analysed: AnalysedQuery) -> str:
        prune = len(self.docs) >= PRUNE_MIN_DOCS
        limit = PRUNE_SHARE * len(self.docs)
        parts: list[str] = []
        for term in analysed.terms:
            df = self.folded_df.get(term.folded, 0)
            if df == 0 or (prune and df > limit):
                continue
            if term.accented and self.accented_df.get(term.accented, 0):
                parts.append(f'{{head body}} : "{term.accented}"')
            parts.append(f'{{headf bodyf}} : "{term.folded}"')
        return " OR ".join(parts)

    def coverage(self, analysed: AnalysedQuery, doc: _Indexed) -> float:
        """How much of what the person asked (IDF-weighted words and word pairs) the article
        covers: 1.0 when every rare word and phrase is in its title or sample questions."""
        words = self._share(analysed.content, analysed, doc)
        if not analysed.pairs:
            return words
        return (1 - PAIR_SHARE) * words + PAIR_SHARE * self._share(analysed.pairs, analysed, doc)

    def _share(self, terms: Sequence[str], analysed: AnalysedQuery, doc: _Indexed) -> float:
        total = found = 0.0
        for term in terms:
            weight = self.idf(term)
            total += weight
            share = 1.0 if term in doc.head else BODY_COVERAGE if term in doc.body else 0.0
            if any(part in analysed.corrected for part in term.split("_")):
                share *= CORRECTED_COVERAGE
            found += weight * share
        return found / total if total else 0.0


def _fingerprint(knowledge_dir: Path | None) -> tuple[tuple[str, int, int], ...]:
    if knowledge_dir is None:
        return ()
    files = [
        *article_paths(knowledge_dir / "articles"),
        knowledge_dir / "teencode.yaml",
        knowledge_dir / "synonyms.yaml",
    ]
    out = []
    for path in files:
        if path.exists():
            stat = path.stat()
            out.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(out)


class PolicySearch:
    """Search over policy articles. Build with `build(...)` or `from_directory(...)`."""

    def __init__(
        self,
        articles: Sequence[Article],
        abbreviations: Abbreviations,
        synonyms: Synonyms,
        *,
        knowledge_dir: Path | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._knowledge_dir = knowledge_dir
        self._fingerprint = _fingerprint(knowledge_dir)
        self._install(articles, abbreviations, synonyms)

    @classmethod
    def build(
        cls, articles: Sequence[Article], abbreviations: Abbreviations, synonyms: Synonyms
    ) -> PolicySearch:
        return cls(articles, abbreviations, synonyms)

    @classmethod
    def from_directory(cls, knowledge_dir: Path) -> PolicySearch:
        """Articles from `knowledge_dir/articles`, teencode.yaml and synonyms.yaml beside it."""
        articles, abbreviations, synonyms = _load(knowledge_dir)
        return cls(articles, abbreviations, synonyms, knowledge_dir=knowledge_dir)

    def _install(
        self, articles: Sequence[Article], abbreviations: Abbreviations, synonyms: Synonyms
    ) -> None:
        ids = [a.id for a in articles]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate article ids: {', '.join(duplicates)}")
        known = synonyms.words | {
            fold(w) for full in abbreviations.table.values() for w in full.split()
        }
        index = _Index(articles, synonyms, frozenset(known))
        with self._lock:
            self._index = index
            self._abbreviations = abbreviations
            self._synonyms = synonyms
            self._by_id = {a.id: a for a in articles}

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(self._by_id.values())

    @property
    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """Names, mtimes and sizes of the files the index was built from."""
        return self._fingerprint

    def changed(self) -> bool:
        """True when the files on disk differ from the ones this index was built from."""
        return (
            self._knowledge_dir is not None
            and _fingerprint(self._knowledge_dir) != self._fingerprint
        )

    def rebuild_if_changed(self) -> bool:
        """Reload and re-index when files changed. On a bad file this raises and the old
        index stays in service, so a half-edited article never takes answers offline."""
        if self._knowledge_dir is None or not self.changed():
            return False
        fingerprint = _fingerprint(self._knowledge_dir)
        self._install(*_load(self._knowledge_dir))
        self._fingerprint = fingerprint
        return True

    def article(self, article_id: str) -> Article:
        """The article with this id; KeyError if there is none."""
        return self._by_id[article_id]

    def search(self, query: str, limit: int = 5) -> SearchResult:
        with self._lock:
            index, abbreviations, synonyms = self._index, self._abbreviations, self._synonyms
        analysed = analyse(query, abbreviations, synonyms, index.speller)
        expression = index.match_expression(analysed)
        if not expression:
            return SearchResult(query, (), confident=False, ambiguous=False)
        with self._lock:
            rows = index.db.execute(_QUERY, (expression, max(limit, CANDIDATES))).fetchall()
        hits = tuple(
            Hit(index.docs[rowid - 1].article.id, index.docs[rowid - 1].article.title, score)
            for rowid, score in rows
        )
        if not hits:
            return SearchResult(query, (), confident=False, ambiguous=False)
        good = index.coverage(analysed, index.docs[rows[0][0] - 1]) >= CONFIDENT_COVERAGE
        close = len(hits) > 1 and hits[1].score >= AMBIGUOUS_RATIO * hits[0].score
        return SearchResult(
            query, hits[:limit], confident=good and not close, ambiguous=good and close
        )


def _load(knowledge_dir: Path) -> tuple[list[Article], Abbreviations, Synonyms]:
    articles = load_articles(knowledge_dir / "articles")
    abbreviations = Abbreviations.load(knowledge_dir / "teencode.yaml")
    synonyms_path = knowledge_dir / "synonyms.yaml"
    synonyms = Synonyms.load(synonyms_path) if synonyms_path.exists() else Synonyms.empty()
    return articles, abbreviations, synonyms


__all__ = ["Hit", "PolicySearch", "SearchResult"]

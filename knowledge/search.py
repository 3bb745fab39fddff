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

import asyncio
import math
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.articles import Article, article_paths, load_articles, paragraphs
from knowledge.asked import Asked, Cues, read
from knowledge.dense import Encoder, VectorCache, embed_articles
from knowledge.query import (
    STOPWORDS,
    AnalysedQuery,
    Speller,
    Synonyms,
    analyse,
    document_terms,
    tokens,
)
from knowledge.restore import Restorer
from knowledge.search_model import NEVER, NONE, Prediction, SearchModel
from knowledge.text import Abbreviations, fold

KNOWLEDGE = Path(__file__).resolve().parent
KNOWLEDGE_FILES = ("teencode.yaml", "synonyms.yaml", "asking.yaml", "search.yaml",
                   "search_model.npz")

# BM25 column weights: head (accented), head (folded), body (accented), body (folded).
HEAD_ACCENTED, HEAD_FOLDED, BODY_ACCENTED, BODY_FOLDED = 3.0, 4.0, 0.6, 0.8
# Coverage: share of the query's content (IDF-weighted) found in the top article.
CONFIDENT_COVERAGE = 0.6
BODY_COVERAGE = 0.5  # a word found only in the body counts half
CORRECTED_COVERAGE = 0.5  # a word we had to guess from a typo counts less
PAIR_SHARE = 0.5  # share of coverage from word pairs ("hộ chiếu" is not "đối chiếu")
AMBIGUOUS_RATIO = 0.9  # second score at least this share of the first: ask which one
CANDIDATES = 10
RECENT_VECTORS = 512  # question vectors kept in memory (warmed before the unit of work)
FOLLOW_UP_SLACK = 0.05  # a follow-up may keep the article it leans on a little below
MODEL_CANDIDATES = 5  # the model's article must also be among the first five by ranking
SIBLING_MARGIN = 0.01  # two articles this close by meaning are siblings of one topic
GENERIC_SHARE = 0.35  # title words in more articles than this name no topic ("trợ cấp")
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
    score: float  # fused score, higher is better; only comparable within one search


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    confident: bool  # the top hit is good enough to answer directly
    ambiguous: bool  # the top ones are too close to choose and answer differently: ask
    passage: str = ""  # the top article's paragraph that best answers the question
    asked: Asked | None = None  # what the question asks and who it is about
    subject: str = ""  # what the question was read as (with a follow-up's context)
    follows: bool = False  # read as a follow-up of the previous question

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
        self.lock = threading.Lock()
        self.db.execute(_SCHEMA)
        self.docs: list[_Indexed] = []
        self.titles: list[frozenset[str]] = [
            frozenset(fold(t) for t in tokens(a.title) if fold(t) not in STOPWORDS
                      and fold(t).isalpha())
            for a in articles
        ]
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

    def unnamed(self, analysed: AnalysedQuery, doc: int) -> bool:
        """Does the article's title have a specific word the question does not contain?"""
        asked = set(analysed.content) | {t.folded for t in analysed.terms}
        limit = GENERIC_SHARE * len(self.docs)
        return any(w not in asked for w in self.titles[doc]
                   if self.folded_df.get(w, 0) <= limit)

    def rank(self, analysed: AnalysedQuery) -> list[tuple[int, float]]:
        """(document number, BM25 score) best first, for the candidates."""
        expression = self.match_expression(analysed)
        if not expression:
            return []
        with self.lock:
            rows = self.db.execute(_QUERY, (expression, CANDIDATES)).fetchall()
        return [(rowid - 1, score) for rowid, score in rows]

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
        *(knowledge_dir / name for name in KNOWLEDGE_FILES),
    ]
    out = []
    for path in files:
        if path.exists():
            stat = path.stat()
            out.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(out)


@dataclass(frozen=True)
class _Built:
    """Everything one search reads, swapped whole on rebuild."""

    index: _Index
    dense: DenseIndex | None
    abbreviations: Abbreviations
    synonyms: Synonyms
    cues: Cues
    calibration: Calibrations
    by_id: dict[str, Article]
    restorer: Restorer
    model: SearchModel | None = None  # used with the encoder only: it reads its vectors
    positions: dict[str, int] = field(default_factory=dict)  # article id -> document number
    trained: frozenset[int] = frozenset()  # documents the article model was trained on


class PolicySearch:
    """Search over policy articles. Build with `build(...)` or `from_directory(...)`.

    With an `encoder` (see `knowledge.dense`) it ranks by BM25 and by meaning, fused; without
    one it is BM25 alone, as on a machine where the encoder cannot load.
    """

    def __init__(
        self,
        articles: Sequence[Article],
        abbreviations: Abbreviations,
        synonyms: Synonyms,
        *,
        knowledge_dir: Path | None = None,
        encoder: Encoder | None = None,
        vector_dirs: Sequence[Path] = (),
        cues: Cues | None = None,
        calibration: Calibrations | None = None,
        model: SearchModel | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._knowledge_dir = knowledge_dir
        self._fingerprint = _fingerprint(knowledge_dir)
        self._encoder = encoder
        self._cache = VectorCache(vector_dirs)
        self._recent: OrderedDict[str, Any] = OrderedDict()  # encoder input -> its vector
        self._prepared: OrderedDict[tuple[Any, ...], Prepared] = OrderedDict()
        self._install(articles, abbreviations, synonyms, cues or default_cues(),
                      calibration or default_calibration(), model)

    @classmethod
    def build(
        cls, articles: Sequence[Article], abbreviations: Abbreviations, synonyms: Synonyms,
        *, encoder: Encoder | None = None, vector_dirs: Sequence[Path] = (),
    ) -> PolicySearch:
        return cls(articles, abbreviations, synonyms, encoder=encoder, vector_dirs=vector_dirs)

    @classmethod
    def from_directory(
        cls, knowledge_dir: Path, *, encoder: Encoder | None = None,
        vector_dirs: Sequence[Path] | None = None,
    ) -> PolicySearch:
        """Articles from `knowledge_dir/articles`, teencode.yaml, synonyms.yaml, asking.yaml
        and search.yaml beside it. Vectors are cached in `knowledge_dir/vectors` unless
        other folders are given."""
        loaded = _load(knowledge_dir)
        dirs = [knowledge_dir / "vectors"] if vector_dirs is None else list(vector_dirs)
        return cls(loaded.articles, loaded.abbreviations, loaded.synonyms,
                   knowledge_dir=knowledge_dir, encoder=encoder, vector_dirs=dirs,
                   cues=loaded.cues, calibration=loaded.calibration, model=loaded.model)

    def _install(
        self, articles: Sequence[Article], abbreviations: Abbreviations, synonyms: Synonyms,
        cues: Cues, calibration: Calibrations, model: SearchModel | None,
    ) -> None:
        ids = [a.id for a in articles]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate article ids: {', '.join(duplicates)}")
        known = synonyms.words | {
            fold(w) for full in abbreviations.table.values() for w in full.split()
        }
        index = _Index(articles, synonyms, frozenset(known))
        dense = (DenseIndex.build(articles, self._encoder, self._cache)
                 if self._encoder is not None else None)
        restorer = Restorer.from_texts(
            t for a in articles for t in (a.title, *a.questions, *a.tags, a.body))
        if model is not None and self._encoder is not None and \
                model.encoder != self._encoder.name:
            model = None  # fitted on another encoder's vectors
        built = _Built(index, dense, abbreviations, synonyms, cues, calibration,
                       {a.id: a for a in articles}, restorer,
                       model if dense is not None else None,
                       {a.id: n for n, a in enumerate(articles)},
                       frozenset(n for n, a in enumerate(articles)
                                 if model is not None and a.id in model.articles))
        with self._lock:
            self._built = built

    @property
    def mode(self) -> str:
        """'bm25+dense' when meaning is used, 'bm25' when it is not."""
        return "bm25+dense" if self._built.dense is not None else "bm25"

    @property
    def model(self) -> SearchModel | None:
        """The article model in use (None without the encoder or the model file)."""
        return self._built.model

    @property
    def passages(self) -> int:
        """How many passage vectors dense retrieval searches (0 in BM25 mode)."""
        dense = self._built.dense
        return len(dense.passages) if dense is not None else 0

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(self._built.by_id.values())

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
        index stays in service, so a half-edited article never takes answers offline.
        Embeds the changed articles' passages: call it off the event loop."""
        if self._knowledge_dir is None or not self.changed():
            return False
        fingerprint = _fingerprint(self._knowledge_dir)
        loaded = _load(self._knowledge_dir)
        self._install(loaded.articles, loaded.abbreviations, loaded.synonyms, loaded.cues,
                      loaded.calibration, loaded.model)
        self._fingerprint = fingerprint
        return True

    def article(self, article_id: str) -> Article:
        """The article with this id; KeyError if there is none."""
        return self._built.by_id[article_id]

    # -- searching ------------------------------------------------------------------------

    def prepare(self, query: str, previous: str | None = None,
                previous_article: str | None = None) -> Prepared:
        """The CPU-light part: what is asked, the follow-up reading, BM25. Then `encode` (the
        slow part, in a thread when on an event loop) and `rank`. Remembered for the recent
        questions: the bot prepares a question once to warm it and again to answer it."""
        built = self._built
        key = (query, previous, previous_article, id(built))
        with self._lock:
            known = self._prepared.get(key)
        if known is not None and known.built is built:
            return known
        prepared = self._prepare(built, query, previous, previous_article)
        with self._lock:
            self._prepared[key] = prepared
            while len(self._prepared) > RECENT_VECTORS:
                self._prepared.popitem(last=False)
        return prepared

    def _prepare(self, built: _Built, query: str, previous: str | None,
                 previous_article: str | None) -> Prepared:
        asked = read(query, built.cues, built.abbreviations)
        subject = _subject(asked, built)
        focus = asked.focus
        follows = False
        if previous:
            before = read(previous, built.cues, built.abbreviations)
            if asked.leans or not subject:
                # "còn đặc biệt nặng thì sao", "nếu 85 tuổi thì sao", "vậy hồ sơ thì sao": the
                # previous subject, then what the follow-up changes (it comes last and names
                # what differs); the thing asked carries over unless a new one is asked.
                follows = True
                carried = _subject(before, built) or before.focus
                wanted = "" if asked.asks else _ask_words(before, built)
                focus = " ".join(p for p in (carried, focus, wanted) if p)
                person = asked.person if asked.person.known else before.person
                if asked.person.known and before.person.known:
                    person = replace(asked.person, relation=asked.person.relation
                                     or before.person.relation,
                                     traits=before.person.traits | asked.person.traits)
                asked = replace(asked, person=person, asks=asked.asks or before.asks)
        # Marks put back from the articles' own spelling let a flat "nang" match "nặng" and
        # not "nâng". Only a question restored whole is searched with its marks: half marked,
        # half flat, it would match neither the accented synonyms nor the folded ones.
        restored = built.restorer.text(focus)
        if built.restorer.whole(restored):
            focus = restored
        analysed = analyse(focus, built.abbreviations, built.synonyms, built.index.speller)
        bm25 = built.index.rank(analysed)
        return Prepared(query, focus, asked, analysed, bm25, follows, built,
                        previous_article if follows else None)

    def _encoder_input(self, prepared: Prepared) -> str | None:
        if prepared.built.dense is None or self._encoder is None or not prepared.focus:
            return None
        return prepared.built.restorer.text(prepared.focus)

    def encode(self, prepared: Prepared) -> Any | None:
        text = self._encoder_input(prepared)
        if text is None or self._encoder is None:
            return None
        with self._lock:
            vector = self._recent.get(text)
        if vector is None:
            vector = self._encoder.query(text)
            with self._lock:
                self._recent[text] = vector
                while len(self._recent) > RECENT_VECTORS:
                    self._recent.popitem(last=False)
        return vector

    def encoded(self, prepared: Prepared) -> bool:
        text = self._encoder_input(prepared)
        with self._lock:
            return text is None or text in self._recent

    async def warm(self, query: str) -> None:
        """Embed a question before its unit of work starts: the answer then reads the vector
        from memory instead of holding the store while the encoder runs."""
        await asyncio.to_thread(self._warm, query)

    def _warm(self, query: str) -> None:
        self.encode(self.prepare(query))

    def rank(self, prepared: Prepared, vector: Any | None, limit: int = 5) -> SearchResult:
        return _rank(prepared, vector, limit)

    def search(self, query: str, limit: int = 5, *, previous: str | None = None,
               previous_article: str | None = None) -> SearchResult:
        """`previous`: the subject of the last answer, for a follow-up to lean on;
        `previous_article`: the article that answered it."""
        prepared = self.prepare(query, previous, previous_article)
        return self.rank(prepared, self.encode(prepared), limit)

    async def find(
        self, query: str, limit: int = 5, *, previous: str | None = None,
        previous_article: str | None = None,
    ) -> SearchResult:
        """`search` for the event loop, in a worker thread: the encoder releases the GIL, and
        the Python parts (reading a long story, BM25, fusing) run in the thread's GIL slices
        rather than as one block on the loop, so a question never delays an emergency reply."""
        prepared = self.prepare(query, previous, previous_article)
        if self.encoded(prepared):
            return self.rank(prepared, self.encode(prepared), limit)  # warmed: no thread hop
        return await asyncio.to_thread(self.search, query, limit, previous=previous,
                                       previous_article=previous_article)


@dataclass(frozen=True)
class Calibration:
    """When to answer, ask which one, or decline, for one kind of question (short, or a
    story): fitted by benchmarks/search_fit.py and kept in knowledge/search.yaml with the
    figures they gave there."""

    rrf_k: float = 10.0
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    answer_similarity: float = 0.87  # meaning alone is enough above this
    answer_margin: float = 0.015  # ... or above `support_similarity` with this lead
    support_similarity: float = 0.84
    coverage: float = 0.6  # BM25's share of the question found in the article
    ask_similarity: float = 0.84  # two candidates this close: ask which one
    ask_margin: float = 0.006

    @classmethod
    def from_mapping(cls, path: Path, name: str, values: object) -> Calibration:
        if not isinstance(values, dict):
            raise ValueError(f"{path}: {name}: expected a mapping of name -> number")
        known = set(cls.__dataclass_fields__)
        out: dict[str, float] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"{path}: {name}: unknown key {key!r}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{path}: {name}.{key}: expected a number, got {value!r}")
            out[str(key)] = float(value)
        return cls(**out)


@dataclass(frozen=True)
class Calibrations:
    """Short questions and stories are told apart by length: a story ("mẹ tôi năm nay 81
    tuổi… xin hỏi…") matches many articles closely, so it needs more to be answered."""

    short: Calibration = Calibration()
    long: Calibration = Calibration()
    long_words: int = 30  # a message of more words than this is read as a story

    def is_long(self, query: str) -> bool:
        return len(query.split()) > self.long_words

    def for_(self, query: str) -> Calibration:
        return self.long if self.is_long(query) else self.short

    @classmethod
    def load(cls, path: Path) -> Calibrations:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping with short, long and long_words")
        words = raw.get("long_words", cls.long_words)
        if isinstance(words, bool) or not isinstance(words, int) or words < 1:
            raise ValueError(f"{path}: long_words: expected a whole number of words")
        return cls(Calibration.from_mapping(path, "short", raw.get("short", {})),
                   Calibration.from_mapping(path, "long", raw.get("long", {})), words)


@dataclass(frozen=True)
class _Passage:
    article: int  # document number
    text: str
    paragraph: bool  # a paragraph of the body (can be shown); else a sample question/title


class DenseIndex:
    """Unit vectors of every article's passages: its title with its sample questions, and
    each body paragraph under its title (a paragraph alone often lacks its subject)."""

    def __init__(self, passages: Sequence[_Passage], vectors: Any, count: int) -> None:
        import numpy as np

        self.passages = list(passages)
        self.vectors = vectors
        self.owner = np.array([p.article for p in passages], dtype=np.int32)
        self.count = count

    @staticmethod
    def texts(article: Article) -> list[tuple[str, bool]]:
        out = [(f"{article.title}. {q}", False) for q in article.questions]
        out += [(f"{article.title}\n{p}", True) for p in paragraphs(article.body)]
        return out

    @classmethod
    def build(cls, articles: Sequence[Article], encoder: Encoder,
              cache: VectorCache) -> DenseIndex:
        import numpy as np

        groups = [cls.texts(a) for a in articles]
        vectors = embed_articles(encoder, cache, [[t for t, _ in g] for g in groups])
        passages = [
            _Passage(n, text, paragraph)
            for n, group in enumerate(groups)
            for text, paragraph in group
        ]
        matrix = np.vstack(vectors) if vectors else np.zeros((0, 384), dtype=np.float32)
        return cls(passages, matrix, len(articles))

    def similarities(self, vector: Any) -> tuple[Any, Any]:
        """Per article: the best similarity and the row of its best passage."""
        import numpy as np

        sims = self.vectors @ vector
        best = np.full(self.count, -1.0, dtype=np.float32)
        np.maximum.at(best, self.owner, sims)
        return best, sims


@dataclass(frozen=True)
class Prepared:
    query: str
    focus: str
    asked: Asked
    analysed: AnalysedQuery
    bm25: list[tuple[int, float]]
    follows: bool
    built: _Built
    previous_article: str | None = None  # the article a follow-up leans on


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    return Cues.load(KNOWLEDGE / "asking.yaml")


@lru_cache(maxsize=1)
def default_calibration() -> Calibrations:
    path = KNOWLEDGE / "search.yaml"
    return Calibrations.load(path) if path.exists() else Calibrations()


def _content_words(text: str, built: _Built) -> list[str]:
    ask_words = {w for cues in built.cues.asks.values() for c in cues for w in c.folded}
    lean_words = {w for c in (*built.cues.leaning_starts, *built.cues.leaning_ends)
                  for w in c.folded}
    out = []
    for tok in built.abbreviations.expand_words(tokens(text)):
        flat = fold(tok)
        if (flat in STOPWORDS or flat in ask_words or flat in lean_words
                or not flat.isalpha()):
            continue
        out.append(tok)
    return out


SUBJECT_IDF = 1.0  # words in most articles ("trợ cấp", "hỗ trợ") do not name a subject alone


def _subject(asked: Asked, built: _Built) -> str:
    """The words that name what the question is about (a group, a benefit), without the
    words that say what is asked about it; empty when it names nothing of its own."""
    words = _content_words(asked.focus, built)
    index = built.index
    if not any(fold(w) in index.folded_df and index.idf(fold(w)) >= SUBJECT_IDF
               for w in words):
        return ""
    return " ".join(words)


def _ask_words(asked: Asked, built: _Built) -> str:
    """A phrase for what was asked before ("bao nhiêu", "hồ sơ"), to carry to a follow-up."""
    if asked.asks is None:
        return ""
    cue = built.cues.asks[asked.asks][0]
    return " ".join(cue.accented)


@dataclass(frozen=True)
class Choice:
    order: list[int]  # document numbers, best first
    confident: bool
    ambiguous: bool


def choose(
    bm25: Sequence[tuple[int, float]], best: Any, coverage: Callable[[int], float],
    cal: Calibration,
) -> Choice:
    """Fuse the two rankings (reciprocal rank) and decide: answer, ask which one, or not.
    `best` holds each article's best passage similarity, `coverage` BM25's share of the
    question found in an article."""
    return _fuse(bm25, best, coverage, cal)


def _fuse(
    bm25: Sequence[tuple[int, float]], best: Any, coverage: Callable[[int], float],
    cal: Calibration,
) -> Choice:
    import numpy as np

    dense_order = np.argsort(-best)[:CANDIDATES].tolist()
    fused: dict[int, float] = {}
    for rank, (doc, _) in enumerate(bm25):
        fused[doc] = fused.get(doc, 0.0) + cal.bm25_weight / (cal.rrf_k + rank + 1)
    for rank, doc in enumerate(dense_order):
        fused[doc] = fused.get(doc, 0.0) + cal.dense_weight / (cal.rrf_k + rank + 1)
    order = sorted(fused, key=lambda d: (-fused[d], -best[d]))
    if not order:
        return Choice([], False, False)
    first = order[0]
    s1 = float(best[first])
    s2 = float(best[order[1]]) if len(order) > 1 else 0.0
    bm25_top = bool(bm25) and bm25[0][0] == first
    confident = (
        s1 >= cal.answer_similarity
        or (s1 >= cal.support_similarity and s1 - s2 >= cal.answer_margin)
        or (bm25_top and s1 >= cal.support_similarity - 0.03 and coverage(first) >= cal.coverage)
    )
    ambiguous = (
        not confident and len(order) > 1
        and s1 >= cal.ask_similarity and s1 - s2 <= cal.ask_margin
    )
    return Choice(order, confident, ambiguous)


def with_model(choice: Choice, prediction: Prediction, positions: dict[str, int], *,
               reorder_at: float, answer_at: float, agree_at: float = NEVER,
               known: frozenset[int] | None = None) -> Choice:
    """The article model's reading, when its article is among the ranking's first
    MODEL_CANDIDATES (two readings agreeing on the candidates): from `reorder_at` it goes
    first; from `answer_at` it is answered although the ranking was unsure; from `agree_at`
    too when the ranking had put it first itself. `known`: the documents the model was
    trained on; it has no say over a first hit it never saw (an article added since)."""
    doc = positions.get(prediction.article_id)
    if prediction.article_id == NONE or doc is None or doc not in choice.order[:MODEL_CANDIDATES]:
        return choice
    if known is not None and choice.order and choice.order[0] not in known:
        return choice
    p = prediction.probability
    if not choice.confident and p >= agree_at and choice.order[0] == doc:
        return Choice(choice.order, True, False)
    if p >= reorder_at and choice.order[0] != doc:
        choice = Choice([doc, *(d for d in choice.order if d != doc)], choice.confident,
                        choice.ambiguous)
    if not choice.confident and p >= answer_at and choice.order[0] == doc:
        choice = Choice(choice.order, True, False)
    return choice


def agreement(at: float, long: bool, asked: Asked) -> float:
    """From which probability (`at`, the model's for this length) the model answers with the
    ranking's own first. A story only when the writer tells of their own family: a long
    question about a group in general ("Người đã ly hôn, đang nuôi con… có được hưởng như người
    đơn thân…?") asks whether a rule stretches, which an article on the rule seldom settles."""
    return at if not long or asked.own else NEVER


def _rank(prepared: Prepared, vector: Any | None, limit: int) -> SearchResult:
    built = prepared.built
    index = built.index
    empty = SearchResult(prepared.query, (), False, False, asked=prepared.asked,
                         subject=prepared.focus, follows=prepared.follows)
    dense = built.dense
    if dense is None or vector is None:
        return _rank_bm25(prepared, limit) if prepared.bm25 else empty
    import numpy as np

    best, sims = dense.similarities(vector)
    choice = choose(prepared.bm25, best,
                    lambda d: index.coverage(prepared.analysed, index.docs[d]),
                    built.calibration.for_(prepared.query))
    if not choice.order:
        return empty
    first = choice.order[0]
    named = False  # the sibling rule decided by the title the question names
    if choice.confident and len(choice.order) > 1:
        second = choice.order[1]
        if abs(float(best[first]) - float(best[second])) <= SIBLING_MARGIN:
            # Two sibling articles ("khuyết tật nặng", "khuyết tật đặc biệt nặng"): the one
            # whose title the question names in full is meant; naming neither, their
            # answers differ, so ask.
            first_unnamed = index.unnamed(prepared.analysed, first)
            second_unnamed = index.unnamed(prepared.analysed, second)
            if first_unnamed and not second_unnamed:
                order = [second, first, *choice.order[2:]]
                choice = Choice(order, True, False)
                first = second
                named = True
            elif first_unnamed and second_unnamed:
                choice = Choice(choice.order, False, True)
    model = built.model
    if model is not None and not prepared.follows and not named:
        # Trained on questions that stand alone: a follow-up's subject is carried over, and
        # the article it leans on decides (below); a title named in full decides too.
        long = built.calibration.is_long(prepared.query)
        choice = with_model(choice, model.predict(vector, prepared.asked), built.positions,
                            reorder_at=model.reorder_at, answer_at=model.threshold(long),
                            agree_at=agreement(model.agreement(long), long, prepared.asked),
                            known=built.trained)
        first = choice.order[0]
    cal = built.calibration.for_(prepared.query)
    if (prepared.previous_article == index.docs[first].article.id and not choice.confident
            and float(best[first]) >= cal.support_similarity - FOLLOW_UP_SLACK):
        # "nếu mẹ tôi 85 tuổi thì sao": the article that just answered is still the best
        # fit; its other paragraph is the answer.
        choice = Choice(choice.order, True, False)
    hits = tuple(
        Hit(index.docs[d].article.id, index.docs[d].article.title, float(best[d]))
        for d in choice.order
    )
    rows = np.nonzero(dense.owner == first)[0].tolist()
    shown = [r for r in rows if dense.passages[r].paragraph]
    passage = ""
    if shown:
        top_row = max(shown, key=lambda r: float(sims[r]))
        passage = dense.passages[top_row].text.split("\n", 1)[-1]
    return SearchResult(prepared.query, hits[:limit], choice.confident, choice.ambiguous,
                        passage, prepared.asked, prepared.focus, prepared.follows)


def _rank_bm25(prepared: Prepared, limit: int) -> SearchResult:
    """Without the encoder: BM25 alone, with its coverage rule (the mode before dense)."""
    index = prepared.built.index
    rows = prepared.bm25
    hits = tuple(
        Hit(index.docs[doc].article.id, index.docs[doc].article.title, score)
        for doc, score in rows
    )
    good = index.coverage(prepared.analysed, index.docs[rows[0][0]]) >= CONFIDENT_COVERAGE
    close = len(hits) > 1 and hits[1].score >= AMBIGUOUS_RATIO * hits[0].score
    return SearchResult(prepared.query, hits[:limit], confident=good and not close,
                        ambiguous=good and close, asked=prepared.asked,
                        subject=prepared.focus, follows=prepared.follows)


@dataclass(frozen=True)
class _Loaded:
    articles: list[Article]
    abbreviations: Abbreviations
    synonyms: Synonyms
    cues: Cues
    calibration: Calibrations
    model: SearchModel | None


def _load(knowledge_dir: Path) -> _Loaded:
    articles = load_articles(knowledge_dir / "articles")
    abbreviations = Abbreviations.load(knowledge_dir / "teencode.yaml")
    synonyms_path = knowledge_dir / "synonyms.yaml"
    synonyms = Synonyms.load(synonyms_path) if synonyms_path.exists() else Synonyms.empty()
    cues_path = knowledge_dir / "asking.yaml"
    cues = Cues.load(cues_path) if cues_path.exists() else default_cues()
    calibration_path = knowledge_dir / "search.yaml"
    calibration = (Calibrations.load(calibration_path) if calibration_path.exists()
                   else default_calibration())
    model_path = knowledge_dir / "search_model.npz"
    model = SearchModel.load(model_path) if model_path.exists() else None
    return _Loaded(articles, abbreviations, synonyms, cues, calibration, model)


__all__ = ["Calibration", "Calibrations", "Hit", "PolicySearch", "SearchResult"]

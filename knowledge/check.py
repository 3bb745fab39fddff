"""`hotline kb check`: validate the whole knowledge base, one problem per line.

Errors make CI fail (bad front matter, duplicates, missing sources, unknown related ids,
templates that do not parse, broken data files); a stale `reviewed` date is a warning so
that an old but correct article does not block a release, while still being visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import jinja2
import yaml

from knowledge.articles import Article, ArticleError, article_paths, parse_article
from knowledge.asked import Cues
from knowledge.directory import Directory, DirectoryDataError
from knowledge.entitlements import EntitlementRules, EntitlementsError
from knowledge.query import Synonyms
from knowledge.search import Calibrations
from knowledge.text import Abbreviations, fold, is_folded, normalise

Severity = Literal["error", "warning"]
MIN_QUESTIONS = 3
MAX_SHORT_ANSWER_SENTENCES = 3


@dataclass(frozen=True)
class Problem:
    severity: Severity
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def _where(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _sentences(paragraph: str) -> int:
    # Count sentence ends followed by a space or the end; "01/7/2024." and "500.000" stay whole.
    text = paragraph.strip()
    ends = sum(1 for i, ch in enumerate(text) if ch in ".!?" and text[i + 1 : i + 2] in (" ", ""))
    return max(ends, 1)


def _article_problems(article: Article, where: str, today: date, max_age: int) -> list[Problem]:
    out: list[Problem] = []

    def error(message: str) -> None:
        out.append(Problem("error", where, message))

    if article.id != article.path.stem:
        error(f"id {article.id!r} does not match the file name {article.path.stem!r}")
    if len(article.questions) < MIN_QUESTIONS:
        error(f"has {len(article.questions)} sample questions, needs at least {MIN_QUESTIONS}")
    if article.questions and all(is_folded(q) for q in article.questions):
        error("sample questions: none is written with diacritics")
    if article.questions and not any(is_folded(q) for q in article.questions):
        error("sample questions: none is written without diacritics")
    if not article.sources:
        error("has no sources")
    if not article.tags:
        error("has no tags")
    if not article.audience:
        error("has no audience")
    if _sentences(article.short_answer) > MAX_SHORT_ANSWER_SENTENCES:
        error(
            f"short answer (first paragraph) has more than {MAX_SHORT_ANSWER_SENTENCES} sentences"
        )
    if article.reviewed > today:
        error(f"reviewed date {article.reviewed.isoformat()} is in the future")
    elif article.reviewed < today - timedelta(days=max_age):
        out.append(
            Problem(
                "warning",
                where,
                f"reviewed {article.reviewed.isoformat()}, more than {max_age} days ago",
            )
        )
    return out


def _cross_problems(
    articles: Iterable[tuple[Article, str]], unreadable: Iterable[str] = ()
) -> list[Problem]:
    out: list[Problem] = []
    ids: dict[str, str] = {}
    # Files that failed to parse are reported already; their names still count as ids so one
    # broken file does not also produce an "unknown related id" line in every article citing it.
    broken = set(unreadable)
    questions: dict[str, tuple[str, str]] = {}
    pairs = list(articles)
    for article, where in pairs:
        if article.id in ids:
            out.append(
                Problem("error", where, f"duplicate id {article.id!r} (also in {ids[article.id]})")
            )
        else:
            ids[article.id] = where
        own: set[str] = set()
        for question in article.questions:
            # Across articles, two questions that differ only by accents or case are the same
            # question; inside one article, the flat twin of an accented question is expected.
            exact = " ".join(normalise(question).replace("?", " ").split())
            key = fold(exact)
            if exact in own:
                out.append(Problem("error", where, f"sample question repeated: {question!r}"))
            elif key in questions and questions[key][0] != article.id:
                out.append(
                    Problem(
                        "error",
                        where,
                        f"duplicate sample question {question!r} (also in {questions[key][1]})",
                    )
                )
            own.add(exact)
            questions.setdefault(key, (article.id, where))
    for article, where in pairs:
        for related in article.related:
            if related not in ids and related not in broken:
                out.append(Problem("error", where, f"related id {related!r} does not exist"))
            elif related == article.id:
                out.append(Problem("error", where, "is related to itself"))
    return out


def _template_problems(knowledge_dir: Path) -> list[Problem]:
    out: list[Problem] = []
    env = jinja2.Environment(autoescape=False)  # parse only; rendering settings do not matter
    for path in sorted((knowledge_dir / "templates").rglob("*.j2")):  # report/ too
        where = _where(path, knowledge_dir)
        try:
            env.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError as exc:
            out.append(
                Problem(
                    "error", where, f"template does not parse: line {exc.lineno}: {exc.message}"
                )
            )
        except UnicodeDecodeError:
            out.append(Problem("error", where, "template is not valid UTF-8"))
    return out


def _data_problems(knowledge_dir: Path) -> list[Problem]:
    out: list[Problem] = []
    teencode = knowledge_dir / "teencode.yaml"
    synonyms = knowledge_dir / "synonyms.yaml"
    loaders: tuple[tuple[Path, Callable[[Path], object]], ...] = (
        (teencode, Abbreviations.load), (synonyms, Synonyms.load),
        (knowledge_dir / "asking.yaml", Cues.load),
        (knowledge_dir / "search.yaml", Calibrations.load),
    )
    for path, loader in loaders:
        if not path.exists():
            if path is teencode:
                out.append(Problem("error", _where(path, knowledge_dir), "file is missing"))
            continue
        try:
            loader(path)
        except (yaml.YAMLError, ValueError, AttributeError, TypeError) as exc:
            out.append(Problem("error", _where(path, knowledge_dir), f"cannot be read: {exc}"))
    return out


def _directory_problems(knowledge_dir: Path) -> list[Problem]:
    """A broken directory is an error; a number not marked verified is a warning (it is never
    shown to citizens until someone checks it and sets `verified: true`)."""
    path = knowledge_dir / "directory.yaml"
    if not path.exists():
        return []
    where = _where(path, knowledge_dir)
    try:
        directory = Directory.load(path)
    except (OSError, DirectoryDataError) as exc:
        return [Problem("error", where, f"cannot be read: {exc}")]
    return [
        Problem(
            "warning",
            where,
            f"hotline {h.id!r} ({h.number}) is not verified: it is never shown to citizens",
        )
        for h in directory.unverified()
    ]


ENTITLEMENT_TEMPLATES = ("entitlement_ask", "entitlement_band", "entitlement_result",
                         "entitlement_words")


def _entitlement_problems(knowledge_dir: Path, today: date) -> list[Problem]:
    """entitlements.yaml (optional) must load; its templates must be there; a source not yet in
    force is a warning (the check would already apply it)."""
    path = knowledge_dir / "entitlements.yaml"
    if not path.exists():
        return []
    where = _where(path, knowledge_dir)
    try:
        rules = EntitlementRules.load(path)
    except (OSError, EntitlementsError) as exc:
        return [Problem("error", where, f"cannot be read: {exc}")]
    out = [Problem("error", _where(knowledge_dir / "templates" / f"{name}.j2", knowledge_dir),
                   "missing (the entitlement check needs it)")
           for name in ENTITLEMENT_TEMPLATES
           if not (knowledge_dir / "templates" / f"{name}.j2").is_file()]
    sources = [rules.base.source, rules.base.local, rules.apply_at.source, rules.highest_only,
               rules.higher_of_both, *rules.health_insurance.values(),
               *(s for g in rules.groups for s in g.sources)]
    for source in dict.fromkeys(sources):
        if source.effective is not None and source.effective > today:
            out.append(Problem("warning", where, f"{source.cite()} takes effect on "
                                                 f"{source.effective.isoformat()}, after today"))
    return out


def check_knowledge(knowledge_dir: Path, today: date, max_age_days: int = 365) -> list[Problem]:
    """Every problem in the knowledge base under `knowledge_dir`, errors and warnings."""
    problems: list[Problem] = []
    articles_dir = knowledge_dir / "articles"
    paths = article_paths(articles_dir) if articles_dir.is_dir() else []
    if not paths:
        problems.append(Problem("error", _where(articles_dir, knowledge_dir), "no articles found"))
    loaded: list[tuple[Article, str]] = []
    unreadable: list[str] = []
    for path in paths:
        where = _where(path, knowledge_dir)
        try:
            article = parse_article(path)
        except ArticleError as exc:
            problems.append(Problem("error", where, f"{exc.field}: {exc.reason}"))
            unreadable.append(path.stem)
            continue
        loaded.append((article, where))
        problems.extend(_article_problems(article, where, today, max_age_days))
    problems.extend(_cross_problems(loaded, unreadable))
    problems.extend(_template_problems(knowledge_dir))
    problems.extend(_data_problems(knowledge_dir))
    problems.extend(_directory_problems(knowledge_dir))
    problems.extend(_entitlement_problems(knowledge_dir, today))
    return problems

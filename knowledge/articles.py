"""Policy articles: one Markdown file each, YAML front matter + body.

A file looks like::

    ---
    id: muc-chuan-tro-giup-xa-hoi
    title: Mức chuẩn trợ giúp xã hội
    questions: [..., ...]          # how people ask, accented and unaccented
    tags: [...]
    audience: [người dân]
    sources:
      - document: Nghị định 20/2021/NĐ-CP
        article: Điều 4
        effective: 2021-07-01
        amended_by: Nghị định 76/2024/NĐ-CP   # optional
        amended_effective: 2024-07-01        # optional: from when the amendment applies
        sets: mức chuẩn 500.000 đồng          # optional: what the amendment sets
    reviewed: 2026-11-23
    related: [other-article-id]     # optional
    ---
    Short answer: the first paragraph, 1-3 sentences.

    Details...

Loading is strict about structure (types, required fields) and raises `ArticleError` naming
the file and the field; content rules (enough questions, duplicates, stale reviews) live in
`knowledge.check` so that one run can report every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

_FENCE = "---"
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REQUIRED = ("id", "title", "questions", "tags", "audience", "sources", "reviewed")
_OPTIONAL = ("related",)
_SOURCE_REQUIRED = ("document", "article", "effective")
_SOURCE_OPTIONAL = ("amended_by", "amended_effective", "sets")


class FieldError(ValueError):
    """A knowledge file that cannot be loaded; the message names the file and the field."""

    def __init__(self, path: Path | str, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}")
        self.path = path
        self.field = field
        self.reason = message


class ArticleError(FieldError):
    """An article file that cannot be loaded."""


@dataclass(frozen=True)
class Source:
    """Where a figure or rule comes from. `effective` is None when no date was verified."""

    document: str
    article: str
    effective: date | None
    amended_by: str = ""
    amended_effective: date | None = None
    sets: str = ""  # what the amendment sets ("mức chuẩn 500.000 đồng")

    def cite(self) -> str:
        """'Nghị định 20/2021/NĐ-CP, Điều 6, sửa đổi bởi Nghị định 76/2024/NĐ-CP'."""
        parts = [self.document]
        if self.article:
            parts.append(self.article)
        if self.amended_by:
            parts.append(f"sửa đổi bởi {self.amended_by}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Amendment:
    document: str
    sets: str
    effective: date | None


@dataclass(frozen=True)
class Citation:
    """One document as the "Căn cứ" line names it: once, with all its article numbers, the
    date it applies from, and what later documents changed in it and from when."""

    document: str
    articles: tuple[str, ...]
    effective: date | None
    amendments: tuple[Amendment, ...] = ()


def citations(sources: tuple[Source, ...]) -> tuple[Citation, ...]:
    order: list[str] = []
    parts: dict[str, list[str]] = {}
    dates: dict[str, date | None] = {}
    changes: dict[str, list[Amendment]] = {}
    for source in sources:
        if source.document not in parts:
            order.append(source.document)
            parts[source.document] = []
            dates[source.document] = source.effective
            changes[source.document] = []
        for piece in (p.strip() for p in source.article.split(",")):
            if piece and piece not in parts[source.document]:
                parts[source.document].append(piece)
        if dates[source.document] is None:
            dates[source.document] = source.effective
        if source.amended_by:
            amendment = Amendment(source.amended_by, source.sets, source.amended_effective)
            if amendment not in changes[source.document]:
                changes[source.document].append(amendment)
    # A document cited on its own and also as the amendment of another is named once, as
    # the amendment (with what it sets and from when).
    amending = {a.document for d in order for a in changes[d]}
    return tuple(
        Citation(d, tuple(parts[d]), dates[d], tuple(changes[d])) for d in order
        if d not in amending or changes[d]
    )


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    questions: tuple[str, ...]
    tags: tuple[str, ...]
    audience: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: date
    body: str
    path: Path
    related: tuple[str, ...] = ()

    @property
    def short_answer(self) -> str:
        """The first paragraph of the body: what the bot says first."""
        return paragraphs(self.body)[0] if self.body.strip() else ""

    @property
    def details(self) -> str:
        """Everything after the first paragraph."""
        return "\n\n".join(paragraphs(self.body)[1:])

    @property
    def citations(self) -> tuple[Citation, ...]:
        return citations(self.sources)

    @property
    def sources_line(self) -> str:
        """All sources in one Vietnamese line, separated by semicolons."""
        return "; ".join(source.cite() for source in self.sources)


def paragraphs(body: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    """Front matter mapping and body. Raises ArticleError when the fences or YAML are bad."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise ArticleError(path, "front matter", "file must start with a '---' line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        raise ArticleError(path, "front matter", "no closing '---' line") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise ArticleError(path, "front matter", f"invalid YAML{where}") from exc
    if not isinstance(meta, dict):
        raise ArticleError(path, "front matter", "must be a mapping of fields")
    return meta, "\n".join(lines[end + 1 :]).strip()


def _text(path: Path, field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(path, field, "must be a non-empty text")
    return value.strip()


def _texts(path: Path, field: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ArticleError(path, field, "must be a list")
    return tuple(_text(path, f"{field}[{i}]", item) for i, item in enumerate(value))


def _date(path: Path, field: str, value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ArticleError(path, field, f"must be a date YYYY-MM-DD, got {value!r}")


def _source(path: Path, index: int, raw: object) -> Source:
    field = f"sources[{index}]"
    if not isinstance(raw, Mapping):
        raise ArticleError(path, field, "must be a mapping with document, article, effective")
    for key in _SOURCE_REQUIRED:
        if key not in raw:
            raise ArticleError(path, f"{field}.{key}", "missing")
    unknown = sorted(set(map(str, raw)) - set(_SOURCE_REQUIRED) - set(_SOURCE_OPTIONAL))
    if unknown:
        raise ArticleError(path, f"{field}.{unknown[0]}", "unknown field")
    effective = raw["effective"]
    return Source(
        document=_text(path, f"{field}.document", raw["document"]),
        article=_text(path, f"{field}.article", raw["article"]),
        # null means "no verified effective date"; the citation still names the document.
        effective=None if effective is None else _date(path, f"{field}.effective", effective),
        amended_by=(
            _text(path, f"{field}.amended_by", raw["amended_by"]) if "amended_by" in raw else ""
        ),
        amended_effective=(
            _date(path, f"{field}.amended_effective", raw["amended_effective"])
            if raw.get("amended_effective") is not None else None
        ),
        sets=_text(path, f"{field}.sets", raw["sets"]) if "sets" in raw else "",
    )


def parse_article(path: Path) -> Article:
    """Read one article file. Raises ArticleError naming the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArticleError(path, "file", "not valid UTF-8") from None
    meta, body = split_front_matter(path, text)
    for key in _REQUIRED:
        if key not in meta:
            raise ArticleError(path, key, "missing")
    unknown = sorted(set(map(str, meta)) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ArticleError(path, unknown[0], "unknown field")
    article_id = _text(path, "id", meta["id"])
    if not _ID.match(article_id):
        raise ArticleError(path, "id", f"must be lower-case-with-dashes, got {article_id!r}")
    if not isinstance(meta["sources"], list):
        raise ArticleError(path, "sources", "must be a list")
    if not body:
        raise ArticleError(path, "body", "is empty")
    return Article(
        id=article_id,
        title=_text(path, "title", meta["title"]),
        questions=_texts(path, "questions", meta["questions"]),
        tags=_texts(path, "tags", meta["tags"]),
        audience=_texts(path, "audience", meta["audience"]),
        sources=tuple(_source(path, i, raw) for i, raw in enumerate(meta["sources"])),
        reviewed=_date(path, "reviewed", meta["reviewed"]),
        body=body,
        path=path,
        related=_texts(path, "related", meta.get("related") or []),
    )


def article_paths(directory: Path) -> list[Path]:
    """Article files in a stable order (sorted by name)."""
    return sorted(p for p in directory.glob("*.md") if p.is_file())


def load_articles(directory: Path) -> list[Article]:
    """Every article in `directory`; raises ArticleError on the first bad file or duplicate id."""
    if not directory.is_dir():
        raise ArticleError(directory, "directory", "does not exist")
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    for path in article_paths(directory):
        article = parse_article(path)
        if article.id in seen:
            raise ArticleError(path, "id", f"{article.id!r} is already used by {seen[article.id]}")
        seen[article.id] = path
        articles.append(article)
    return articles

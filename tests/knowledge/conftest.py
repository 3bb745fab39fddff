"""Fixtures for the knowledge tests: the shipped knowledge base and small temporary ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge.dense import load_encoder
from knowledge.search import PolicySearch

KNOWLEDGE_DIR = Path(__file__).resolve().parents[2] / "knowledge"
TEENCODE = KNOWLEDGE_DIR / "teencode.yaml"


ArticleText = Callable[..., str]


@pytest.fixture(scope="session")
def knowledge_dir() -> Path:
    return KNOWLEDGE_DIR


@pytest.fixture(scope="session")
def teencode_path() -> Path:
    return TEENCODE


@pytest.fixture(scope="session")
def shipped_search() -> PolicySearch:
    return PolicySearch.from_directory(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def shipped_dense() -> PolicySearch:
    """The shipped articles with the real encoder and the shipped passage vectors."""
    encoder, why = load_encoder(1)
    assert encoder is not None, f"the encoder must load on this machine: {why}"
    return PolicySearch.from_directory(KNOWLEDGE_DIR, encoder=encoder)


@pytest.fixture(scope="session")
def article_text() -> ArticleText:
    """Builds the text of a valid article file; keyword arguments change one part."""
    return _article_text


def _article_text(
    article_id: str,
    *,
    title: str = "Tiêu đề",
    questions: tuple[str, ...] = ("Câu hỏi một?", "cau hoi hai", "Câu hỏi ba?"),
    body: str = "Câu trả lời ngắn.\n\nChi tiết thêm.",
    reviewed: str = "2026-11-01",
    extra: str = "",
) -> str:
    quoted = ", ".join(f'"{q}"' for q in questions)
    return (
        "---\n"
        f"id: {article_id}\n"
        f'title: "{title}"\n'
        f"questions: [{quoted}]\n"
        "tags: [thử nghiệm]\n"
        "audience: [người dân]\n"
        "sources:\n"
        "  - {document: Nghị định 20/2021/NĐ-CP, article: Điều 6, effective: 2021-07-01,"
        " amended_by: Nghị định 76/2024/NĐ-CP}\n"
        f"reviewed: {reviewed}\n"
        f"{extra}"
        "---\n"
        f"{body}\n"
    )


@pytest.fixture
def make_kb(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A knowledge directory with the given article files (name -> text) and real teencode."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "knowledge"
        (root / "articles").mkdir(parents=True)
        (root / "teencode.yaml").write_text(TEENCODE.read_text(encoding="utf-8"), encoding="utf-8")
        for name, text in files.items():
            (root / "articles" / name).write_text(text, encoding="utf-8")
        return root

    return make

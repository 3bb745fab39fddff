from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from knowledge.articles import ArticleError, load_articles

ArticleText = Callable[..., str]


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_valid_article_loads_with_its_parts(tmp_path: Path, article_text: ArticleText) -> None:
    body = "Mức chuẩn là 500.000 đồng/tháng.\n\nTỉnh có thể cao hơn.\n\nHỏi UBND xã."
    write(tmp_path, {"muc-chuan.md": article_text("muc-chuan", body=body)})
    [article] = load_articles(tmp_path)
    assert article.id == "muc-chuan"
    assert article.short_answer == "Mức chuẩn là 500.000 đồng/tháng."
    assert article.details == "Tỉnh có thể cao hơn.\n\nHỏi UBND xã."
    assert article.sources[0].effective == date(2021, 7, 1)
    assert article.sources_line == (
        "Nghị định 20/2021/NĐ-CP, Điều 6, sửa đổi bởi Nghị định 76/2024/NĐ-CP"
    )


def test_several_sources_are_joined_in_one_line(tmp_path: Path, article_text: ArticleText) -> None:
    text = article_text("a").replace(
        "reviewed:",
        "  - {document: Luật Người khuyết tật số 51/2010/QH12, article: Điều 3,"
        " effective: 2011-01-01}\nreviewed:",
    )
    write(tmp_path, {"a.md": text})
    [article] = load_articles(tmp_path)
    assert article.sources_line.endswith("; Luật Người khuyết tật số 51/2010/QH12, Điều 3")


def test_related_ids_are_read(tmp_path: Path, article_text: ArticleText) -> None:
    write(tmp_path, {"a.md": article_text("a", extra="related: [b, c]\n")})
    assert load_articles(tmp_path)[0].related == ("b", "c")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no front matter at all", "a.md: front matter: file must start with a '---' line"),
        ("---\nid: a\n", "a.md: front matter: no closing '---' line"),
        ("---\nid: [a\n---\nbody", "a.md: front matter: invalid YAML"),
    ],
)
def test_broken_front_matter_names_the_file(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path, {"a.md": text})
    with pytest.raises(ArticleError, match=expected.replace("[", r"\[")):
        load_articles(tmp_path)


def test_a_missing_field_is_named(tmp_path: Path, article_text: ArticleText) -> None:
    text = article_text("a").replace('title: "Tiêu đề"\n', "")
    write(tmp_path, {"a.md": text})
    with pytest.raises(ArticleError, match=r"a\.md: title: missing"):
        load_articles(tmp_path)


def test_a_bad_date_is_named(tmp_path: Path, article_text: ArticleText) -> None:
    write(tmp_path, {"a.md": article_text("a", reviewed="hôm qua")})
    with pytest.raises(ArticleError, match=r"a\.md: reviewed: must be a date"):
        load_articles(tmp_path)


def test_a_misspelt_field_is_refused(tmp_path: Path, article_text: ArticleText) -> None:
    write(tmp_path, {"a.md": article_text("a", extra="sorces: []\n")})
    with pytest.raises(ArticleError, match=r"a\.md: sorces: unknown field"):
        load_articles(tmp_path)


def test_a_source_without_document_is_named(tmp_path: Path, article_text: ArticleText) -> None:
    text = article_text("a").replace("{document: Nghị định 20/2021/NĐ-CP, ", "{")
    write(tmp_path, {"a.md": text})
    with pytest.raises(ArticleError, match=r"a\.md: sources\[0\]\.document: missing"):
        load_articles(tmp_path)


def test_two_files_with_one_id_are_refused(tmp_path: Path, article_text: ArticleText) -> None:
    write(tmp_path, {"a.md": article_text("same"), "b.md": article_text("same")})
    with pytest.raises(ArticleError, match=r"b\.md: id: 'same' is already used"):
        load_articles(tmp_path)

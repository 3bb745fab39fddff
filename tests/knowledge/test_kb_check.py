from collections.abc import Callable
from datetime import date
from pathlib import Path

from knowledge.check import Problem, check_knowledge

ArticleText = Callable[..., str]
MakeKb = Callable[[dict[str, str]], Path]
TODAY = date(2026, 12, 1)


def test_the_shipped_knowledge_base_has_no_errors(knowledge_dir: Path) -> None:
    problems = check_knowledge(knowledge_dir, TODAY)
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_the_shipped_knowledge_base_has_at_least_50_articles(knowledge_dir: Path) -> None:
    assert len(list((knowledge_dir / "articles").glob("*.md"))) >= 50


def test_a_clean_knowledge_base_has_no_problems(make_kb: MakeKb, article_text: ArticleText) -> None:
    root = make_kb(
        {
            "a.md": article_text("a"),
            "b.md": article_text("b", questions=("Hỏi khác một?", "hoi khac hai", "Hỏi khác ba?")),
        }
    )
    assert check_knowledge(root, TODAY) == []


def test_every_problem_is_reported_once(make_kb: MakeKb, article_text: ArticleText) -> None:
    root = make_kb(
        {
            "broken.md": "---\nid: broken\ntitle: [oops\n---\nbody\n",
            "no-sources.md": article_text("no-sources", questions=("Một?", "hai", "Ba?"))
            .replace(
                "  - {document: Nghị định 20/2021/NĐ-CP, article: Điều 6, effective: 2021-07-01,"
                " amended_by: Nghị định 76/2024/NĐ-CP}\n",
                "",
            )
            .replace("sources:\n", "sources: []\n"),
            "dup-a.md": article_text("dup-a", questions=("Trợ cấp bao nhiêu?", "x y", "Z?")),
            "dup-b.md": article_text("dup-b", questions=("tro cap bao nhieu", "u v", "W?")),
            "old.md": article_text(
                "old",
                reviewed="2024-01-01",
                questions=("Cũ?", "cu lam", "Cũ quá?"),
                extra="related: [missing-one]\n",
            ),
            "wrong-name.md": article_text("other-id", questions=("Tên?", "ten", "Tên khác?")),
        }
    )
    (root / "templates").mkdir()
    (root / "templates" / "bad.j2").write_text("Xin chào {{ name ", encoding="utf-8")
    (root / "templates" / "good.j2").write_text("Xin chào {{ name }}", encoding="utf-8")
    problems = check_knowledge(root, TODAY)
    assert sorted(map(str, problems)) == sorted(
        [
            "error: knowledge/articles/broken.md: front matter: invalid YAML (line 3)",
            "error: knowledge/articles/no-sources.md: has no sources",
            "error: knowledge/articles/dup-b.md: duplicate sample question 'tro cap bao nhieu'"
            " (also in knowledge/articles/dup-a.md)",
            "warning: knowledge/articles/old.md: reviewed 2024-01-01, more than 365 days ago",
            "error: knowledge/articles/old.md: related id 'missing-one' does not exist",
            "error: knowledge/articles/wrong-name.md: id 'other-id' does not match the file"
            " name 'wrong-name'",
            "error: knowledge/templates/bad.j2: template does not parse: line 1: unexpected"
            " end of template, expected 'end of print statement'.",
        ]
    )


def test_duplicate_ids_are_errors(make_kb: MakeKb, article_text: ArticleText) -> None:
    root = make_kb(
        {
            "a.md": article_text("a"),
            "a-copy.md": article_text("a", questions=("Khác?", "khac", "Khác nữa?")),
        }
    )
    messages = [p.message for p in check_knowledge(root, TODAY)]
    assert "duplicate id 'a' (also in knowledge/articles/a-copy.md)" in messages


def test_stale_age_is_configurable(make_kb: MakeKb, article_text: ArticleText) -> None:
    root = make_kb({"a.md": article_text("a", reviewed="2026-10-01")})
    assert check_knowledge(root, TODAY, max_age_days=365) == []
    assert check_knowledge(root, TODAY, max_age_days=30) == [
        Problem("warning", "knowledge/articles/a.md", "reviewed 2026-10-01, more than 30 days ago")
    ]


def test_questions_need_both_accented_and_unaccented(
    make_kb: MakeKb, article_text: ArticleText
) -> None:
    root = make_kb({"a.md": article_text("a", questions=("Một?", "Hai?", "Ba?"))})
    assert [p.message for p in check_knowledge(root, TODAY)] == [
        "sample questions: none is written without diacritics"
    ]

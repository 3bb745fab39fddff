import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge.articles import load_articles
from knowledge.query import Synonyms
from knowledge.search import PolicySearch
from knowledge.text import Abbreviations

ArticleText = Callable[..., str]
MakeKb = Callable[[dict[str, str]], Path]


def build(make_kb: MakeKb, files: dict[str, str], synonyms: str = "") -> PolicySearch:
    root = make_kb(files)
    if synonyms:
        (root / "synonyms.yaml").write_text(synonyms, encoding="utf-8")
    return PolicySearch.from_directory(root)


def top(search: PolicySearch, query: str) -> str:
    hits = search.search(query).hits
    return hits[0].article_id if hits else ""


def test_accented_match_ranks_above_a_folded_one(
    make_kb: MakeKb, article_text: ArticleText
) -> None:
    search = build(
        make_kb,
        {
            "cap.md": article_text("cap", title="Cáp điện", questions=("Cáp?", "cap", "Cáp gì?")),
            "cap-tien.md": article_text(
                "cap-tien", title="Cấp tiền", questions=("Cấp?", "cap", "Cấp gì?")
            ),
        },
    )
    assert top(search, "cấp") == "cap-tien"
    assert top(search, "cáp") == "cap"
    flat = search.search("cap").hits
    assert {h.article_id for h in flat} == {"cap", "cap-tien"}


def test_questions_weigh_more_than_body_text(make_kb: MakeKb, article_text: ArticleText) -> None:
    search = build(
        make_kb,
        {
            "in-body.md": article_text(
                "in-body", body="Hỏi về mai táng thì xem bài khác.\n\nMai táng mai táng."
            ),
            "in-question.md": article_text(
                "in-question", questions=("Hỗ trợ mai táng?", "mai tang", "Tiền mai táng?")
            ),
        },
    )
    assert top(search, "mai táng") == "in-question"


def test_teencode_finds_the_article(shipped_search: PolicySearch) -> None:
    result = shipped_search.search("nkt dac biet nang dc tc bnhiu")
    assert result.hits[0].article_id == "tro-cap-nguoi-khuyet-tat-dac-biet-nang"


def test_unaccented_question_from_the_issue_is_answered(shipped_search: PolicySearch) -> None:
    result = shipped_search.search("tro cap nguoi khuyet tat bn")
    assert {h.article_id for h in result.hits[:2]} == {
        "tro-cap-nguoi-khuyet-tat-nang",
        "tro-cap-nguoi-khuyet-tat-dac-biet-nang",
    }
    assert result.ambiguous, "two articles fit equally well: the flow should ask which one"


def test_synonyms_from_data_connect_different_words(
    make_kb: MakeKb, article_text: ArticleText
) -> None:
    files = {
        "nct.md": article_text(
            "nct", title="Trợ cấp người cao tuổi", questions=("Người cao tuổi?", "nct", "Cụ?")
        ),
        "other.md": article_text("other", title="Mai táng", questions=("Chôn?", "x", "Y?")),
    }
    without = build(make_kb, files)
    assert top(without, "tiền cho người già") != "nct"
    search = PolicySearch.build(
        load_articles(without.articles[0].path.parent),
        Abbreviations({}),
        Synonyms({"người già": "người cao tuổi"}, {"nguoi gia": "người cao tuổi"}),
    )
    assert top(search, "tiền cho người già") == "nct"
    assert top(search, "tien cho nguoi gia") == "nct"


def test_shipped_synonyms_understand_everyday_words(shipped_search: PolicySearch) -> None:
    assert top(shipped_search, "nhà nghèo có người tàn tật nặng được bao nhiêu") == (
        "tro-cap-nguoi-khuyet-tat-nang"
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("giay xac nhan khuyt tat", "giay-xac-nhan-khuyet-tat"),  # a letter missing
        ("tro cpa nguoi khuyet tat dac biet nang", "tro-cap-nguoi-khuyet-tat-dac-biet-nang"),
        ("trowj caaps huwu tris xax hooij", "tro-cap-huu-tri-xa-hoi"),  # Telex, no input method
    ],
)
def test_typos_are_tolerated(shipped_search: PolicySearch, query: str, expected: str) -> None:
    assert top(shipped_search, query) == expected


def test_a_question_outside_the_knowledge_base_is_not_answered(
    shipped_search: PolicySearch,
) -> None:
    for query in ("thủ tục ly hôn đơn phương", "giá vàng hôm nay", "trợ cấp thất nghiệp"):
        result = shipped_search.search(query)
        assert not result.confident, query


def test_empty_or_meaningless_input_gives_no_hits(shipped_search: PolicySearch) -> None:
    for query in ("", "   ", "?!", "ạ"):
        result = shipped_search.search(query)
        assert result.hits == () and not result.confident and not result.ambiguous


def test_confident_and_ambiguous_never_hold_together(shipped_search: PolicySearch) -> None:
    for query in ("mức chuẩn trợ giúp xã hội", "tro cap nguoi khuyet tat bn", "xin chào"):
        result = shipped_search.search(query)
        assert not (result.confident and result.ambiguous)


def test_a_clear_question_is_answered_confidently(shipped_search: PolicySearch) -> None:
    result = shipped_search.search("Mức chuẩn trợ giúp xã hội bây giờ là bao nhiêu?")
    assert result.confident
    assert result.hits[0].article_id == "muc-chuan-tro-giup-xa-hoi"
    assert shipped_search.article("muc-chuan-tro-giup-xa-hoi").title == result.hits[0].title


def test_limit_caps_the_hits(shipped_search: PolicySearch) -> None:
    assert len(shipped_search.search("trợ cấp", limit=2).hits) == 2


def test_unknown_article_id_raises_key_error(shipped_search: PolicySearch) -> None:
    with pytest.raises(KeyError):
        shipped_search.article("khong-co")


def test_edited_articles_are_picked_up_on_rebuild(
    make_kb: MakeKb, article_text: ArticleText
) -> None:
    search = build(make_kb, {"a.md": article_text("a", title="Mai táng")})
    assert not search.rebuild_if_changed()
    path = search.article("a").path
    path.write_text(article_text("a", title="Hỗ trợ gạo cứu đói"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert search.changed()
    assert search.rebuild_if_changed()
    assert search.article("a").title == "Hỗ trợ gạo cứu đói"
    assert top(search, "gạo cứu đói") == "a"


def test_a_broken_edit_keeps_the_old_index(make_kb: MakeKb, article_text: ArticleText) -> None:
    search = build(make_kb, {"a.md": article_text("a", title="Mai táng")})
    path = search.article("a").path
    path.write_text("no front matter", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    with pytest.raises(ValueError, match="front matter"):
        search.rebuild_if_changed()
    assert search.article("a").title == "Mai táng"


def test_no_article_sends_people_to_abolished_offices(shipped_search: PolicySearch) -> None:
    abolished = re.compile(r"(Phòng|Sở) Lao động|LĐ-TB&XH|cấp huyện", re.IGNORECASE)
    for article in shipped_search.articles:
        for sentence in re.split(r"(?<=[.;])\s", article.body):
            if abolished.search(sentence):
                assert re.search(r"không còn|đã không|bỏ cấp huyện|viết khi", sentence), (
                    f"{article.id}: {sentence}"
                )

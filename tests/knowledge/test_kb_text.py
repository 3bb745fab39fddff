from pathlib import Path

from knowledge.text import Abbreviations, fold, normalise, words


def test_normalise_composes_lowercases_and_collapses_spaces() -> None:
    decomposed = "Ngu\u031bo\u031b\u0300i   KHUYÊ\u0301T tật"
    assert normalise(decomposed) == "người khuyết tật"


def test_fold_removes_every_diacritic_including_d_stroke() -> None:
    assert fold("Đường dây nóng ĐỒNG THÁP") == "duong day nong dong thap"


def test_words_split_on_punctuation_and_keep_accents() -> None:
    assert words("Trợ cấp, bao nhiêu?!") == ["trợ", "cấp", "bao", "nhiêu"]


def test_teencode_is_written_out_in_full(teencode_path: Path) -> None:
    table = Abbreviations.load(teencode_path)
    assert table.expand("nkt ko dc tc bnhiu") == "người khuyết tật không được trợ cấp bao nhiêu"


def test_multiword_short_forms_are_expanded(teencode_path: Path) -> None:
    table = Abbreviations.load(teencode_path)
    assert table.expand("lam nhu the nao") == "lam như thế nào"


def test_accented_words_are_never_taken_for_short_forms(teencode_path: Path) -> None:
    table = Abbreviations.load(teencode_path)
    assert table.expand("Có được không") == "có được không"


def test_real_words_inside_known_phrases_stay_as_typed(teencode_path: Path) -> None:
    table = Abbreviations.load(teencode_path)
    assert table.expand("the bao hiem y te") == "the bao hiem y te"
    assert table.expand("nha bi hu hong") == "nha bi hu hong"
    assert table.expand("te bi danh") == "trẻ em bi danh"

"""Masking what identifies a person in a message before it leaves the hotline's database
(`hotline triage export`, `hotline kb gaps`).

Pure functions over text. What is masked, and its mark:

- URLs ``[đường dẫn]`` and e-mail addresses ``[email]``;
- bank account numbers after "số tài khoản", "stk", "tk" ``[số tài khoản]``;
- Vietnamese phone numbers in every usual shape (0912345678, 0912 345 678, 0912.345.678,
  +84 912.345.678, (+84) 912345678, 84912345678, landlines 024 3826 1234) ``[số điện thoại]``;
- ID numbers: CCCD (12 digits), CMND (9 digits) ``[số giấy tờ]``; any other run of 8 or more
  digits ``[số]``;
- street addresses: "số 12 ngõ 34 phố Huế", "hẻm 5 đường Lê Lợi", "thôn 3", "xóm Đông",
  "ấp Bình An", "tổ 7", "phường 5", "xã Tân Lập", "quận Ba Đình", "huyện Sóc Sơn"…
  ``[địa chỉ]`` (a whole chain of them becomes one mark);
- names: after "tên là", "tên tôi là", "tên em là" ``[tên]``; after a kinship word ("chị Hoa",
  "bé Na", "chú Tư" become "chị [tên]", "bé [tên]", "chú [tên]"); a full name that starts with
  a common family name ("Trần Văn Bạo"); the person's own name as the channel gave it.

With ``every_number=True`` (the knowledge-base gaps report) every other number goes too:
amounts, ages, years and short emergency numbers become ``[số]``, which the triage export
keeps because they matter to the level.

Masking errs on the side of masking: a capitalised place after "xã" is masked even when it
would have been harmless. Provinces and cities are kept: they say where help is needed
without saying who.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

NAME = "[tên]"
PHONE = "[số điện thoại]"
ADDRESS = "[địa chỉ]"
EMAIL = "[email]"
ID_NUMBER = "[số giấy tờ]"
BANK = "[số tài khoản]"
NUMBER = "[số]"
URL = "[đường dẫn]"


@lru_cache(maxsize=1)
def _upper() -> str:
    """A character class of the capital letters Vietnamese is written with."""
    letters = "".join(ch for ch in map(chr, range(0x41, 0x1F00)) if ch.isalpha() and ch.isupper())
    return f"[{re.escape(letters)}]"


# Places that begin like a name ("Hà", "Cao", "Bà" are family names or kinship words too):
# kept, since a province or a city says where help is needed without saying who.
_PLACES = (
    "Hà Nội", "Hà Giang", "Hà Nam", "Hà Tĩnh", "Hà Đông", "Cao Bằng", "Lâm Đồng", "Hồ Chí Minh",
    "Phan Thiết", "Phan Rang", "Bà Rịa", "Ba Lan", "Lê Chân", "Hồ Tây", "Tô Lịch", "Sài Gòn",
)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """(pattern, mark), in the order they apply. Unit and kinship words match in any case;
    the names after them must be capitalised ("xã Tân Lập" is a place, "xã hội" is not)."""
    up = _upper()
    cap_word = rf"{up}[^\W\d_]*"
    # One to four capitalised words: a name, or the name of a street or a commune.
    cap_words = rf"{cap_word}(?:[ \t]+{cap_word}){{0,3}}"
    places = "|".join(
        re.escape(form).replace(r"\ ", r"[ \t]+")
        for place in _PLACES for form in dict.fromkeys((place, _unaccent(place)))
    )
    not_place = rf"(?!(?:{places})(?![\w]))"
    number = r"(?:\d+[a-zA-Z]?(?:/\d+[a-zA-Z]?)*|[A-Z]{1,2}\d+[a-zA-Z]?)"
    sep = r"[ \t]*[,\-–]?[ \t]*"
    ws = r"[ \t]+"
    # Units that take a number or a capitalised name (unaccented ones too: "xa Tan Lap"), and
    # units that take a number only, being everyday words otherwise ("tổ chức", "khu vực").
    named_units = (
        rf"ngõ|ngo|ngách|ngach|hẻm|hem|kiệt|kiet|đường|duong|(?<!thành )(?<!thanh )phố|"
        rf"thôn|thon|xóm|xom|ấp|khóm|khom|bản|buôn|phường|phuong|xã|thị{ws}trấn|thi{ws}tran|"
        rf"thị{ws}xã|thi{ws}xa|quận|huyện|huyen|khu{ws}phố|khu{ws}pho|tổ{ws}dân{ws}phố|"
        rf"to{ws}dan{ws}pho|khu{ws}tập{ws}thể|khu{ws}tap{ws}the|chung{ws}cư|chung{ws}cu|"
        rf"tòa|toa|lô|xa|quan|ap|pho"
    )
    numbered_units = rf"tổ|khu|phòng|phong|căn|can|lo|số{ws}nhà|so{ws}nha"
    segment = (
        rf"(?:(?<![\w])(?i:{named_units}){ws}"
        rf"(?:{number}(?![\w])(?:{ws}{not_place}{cap_words})?|{not_place}{cap_words})"
        rf"|(?<![\w])(?i:{numbered_units}){ws}{number}(?![\w]))"
    )
    # "số 12 ngõ 34…" or "12 ngõ 34…": a house number before a unit; "số 5 Lê Lợi": a house
    # number and a street. "số 113" alone is an emergency number, not an address.
    house = rf"(?:(?<![\w])(?i:số|so){ws})?(?<![\w]){number}{sep}"
    address = (
        rf"(?:{house})?{segment}(?:{sep}{segment})*"
        rf"|(?<![\w])(?i:số|so){ws}{number}{ws}{not_place}{cap_words}"
    )
    kin = (
        r"anh|chị|chi|cô|chú|chu|bé|be|cháu|chau|em|bác|bac|ông|ong|bà|dì|cậu|cau|mợ|"
        r"thím|dượng|bạn|thằng|thang|con|mẹ|bố|má"
    )
    family = (
        r"Nguyễn|Nguyen|Trần|Tran|Lê|Le|Phạm|Pham|Hoàng|Hoang|Huỳnh|Huynh|Phan|Vũ|Vu|Võ|Vo|"
        r"Đặng|Dang|Bùi|Bui|Đỗ|Do|Hồ|Ho|Ngô|Ngo|Dương|Duong|Lý|Ly|Đinh|Dinh|Trịnh|Trinh|"
        r"Đoàn|Doan|Lâm|Lam|Tạ|Lương|Luong|Cao|Hà|Ha|Chu|Tô|Văn|Van"
    )
    whose = (
        rf"(?:{ws}(?:của{ws}|cua{ws})?(?:tôi|toi|em|mình|minh|con|cháu|chau|nó|no|bé|be|"
        rf"anh|chị|chi))?"
    )
    name_is = rf"(?i:(?:tên|ten){whose}{ws}(?:là|la))"
    i_am = rf"(?i:(?:tôi|toi|em|mình|minh|tớ|tui){ws}(?:là|la))"
    return [
        (re.compile(r"(?i:\b(?:https?://|www\.)\S+)"), URL),
        (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), EMAIL),
        (re.compile(
            rf"(?<![\w])(?i:số{ws}tài{ws}khoản|so{ws}tai{ws}khoan|stk|tk|tài{ws}khoản|"
            rf"tai{ws}khoan)[ \t]*:?(?:{ws}(?i:ngân{ws}hàng|ngan{ws}hang))?"
            rf"(?:{ws}(?:[A-Z][A-Za-z]*bank|[A-Z]{{2,}}))?[ \t]*:?[ \t]*"
            rf"(?:\d[ \t.\-]?){{5,18}}\d(?![\w])"
        ), BANK),
        (re.compile(
            r"(?<![\w+(])(?:\(?\+?84\)?[ \t.\-]?|0)[1-9](?:[ \t.\-]?\d){7,9}(?![\w])"
        ), PHONE),
        (re.compile(r"(?<![\w])(?:\d{12}|\d{9})(?![\w])"), ID_NUMBER),
        (re.compile(r"(?<![\w])\d{8,}(?![\w])"), NUMBER),
        (re.compile(address), ADDRESS),
        # After "tên … là": a capitalised name, or one word typed in lower case.
        (re.compile(rf"(?<![\w])({name_is}){ws}(?:{cap_words}|(?!(?i:gì|gi)(?![\w]))"
                    rf"[^\W\d_]+)"), NAME),
        (re.compile(rf"(?<![\w])((?i:tên|ten)){ws}{cap_words}"), NAME),
        (re.compile(rf"(?<![\w])({i_am}){ws}{not_place}{cap_words}"), NAME),
        (re.compile(rf"(?<![\w]){not_place}(?:{family}){ws}{cap_words}"), NAME),
        (re.compile(rf"(?<![\w])((?i:{kin})){ws}{not_place}{cap_words}"), NAME),
    ]


# Any run of digits, with the dots, commas and slashes inside a figure ("2.500.000", "7/2024").
_ANY_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")


def mask(text: str, names: Iterable[str] = (), *, every_number: bool = False) -> str:
    """`text` with what identifies a person replaced by a mark; `names` are the person's
    own names (as the channel gave them), masked wherever they stand as words;
    `every_number`: any number left after that becomes ``[số]`` as well."""
    out = text
    for pattern, mark in _patterns():
        out = pattern.sub(functools.partial(_keep_lead, mark=mark), out)
    for name in names:
        out = _mask_name(out, name)
    if every_number:
        out = _ANY_NUMBER.sub(NUMBER, out)
    return out


def _keep_lead(match: re.Match[str], *, mark: str) -> str:
    """A mark for the match; a leading word in group 1 ("chị", "tên em là") stays."""
    lead = match.group(1) if match.re.groups else None
    return f"{lead} {mark}" if lead else mark


# Middle names and kinship words in a name as given ("Chị Mai"): masking them alone would
# blank "thị trấn", every "Văn" and every "Chị".
_COMMON = frozenset({
    "van", "thi", "văn", "thị", "anh", "chị", "chi", "em", "cô", "co", "chú", "chu", "bé",
    "be", "bác", "bac", "ông", "ong", "bà", "ba", "mẹ", "me", "bố", "bo",
})


def _mask_name(text: str, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        return text
    forms = {name, _unaccent(name)}
    for word in name.split():
        if len(word) >= 2 and word.lower() not in _COMMON:
            forms |= {word, _unaccent(word)}
    for form in sorted(forms, key=len, reverse=True):
        # As written (a capitalised "Mai" is a name; "ngày mai" is tomorrow).
        text = re.sub(rf"(?<![\w\[]){re.escape(form)}(?![\w\]])", NAME, text)
    return text


def _unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )

"""Reading what a person wrote into facts for the entitlement check. Pure, no I/O.

People write "mẹ tôi 80 tuổi, hộ nghèo", "me toi dc huong che do gi", "bố e 78t thì đc hưởng j
ko". The text is cut into clauses (at punctuation and "nhưng"), teencode is written out in full
(`knowledge/teencode.yaml`), and every word is folded (no diacritics), keeping the accented
form beside it: "má" is a mother, "mà" is not.

A negation ("không", "chưa") counts for the concept that follows it, up to the next word of
another concept: in "không khuyết tật, có lương hưu" and "không khuyết tật có lương hưu" the
pension is there; in "không có lương hưu hay trợ cấp BHXH" neither is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.text import Abbreviations, fold, words

ELDER, YOUNG, SELF = "elder", "young", "self"

# Kin words (folded) and the accented forms that are kin words; a flat "ba" may be "bà" or "ba".
_KIN = {"bo": ELDER, "cha": ELDER, "me": ELDER, "ma": ELDER, "ba": ELDER, "ong": ELDER,
        "cu": ELDER, "bac": ELDER, "di": ELDER, "chu": ELDER, "cau": ELDER,
        "co": ELDER, "chong": ELDER, "vo": ELDER,
        "con": YOUNG, "chau": YOUNG, "be": YOUNG,
        "em": "", "anh": "", "chi": ""}  # a brother or sister may be of any age
_KIN_ACCENTED = {"bố", "cha", "mẹ", "má", "ba", "bà", "ông", "cụ", "bác", "dì", "chú", "cậu",
                 "cô", "chồng", "vợ", "con", "cháu", "bé", "em", "anh", "chị"}
_KIN_NOUN = {"bo": "bố", "cha": "cha", "me": "mẹ", "ma": "má", "ong": "ông", "cu": "cụ",
             "bac": "bác", "di": "dì", "chu": "chú", "cau": "cậu", "co": "cô", "chong": "chồng",
             "vo": "vợ", "con": "con", "chau": "cháu", "be": "bé", "em": "em", "anh": "anh",
             "chi": "chị"}
_KIN_MODIFIERS = {"noi", "ngoai", "ruot", "de", "trai", "gai", "ut", "ca", "lon", "nuoi", "nha",
                  "cua"}  # "anh của tôi"
_OWNERS = {"toi", "tui", "em", "e", "minh", "tao", "t"}
_SELF_WORDS = {"toi", "tui", "minh", "em", "e", "tao"}
_ASKER = re.compile(r"\b(?:cho|xin) (?:(?:toi|tui|minh|em|e|chi|anh|co|chu|bac|chau|con) )?hoi\b")

# "… được hưởng gì?", "hưởng chế độ gì", "có được trợ cấp gì không", "được nhận những gì".
_ASKS = re.compile(
    r"\b(?:huong|nhan) (?:duoc )?(?:nhung )?(?:gi|(?:che do|tro cap|chinh sach|quyen loi|ho tro|"
    r"khoan|tien) (?:gi|nao))\b"
    r"|\b(?:duoc|co) (?:nhung )?(?:che do|tro cap|chinh sach|quyen loi|ho tro|khoan|tien) "
    r"(?:gi|nao)\b"
    # "… có được (nhận/hưởng) trợ cấp (xã hội) hằng tháng không?": a yes/no question about the
    # monthly allowances is the same check.
    r"|\b(?:duoc|co the) (?:nhan |huong |lanh )?(?:tro cap|tcxh)(?: xa hoi| bao tro xa hoi)? "
    r"hang thang(?: (?:cua nha nuoc|nao|gi))?(?: (?:khong|ko|k|hay khong|chua)\b| ?\|? ?$)"
)
# People with merit to the revolution have their own regime, which the facts do not cover.
# "phòng lao động thương binh và xã hội" is an office, not a war invalid.
_MERIT = r"nguoi co cong|liet si|(?<!lao dong )thuong binh|benh binh"
# Topics the check does not cover (BHXH regimes, people with merit, emergencies, violence): such
# a question goes to the policy articles or the emergency flow instead.
_ELSEWHERE = re.compile(
    r"\b(?:tai nan|thai san|sinh con|that nghiep|om dau|benh nghe nghiep|" + _MERIT + "|"
    r"chat doc|tuat|mai tang|qua doi|tu vong|thien tai|bao lu|"
    r"lu lut|lu quet|hoa hoan|chay nha|sap nha|bao luc|mua ban nguoi|buon ban nguoi|xam hai|"
    r"ly hon|nghi huu|nghi viec|cong ty|doanh nghiep|hoc bong|hoc phi)\b"
)
# Inside a story, the question sentences ask whether (or how much) the person told of is paid
# a monthly allowance: "… vậy dì tôi có được nhận trợ cấp xã hội hàng tháng không?", "mức trợ
# cấp là bao nhiêu?", "có thuộc đối tượng được hưởng trợ cấp không?". Read only when search
# finds no one article that answers: the check then works it out from what the story says.
_STORY_ASKS = re.compile(
    r"\b(?:duoc|dc) (?:nha nuoc )?(?:nhan |huong |lanh |xet |cap )?(?:them )?(?:cac |nhung )?"
    r"(?:che do )?(?:tro cap|bao tro xa hoi|tro giup xa hoi|tcxh|chinh sach bao tro|"
    r"che do (?:bao tro|tro cap|nguoi khuyet tat|nguoi cao tuoi|cho))\b"
    r"|\b(?:muc|so tien) (?:tro cap|huong|ho tro)(?: hang thang)? "
    r"(?:la |duoc |se )?(?:bao nhieu|nhu the nao|the nao|ra sao)\b"
    r"|\b(?:thuoc|la) (?:dien |doi tuong )(?:duoc )?(?:huong |nhan )?(?:tro cap|bao tro)\b"
    # "cô tôi có thể nhận trợ cấp … được không", "mẹ tôi có thể lãnh trợ cấp hàng tháng"
    r"|\b(?:nhan|huong|lanh|xin huong) (?:duoc )?(?:cac |nhung )?(?:tro cap|bao tro xa hoi|tcxh|"
    r"che do (?:tro cap|bao tro|nguoi khuyet tat|nguoi cao tuoi))\b"
    # "nhà nước có trợ cấp cho trẻ mồ côi không"
    r"|\b(?:co|duoc) (?:tro cap|che do tro cap) (?:cho|danh cho)\b"
    # "cháu có được hưởng chế độ không ạ"
    r"|\b(?:duoc|dc) (?:nha nuoc )?(?:huong|nhan|lanh) (?:che do|chinh sach) (?:khong|ko|gi|nao)\b"
)
# A disability the story names without its level ("chị tôi bị mù", "con bị bại não"): the
# check asks the level.
_DISABILITY_NAMED = re.compile(
    r"\b(?:khuyet tat|tan tat|tat nguyen|liet|mu (?:hai|2|ca hai|mot|1) mat|bi mu|cam diec|"
    r"bai nao|bai liet|benh down|hoi chung down|benh dao|tu ky|thieu nang|khiem thi|"
    r"khiem thinh|cut (?:chan|tay)|mat suc lao dong)\b"
)
# A question about a death (burial support) or about the papers and offices alone is not
# about what is paid every month.
_STORY_ELSEWHERE = re.compile(
    r"\b(?:chet|qua doi|tu vong|mat di|khi mat|da mat|vua mat|moi mat|mai tang|chon cat)\b"
    r"|\b(?:xac dinh lai|giam dinh lai|doi giay|(?<!tro )cap lai|(?<!tro )cap doi|khieu nai|"
    r"tam dung|thoi huong|"
    r"cat tro cap|chuyen (?:noi|ho so|tro cap)|tam tru|nha o|nha sap|sua nha|lam nha|"
    r"noi cu tru moi|tiep tuc (?:duoc )?(?:nhan|huong|lanh)|khong dong y|hoi dong)\b"
)
_OTHER_REGIME = re.compile(
    r"\b(?:che do|tro cap|tien|huong) tuat\b"
    r"|\b(?:" + _MERIT + r"|me viet nam anh hung|chat doc da cam|cong voi cach mang)\b"
)
# A question of another kind typed instead of an answer: it leaves the check.
_OTHER_QUESTION = re.compile(
    r"\b(?:o dau|the nao|nhu the nao|bao nhieu|khi nao|lam sao|tai sao|vi sao|thu tuc|ho so|"
    r"giay to|can gi|mau don|lam gi)\b"
)

_AMOUNT_QUESTION = re.compile(r"\bbao nhieu\b|\bmay (?:tien|dong|trieu|tram|nghin|ngan)\b")

_NEGATIONS = {"khong", "chua", "chang"}
# The words that start a concept: a negation stops at the next one of another concept.
_CONCEPTS = {
    "disability": {"khuyet", "tat", "liet"},
    "household": {"ngheo"},
    "pension": {"luong", "huu", "hiem"},
    "orphan": {"coi", "roi", "nuong", "nguon"},
    "studying": {"hoc"},
    "hiv": {"hiv", "aids"},
    "carer": {"phung", "duong", "cham"},
    "income": {"thu"},
    "area": {"kho"},
}
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
                 "chin": 9}
_YES = {"co", "co a", "da co", "dung", "dung roi", "phai", "co chu", "vang co", "da", "u", "vang"}
_NO = {"khong", "khong co", "khong a", "khong co a", "chua", "chua co", "khong bi", "khong phai",
       "da khong", "khong dau"}
_UNSURE = re.compile(r"^(?:(?:toi|em|minh|tui) )?(?:khong|chua) (?:biet|ro|chac|nho|bt)"
                     r"(?: (?:nua|a|lam|ro))*$|^chua ro$|^khong ro$")
_DISABILITY_CONTEXT = re.compile(r"\b(?:khuyet tat|tat nguyen|liet|muc do|muc)\b")
MAX_AGE = 120


@dataclass(frozen=True)
class Clause:
    accented: tuple[str, ...]  # lower case, teencode written out, diacritics kept
    folded: tuple[str, ...]  # the same words without diacritics

    @property
    def text(self) -> str:
        return " ".join(self.folded)


@dataclass(frozen=True)
class Subject:
    who: str  # elder | young | self
    noun: str  # how a reply names them: "mẹ bạn", "con bạn", "bạn"


class Reader:
    """Turns a message into clauses and the clauses into facts."""

    def __init__(self, abbreviations: Abbreviations | None = None) -> None:
        self.abbreviations = abbreviations

    def clauses(self, text: str) -> list[Clause]:
        out = []
        for part in re.split(r"[,.;:!?\n()]+|\bnhưng\b", text.lower()):
            tokens = words(part)
            if self.abbreviations is not None:
                tokens = self.abbreviations.expand_words(tokens)
            if tokens:
                out.append(Clause(tuple(tokens), tuple(fold(t) for t in tokens)))
        return out

    def flat(self, text: str) -> str:
        """The whole message folded, clauses joined by ' | ' (phrases never span two)."""
        return " | ".join(c.text for c in self.clauses(text))

    def asks_entitlement(self, text: str) -> bool:
        flat = self.flat(text)
        return bool(_ASKS.search(flat)) and not _ELSEWHERE.search(flat)

    def story_asks_allowance(self, question: str) -> bool:
        """Do a story's question sentences ask whether or how much a monthly allowance is
        paid (and nothing the check does not cover)?"""
        flat = self.flat(question)
        return bool(_ASKS.search(flat) or _STORY_ASKS.search(flat)) and not (
            _ELSEWHERE.search(flat) or _STORY_ELSEWHERE.search(flat))

    def other_regime(self, text: str) -> bool:
        """Does the story say the person draws a benefit the check does not weigh (a
        survivor's allowance, "chế độ tuất"; a regime for people with merit, "liệt sĩ")? Then
        what else is paid is not its to say."""
        return bool(_OTHER_REGIME.search(self.flat(text)))

    def names_disability(self, text: str) -> bool:
        return bool(_DISABILITY_NAMED.search(self.flat(text)))

    def asks_other_question(self, text: str) -> bool:
        return bool(_OTHER_QUESTION.search(self.flat(text)))

    def asks_amount(self, text: str) -> bool:
        """"được bao nhiêu một tháng?", nothing else asked: what the check is computing."""
        flat = self.flat(text)
        return bool(_AMOUNT_QUESTION.search(flat)) and not _OTHER_QUESTION.search(
            _AMOUNT_QUESTION.sub(" ", flat))

    def subject(self, text: str) -> Subject | None:
        """Whom the question is about: the first kin word owned by the writer ("mẹ tôi", "bố
        e", "con trai tôi", "cụ nhà tôi"), else the writer ("tôi", "em", "mình")."""
        clauses = self.clauses(text)
        marked = fold(text.lower()) != text.lower()  # as typed, before teencode is written out
        for clause in clauses:
            found = _kin(clause, marked)
            if found is not None:
                return found
        for clause in clauses:
            rest = _ASKER.sub(" ", clause.text).split()
            if any(t in _SELF_WORDS for t in rest):
                return Subject(SELF, "bạn")
        return None

    def unsure(self, text: str) -> bool:
        return bool(_UNSURE.match(" ".join(self.flat(text).replace("|", " ").split())))

    def bare(self, text: str) -> str:
        """The whole message folded on one line: for a bare "có", "không", "78"."""
        return " ".join(self.flat(text).replace("|", " ").split())

    def facts(self, text: str, *, who: str = "", pending: str = "") -> dict[str, Any]:
        """Everything the text states: field -> value ("age" -> (low, high), "children" -> n).
        `pending` is the question on screen: a bare "nặng" or "78" answers it."""
        found: dict[str, Any] = {}
        clauses = self.clauses(text)
        # "nặng", "nhẹ" speak of a disability when the message or the question is about one.
        context = pending == "disability" or bool(_DISABILITY_CONTEXT.search(
            " | ".join(c.text for c in clauses)))
        for clause in clauses:
            _read_clause(clause, found, who=who, pending=pending, context=context)
        if "age" not in found:
            age = _lead_age(clauses) if pending != "age" else _bare_number(clauses)
            if age is not None:
                found["age"] = (age, age)
        return found


def _kin(clause: Clause, marked: bool) -> Subject | None:
    folded, accented = clause.folded, clause.accented
    for i, word in enumerate(folded):
        kind = _KIN.get(word)
        if kind is None or (accented[i] != word and accented[i] not in _KIN_ACCENTED):
            continue
        j = i + 1
        while j < len(folded) and j <= i + 2 and folded[j] in _KIN_MODIFIERS:
            j += 1
        had = _had(folded, i)
        if j < len(folded) and folded[j] in _OWNERS or had:
            if word == "ba" and not marked:  # typed flat: "bà" (grandmother) or "ba" (father)?
                return Subject(kind, "người thân của bạn")
            noun = accented[i] if word == "ba" or accented[i] != word else _KIN_NOUN[word]
            # "Gần nhà tôi có cụ già": a neighbour, not the writer's own.
            return Subject(kind, noun if had == "near" else f"{noun} bạn")
    return None


_HAVE_CLASSIFIERS = {"dua", "mot", "1", "nguoi"}


def _had(folded: Sequence[str], i: int) -> str:
    """"Tôi có (đứa / một người) cháu …": the writer's kin told of before it is named ("own");
    "gần nhà tôi có cụ …": a neighbour ("near"); "" otherwise."""
    k = i - 1
    if k >= 0 and folded[k] in _HAVE_CLASSIFIERS:
        k -= 1
    if not (k >= 1 and folded[k] == "co" and folded[k - 1] in _OWNERS):
        return ""
    return "near" if k >= 2 and folded[k - 2] in {"nha", "xom", "canh"} else "own"


def _negated(tokens: Sequence[str], start: int, concept: str) -> bool:
    """Is the mention at `start` under a negation that comes before it in the clause?"""
    others = set().union(*(v for k, v in _CONCEPTS.items() if k != concept))
    for i in range(start - 1, max(-1, start - 8), -1):
        if tokens[i] in _NEGATIONS:
            return True
        if tokens[i] in others:
            return False
    return False


def _find(tokens: Sequence[str], phrase: str) -> list[int]:
    parts = phrase.split()
    n = len(parts)
    return [i for i in range(len(tokens) - n + 1) if list(tokens[i : i + n]) == parts]


def _mention(tokens: Sequence[str], phrases: Sequence[str], concept: str) -> bool | None:
    """True / False (negated) for the last mention of any phrase; None when not mentioned."""
    hits = sorted(i for p in phrases for i in _find(tokens, p))
    if not hits:
        return None
    return not _negated(tokens, hits[-1], concept)


def _read_clause(
    clause: Clause, found: dict[str, Any], *, who: str, pending: str, context: bool
) -> None:
    t = clause.folded
    text = clause.text
    _read_age(text, found)
    _read_disability(text, found, pending, context)
    _read_household(t, text, found, pending)
    pension = _mention(t, ("luong huu", "tro cap bao hiem xa hoi", "bao hiem xa hoi hang thang",
                           "huong bao hiem xa hoi"), "pension")
    if pension is not None:
        found["pension"] = pension
    _read_orphan(t, text, found, who)
    studying = _mention(t, ("dang hoc", "di hoc", "hoc nghe", "hoc dai hoc", "hoc cao dang",
                            "hoc trung cap", "sinh vien", "hoc sinh", "hoc lop", "hoc van hoa"),
                        "studying")
    if re.search(r"\b(?:nghi hoc|bo hoc|thoi hoc)\b", text):
        studying = False
    if studying is not None:
        found["studying"] = studying
    area = _mention(t, ("dac biet kho khan",), "area")
    if area is not None:
        found["area"] = area
    if re.search(r"\bkhong (?:co )?(?:ai|nguoi|con chau) (?:phung duong|cham soc|nuoi duong|"
                 r"nuoi|cham nom)\b|\bneo don\b|\bkhong (?:co )?con chau\b", text):
        found["no_carer"] = True
    elif re.search(r"\bco (?:con|con chau|nguoi) phung duong\b", text):
        found["no_carer"] = False
    cared = _mention(t, ("nhan cham soc", "nhan nuoi duong", "nhan nuoi"), "carer")
    if cared:
        found["cared_for"] = True
    if re.search(r"\bdon than\b|\bmot minh nuoi\b|\bnuoi con mot minh\b", text):
        found["single_parent"] = True
    children = re.search(r"\bnuoi (\d|mot|hai|ba|bon|nam|sau|bay|tam|chin) (?:dua |be |chau )?"
                         r"(?:con|dua|chau|be)\b", text)
    if children:
        raw = children.group(1)
        found["children"] = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    hiv = _mention(t, ("hiv", "aids"), "hiv")
    if hiv is not None:
        found["hiv"] = hiv
    if re.search(r"\bkhong (?:co )?thu nhap\b", text):
        found["no_income"] = True
    elif re.search(r"\bco thu nhap on dinh\b", text):
        found["no_income"] = False


def _read_age(text: str, found: dict[str, Any]) -> None:
    years = re.search(r"\b(\d{1,3}) ?(?:tuoi|t)\b", text)
    months = re.search(r"\b(\d{1,3}) ?thang tuoi\b", text)
    under = re.search(r"\b(?:duoi|chua du|chua den) (\d{1,3}) ?(?:tuoi|t)\b", text)
    if under and 0 < int(under.group(1)) <= MAX_AGE:
        found["age"] = (0, int(under.group(1)) - 1)  # "trẻ dưới 3 tuổi": from birth to 2
    elif months:
        age = int(months.group(1)) // 12
        found["age"] = (age, age)
    elif years and int(years.group(1)) <= MAX_AGE:
        age = int(years.group(1))
        found["age"] = (age, age)
    elif re.search(r"\b(?:so sinh|moi sinh|duoi 1 tuoi)\b", text):
        found["age"] = (0, 0)


def _lead_age(clauses: Sequence[Clause]) -> int | None:
    """A number right after the person ("mẹ tôi 80, hộ nghèo") or after "năm nay"."""
    for clause in clauses:
        t = clause.folded
        for i, word in enumerate(t):
            if not word.isdigit() or int(word) > MAX_AGE or i == 0:
                continue
            after = t[i + 1] if i + 1 < len(t) else ""
            if after in {"con", "nguoi", "trieu", "nghin", "ngan", "dong", "k", "thang", "nam",
                         "lan", "dua", "khau"}:
                continue
            if t[i - 1] in _OWNERS or t[i - 2 : i] == ("nam", "nay"):
                return int(word)
    return None


def _bare_number(clauses: Sequence[Clause]) -> int | None:
    """The answer to "how old": the only number of a short reply ("78", "năm nay 78 rồi")."""
    tokens = [t for c in clauses for t in c.folded]
    numbers = [t for t in tokens if t.isdigit()]
    if len(numbers) == 1 and len(tokens) <= 5 and int(numbers[0]) <= MAX_AGE:
        return int(numbers[0])
    return None


_LEVEL_AFTER = (r"\b(?:khuyet tat|tat nguyen|tan tat|muc do|muc|dang|loai|hang|nkt)"
                r"(?: (?!nang|nhe|dac)\w+){0,2} ")


def _read_disability(text: str, found: dict[str, Any], pending: str, context: bool) -> None:
    # Typed as the answer, "nặng" is the level; inside a story it must be the disability's
    # ("khuyết tật nặng", "mức độ đặc biệt nặng"), not "sốt nặng" or "bệnh nặng".
    before = r"\b" if pending == "disability" else _LEVEL_AFTER

    def level(word: str) -> str:
        return before + word + r"\b"

    if re.search(r"\b(?:khong|chua) (?:bi |co |phai )?(?:khuyet tat|tat nguyen)\b", text):
        found["disability"] = "khong"
    elif context and re.search(level("dac biet nang"), text):
        found["disability"] = "dac_biet_nang"
    elif context and re.search(level("nang"), text):
        found["disability"] = "nang"
    elif context and re.search(level("nhe"), text):
        found["disability"] = "nhe"
    elif pending == "disability" and re.fullmatch(r"(?:khong|khong co|khong bi|khong a|binh "
                                                  r"thuong|lanh lan)(?: a)?", text):
        found["disability"] = "khong"


def _read_household(t: Sequence[str], text: str, found: dict[str, Any], pending: str) -> None:
    hits = _find(t, "ngheo")
    if not hits:
        return
    if _negated(t, hits[-1], "household") or re.search(r"\bkhong phai (?:ho )?(?:can )?ngheo\b",
                                                       text):
        found["household"] = "khong"
    elif re.search(r"\bcan ngheo\b", text):
        found["household"] = "can_ngheo"
    elif re.search(r"\b(?:ho|nha|gia dinh|so|dien|thuoc) ngheo\b", text) or pending == "status":
        found["household"] = "ngheo"


def _read_orphan(t: Sequence[str], text: str, found: dict[str, Any], who: str) -> None:
    if re.search(r"\bkhong noi nuong tua\b", text):
        if who == YOUNG:
            found["orphan"] = True
        else:
            found["no_carer"] = True
    if re.search(r"\b(?:bi bo roi|khong co nguon nuoi duong|khong (?:co |con )?ai nuoi)\b", text):
        found["orphan"] = True
    hits = _find(t, "mo coi")
    if not hits:
        return
    if _negated(t, hits[-1], "orphan"):
        found["orphan"] = False
        return
    after = t[hits[-1] + 2 : hits[-1] + 5]
    one_side = bool(after) and after[0] in {"cha", "bo", "ba", "me", "ma"} and not (
        len(after) > 1 and after[1] in {"lan", "va", "me", "ma", "cha", "bo"})
    if not one_side:  # "mồ côi", "mồ côi cả cha lẫn mẹ"; one side only: the question asks
        found["orphan"] = True


def yes_or_no(bare: str) -> bool | None:
    if bare in _YES:
        return True
    if bare in _NO:
        return False
    return None

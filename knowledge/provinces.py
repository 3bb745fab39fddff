"""Which province a person is in, from what they typed (``knowledge/provinces.yaml``).

A provincial hotline is shown only to someone known to be in its province, so a guess must be
cautious: a name typed with its diacritics, a name of two words or more typed without any
("ha noi"), or an abbreviation in exactly its case ("HN"). Two different provinces in one text:
unknown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import fold, normalise

_WORD = re.compile(r"\w+", re.UNICODE)


class ProvinceDataError(ValueError):
    """provinces.yaml holds something unusable; the message names the file and the key."""


@dataclass(frozen=True)
class Province:
    id: str
    name: str  # the first name, shown to people ("Hà Nội")
    names: tuple[tuple[str, ...], ...]  # each name as normalised words
    codes: frozenset[str]


@dataclass(frozen=True)
class Provinces:
    by_id: Mapping[str, Province]

    @classmethod
    def empty(cls) -> Provinces:
        return cls({})

    @classmethod
    def load(cls, path: Path) -> Provinces:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            return cls._build(raw)
        except yaml.YAMLError as err:
            raise ProvinceDataError(f"{path}: not valid YAML: {err}") from None
        except ProvinceDataError as err:
            raise ProvinceDataError(f"{path}: {err}") from None

    @classmethod
    def _build(cls, raw: Any) -> Provinces:
        items = raw.get("provinces") if isinstance(raw, dict) else None
        if not isinstance(items, list) or not items:
            raise ProvinceDataError("provinces: expected a non-empty list")
        by_id: dict[str, Province] = {}
        for n, item in enumerate(items):
            where = f"provinces[{n}]"
            if not isinstance(item, dict):
                raise ProvinceDataError(f"{where}: expected a mapping")
            pid, names, codes = item.get("id"), item.get("names"), item.get("codes", [])
            if not isinstance(pid, str) or not pid:
                raise ProvinceDataError(f"{where}.id: expected non-empty text")
            if pid in by_id:
                raise ProvinceDataError(f"{where}.id: {pid!r} is listed twice")
            if not isinstance(names, list) or not names or not all(
                isinstance(x, str) and _WORD.search(x) for x in names
            ):
                raise ProvinceDataError(f"{where}.names: expected a non-empty list of names")
            if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
                raise ProvinceDataError(f"{where}.codes: expected a list of abbreviations")
            by_id[pid] = Province(
                id=pid,
                name=names[0],
                names=tuple(tuple(_WORD.findall(normalise(x))) for x in names),
                codes=frozenset(unicodedata.normalize("NFC", c) for c in codes),
            )
        return cls(by_id)

    def __contains__(self, province_id: object) -> bool:
        return province_id in self.by_id

    def name(self, province_id: str) -> str:
        return self.by_id[province_id].name

    def find(self, text: str) -> str | None:
        """The id of the one province the text names; None if none or several."""
        found = self.mentioned(text)
        return next(iter(found)) if len(found) == 1 else None

    def mentioned(self, text: str) -> set[str]:
        exact = _WORD.findall(unicodedata.normalize("NFC", text))
        tokens = _WORD.findall(normalise(text))
        folded = [fold(t) for t in tokens]
        flat = [t == f for t, f in zip(tokens, folded, strict=True)]
        found: set[str] = set()
        for province in self.by_id.values():
            if province.codes.intersection(exact) or any(
                _names_at(name, tokens, folded, flat) for name in province.names
            ):
                found.add(province.id)
        return found


def _names_at(
    name: tuple[str, ...], tokens: list[str], folded: list[str], flat: list[bool]
) -> bool:
    size = len(name)
    key = tuple(fold(w) for w in name)
    for i in range(len(tokens) - size + 1):
        if tuple(tokens[i : i + size]) == name:
            return True
        if size >= 2 and all(flat[i : i + size]) and tuple(folded[i : i + size]) == key:
            return True
    return False

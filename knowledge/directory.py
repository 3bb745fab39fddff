"""Emergency and support numbers (``knowledge/directory.yaml``) and which to show per category.

The emergency flow shows ``numbers_for(category, facets=..., province=...)`` at once: the
category's numbers that fit the person (a child involved or not, an injury already done, the
province they are in). Every number comes from the policy fact sheet; a number not marked
``verified: true`` is never shown, a provincial one only in its province. ``note`` records what
is unverified and is for staff only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.provinces import ProvinceDataError, Provinces

CHILD = "child"  # assessment facets (flows/ports.py Assessment.facets)
DONE = "done"
ROUND_THE_CLOCK = "24/7"

class DirectoryDataError(ValueError):
    """directory.yaml holds something unusable; the message names the file and the key."""


@dataclass(frozen=True)
class Hotline:
    id: str
    name: str
    number: str
    purpose: str
    hours: str | None
    source: str = ""
    note: str = ""
    verified: bool = False  # False: never shown to citizens
    province: str | None = None  # a provincial line: shown only to someone in this province

    @property
    def limited_hours(self) -> str | None:
        """The hours to show with the number: known, and not round the clock."""
        return self.hours if self.hours and self.hours != ROUND_THE_CLOCK else None

    @property
    def dial(self) -> str:
        """The number as a phone dials it: digits only ("1900 969 680" -> "1900969680")."""
        return "".join(ch for ch in self.number if ch.isdigit())


@dataclass(frozen=True)
class Entry:
    """One line of a category's list: a hotline, perhaps only when a child may be involved."""

    hotline: str
    only_if_child: bool = False

    @classmethod
    def parse(cls, value: Any) -> Entry:
        text = str(value).strip()
        hid, sep, condition = text.partition(" if ")
        if sep and condition.strip() != CHILD:
            raise DirectoryDataError(f"{text!r}: the only condition is 'if child'")
        return cls(hid.strip(), bool(sep))


@dataclass(frozen=True)
class CallNow:
    default: str
    done: str
    by_category: Mapping[str, str]


@dataclass(frozen=True)
class Directory:
    hotlines: Mapping[str, Hotline]
    by_category: Mapping[str, tuple[Entry, ...]]
    default: tuple[Entry, ...]
    child_categories: frozenset[str] = frozenset()
    call: CallNow | None = None
    provinces: Provinces = Provinces.empty()

    @classmethod
    def load(cls, path: Path, provinces: Path | None = None) -> Directory:
        """directory.yaml, with the provinces.yaml beside it (or `provinces`) if there is one."""
        provinces = provinces or path.parent / "provinces.yaml"
        try:
            known = Provinces.load(provinces) if provinces.exists() else Provinces.empty()
        except ProvinceDataError as err:
            raise DirectoryDataError(str(err)) from None
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            return cls._build(raw, known)
        except yaml.YAMLError as err:
            raise DirectoryDataError(f"{path}: not valid YAML: {err}") from None
        except DirectoryDataError as err:
            raise DirectoryDataError(f"{path}: {err}") from None

    @classmethod
    def _build(cls, raw: Any, provinces: Provinces | None = None) -> Directory:
        provinces = provinces or Provinces.empty()
        root = _mapping(raw, "top level")
        items = root.get("hotlines")
        if not isinstance(items, list) or not items:
            raise DirectoryDataError("hotlines: expected a non-empty list")
        hotlines: dict[str, Hotline] = {}
        for n, item in enumerate(items):
            where = f"hotlines[{n}]"
            entry = _mapping(item, where)
            hours = entry.get("hours")
            if hours is not None and not isinstance(hours, str):
                raise DirectoryDataError(f"{where}.hours: expected text or null")
            verified = entry.get("verified", False)
            if not isinstance(verified, bool):
                raise DirectoryDataError(f"{where}.verified: expected true or false")
            province = entry.get("province")
            if province is not None and province not in provinces:
                raise DirectoryDataError(
                    f"{where}.province: {province!r} is not a province id in provinces.yaml"
                )
            hotline = Hotline(
                id=_text(entry, "id", where),
                name=_text(entry, "name", where),
                number=_text(entry, "number", where),
                purpose=_text(entry, "purpose", where),
                hours=hours,
                source=_text(entry, "source", where),
                note=str(entry.get("note", "")),
                verified=verified,
                province=province,
            )
            if hotline.id in hotlines:
                raise DirectoryDataError(f"{where}.id: {hotline.id!r} is listed twice")
            if not hotline.dial:
                raise DirectoryDataError(f"{where}.number: {hotline.number!r} has no digits")
            hotlines[hotline.id] = hotline

        def known(hid: Any, where: str) -> str:
            if hid not in hotlines:
                raise DirectoryDataError(f"{where}: {hid!r} is not a hotline id")
            return str(hid)

        def ids(value: Any, where: str) -> tuple[Entry, ...]:
            if not isinstance(value, list) or not value:
                raise DirectoryDataError(f"{where}: expected a non-empty list of hotline ids")
            try:
                entries = tuple(Entry.parse(v) for v in value)
            except DirectoryDataError as err:
                raise DirectoryDataError(f"{where}: {err}") from None
            for entry in entries:
                known(entry.hotline, where)
            return entries

        by_category = {
            str(cat): ids(value, f"categories.{cat}")
            for cat, value in _mapping(root.get("categories"), "categories").items()
        }
        child = root.get("child_categories", [])
        if not isinstance(child, list):
            raise DirectoryDataError("child_categories: expected a list of categories")
        call = None
        if "call_now" in root:
            raw_call = _mapping(root["call_now"], "call_now")
            call = CallNow(
                default=known(raw_call.get("default"), "call_now.default"),
                done=known(raw_call.get("done"), "call_now.done"),
                by_category={
                    str(cat): known(hid, f"call_now.categories.{cat}")
                    for cat, hid in _mapping(
                        raw_call.get("categories", {}), "call_now.categories"
                    ).items()
                },
            )
        return cls(
            hotlines,
            by_category,
            ids(root.get("default"), "default"),
            child_categories=frozenset(str(c) for c in child),
            call=call,
            provinces=provinces,
        )

    def involves_child(self, category: str | None, facets: frozenset[str] = frozenset()) -> bool:
        return CHILD in facets or category in self.child_categories

    def numbers_for(
        self,
        category: str | None,
        *,
        facets: frozenset[str] = frozenset(),
        province: str | None = None,
    ) -> tuple[Hotline, ...]:
        """Numbers to show for a triage category, most important first; a default otherwise.

        Only verified numbers; "<id> if child" entries only when a child may be involved; a
        provincial number only when `province` is its province; after an overdose or injury
        (the "done" facet) the number to call at once comes first.
        """
        entries = self.by_category.get(category, self.default) if category else self.default
        child = self.involves_child(category, facets)
        shown = [
            self.hotlines[e.hotline] for e in entries if child or not e.only_if_child
        ]
        if DONE in facets and self.call is not None:
            first = self.hotlines[self.call.done]
            shown = [first] + [h for h in shown if h.id != first.id]
        return tuple(
            h for h in shown if h.verified and (h.province is None or h.province == province)
        )

    def call_now(self, category: str | None, *, facets: frozenset[str] = frozenset()) -> Hotline:
        """The one number to call at once when someone is in danger now."""
        call = self.call
        if call is None:
            return self.numbers_for(category, facets=facets)[0]
        if DONE in facets:
            return self.hotlines[call.done]
        return self.hotlines[call.by_category.get(category or "", call.default)]

    def province_in(self, text: str) -> str | None:
        """The province the text names (an id in provinces.yaml); None if none or unsure."""
        return self.provinces.find(text)

    def province_name(self, province: str) -> str:
        return self.provinces.name(province)

    def unverified(self) -> tuple[Hotline, ...]:
        return tuple(h for h in self.hotlines.values() if not h.verified)

    def get(self, hotline_id: str) -> Hotline:
        return self.hotlines[hotline_id]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DirectoryDataError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _text(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DirectoryDataError(f"{where}.{key}: expected non-empty text")
    return value

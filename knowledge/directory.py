"""Emergency and support numbers (``knowledge/directory.yaml``) and which to show per category.

The emergency flow shows ``numbers_for(assessment.category)`` at once. Every number comes from
the policy fact sheet; ``note`` records what is unverified and is for staff only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


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

    @property
    def dial(self) -> str:
        """The number as a phone dials it: digits only ("1900 969 680" -> "1900969680")."""
        return "".join(ch for ch in self.number if ch.isdigit())


@dataclass(frozen=True)
class Directory:
    hotlines: Mapping[str, Hotline]
    by_category: Mapping[str, tuple[str, ...]]
    default: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> Directory:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            return cls._build(raw)
        except yaml.YAMLError as err:
            raise DirectoryDataError(f"{path}: not valid YAML: {err}") from None
        except DirectoryDataError as err:
            raise DirectoryDataError(f"{path}: {err}") from None

    @classmethod
    def _build(cls, raw: Any) -> Directory:
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
            hotline = Hotline(
                id=_text(entry, "id", where),
                name=_text(entry, "name", where),
                number=_text(entry, "number", where),
                purpose=_text(entry, "purpose", where),
                hours=hours,
                source=_text(entry, "source", where),
                note=str(entry.get("note", "")),
            )
            if hotline.id in hotlines:
                raise DirectoryDataError(f"{where}.id: {hotline.id!r} is listed twice")
            if not hotline.dial:
                raise DirectoryDataError(f"{where}.number: {hotline.number!r} has no digits")
            hotlines[hotline.id] = hotline

        def ids(value: Any, where: str) -> tuple[str, ...]:
            if not isinstance(value, list) or not value:
                raise DirectoryDataError(f"{where}: expected a non-empty list of hotline ids")
            for hid in value:
                if hid not in hotlines:
                    raise DirectoryDataError(f"{where}: {hid!r} is not a hotline id")
            return tuple(str(v) for v in value)

        by_category = {
            str(cat): ids(value, f"categories.{cat}")
            for cat, value in _mapping(root.get("categories"), "categories").items()
        }
        return cls(hotlines, by_category, ids(root.get("default"), "default"))

    def numbers_for(self, category: str | None) -> tuple[Hotline, ...]:
        """Numbers to show for a triage category, most important first; a default otherwise."""
        ids = self.by_category.get(category, self.default) if category else self.default
        return tuple(self.hotlines[i] for i in ids)

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

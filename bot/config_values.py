"""Reading configuration values: one section's YAML overlaid by HOTLINE_<SECTION>_<KEY>, and
converters that turn text into typed values (the domain's own where it has them: office hours,
the staff directory) or raise a ConfigError naming the key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.office_hours import OfficeHours, OfficeHoursError
from flows.staff import DESK_ROLES, Role, StaffDirectory, StaffMember

T = TypeVar("T")


class ConfigError(Exception):
    """A configuration value is missing or wrong. str(error) is one line naming the key."""


class Section:
    """Values of one section: the YAML mapping overlaid by HOTLINE_<SECTION>_<KEY>."""

    def __init__(self, name: str, data: Any, env: Mapping[str, str]) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{name}: must be a mapping of keys, got {type(data).__name__}")
        self.name = name
        self.data: dict[str, Any] = data
        self.env = env

    def raw(self, key: str) -> tuple[Any, str]:
        env_key = f"HOTLINE_{self.name.upper()}_{key.upper()}"
        if env_key in self.env:
            return self.env[env_key], env_key
        return self.data.get(key), f"{self.name}.{key}"

    def get(self, key: str, default: T, convert: Callable[[Any, str], T]) -> T:
        value, where = self.raw(key)
        if value is None or value == "":
            return default
        return convert(value, where)


def as_text(value: Any, where: str) -> str:
    if isinstance(value, (dict, list)):
        raise ConfigError(f"{where}: must be text, got {type(value).__name__}")
    return str(value)


def as_int(value: Any, where: str) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{where}: must be a whole number, got {value!r}") from None


def as_float(value: Any, where: str) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        raise ConfigError(f"{where}: must be a number, got {value!r}") from None


def as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{where}: must be true or false, got {value!r}")


def one_of(*allowed: str) -> Callable[[Any, str], str]:
    def convert(value: Any, where: str) -> str:
        text = str(value).strip().lower()
        if text not in allowed:
            raise ConfigError(f"{where}: must be one of {', '.join(allowed)}, got {value!r}")
        return text

    return convert


def as_url(value: Any, where: str) -> str:
    text = str(value).strip()
    if not text.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: must be an http:// or https:// URL, got {text!r}")
    return text


def as_office_hours(tz: ZoneInfo) -> Callable[[Any, str], OfficeHours]:
    """Office hours in `tz`, read by the domain's own parser."""

    def convert(value: Any, where: str) -> OfficeHours:
        try:
            return OfficeHours.parse(str(value), tz)
        except OfficeHoursError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    return convert


def as_timezone(value: Any, where: str) -> str:
    text = str(value).strip()
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {text!r}") from None
    return text


def as_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list):
        items = [str(v).strip() for v in value]
    else:
        raise ConfigError(f"{where}: must be a list, got {value!r}")
    return tuple(i for i in items if i)


def as_days_by_outcome(value: Any, where: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must map outcomes to days, e.g. {{chuyển tuyến: 730}}")
    return {str(k): as_int(v, f"{where}.{k}") for k, v in value.items()}


Entry = tuple[int, str]  # a staff list's (Telegram user id, display name)
NOBODY: tuple[Entry, ...] = ()
LISTS = {"counsellors": Role.COUNSELLOR, "supervisors": Role.SUPERVISOR, "on_call": Role.ON_CALL}


def as_staff_entries(value: Any, where: str) -> tuple[Entry, ...]:
    """A list of ids, `{id: name}` mappings, or (from the environment) '5001,5002'."""
    if isinstance(value, (int, str)):
        items: list[Any] = [p for p in str(value).split(",") if p.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise ConfigError(f"{where}: must be a list of Telegram user ids, got {value!r}")
    entries: list[Entry] = []
    for item in items:
        if isinstance(item, dict):
            uid, name = item.get("id"), str(item.get("name", "") or "")
        else:
            uid, name = item, ""
        try:
            entries.append((int(str(uid).strip()), name))
        except ValueError:
            raise ConfigError(f"{where}: {uid!r} is not a Telegram user id") from None
    return tuple(entries)


def staff_directory(s: Section) -> StaffDirectory:
    """One member per person listed under counsellors, supervisors or on_call, with the roles
    of every list naming them. Configs list Telegram user ids: each becomes the member's staff
    id and Telegram address alike, so cases and audit rows written before keep their meaning."""
    # Ids from the environment keep the display names given in config.yaml.
    named = {
        uid: name
        for key in ("counsellors", "supervisors")
        for uid, name in as_staff_entries(s.data.get(key) or [], f"staff.{key}")
        if name
    }
    roles: dict[int, set[Role]] = {}
    names: dict[Role, dict[int, str]] = {role: {} for role in LISTS.values()}
    for key, role in LISTS.items():
        for uid, name in s.get(key, NOBODY, as_staff_entries):
            roles.setdefault(uid, set()).add(role)
            if name or named.get(uid):
                names[role][uid] = name or named[uid]
    # The desk shows the last name the counsellor and supervisor lists give; an on-call
    # entry's name counts only for someone in neither.
    desk = names[Role.COUNSELLOR] | names[Role.SUPERVISOR]
    return StaffDirectory(tuple(
        StaffMember(uid, desk.get(uid, "") if r & DESK_ROLES else names[Role.ON_CALL].get(uid, ""),
                    frozenset(r), {"telegram": str(uid)})
        for uid, r in roles.items()
    ))

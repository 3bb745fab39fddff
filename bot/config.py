"""Configuration: `config.yaml` with every key overridable by `HOTLINE_<SECTION>_<KEY>`.

The environment is a parameter (a mapping), so tests pass a dict instead of patching
`os.environ`. Any bad or missing value raises `ConfigError` whose message is one line that
names the key and what is wrong; `hotline` prints it and exits.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

# The loader's one error: callers import it from here.
from bot.config_values import ConfigError as ConfigError
from bot.config_values import (
    Section,
    as_bool,
    as_days_by_outcome,
    as_float,
    as_int,
    as_list,
    as_office_hours,
    as_text,
    as_timezone,
    as_url,
    one_of,
    staff_directory,
)
from flows.office_hours import OfficeHours
from flows.ports import PolicySettings, StaffSettings
from flows.retention import RetentionPolicy

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"


@dataclass(frozen=True)
class TelegramConfig:
    token: str = ""
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    mode: str = "polling"  # polling | webhook
    webhook_url: str = ""
    webhook_path: str = "telegram"  # served by the web app (web.listen / web.port)
    secret_token: str = ""
    staff_chat_id: int | None = None
    poll_timeout: int = 10
    rate_limit: bool = True  # python-telegram-bot's AIORateLimiter (Telegram's flood limits)


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = "sqlite:///hotline.db"

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")


@dataclass(frozen=True)
class HotlineConfig:
    name: str = "Tổng đài Công tác xã hội"
    timezone: str = "Asia/Ho_Chi_Minh"
    knowledge_dir: str = ""  # empty: the knowledge/ folder shipped with the package
    kb_max_age_days: int = 365
    # This instance's name among several on one database; the same after a restart (its
    # leased replies and its polling lease are taken back by it at once). Empty: the host name.
    instance: str = ""
    # hotline.office_hours is read into the staff settings (StaffSettings.office_hours).

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DeliveryConfig:
    max_attempts: int = 8
    base_delay: float = 1.0  # seconds; doubled at each failed attempt
    max_delay: float = 300.0


@dataclass(frozen=True)
class ZaloConfig:
    enabled: bool = False
    app_id: str = ""
    app_secret: str = ""
    oa_secret_key: str = ""  # the OA's webhook secret key (not the app secret): signs events
    access_token: str = ""  # first token; later ones are rotated and kept in the database
    refresh_token: str = ""
    api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    webhook_path: str = "zalo/webhook"  # served by the web app (web.listen / web.port)
    replay_window: int = 300  # seconds an event's timestamp may be off


@dataclass(frozen=True)
class WebConfig:
    """The one web server: every channel's webhook and /healthz (behind your HTTPS proxy)."""

    listen: str = "127.0.0.1"
    port: int = 8090
    # The web console's address as staff reach it, through the centre's HTTPS proxy (sign-in
    # links point here); empty: no web console.
    public_url: str = ""


@dataclass(frozen=True)
class PolicyConfig:
    settings: PolicySettings = field(default_factory=PolicySettings)  # policy.context_minutes
    dense: str = "auto"  # "auto": meaning-based retrieval when the encoder loads; "off"
    encoder_threads: int = 1  # threads for the encoder; the rest of the CPU serves replies
    vector_cache: str = ""  # empty: vectors/ in the knowledge folder


@dataclass(frozen=True)
class LoggingConfig:
    level: str = "INFO"


@dataclass(frozen=True)
class Config:
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    staff: StaffSettings = field(default_factory=StaffSettings)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    hotline: HotlineConfig = field(default_factory=HotlineConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    zalo: ZaloConfig = field(default_factory=ZaloConfig)
    web: WebConfig = field(default_factory=WebConfig)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    @property
    def knowledge_path(self) -> Path:
        if self.hotline.knowledge_dir:
            return Path(self.hotline.knowledge_dir)
        return Path(__file__).resolve().parent.parent / "knowledge"


# ---------------------------------------------------------------- building Config


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (optional; missing file means defaults) and overlay the environment."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(f"{path}:{line} is not valid YAML") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: must be a mapping of sections")
        data = loaded or {}
    return build_config(data, env)


def build_config(data: Mapping[str, Any], env: Mapping[str, str]) -> Config:
    known = {"telegram", "staff", "database", "hotline", "delivery", "logging", "zalo",
             "retention", "policy", "web"}
    for section in data:
        if section not in known:
            raise ConfigError(f"{section}: unknown section (known: {', '.join(sorted(known))})")
    # In the order of the sections, so that of two mistakes the same one is named first.
    telegram = _telegram(Section("telegram", data.get("telegram"), env))
    staff = _staff(Section("staff", data.get("staff"), env))
    database = _database(Section("database", data.get("database"), env))
    hotline, office_hours = _hotline(Section("hotline", data.get("hotline"), env))
    delivery = _delivery(Section("delivery", data.get("delivery"), env))
    zalo = _zalo(Section("zalo", data.get("zalo"), env))
    retention = _retention(Section("retention", data.get("retention"), env))
    policy = _policy(Section("policy", data.get("policy"), env))
    level = Section("logging", data.get("logging"), env).get(
        "level", "INFO", one_of("debug", "info", "warning", "error"))
    web = _web(Section("web", data.get("web"), env))
    if telegram.mode == "webhook" and telegram.token and zalo.enabled and (
            telegram.webhook_path == zalo.webhook_path):
        raise ConfigError(f"zalo.webhook_path: {zalo.webhook_path!r} is telegram.webhook_path"
                          " too; the one web app needs a path for each")
    return Config(
        telegram=telegram,
        staff=replace(staff, office_hours=office_hours),
        database=database,
        hotline=hotline,
        delivery=delivery,
        zalo=zalo,
        web=web,
        retention=retention,
        policy=policy,
        logging=LoggingConfig(level=level.upper()),
    )


# Keys that were replaced; a config that still sets one stops with the key to set instead
# (silently ignored, it would leave a webhook listening where nobody forwards to).
MOVED = {
    ("telegram", "webhook_listen"): "web.listen",
    ("telegram", "webhook_port"): "web.port",
    ("zalo", "listen"): "web.listen",
    ("zalo", "port"): "web.port",
}


def _refuse_moved(s: Section) -> None:
    for (section, key), new in MOVED.items():
        if section != s.name:
            continue
        value, where = s.raw(key)
        if value is not None and value != "":
            raise ConfigError(f"{where}: replaced by {new} (one web server serves every"
                              " webhook and /healthz)")


def _telegram(s: Section) -> TelegramConfig:
    _refuse_moved(s)
    d = TelegramConfig()
    mode = s.get("mode", d.mode, one_of("polling", "webhook"))
    cfg = TelegramConfig(
        token=s.get("token", d.token, as_text).strip(),
        base_url=s.get("base_url", d.base_url, as_url),
        base_file_url=s.get("base_file_url", d.base_file_url, as_url),
        mode=mode,
        webhook_url=s.get("webhook_url", d.webhook_url, as_url),
        webhook_path=s.get("webhook_path", d.webhook_path, as_text).strip("/"),
        secret_token=s.get("secret_token", d.secret_token, as_text),
        staff_chat_id=s.get("staff_chat_id", None, as_int),
        poll_timeout=s.get("poll_timeout", d.poll_timeout, as_int),
        rate_limit=s.get("rate_limit", d.rate_limit, as_bool),
    )
    if cfg.token and ":" not in cfg.token:
        raise ConfigError("telegram.token: does not look like a BotFather token (id:secret)")
    if mode == "webhook" and cfg.token:
        if not cfg.webhook_url:
            raise ConfigError("telegram.webhook_url: required when telegram.mode is webhook")
        if not cfg.secret_token:
            raise ConfigError("telegram.secret_token: required when telegram.mode is webhook")
    if cfg.secret_token and not all(c.isalnum() or c in "_-" for c in cfg.secret_token):
        raise ConfigError("telegram.secret_token: only letters, digits, _ and - are allowed")
    if cfg.staff_chat_id is not None and cfg.staff_chat_id >= 0:
        raise ConfigError("telegram.staff_chat_id: a supergroup id is negative (-100…)")
    return cfg


def _staff(s: Section) -> StaffSettings:
    """The staff settings but their office hours, which the hotline section gives."""
    d = StaffSettings()
    cfg = StaffSettings(
        directory=staff_directory(s),
        critical_alert_after=s.get("critical_alert_after", d.critical_alert_after, as_float),
        urgent_alert_after=s.get("urgent_alert_after", d.urgent_alert_after, as_float),
        max_active_cases=s.get("max_active_cases", d.max_active_cases, as_int),
        abandon_after=s.get("abandon_after", d.abandon_after, as_float),
        silent_close_after=s.get("silent_close_after", d.silent_close_after, as_float),
        outcomes=s.get("outcomes", d.outcomes, as_list),
        rating_request=s.get("rating_request", d.rating_request, as_bool),
    )
    if cfg.max_active_cases < 1:
        raise ConfigError("staff.max_active_cases: must be at least 1")
    if not cfg.outcomes:
        raise ConfigError("staff.outcomes: list at least one outcome")
    return cfg


def _database(s: Section) -> DatabaseConfig:
    url = s.get("url", DatabaseConfig().url, as_text).strip()
    if url.startswith(POSTGRES_SCHEMES):
        return DatabaseConfig(url=url)  # psycopg reads the rest (host, user, database, options)
    if not url.startswith("sqlite:///"):
        # The URL may hold a password: name the scheme only.
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise ConfigError("database.url: must start with sqlite:/// or postgresql://,"
                          f" got {scheme!r}")
    if not url.removeprefix("sqlite:///"):
        raise ConfigError("database.url: sqlite:/// needs a file path, e.g. sqlite:///hotline.db")
    return DatabaseConfig(url=url)


def _hotline(s: Section) -> tuple[HotlineConfig, OfficeHours]:
    """The hotline section, and its office hours in its time zone (for the staff settings)."""
    d = HotlineConfig()
    cfg = HotlineConfig(
        name=s.get("name", d.name, as_text),
        timezone=s.get("timezone", d.timezone, as_timezone),
        knowledge_dir=s.get("knowledge_dir", d.knowledge_dir, as_text),
        kb_max_age_days=s.get("kb_max_age_days", d.kb_max_age_days, as_int),
        instance=s.get("instance", d.instance, as_text).strip(),
    )
    if any(c.isspace() or c in ":/" for c in cfg.instance):
        raise ConfigError("hotline.instance: letters, digits, '-', '_' and '.' only,"
                          f" got {cfg.instance!r}")
    # Empty: staffed around the clock.
    office_hours = s.get("office_hours", OfficeHours(tz=cfg.tz), as_office_hours(cfg.tz))
    if cfg.knowledge_dir and not Path(cfg.knowledge_dir).is_dir():
        raise ConfigError(f"hotline.knowledge_dir: {cfg.knowledge_dir!r} is not a folder")
    return cfg, office_hours


def _dense_mode(value: Any, where: str) -> str:
    # YAML reads a bare `off` as false.
    if value is False:
        return "off"
    return one_of("auto", "off")(value, where)


def _policy(s: Section) -> PolicyConfig:
    d = PolicyConfig()
    context_minutes = s.get("context_minutes", d.settings.context / timedelta(minutes=1),
                            as_float)
    cfg = PolicyConfig(
        settings=PolicySettings(context=timedelta(minutes=context_minutes)),
        dense=s.get("dense", d.dense, _dense_mode),
        encoder_threads=s.get("encoder_threads", d.encoder_threads, as_int),
        vector_cache=s.get("vector_cache", d.vector_cache, as_text).strip(),
    )
    if context_minutes < 0:
        raise ConfigError("policy.context_minutes: must be 0 or more")
    if not 1 <= cfg.encoder_threads <= 64:
        raise ConfigError("policy.encoder_threads: must be between 1 and 64")
    return cfg


def _delivery(s: Section) -> DeliveryConfig:
    d = DeliveryConfig()
    cfg = DeliveryConfig(
        max_attempts=s.get("max_attempts", d.max_attempts, as_int),
        base_delay=s.get("base_delay", d.base_delay, as_float),
        max_delay=s.get("max_delay", d.max_delay, as_float),
    )
    if cfg.max_attempts < 1:
        raise ConfigError("delivery.max_attempts: must be at least 1")
    return cfg


def _zalo(s: Section) -> ZaloConfig:
    _refuse_moved(s)
    d = ZaloConfig()
    cfg = ZaloConfig(
        enabled=s.get("enabled", d.enabled, as_bool),
        app_id=s.get("app_id", d.app_id, as_text).strip(),
        app_secret=s.get("app_secret", d.app_secret, as_text).strip(),
        oa_secret_key=s.get("oa_secret_key", d.oa_secret_key, as_text).strip(),
        access_token=s.get("access_token", d.access_token, as_text).strip(),
        refresh_token=s.get("refresh_token", d.refresh_token, as_text).strip(),
        api_base_url=s.get("api_base_url", d.api_base_url, as_url).rstrip("/"),
        oauth_base_url=s.get("oauth_base_url", d.oauth_base_url, as_url).rstrip("/"),
        webhook_path=s.get("webhook_path", d.webhook_path, as_text).strip("/"),
        replay_window=s.get("replay_window", d.replay_window, as_int),
    )
    if cfg.enabled:
        for key in ("app_id", "app_secret", "oa_secret_key"):
            if not getattr(cfg, key):
                raise ConfigError(f"zalo.{key}: required when zalo.enabled is true")
    return cfg


def _web(s: Section) -> WebConfig:
    d = WebConfig()
    cfg = WebConfig(
        listen=s.get("listen", d.listen, as_text).strip(),
        port=s.get("port", d.port, as_int),
        public_url=s.get("public_url", d.public_url, as_text).strip().rstrip("/"),
    )
    if not 1 <= cfg.port <= 65535:
        raise ConfigError(f"web.port: {cfg.port} is not a port number")
    if cfg.public_url and not cfg.public_url.startswith(("https://", "http://")):
        raise ConfigError(f"web.public_url: {cfg.public_url!r} must start with https://"
                          " (or http:// on a closed network)")
    return cfg


def _retention(s: Section) -> RetentionPolicy:
    d = RetentionPolicy()
    cfg = RetentionPolicy(
        conversation_days=s.get("conversation_days", d.conversation_days, as_int),
        closed_case_days=s.get("closed_case_days", d.closed_case_days, as_int),
        outcome_days=s.get("outcome_days", dict(d.outcome_days), as_days_by_outcome),
        audit_days=s.get("audit_days", d.audit_days, as_int),
        delivery_days=s.get("delivery_days", d.delivery_days, as_int),
    )
    for key in ("conversation_days", "closed_case_days", "audit_days", "delivery_days"):
        if getattr(cfg, key) < 1:
            raise ConfigError(f"retention.{key}: must be at least 1 day")
    return cfg

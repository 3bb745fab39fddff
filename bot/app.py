"""The composition root: the only place that builds real parts from the configuration: the
store, the services, the dispatcher and desk, every channel with its sender, deliverers and
HTTP clients, and the one web app (tests/test_layering.py keeps it so).

It is also the only place that reads the wall clock: `wall_clock` is the one clock, and every
part that needs the time (store, flows, deliverers, channels, the case watch) is handed it,
so tests run the whole core on a clock they move by hand.

The channel libraries are imported where their channel is built: `hotline ask` or `kb check`
need none of them.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import AsyncExitStack
from dataclasses import fields
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import yaml

from bot.channels.zalo.events import CHANNEL as ZALO
from bot.channels.zalo.window import REPLY_WINDOW as ZALO_REPLY_WINDOW
from bot.config import POSTGRES_SCHEMES, Config, ConfigError
from bot.core import Core
from bot.delivery import Deliverer, FailureHook, Sender
from bot.receiving import Receiving, Resolve
from bot.sending import SendingTurn
from bot.store.port import EdgeStore
from bot.store.sqlite import SqliteStore
from flows.counsellor import StaffDesk
from flows.dispatch import Dispatcher
from flows.outbox import STAFF_CHANNEL
from flows.ports import Clock, Services
from flows.store import Delivery
from flows.triage import LayeredTriage, Thresholds
from flows.watch import CaseWatch
from knowledge.dense import Encoder, load_encoder
from knowledge.directory import Directory
from knowledge.entitlements import EntitlementRules
from knowledge.render import Templates
from knowledge.search import PolicySearch
from knowledge.text import Abbreviations
from knowledge.triage import TriageRules
from knowledge.triage_model import TriageModel

if TYPE_CHECKING:
    import httpx

    from bot.channels.base import Channel
    from bot.channels.console import ConsoleChannel
    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.zalo.channel import ZaloChannel
    from bot.hotline import Hotline
    from bot.web import WebServer

log = logging.getLogger(__name__)

# Per channel, how long after a person's last message it lets us write; known to every
# instance, so that a staff card says it wherever it is rendered.
REPLY_WINDOWS = {ZALO: ZALO_REPLY_WINDOW}


def wall_clock() -> datetime:
    """The one clock of a running hotline: the current time, in UTC."""
    return datetime.now(UTC)


def make_store(url: str, clock: Clock, instance: str = "") -> EdgeStore:
    """The store the URL names (the config loader has refused any other kind already), for
    the instance named (empty: the host's name)."""
    if url.startswith("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"), clock, instance=instance)
    if url.startswith(POSTGRES_SCHEMES):
        from bot.store.postgres import PostgresStore  # psycopg loads only for PostgreSQL

        return PostgresStore(url, clock, instance=instance)
    raise ConfigError("database.url: must start with sqlite:/// or postgresql://")


def load_triage(knowledge: Path, abbreviations: Abbreviations) -> LayeredTriage:
    """Both triage layers: the rules, and the shipped model with its dev-fitted thresholds.
    Without a model file (a centre's own knowledge folder may lack one) the rules run alone,
    and the log says so once."""
    rules = TriageRules.load(knowledge / "triage.yaml", abbreviations)
    model_path = knowledge / "triage_model.json.gz"
    if not model_path.is_file():
        log.warning("triage_model_missing path=%s mode=rules_only", model_path)
        return LayeredTriage(rules)
    stat = model_path.stat()
    return LayeredTriage(rules, _model(model_path, stat.st_mtime_ns, stat.st_size),
                         load_thresholds(knowledge / "triage_model.yaml"))


@lru_cache(maxsize=4)
def _model(path: Path, mtime_ns: int, size: int) -> TriageModel:
    """The model's weights, read once per file version: they never change once loaded, and
    reading 47,000 features takes most of a second (every core a test builds would pay it)."""
    del mtime_ns, size  # part of the cache key only
    return TriageModel.load(path)


def load_thresholds(path: Path) -> Thresholds:
    """The model's thresholds; a key or value the triage does not know stops the start with
    one line naming it (a misspelt key must not silently keep a default)."""
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(settings, dict):
        raise ValueError(f"{path}: expected a mapping of threshold -> value")
    known = {f.name: f for f in fields(Thresholds)}
    values: dict[str, float | int] = {}
    for key, value in settings.items():
        if key not in known:
            raise ValueError(f"{path}: unknown key {key!r} (known: {', '.join(known)})")
        kind = int if key == "min_words" else float
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{path}: {key}: expected a number, got {value!r}")
        values[key] = kind(value)
    return Thresholds(**values)  # type: ignore[arg-type]


SHIPPED_VECTORS = Path(__file__).resolve().parent.parent / "knowledge" / "vectors"


def search_encoder(config: Config) -> tuple[Encoder | None, str]:
    """The dense encoder, or None and why not ("off" in config, or it cannot load here)."""
    if config.policy.dense == "off":
        return None, "turned off in config (policy.dense: off)"
    return load_encoder(config.policy.encoder_threads)


def load_search(config: Config) -> PolicySearch:
    knowledge = config.knowledge_path
    encoder, why = search_encoder(config)
    if encoder is None and config.policy.dense != "off":
        log.warning("dense retrieval unavailable, policy search runs on BM25 only",
                    extra={"event": "search_mode", "mode": "bm25", "problem": why})
    cache = Path(config.policy.vector_cache) if config.policy.vector_cache else (
        knowledge / "vectors")
    # The shipped vectors serve a centre's own copy of the articles wherever it is unchanged.
    dirs = list(dict.fromkeys([cache, SHIPPED_VECTORS]))
    return PolicySearch.from_directory(knowledge, encoder=encoder, vector_dirs=dirs)


def load_entitlements(knowledge: Path, abbreviations: Abbreviations) -> EntitlementRules | None:
    """The entitlement check's rules; a knowledge folder without entitlements.yaml (a centre's
    own older copy) has the check turned off, and the log says so once."""
    path = knowledge / "entitlements.yaml"
    if not path.is_file():
        log.warning("entitlements_missing path=%s mode=check_off", path)
        return None
    return EntitlementRules.load(path, abbreviations)


def load_services(config: Config, clock: Clock) -> Services:
    """The knowledge base, triage rules, directory and templates: loaded once at start.
    A broken file stops the start with a message naming it."""
    knowledge = config.knowledge_path
    if not (knowledge / "templates").is_dir():
        raise ConfigError(f"hotline.knowledge_dir: {knowledge} has no templates/ folder")
    try:
        abbreviations = Abbreviations.load(knowledge / "teencode.yaml")
        search = load_search(config)
        triage = load_triage(knowledge, abbreviations)
        directory = Directory.load(knowledge / "directory.yaml")
        entitlements = load_entitlements(knowledge, abbreviations)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"hotline.knowledge_dir: {exc}") from None
    return Services(
        render=Templates(knowledge / "templates"),
        clock=clock,
        search=search,
        triage=triage,
        directory=directory,
        entitlements=entitlements,
        staff=config.staff,
        policy=config.policy.settings,
        retention=config.retention,
        web_url=config.web.public_url,
    )


async def open_core(
    config: Config, *, clock: Clock = wall_clock, database_url: str | None = None
) -> Core:
    """The store, services, dispatcher, desk and watch, all on `clock` (tests pass their own)."""
    store = make_store(database_url or config.database.url, clock, config.hotline.instance)
    services = load_services(config, clock)
    await store.open()
    return Core(config, store, services, Dispatcher(store, services),
                StaffDesk(store, services), CaseWatch(store, services),
                reply_windows=dict(REPLY_WINDOWS))


# ---------------------------------------------------------------- the running hotline


async def open_hotline(config: Config, *, clock: Clock = wall_clock) -> Hotline:
    """What `hotline run` runs: the core, every configured channel, the web app."""
    return assemble(await open_core(config, clock=clock))


def assemble(core: Core, *, zalo_store_deadline: float | None = None) -> Hotline:
    """Every channel the configuration turns on, on an open core: Telegram when a token is
    set, Zalo when enabled; their deliverers; and the web app when a channel has routes."""
    from bot.hotline import Hotline

    config = core.config
    parts = AsyncExitStack()
    channels: list[Channel] = []
    turns: list[SendingTurn] = []
    if config.telegram.token:
        telegram = telegram_channel(core, parts)
        channels.append(telegram)
        # The bot's replies and its staff posts share one rate limit: one turn for both.
        bot_id = config.telegram.token.split(":", 1)[0]  # the bot's id, not the secret part
        turn = SendingTurn(core.store, f"telegram:{bot_id}", [telegram.name, STAFF_CHANNEL])
        turns.append(turn)
        core.deliverers.append(deliverer(core, telegram.name, telegram.sender, turn=turn))
        if telegram.staff_sender is not None:
            core.deliverers.append(deliverer(core, STAFF_CHANNEL, telegram.staff_sender,
                                             reported=False, turn=turn))
    if config.zalo.enabled:
        zalo = zalo_channel(core, parts, store_deadline=zalo_store_deadline)
        channels.append(zalo)
        turn = SendingTurn(core.store, f"zalo:{config.zalo.app_id}", [zalo.name])
        turns.append(turn)
        core.deliverers.append(deliverer(core, zalo.name, zalo.sender, turn=turn))
    core.reply_windows.update(
        {c.name: c.reply_window for c in channels if c.reply_window is not None})
    return Hotline(core, channels, list(core.deliverers), web_server(core, channels), parts,
                   turns)


def receiving(core: Core, channel: str, resolve: Resolve | None = None) -> Receiving:
    return Receiving(channel, core.store, core.dispatcher, core.desk, wake=core.wake,
                     clock=core.clock, resolve=resolve)


def deliverer(core: Core, channel: str, sender: Sender, *, reported: bool = True,
              turn: SendingTurn | None = None) -> Deliverer:
    """The outbox worker of `channel`; a reply it gives up on is `reported` to the staff;
    with a `turn`, it sends only while this instance holds it."""
    return Deliverer(core.store, channel, sender, core.config.delivery, clock=core.clock,
                     on_undeliverable=undeliverable_hook(core) if reported else None,
                     turn=turn)


def undeliverable_hook(core: Core) -> FailureHook:
    async def report(delivery: Delivery, reason: str) -> None:
        await core.report_undeliverable(delivery, reason)
        core.wake()  # the report is a post for the staff group's deliverer

    return report


def telegram_channel(core: Core, parts: AsyncExitStack) -> TelegramChannel:
    """python-telegram-bot's Application: polling through `InboxBot`, or fed by the web
    app's webhook route (`.updater(None)`, as in PTB's Starlette example)."""
    from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ExtBot
    from telegram.request import HTTPXRequest

    from bot.channels.telegram.channel import TelegramChannel
    from bot.channels.telegram.polling import InboxBot
    from bot.channels.telegram.send import TelegramSender
    from bot.channels.telegram.staff import StaffSender
    from bot.channels.telegram.updates import CHANNEL

    # Opt in to PTB's coming timedelta durations now; otherwise PTB warns about the old
    # integer ones each time it builds a RetryAfter (retry_after_seconds reads both).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    cfg = core.config.telegram
    pipeline = receiving(core, CHANNEL)
    # What ApplicationBuilder would build, with the long-poll's read timeout.
    request = HTTPXRequest(connection_pool_size=256)
    limiter: Any = AIORateLimiter(max_retries=0) if cfg.rate_limit else None
    builder = ApplicationBuilder().concurrent_updates(True)  # the dispatcher keeps order
    application: Application[Any, Any, Any, Any, Any, Any]
    if cfg.mode == "webhook":
        bot: ExtBot[Any] = ExtBot(token=cfg.token, base_url=cfg.base_url,
                                  base_file_url=cfg.base_file_url, request=request,
                                  rate_limiter=limiter)
        application = builder.bot(bot).updater(None).build()
    else:
        bot = InboxBot(pipeline, token=cfg.token, base_url=cfg.base_url,
                       base_file_url=cfg.base_file_url, request=request,
                       get_updates_request=HTTPXRequest(connection_pool_size=1,
                                                        read_timeout=cfg.poll_timeout + 5),
                       rate_limiter=limiter)
        application = builder.bot(bot).build()
    parts.push_async_callback(application.shutdown)  # closes the bot's HTTP clients
    staff = None
    if cfg.staff_chat_id is not None:
        staff = StaffSender(application, core.store, cfg.staff_chat_id, core.topic_title,
                            core.case_card)
    return TelegramChannel(cfg, application, pipeline, TelegramSender(application), staff,
                           core.services.render)


def oauth_client() -> httpx.AsyncClient:
    """The HTTP client of Zalo's OAuth endpoint, for `hotline zalo authorize`."""
    import httpx

    return httpx.AsyncClient(timeout=15.0)


def zalo_channel(core: Core, parts: AsyncExitStack, *,
                 store_deadline: float | None = None) -> ZaloChannel:
    """The OA API client, its tokens and sender; the webhook route for the web app."""
    import httpx

    from bot.channels.zalo.api import TokenManager, ZaloApi, ZaloSender
    from bot.channels.zalo.channel import STORE_DEADLINE, OfferedButtons, ZaloChannel
    from bot.store.zalo_tokens import ZaloTokenStore

    zalo = core.config.zalo
    client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))
    parts.push_async_callback(client.aclose)
    tokens = TokenManager(zalo, client, ZaloTokenStore(core.store, zalo.app_id), core.clock)
    sender = ZaloSender(ZaloApi(zalo, client, tokens), core.services.render,
                        core.store.outbox, core.clock)
    pipeline = receiving(core, ZALO, OfferedButtons(core.store.outbox))
    return ZaloChannel(zalo, pipeline, sender, tokens,
                       store_deadline=STORE_DEADLINE if store_deadline is None
                       else store_deadline)


def web_server(core: Core, channels: list[Channel]) -> WebServer | None:
    """One Starlette app under one uvicorn: every channel's routes and /healthz; none when
    no channel has routes (Telegram polling alone needs no web server)."""
    routes = [route for channel in channels for route in channel.routes()]
    if core.config.web.public_url:
        from bot.webconsole.routes import console_routes

        routes += console_routes(core)
    if not routes:
        return None
    import uvicorn
    from starlette.applications import Starlette

    from bot.web import QuietServer, WebServer, health_route

    app = Starlette(routes=[health_route(core.store, [c.name for c in channels]), *routes])
    server = QuietServer(uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", http="h11", ws="none",
        timeout_graceful_shutdown=3,
    ))
    return WebServer(server, core.config.web.listen, core.config.web.port)


def console_channel(core: Core, *, user_id: str = "console", first_name: str = "",
                    out: TextIO | None = None) -> ConsoleChannel:
    """This terminal as a channel, for `hotline chat` (and `hotline run` without a token)."""
    from bot.channels.console import CHANNEL, ConsoleChannel, ConsoleSender

    sender = ConsoleSender(out or sys.stdout)
    return ConsoleChannel(receiving(core, CHANNEL), sender, deliverer(
        core, CHANNEL, sender, reported=False), user_id=user_id, first_name=first_name)

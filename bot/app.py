"""The composition root: the only place that builds real parts from the configuration.

It is also the only place that reads the wall clock: `wall_clock` is the one clock, and every
part that needs the time (store, flows, deliverers, channels, the case watch) is handed it,
so tests run the whole core on a clock they move by hand."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from bot.config import Config, ConfigError
from bot.delivery import Deliverer
from bot.store.sqlite import SqliteStore
from flows.cases import Case, CaseStatus, claim_data
from flows.corrections import LEVELS
from flows.counsellor import StaffDesk, level_data
from flows.dispatch import Dispatcher
from flows.messages import Button, Outgoing
from flows.outbox import undeliverable_step, write_step
from flows.ports import Clock, Services
from flows.reports import case_label
from flows.retention import PurgeReport
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

log = logging.getLogger(__name__)

ZALO_WINDOW = timedelta(days=7)


def wall_clock() -> datetime:
    """The one clock of a running hotline: the current time, in UTC."""
    return datetime.now(UTC)


@dataclass
class Core:
    """What every channel shares: the store, the services flows use, the dispatcher for
    citizens, the desk for staff and the watch that keeps cases from waiting silently."""

    config: Config
    store: SqliteStore
    services: Services
    dispatcher: Dispatcher
    desk: StaffDesk
    watch: CaseWatch
    deliverers: list[Deliverer] = field(default_factory=list)

    @property
    def clock(self) -> Clock:
        """The one clock, as the flows see it; channels and deliverers take it from here."""
        return self.services.clock

    def wake(self) -> None:
        """New rows are in the outbox: any channel's handling can queue for another (a Zalo
        emergency posts to the Telegram staff group), so every worker looks."""
        for deliverer in self.deliverers:
            deliverer.wake()

    async def close(self) -> None:
        await self.store.close()

    def topic_title(self, case: Case) -> str:
        return self.services.render.render("staff_topic_title", case=case,
                                           category=case_label(self.services, case))

    async def case_card(self, case: Case) -> Outgoing:
        """Everything a counsellor needs before answering: summary, signals, answers, the
        person's earlier cases and the conversation so far; the claim button while waiting,
        and the level buttons while the case is open."""
        history = [m for m in await self.store.messages_of(case.person_id, limit=12)
                   if m.direction in ("in", "out", "staff")]
        staff = self.services.staff.directory
        text = self.services.render.render(
            "staff_card", case=case, category=case_label(self.services, case),
            window_hours=await self.zalo_window_hours(case),
            opened=case.created_at.astimezone(self.config.hotline.tz).strftime("%H:%M %d/%m"),
            earlier=await self.store.earlier_cases(case.person_id, case.id),
            history=history, counsellor=staff.name_of(case.claimed_by),
        )
        return Outgoing(text, buttons=self.card_buttons(case), priority=case.priority)

    def card_buttons(self, case: Case) -> tuple[tuple[Button, ...], ...]:
        """The claim button while waiting; the level row while open (owner and supervisors)."""
        label = self.services.render.label
        rows: list[tuple[Button, ...]] = []
        if case.status == CaseStatus.WAITING:
            rows.append((Button(label("claim"), claim_data(case.id)),))
        if case.is_open:
            # The current level is ticked.
            rows.append(tuple(
                Button(("✓ " if level is case.priority else "")
                       + label(f"level_button_{level.value}"), level_data(case.id, level))
                for level in LEVELS
            ))
        return tuple(rows)

    async def refresh_knowledge(self) -> bool:
        """Re-index the articles when staff changed them on disk. A broken file is logged
        (file and problem, no personal data) and the previous index keeps answering."""
        search = self.services.search
        if not isinstance(search, PolicySearch):
            return False
        try:
            # A rebuild parses every article: off the event loop.
            reloaded = await asyncio.to_thread(search.rebuild_if_changed)
        except (OSError, ValueError) as exc:
            log.error("knowledge reload failed",
                      extra={"event": "knowledge_reload_failed", "problem": str(exc)})
            return False
        if reloaded:
            log.info("knowledge reloaded", extra={"event": "knowledge_reloaded",
                                                  "articles": len(search.articles)})
        return reloaded

    async def purge(self, *, dry_run: bool) -> PurgeReport:
        report = await self.store.purge(self.services.clock(), self.services.retention,
                                        dry_run=dry_run)
        log.info("retention purge", extra={"event": "purge", "dry_run": dry_run,
                                           "removed": report.total})
        return report

    async def zalo_window_hours(self, case: Case) -> int | None:
        """Hours left to message a Zalo user: the OA may write only within 7 days of the
        person's last message (error -230 after that). None for other channels."""
        if case.channel != "zalo":
            return None
        last = await self.store.last_message_from(case.person_id)
        if last is None:
            return 0
        left = last + ZALO_WINDOW - self.services.clock()
        return max(0, int(left.total_seconds() // 3600))

    async def report_undeliverable(self, delivery: Delivery, reason: str) -> None:
        step = undeliverable_step(self.services, delivery, reason)
        if step is None:
            return
        async with self.store.transaction() as tx:
            await write_step(tx, step, delivery.channel, delivery.recipient, None,
                             self.services.clock())


def make_store(url: str, clock: Clock) -> SqliteStore:
    if url.startswith("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"), clock)
    raise ConfigError(
        "database.url: PostgreSQL is not supported by this version yet; use sqlite:///FILE"
    )


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
    )


async def open_core(
    config: Config, *, clock: Clock = wall_clock, database_url: str | None = None
) -> Core:
    """The store, services, dispatcher, desk and watch, all on `clock` (tests pass their own)."""
    store = make_store(database_url or config.database.url, clock)
    services = load_services(config, clock)
    await store.open()
    return Core(config, store, services, Dispatcher(store, services),
                StaffDesk(store, services), CaseWatch(store, services))

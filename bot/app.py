"""The composition root: the only place that builds real parts from the configuration."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, ConfigError
from bot.store.sqlite import SqliteStore
from flows.dispatch import Dispatcher
from flows.ports import Services
from knowledge.render import Templates

log = logging.getLogger(__name__)


@dataclass
class Core:
    """What every channel shares: the store, the services flows use, the dispatcher."""

    config: Config
    store: SqliteStore
    services: Services
    dispatcher: Dispatcher

    async def close(self) -> None:
        await self.store.close()


def make_store(url: str) -> SqliteStore:
    if url.startswith("sqlite:///"):
        return SqliteStore(url.removeprefix("sqlite:///"))
    raise ConfigError(
        "database.url: PostgreSQL is not supported by this version yet; use sqlite:///FILE"
    )


def load_services(knowledge: Path) -> Services:
    if not (knowledge / "templates").is_dir():
        raise ConfigError(f"hotline.knowledge_dir: {knowledge} has no templates/ folder")
    return Services(render=Templates(knowledge / "templates"))


async def open_core(config: Config, *, database_url: str | None = None) -> Core:
    store = make_store(database_url or config.database.url)
    services = load_services(config.knowledge_path)
    await store.open()
    return Core(config, store, services, Dispatcher(store, services))

"""A lease kept while something runs (Telegram polling): one live holder; a restart after a
crash is not refused, since the holder it finds is its own dead previous life."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bot.app import Core, open_core
from bot.config import build_config
from bot.lease import KeptLease

KEEP = timedelta(seconds=30)


def a_dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)  # that process has exited and been reaped


async def test_a_live_holder_keeps_the_lease(core: Core) -> None:
    first, second = KeptLease(core.store, "telegram_polling:1"), KeptLease(core.store,
                                                                           "telegram_polling:1")
    assert await first.take() is None
    assert await second.take() == first.holder  # the same process, another lease: refused
    await first.release()
    assert await second.take() is None
    await second.release()


async def test_a_lease_left_by_this_instance_in_a_dead_process_is_taken_over(
    core: Core,
) -> None:
    crashed = f"{core.store.instance}:{a_dead_pid()}/1"
    assert await core.store.take_lease("telegram_polling:1", crashed, KEEP)
    restarted = KeptLease(core.store, "telegram_polling:1")
    assert await restarted.take() is None
    assert await core.store.singleton_holder("telegram_polling:1") == restarted.holder
    await restarted.release()


async def test_a_lease_held_on_another_machine_is_not_taken(core: Core) -> None:
    assert await core.store.take_lease("telegram_polling:1", "other-host:1/1", KEEP)
    assert await KeptLease(core.store, "telegram_polling:1").take() == "other-host:1/1"


async def test_the_configured_instance_name_names_the_leases(tmp_path: Path) -> None:
    config = build_config({"database": {"url": f"sqlite:///{tmp_path}/h.db"},
                           "hotline": {"instance": "hue-2"}}, env={})
    core = await open_core(config)
    try:
        assert core.store.instance == "hue-2"
        assert KeptLease(core.store, "telegram_polling:1").holder.startswith("hue-2:")
    finally:
        await core.close()

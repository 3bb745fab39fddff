"""Twenty counsellors pressing "Nhận ca" on the same 500 cases at once, on a SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.app import open_core
from bot.config import build_config
from flows.cases import CaseStatus
from tests.factories_staff import claim_race, seed_waiting_cases

COUNSELLORS = [7000 + i for i in range(20)]
CASES = 500


async def test_no_case_is_claimed_twice_and_none_is_lost(db_path: Path) -> None:
    config = build_config(
        {"database": {"url": f"sqlite:///{db_path}"},
         "staff": {"counsellors": COUNSELLORS, "max_active_cases": CASES}},
        env={},
    )
    core = await open_core(config)
    await seed_waiting_cases(core, CASES)
    wins = await claim_race(core, COUNSELLORS, CASES)
    await core.close()
    assert set(wins) == set(range(1, CASES + 1))  # every case claimed
    assert max(wins.values()) == 1  # by exactly one press
    core = await open_core(config)  # read back after a restart: what was committed
    try:
        claimed = [case.id for case in await core.store.views.open_cases()
                   if case.status == CaseStatus.ACTIVE and case.claimed_by is not None]
        entries = await core.store.views.audit_entries()
    finally:
        await core.close()
    assert (len(claimed), len(set(claimed))) == (CASES, CASES)
    audit = [action for _, _, action, _, _ in entries if action == "case_claimed"]
    assert len(audit) == CASES  # every claim recorded once, with who and when

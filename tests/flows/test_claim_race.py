"""Twenty counsellors pressing "Nhận ca" on the same 500 cases at once, on a SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.app import open_core
from bot.config import build_config
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
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT count(*), count(DISTINCT id) FROM cases WHERE status = 'active'"
                      " AND claimed_by IS NOT NULL").fetchone()
    assert rows == (CASES, CASES)
    audit = db.execute("SELECT count(*) FROM audit_log WHERE action = 'case_claimed'").fetchone()
    assert audit == (CASES,)  # every claim recorded once, with who and when

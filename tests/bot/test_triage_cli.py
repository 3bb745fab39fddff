"""`hotline triage export` and `hotline triage eval` as an operator runs them (real
subprocesses on a database the real desk wrote)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from bot.app import Core
from flows.cases import claim_data
from flows.counsellor import level_data
from flows.messages import Priority
from knowledge.labelled import load
from tests.bot.test_cli import ROOT, hotline
from tests.conftest import Clock
from tests.factories import make_incoming
from tests.factories_staff import staff

HOA = 5001
CONFIG = str(ROOT / "config.yaml")
DANGER = ("chồng em đang đánh em, em là Thảo, nhà ở số 12 ngõ 34 phố Huế,"
          " sđt 0912 345 678")
UNCLEAR = "em không biết phải làm sao nữa, Thảo mệt lắm, mail em thao.tran@gmail.com"


async def corrected_cases(core: Core) -> None:
    """Two corrected cases: a critical alarm lowered to urgent, a review item raised."""
    await core.dispatcher.handle(make_incoming(DANGER, user="1", first_name="Thảo"))
    # A review item as the safety net leaves one (seeded: what the model makes of a message
    # changes as it is retrained).
    now = core.clock()
    async with core.store.transaction() as tx:
        person = await tx.people.get("telegram", "2", "Thảo")
        case = await tx.cases.create(person.id, Priority.REVIEW, now, summary=UNCLEAR)
        await tx.messages.add(person.id, "in", "text", UNCLEAR, now, case_id=case.id)
        await tx.messages.add(person.id, "in", "text", "/huy", now, case_id=case.id)
    for case_id in (1, 2):
        await core.store.cases.set_thread(case_id, f"7{case_id}")
        await core.desk.handle(staff(HOA, button=claim_data(case_id)))
    await core.desk.handle(staff(HOA, "/muc gap", thread="71"))
    await core.desk.handle(staff(HOA, button=level_data(2, Priority.CRITICAL), thread="72"))
    await core.desk.handle(staff(HOA, "/loai tu tu", thread="72"))
    await core.close()


async def test_export_writes_masked_jsonl_that_eval_reads_back(
    desk_core: Core, db_path: Path, tmp_path: Path, clock: Clock
) -> None:
    await corrected_cases(desk_core)
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{db_path}"}
    out = tmp_path / "corrections.jsonl"
    today = clock().astimezone(desk_core.config.hotline.tz).date()
    result = await asyncio.to_thread(hotline, "--config", CONFIG, "triage", "export",
                                     "--since", today.isoformat(), "--output", str(out),
                                     env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"wrote 2 corrected cases to {out}"
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    first, second = lines
    assert set(first) == {"text", "level", "category", "style", "triage_level",
                          "triage_category", "triage_layer", "corrected_at"}
    assert (first["level"], first["category"]) == ("urgent", "domestic_violence")
    assert (first["triage_level"], first["triage_category"]) == ("critical", "domestic_violence")
    assert first["triage_layer"] == "rules" and first["style"] == []
    assert (second["level"], second["category"]) == ("critical", "suicide")
    assert (second["triage_level"], second["triage_layer"]) == ("review", "safety_net")
    assert first["text"].startswith("chồng em đang đánh em, em là [tên], nhà ở [địa chỉ]")
    assert "[số điện thoại]" in first["text"]
    assert "[tên] mệt lắm" in second["text"] and "[email]" in second["text"]
    raw = out.read_text(encoding="utf-8")
    for trace in ("Thảo", "0912", "ngõ 34", "Huế", "gmail", "tg:", "5001", "Chị Hoa"):
        assert trace not in raw, trace
    assert [m.level for m in load(out)] == ["urgent", "critical"]  # the labelled format

    figures = await asyncio.to_thread(hotline, "--config", CONFIG, "triage", "eval", str(out),
                                      env=env)
    assert figures.returncode == 0, figures.stderr
    assert figures.stdout.startswith(
        "== corrections.jsonl: 2 messages (1 critical, 1 urgent, 0 none)")
    assert "critical recall (as critical)" in figures.stdout and "suicide" in figures.stdout

    later = (today + timedelta(days=1)).isoformat()
    nothing = await asyncio.to_thread(hotline, "--config", CONFIG, "triage", "export",
                                      "--since", later, env=env)
    assert nothing.returncode == 0 and nothing.stdout == ""


def test_eval_reads_the_shipped_yaml_split() -> None:
    result = hotline("triage", "eval", str(ROOT / "tests/knowledge/triage_eval.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("== triage_eval.yaml: ")
    assert "safety net" in result.stdout


def test_eval_of_a_missing_or_malformed_file_says_so_in_one_line(tmp_path: Path) -> None:
    missing = hotline("triage", "eval", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        f"hotline: triage eval: cannot read {tmp_path / 'nope.jsonl'}: No such file or directory"]
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "em sợ lắm", "level": "urgent"}\n{not json\n', encoding="utf-8")
    bad_json = hotline("triage", "eval", str(broken))
    assert bad_json.returncode == 2
    assert len(bad_json.stderr.strip().splitlines()) == 1
    assert bad_json.stderr.startswith(f"hotline: triage eval: {broken}: not valid jsonl")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("- {text: em sợ lắm, level: very}\n", encoding="utf-8")
    bad_level = hotline("triage", "eval", str(wrong))
    assert bad_level.returncode == 2
    assert bad_level.stderr.strip().splitlines() == [
        "hotline: triage eval: wrong.yaml[0].level: 'very' is not one of none, urgent, critical"]


def test_export_refuses_a_since_that_is_not_a_date(tmp_path: Path) -> None:
    result = hotline("triage", "export", "--since", "yesterday",
                     env={"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hotline: --since: 'yesterday' is not a date like 2026-11-01")

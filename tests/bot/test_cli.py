"""The `hotline` command as an operator or a script uses it (real subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def hotline(*args: str, env: dict[str, str] | None = None, stdin: str = "",
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=60,
    )


def test_ask_json_prints_one_object_per_message(tmp_path: Path) -> None:
    result = hotline("--config", str(ROOT / "config.yaml"), "ask", "--json", "Xin chào", "/help",
                     env={"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    for obj in lines:
        assert set(obj) >= {"route", "urgency", "category", "articles", "reply"}
        assert obj["urgency"] in {"none", "urgent", "critical"}
        assert isinstance(obj["articles"], list)
    assert lines[0]["route"] == "menu" and lines[0]["reply"].startswith("Xin chào")
    assert "/huy" in lines[1]["reply"]
    assert not (tmp_path / "h.db").exists()  # ask leaves no made-up people in the database


def test_ask_reads_one_message_per_line_from_stdin() -> None:
    result = hotline("ask", "--json", "-", stdin="/start\n\n/help\n")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_a_bad_config_stops_with_one_line_naming_the_key() -> None:
    result = hotline("ask", "hi", env={"HOTLINE_TELEGRAM_MODE": "fax"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hotline: configuration error: HOTLINE_TELEGRAM_MODE: must be one of polling, webhook,"
        " got 'fax'"
    ]


def test_run_without_a_token_says_how_to_set_one_and_starts_the_console(tmp_path: Path) -> None:
    result = hotline("run", stdin="/help\n", cwd=tmp_path,
                     env={"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    assert result.returncode == 0, result.stderr
    assert "HOTLINE_TELEGRAM_TOKEN" in result.stderr and "@BotFather" in result.stderr
    assert "Xin chào" in result.stdout and "/huy" in result.stdout
    assert (tmp_path / "h.db").exists()


def test_chat_keeps_the_conversation_in_the_database(tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"}
    first = hotline("chat", stdin="1\n", env=env, cwd=tmp_path)  # presses 'Hỏi chính sách'
    assert first.returncode == 0, first.stderr
    assert "Bạn hãy gõ câu hỏi" in first.stdout
    import sqlite3

    rows = sqlite3.connect(tmp_path / "h.db").execute(
        "SELECT direction FROM messages ORDER BY id"
    ).fetchall()
    assert [r[0] for r in rows] == ["in", "out", "in", "out"]

"""`hotline doctor`, as an operator runs it before and after a deployment: real SQLite files,
the session's PostgreSQL, and the real python-telegram-bot against the Bot API stand-in."""

from __future__ import annotations

import io
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import make_store
from bot.config import Config, build_config
from bot.doctor import doctor
from bot.store.schema import migrations
from bot.store.zalo_tokens import ZaloTokens, ZaloTokenStore
from bot.store_commands import migrate
from tests.bot.test_cli import hotline
from tests.conftest import Clock
from tests.postgres import empty_tables
from tests.standin.bot_api import BotApiStandIn, free_port
from tests.standin.updates import STAFF_CHAT_ID

# Shaped like BotFather's, so that a leak of its secret half would show in the output.
TOKEN = "123456:AAE-doctor-secret-part"
SECRET = "AAE-doctor-secret-part"
ZALO = {"enabled": True, "app_id": "4321", "app_secret": "zalo-app-secret",
        "oa_secret_key": "zalo-oa-key"}


def config_for(db_url: str, api: BotApiStandIn | None = None, *,
               telegram: dict[str, Any] | None = None, zalo: dict[str, Any] | None = None
               ) -> Config:
    data: dict[str, Any] = {"database": {"url": db_url}}
    if api is not None:
        data["telegram"] = {"token": TOKEN, "base_url": api.base_url,
                            "base_file_url": api.base_file_url,
                            "staff_chat_id": STAFF_CHAT_ID, **(telegram or {})}
    if zalo is not None:
        data["zalo"] = zalo
    return build_config(data, env={})


async def migrated(db_path: Path, clock: Clock) -> str:
    url = f"sqlite:///{db_path}"
    assert await migrate(config_for(url), io.StringIO(), clock=clock) == 0
    return url


async def run_doctor(config: Config, clock: Clock) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = await doctor(config, out, clock=clock)
    return code, out.getvalue().splitlines()


def lines_of(severity: str, lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith(f"{severity}: ")]


# ---------------------------------------------------------------- all good


async def test_a_good_configuration_passes_with_what_it_checked(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(await migrated(db_path, clock), bot_api)
    code, lines = await run_doctor(config, clock)
    assert code == 0
    assert lines_of("problem", lines) == lines_of("warning", lines) == []
    assert lines[-1] == "hotline doctor: 0 problems, 0 warnings"
    assert f"ok: database.url: SQLite {db_path} answers; up to date" \
           f" ({len(migrations('sqlite'))} migrations)" in lines
    assert "ok: telegram.token: the Bot API accepts it: the bot is @hotline_test_bot" in lines
    assert any(line.startswith("ok: telegram.staff_chat_id: 'Staff': a supergroup with Topics")
               for line in lines)
    assert "skipped: zalo: zalo.enabled is false: the Zalo checks do not apply" in lines
    # It only asks: nothing is set, sent or changed at Telegram.
    assert {c.method for c in bot_api.calls} == {"getMe", "getChat", "getChatMember"}
    assert capsys.readouterr().err == ""


async def test_without_a_token_the_telegram_checks_are_skipped_not_failed(
    db_path: Path, clock: Clock
) -> None:
    code, lines = await run_doctor(config_for(await migrated(db_path, clock)), clock)
    assert code == 0
    assert "skipped: telegram: no telegram.token: the Telegram checks do not apply" in lines


# ---------------------------------------------------------------- Telegram


async def test_a_refused_token_is_one_line_without_the_token(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.refuse_token(TOKEN)
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    assert lines_of("problem", lines) == [
        "problem: telegram.token: the Bot API refused the token (Unauthorized)"]
    assert SECRET not in "\n".join(lines)
    assert [c.method for c in bot_api.calls] == ["getMe"]  # nothing more with a refused token


async def test_an_unreachable_bot_api_is_one_line_and_quick(db_path: Path, clock: Clock) -> None:
    closed = f"http://127.0.0.1:{free_port()}/bot"
    config = build_config({"database": {"url": await migrated(db_path, clock)},
                           "telegram": {"token": TOKEN, "base_url": closed}}, env={})
    started = time.monotonic()
    code, lines = await run_doctor(config, clock)
    assert code == 1 and time.monotonic() - started < 10
    [line] = lines_of("problem", lines)
    assert line.startswith("problem: telegram.base_url: cannot reach the Bot API at 127.0.0.1")
    assert SECRET not in "\n".join(lines)


async def test_no_staff_group_with_a_token_is_a_warning(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    config = config_for(await migrated(db_path, clock), bot_api,
                        telegram={"staff_chat_id": ""})
    code, lines = await run_doctor(config, clock)
    assert code == 0  # the bot runs; cases wait for a group nobody sees
    [line] = lines_of("warning", lines)
    assert line.startswith("warning: telegram.staff_chat_id: not set: cases only wait in the"
                           " queue")
    assert lines[-1] == "hotline doctor: 0 problems, 1 warning"


async def test_a_staff_group_id_telegram_does_not_know(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.state.forget_chat(STAFF_CHAT_ID)
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    assert lines_of("problem", lines) == [
        f"problem: telegram.staff_chat_id: Telegram knows no group {STAFF_CHAT_ID} with the bot"
        " in it: check the id, and add @hotline_test_bot to the group"]


async def test_a_staff_group_the_bot_was_removed_from(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.fail_next("getChat", status=403,
                      description="Forbidden: bot was kicked from the supergroup chat")
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    [line] = lines_of("problem", lines)
    assert "bot was kicked" in line and "add @hotline_test_bot to it again" in line


async def test_a_staff_group_with_topics_off(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.state.set_chat(STAFF_CHAT_ID, title="Tư vấn viên", is_forum=False)
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    assert lines_of("problem", lines) == [
        "problem: telegram.staff_chat_id: 'Tư vấn viên' has Topics off: turn them on (group"
        " settings → Topics); each case gets its own topic"]


async def test_a_basic_group_says_its_id_will_change(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.state.set_chat(STAFF_CHAT_ID, type="group", is_forum=False)
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    [line] = lines_of("problem", lines)
    assert "is a basic group: turn on Topics" in line and "a new id (-100…)" in line


async def test_the_bot_not_an_administrator_of_the_staff_group(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.state.set_member(STAFF_CHAT_ID, bot_api.bot_user["id"], "member")
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    [line] = lines_of("problem", lines)
    assert line.startswith("problem: telegram.staff_chat_id: @hotline_test_bot is not an"
                           " administrator of the group: make it one")


async def test_each_missing_right_of_the_bot_is_its_own_line(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    bot_api.state.set_member(STAFF_CHAT_ID, bot_api.bot_user["id"], "administrator",
                             can_manage_topics=False, can_delete_messages=False)
    code, lines = await run_doctor(config_for(await migrated(db_path, clock), bot_api), clock)
    assert code == 1
    problems = lines_of("problem", lines)
    assert len(problems) == 2
    assert "may not manage topics: turn on Manage Topics" in problems[0]
    assert "may not delete messages: turn on Delete messages" in problems[1]
    assert lines[-1] == "hotline doctor: 2 problems, 0 warnings"


async def test_webhook_mode_not_set_yet_is_fine_and_a_delivery_error_is_a_warning(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    url = "https://bot.example.org/telegram"
    config = config_for(await migrated(db_path, clock), bot_api,
                        telegram={"mode": "webhook", "webhook_url": url, "secret_token": "s3"})
    code, lines = await run_doctor(config, clock)
    assert code == 0
    assert "ok: telegram.webhook_url: not set at Telegram yet: `hotline run` sets it" in lines
    bot_api.state.webhook_url = url
    bot_api.state.webhook_error = (1_800_000_000, "Wrong response from the webhook: 502 Bad"
                                                  " Gateway")
    code, lines = await run_doctor(config, clock)
    assert code == 0
    assert "ok: telegram.webhook_url: Telegram posts updates here (0 updates waiting)" in lines
    assert lines_of("warning", lines) == [
        "warning: telegram.webhook_url: Telegram's last delivery failed at 2027-01-15 08:00 UTC:"
        " Wrong response from the webhook: 502 Bad Gateway"]


async def test_a_webhook_url_that_is_not_https(
    db_path: Path, clock: Clock, bot_api: BotApiStandIn
) -> None:
    config = config_for(await migrated(db_path, clock), bot_api,
                        telegram={"mode": "webhook", "webhook_url": "http://bot.example.org/t",
                                  "secret_token": "s3"})
    code, lines = await run_doctor(config, clock)
    # A warning only here: a local Bot API server (the stand-in's base_url) may post to HTTP.
    assert code == 0
    assert "warning: telegram.webhook_url: is not an https:// URL: Telegram sends updates to" \
           " HTTPS URLs only" in lines


# ---------------------------------------------------------------- Zalo


async def test_zalo_enabled_without_stored_tokens(db_path: Path, clock: Clock) -> None:
    config = config_for(await migrated(db_path, clock), zalo=ZALO)
    code, lines = await run_doctor(config, clock)
    assert code == 1
    assert lines_of("problem", lines) == [
        "problem: zalo: no token pair stored for app 4321: run `hotline zalo authorize"
        " --redirect-uri URL`"]
    assert "zalo-app-secret" not in "\n".join(lines)


async def test_stored_zalo_tokens_past_their_expiry_are_refreshed_by_run(
    db_path: Path, clock: Clock
) -> None:
    config = config_for(await migrated(db_path, clock), zalo=ZALO)
    store = make_store(config.database.url, clock)
    await store.open()
    try:
        await ZaloTokenStore(store, "4321").save(
            ZaloTokens("access-secret", "refresh-secret", clock() + timedelta(hours=1)))
    finally:
        await store.close()
    code, lines = await run_doctor(config, clock)
    assert code == 0 and "ok: zalo: a token pair is stored for app 4321" in lines
    clock.advance(2 * 3600)
    code, lines = await run_doctor(config, clock)
    assert code == 0
    [line] = [line for line in lines if line.startswith("ok: zalo:")]
    assert "its access token expired at" in line and "`hotline run` refreshes it" in line
    assert "secret" not in "\n".join(lines)


# ---------------------------------------------------------------- the database


def older_database(path: Path, applied: int) -> None:
    """A database as an older version left it: its first `applied` migrations only."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY,"
                     " name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for number, name, sql in migrations("sqlite")[:applied]:
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (number, name))
    conn.close()


async def test_pending_migrations_are_one_line_and_left_pending(
    db_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    older_database(db_path, 5)
    code, lines = await run_doctor(config_for(f"sqlite:///{db_path}"), clock)
    assert code == 1
    pending = len(migrations("sqlite")) - 5
    assert lines_of("problem", lines) == [
        f"problem: database.url: SQLite {db_path}: {pending} migrations pending: run"
        " `hotline migrate`"]
    with sqlite3.connect(db_path) as conn:  # the doctor read it, and changed nothing
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (5,)
    conn.close()
    assert capsys.readouterr().err == ""


async def test_a_database_not_made_yet_is_not_made_by_the_doctor(
    tmp_path: Path, clock: Clock
) -> None:
    db = tmp_path / "later" / "hotline.db"
    code, lines = await run_doctor(config_for(f"sqlite:///{db}"), clock)
    assert code == 1
    [line] = lines_of("problem", lines)
    assert line.endswith(f"does not exist yet: {len(migrations('sqlite'))} migrations pending:"
                         " run `hotline migrate`")
    assert not db.parent.exists()


async def test_a_database_a_newer_version_migrated(db_path: Path, clock: Clock) -> None:
    url = await migrated(db_path, clock)
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 'x')")
    conn.close()
    code, lines = await run_doctor(config_for(url, zalo=ZALO), clock)
    assert code == 1
    [line] = lines_of("problem", lines)
    assert line.startswith("problem: database.url: the database was migrated by a newer"
                           " version of hotline (migrations [999])")
    # Nor is the store opened for the Zalo tokens on a schema this version does not know.
    assert "skipped: zalo: the stored tokens are read once the database check passes" in lines


def write_garbage(path: Path) -> None:
    path.write_bytes(b"not a database, just a file with some bytes in it" * 100)


async def test_a_file_that_is_not_a_database(db_path: Path, clock: Clock) -> None:
    write_garbage(db_path)
    code, lines = await run_doctor(config_for(f"sqlite:///{db_path}"), clock)
    assert code == 1
    assert lines_of("problem", lines) == [
        f"problem: database.url: SQLite {db_path}: cannot read it: file is not a database"]


async def test_postgresql_up_to_date(postgres_url: str, clock: Clock) -> None:
    empty_tables(postgres_url)
    config = config_for(postgres_url)
    assert await migrate(config, io.StringIO(), clock=clock) == 0
    code, lines = await run_doctor(config, clock)
    assert code == 0
    assert lines[0].startswith("ok: database.url: PostgreSQL postgresql://") and \
           lines[0].endswith(f"answers; up to date ({len(migrations('postgres'))} migrations)")


async def test_an_unreachable_postgresql_is_one_line_without_the_password(
    clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for("postgresql://hotline:pg-s3cret@127.0.0.1:1/hotline", zalo=ZALO)
    code, lines = await run_doctor(config, clock)
    assert code == 1
    [line] = lines_of("problem", lines)
    assert line.startswith("problem: database.url: PostgreSQL"
                           " postgresql://hotline@127.0.0.1:1/hotline: cannot connect or read:")
    assert "pg-s3cret" not in "\n".join(lines)
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- the command


def test_hotline_doctor_from_the_command_line(tmp_path: Path) -> None:
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"}
    config = tmp_path / "config.yaml"
    config.write_text("telegram:\n  token: ''\n", encoding="utf-8")
    before = hotline("--config", str(config), "doctor", env=env)
    assert before.returncode == 1
    assert "migrations pending: run `hotline migrate`" in before.stdout
    assert "Traceback" not in before.stderr
    assert hotline("--config", str(config), "migrate", env=env).returncode == 0
    after = hotline("--config", str(config), "doctor", env=env)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.splitlines()[-1] == "hotline doctor: 0 problems, 0 warnings"

"""`hotline doctor`: the configuration checked against the real services, for the operator
before and after a deployment.

One line per finding, `<severity>: <config key>: <what, and what to do>`, then a summary;
exit status 1 when any finding is a problem. Warnings (the bot runs, but not as it should),
`ok` and `skipped` lines do not fail it. Nothing is changed anywhere: the database is read,
never migrated, and Telegram is only asked (getMe, getChat, getChatMember, getWebhookInfo).
No token, password or secret is printed, nor anything of the people who write to the hotline.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO, TypeVar
from urllib.parse import unquote, urlsplit

import aiosqlite

from bot.app import make_store
from bot.config import DEFAULT_BASE_URL, POSTGRES_SCHEMES, Config, TelegramConfig
from bot.store.schema import SchemaTooNew, pending
from bot.store.zalo_tokens import ZaloTokens, ZaloTokenStore
from bot.store_commands import without_password
from flows.ports import Clock

if TYPE_CHECKING:  # python-telegram-bot loads only when a token is set
    from telegram import Bot, ChatFullInfo, ChatMember, User

# Seconds any one question to a service may take: the doctor answers, or says it got no answer.
TIMEOUT = 10.0

Severity = Literal["problem", "warning", "ok", "skipped"]
T = TypeVar("T")


@dataclass(frozen=True)
class Finding:
    severity: Severity
    where: str  # the configuration key (or section) the finding is about
    message: str

    @property
    def line(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def problem(where: str, message: str) -> Finding:
    return Finding("problem", where, message)


def warning(where: str, message: str) -> Finding:
    return Finding("warning", where, message)


def ok(where: str, message: str) -> Finding:
    return Finding("ok", where, message)


def skipped(where: str, message: str) -> Finding:
    return Finding("skipped", where, message)


async def doctor(config: Config, out: TextIO, *, clock: Clock) -> int:
    """`hotline doctor`: print the findings and the summary; the exit status."""
    return report(await diagnose(config, clock=clock), out)


async def diagnose(config: Config, *, clock: Clock) -> list[Finding]:
    database = await check_database(config)
    findings = [database]
    findings += await check_telegram(config.telegram)
    # The Zalo check reads the store, which opens only on a schema it may use unchanged.
    findings += await check_zalo(config, clock=clock, database_ready=database.severity == "ok")
    return findings


def report(findings: Sequence[Finding], out: TextIO) -> int:
    for finding in findings:
        print(finding.line, file=out)
    problems = sum(1 for f in findings if f.severity == "problem")
    warnings = sum(1 for f in findings if f.severity == "warning")
    print(f"hotline doctor: {plural(problems, 'problem')}, {plural(warnings, 'warning')}",
          file=out)
    return 1 if problems else 0


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def without_secret(text: str, *secrets: str) -> str:
    """`text` with every secret blanked: libraries' messages may quote what they were given."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


# ---------------------------------------------------------------- database


async def check_database(config: Config) -> Finding:
    """The database answers, and its schema is the one this version ships (nothing pending,
    nothing newer)."""
    url = config.database.url
    if url.startswith(POSTGRES_SCHEMES):
        return await postgres_schema(url)
    return await sqlite_schema(Path(config.database.sqlite_path))


def schema_finding(dialect: str, applied: set[int], what: str) -> Finding:
    try:
        todo = pending(dialect, applied)
    except SchemaTooNew as exc:
        return problem("database.url", str(exc).removeprefix("database.url: "))
    if todo:
        return problem("database.url", f"{what}: {plural(len(todo), 'migration')} pending:"
                                       " run `hotline migrate`")
    return ok("database.url", f"{what} answers; up to date ({plural(len(applied), 'migration')})")


async def sqlite_schema(path: Path) -> Finding:
    what = f"SQLite {path}"
    if str(path) == ":memory:":
        return skipped("database.url", "an in-memory database is made anew at every start")
    if not await asyncio.to_thread(path.exists):
        return schema_finding("sqlite", set(), f"{what} does not exist yet")
    try:
        async with asyncio.timeout(TIMEOUT):
            applied = await sqlite_applied(path)
    except TimeoutError:
        return problem("database.url", f"{what}: no answer within {TIMEOUT:g} s (locked?)")
    except sqlite3.Error as exc:
        return problem("database.url", f"{what}: cannot read it: {first_line(exc)}")
    return schema_finding("sqlite", applied, what)


async def sqlite_applied(path: Path) -> set[int]:
    # Read-only: opening the store would apply what is pending (SqliteStore.open), and the
    # doctor must not change the schema under a bot of the version still running.
    uri = f"{(await asyncio.to_thread(path.resolve)).as_uri()}?mode=ro"
    async with aiosqlite.connect(uri, uri=True) as db:
        tables = await db.execute_fetchall(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        if not list(tables):
            return set()
        rows = await db.execute_fetchall("SELECT number FROM schema_migrations")
        return {int(row[0]) for row in rows}


async def postgres_schema(url: str) -> Finding:
    import psycopg  # loads only for PostgreSQL, as in make_store

    what = f"PostgreSQL {without_password(url)}"
    password = urlsplit(url).password or ""
    try:
        async with asyncio.timeout(TIMEOUT):
            applied = await postgres_applied(url)
    except TimeoutError:
        return problem("database.url", f"{what}: no answer within {TIMEOUT:g} s")
    except psycopg.Error as exc:
        reason = without_secret(first_line(exc), password, unquote(password))
        return problem("database.url", f"{what}: cannot connect or read: {reason}")
    return schema_finding("postgres", applied, what)


async def postgres_applied(url: str) -> set[int]:
    from psycopg import AsyncConnection

    # One plain connection that only reads: PostgresStore.open would migrate.
    async with await AsyncConnection.connect(url, autocommit=True,
                                             connect_timeout=int(TIMEOUT)) as conn:
        cursor = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        found = await cursor.fetchone()
        if not (found and found[0]):
            return set()
        cursor = await conn.execute("SELECT number FROM schema_migrations")
        return {int(row[0]) for row in await cursor.fetchall()}


# ---------------------------------------------------------------- Telegram


async def check_telegram(cfg: TelegramConfig) -> list[Finding]:
    if not cfg.token:
        return [skipped("telegram", "no telegram.token: the Telegram checks do not apply")]
    from telegram import Bot

    # PTB's coming timedelta durations, as bot/app.py opts in (else RetryAfter warns).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    bot = Bot(cfg.token, base_url=cfg.base_url, base_file_url=cfg.base_file_url)
    try:
        me, findings = await check_token(bot, cfg)
        if me is None:
            return findings
        findings += await check_staff_group(bot, me, cfg)
        if cfg.mode == "webhook":
            findings += await check_webhook(bot, cfg)
        return findings
    finally:
        await bot.shutdown()


async def asked(question: Awaitable[T]) -> T:
    """A Bot API answer within TIMEOUT (TimeoutError otherwise): PTB's own timeouts bound
    each read, this bounds the whole question however the connection behaves."""
    async with asyncio.timeout(TIMEOUT):
        return await question


def telegram_error(where: str, exc: Exception, cfg: TelegramConfig) -> Finding:
    """The one line for a failed Bot API call."""
    from telegram.error import (
        BadRequest,
        Forbidden,
        InvalidToken,
        NetworkError,
        RetryAfter,
        TelegramError,
        TimedOut,
    )

    host = urlsplit(cfg.base_url).hostname or cfg.base_url
    if isinstance(exc, InvalidToken):
        # PTB's own message quotes the token; Telegram's (the cause) says why.
        cause = exc.__cause__ if isinstance(exc.__cause__, TelegramError) else exc
        why = without_secret(cause.message, cfg.token)
        # Telegram answers 404 to a malformed token, and so does a wrong base URL.
        hint = "" if why == "Unauthorized" else "; check telegram.base_url too"
        return problem("telegram.token", f"the Bot API refused the token ({why}){hint}")
    if isinstance(exc, RetryAfter):
        return problem(where, f"Telegram asks to wait {exc.retry_after} (flood control):"
                              " run `hotline doctor` again later")
    reason = without_secret(exc.message if isinstance(exc, TelegramError) else "", cfg.token)
    if isinstance(exc, BadRequest):
        return problem(where, f"Telegram refused the request ({reason})")
    if isinstance(exc, Forbidden):
        return problem(where, f"Telegram forbids it ({reason})")
    if isinstance(exc, TimedOut | TimeoutError):
        return problem(where, f"no answer from the Bot API at {host} within {TIMEOUT:g} s")
    if isinstance(exc, NetworkError):
        return problem(where, f"cannot reach the Bot API at {host} ({reason})")
    return problem(where, f"the Bot API answered with an error ({reason})")


async def check_token(bot: Bot, cfg: TelegramConfig) -> tuple[User | None, list[Finding]]:
    """getMe (through initialize, which the later calls need): the bot, or why not."""
    from telegram.error import TelegramError

    try:
        await asked(bot.initialize())
    except (TelegramError, TimeoutError) as exc:  # a refused token is named as such
        return None, [telegram_error("telegram.base_url", exc, cfg)]
    me = bot.bot
    return me, [ok("telegram.token", f"the Bot API accepts it: the bot is @{me.username}")]


async def check_staff_group(bot: Bot, me: User, cfg: TelegramConfig) -> list[Finding]:
    where = "telegram.staff_chat_id"
    if cfg.staff_chat_id is None:
        return [warning(where, "not set: cases only wait in the queue, and no counsellor sees"
                               " them in Telegram; create the counsellors' group and put its"
                               " id here (README: Putting it on Telegram)")]
    from telegram.error import BadRequest, Forbidden, TelegramError

    try:
        chat = await asked(bot.get_chat(cfg.staff_chat_id))
    except BadRequest as exc:
        if "not found" not in exc.message.lower():
            return [telegram_error(where, exc, cfg)]
        return [problem(where, f"Telegram knows no group {cfg.staff_chat_id} with the bot in"
                               f" it: check the id, and add @{me.username} to the group")]
    except Forbidden as exc:  # e.g. "bot was kicked from the supergroup chat"
        return [problem(where, f"Telegram keeps the bot out of the group ({exc.message}):"
                               f" add @{me.username} to it again, as an administrator")]
    except (TelegramError, TimeoutError) as exc:
        return [telegram_error(where, exc, cfg)]
    findings = group_shape(chat, where)
    if chat.type != "supergroup":  # its id changes when it becomes one: rights come after
        return findings
    try:
        member = await asked(bot.get_chat_member(cfg.staff_chat_id, me.id))
    except (TelegramError, TimeoutError) as exc:
        return [*findings, telegram_error(where, exc, cfg)]
    findings += bot_rights(member, f"@{me.username}", where)
    if not findings:
        findings.append(ok(where, f"{chat.title!r}: a supergroup with Topics, @{me.username}"
                                  " an administrator who may manage topics and delete"
                                  " messages"))
    return findings


def group_shape(chat: ChatFullInfo, where: str) -> list[Finding]:
    """The staff group is a supergroup with Topics: one topic per case."""
    if chat.type in ("private", "channel"):
        return [problem(where, f"{chat.id} is a {chat.type}, not a group: put the id of the"
                               " counsellors' supergroup (-100…) here")]
    if chat.type == "group":
        return [problem(where, f"{chat.title!r} is a basic group: turn on Topics (group"
                               " settings → Topics); Telegram then makes it a supergroup with"
                               " a new id (-100…) to put here")]
    if not chat.is_forum:
        return [problem(where, f"{chat.title!r} has Topics off: turn them on (group settings"
                               " → Topics); each case gets its own topic")]
    return []


def bot_rights(member: ChatMember, bot_name: str, where: str) -> list[Finding]:
    """What the bot may do in the staff group: it creates, closes and, when a person asks to
    be erased (/xoa), deletes a topic per case."""
    from telegram import ChatMemberAdministrator, ChatMemberOwner

    if isinstance(member, ChatMemberOwner):
        return []
    if not isinstance(member, ChatMemberAdministrator):
        if member.status in ("left", "kicked"):
            return [problem(where, f"{bot_name} is not in the group: add it, and make it an"
                                   " administrator with Manage Topics and Delete messages")]
        return [problem(where, f"{bot_name} is not an administrator of the group: make it one"
                               " (group settings → Administrators), with Manage Topics and"
                               " Delete messages")]
    findings = []
    if not member.can_manage_topics:
        findings.append(problem(where, f"{bot_name} may not manage topics: turn on Manage"
                                       " Topics for it in the group's Administrators"))
    if not member.can_delete_messages:
        findings.append(problem(where, f"{bot_name} may not delete messages: turn on Delete"
                                       " messages for it in the group's Administrators (a"
                                       " case's topic is deleted when the person asks to be"
                                       " erased)"))
    return findings


async def check_webhook(bot: Bot, cfg: TelegramConfig) -> list[Finding]:
    where = "telegram.webhook_url"
    findings = []
    if not cfg.webhook_url.startswith("https://"):
        # Telegram's servers post to HTTPS only; a local Bot API server may allow HTTP.
        official = cfg.base_url == DEFAULT_BASE_URL
        findings.append((problem if official else warning)(
            where, "is not an https:// URL: Telegram sends updates to HTTPS URLs only"))
    from telegram.error import TelegramError

    try:
        info = await asked(bot.get_webhook_info())
    except (TelegramError, TimeoutError) as exc:
        return [*findings, telegram_error(where, exc, cfg)]
    if not info.url:
        findings.append(ok(where, "not set at Telegram yet: `hotline run` sets it"))
    elif info.url != cfg.webhook_url:
        findings.append(warning(where, f"Telegram posts updates to {info.url}, not here:"
                                       " `hotline run` sets it to this URL (is another copy"
                                       " of the bot using the token?)"))
    else:
        findings.append(ok(where, f"Telegram posts updates here"
                                  f" ({plural(info.pending_update_count, 'update')} waiting)"))
    if info.last_error_message:
        failed = info.last_error_date
        at = f" at {failed.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if failed else ""
        findings.append(warning(where, f"Telegram's last delivery failed{at}:"
                                       f" {without_secret(info.last_error_message, cfg.token)}"))
    return findings


# ---------------------------------------------------------------- Zalo


async def check_zalo(config: Config, *, clock: Clock, database_ready: bool) -> list[Finding]:
    cfg = config.zalo
    if not cfg.enabled:
        return [skipped("zalo", "zalo.enabled is false: the Zalo checks do not apply")]
    # The config loader refuses these missing already; a Config built in code has no loader.
    findings = [problem(f"zalo.{key}", "not set: it is required when zalo.enabled is true")
                for key in ("app_id", "app_secret", "oa_secret_key") if not getattr(cfg, key)]
    if not cfg.app_id:
        return findings
    if not database_ready:
        return [*findings, skipped("zalo", "the stored tokens are read once the database"
                                           " check passes")]
    try:
        async with asyncio.timeout(TIMEOUT):
            tokens = await stored_zalo_tokens(config, clock)
    except Exception as exc:  # after the database check passed: a race or a lost connection,
        # which the operator gets as one line like every other finding, not a traceback
        return [*findings, problem("zalo", f"cannot read the stored tokens: {first_line(exc)}")]
    return [*findings, zalo_tokens_finding(config, tokens, clock)]


async def stored_zalo_tokens(config: Config, clock: Clock) -> ZaloTokens | None:
    # The schema is up to date (check_database), so opening the store applies nothing.
    store = make_store(config.database.url, clock, config.hotline.instance)
    await store.open()
    try:
        return await ZaloTokenStore(store, config.zalo.app_id).load()
    finally:
        await store.close()


def zalo_tokens_finding(config: Config, tokens: ZaloTokens | None, clock: Clock) -> Finding:
    cfg = config.zalo
    if tokens is None:
        if cfg.access_token or cfg.refresh_token:
            return ok("zalo", "no token pair stored yet: `hotline run` starts with the pair in"
                              " zalo.access_token and zalo.refresh_token, then stores each new"
                              " one")
        return problem("zalo", f"no token pair stored for app {cfg.app_id}: run `hotline zalo"
                               " authorize --redirect-uri URL`")
    if tokens.expires_at is not None and tokens.expires_at <= clock():
        expired = tokens.expires_at.astimezone(UTC)
        return ok("zalo", f"a token pair is stored for app {cfg.app_id}; its access token"
                          f" expired at {expired:%Y-%m-%d %H:%M} UTC: `hotline run` refreshes"
                          " it with the stored refresh token")
    return ok("zalo", f"a token pair is stored for app {cfg.app_id}")

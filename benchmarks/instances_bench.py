"""Several `hotline run` processes on one database, Telegram in webhook mode: load, failover,
and a large database. Every bot is a real subprocess (tests/instances.py starts them) talking
to the local Bot API stand-in in this process; this script plays Telegram, posting each
update to an instance's webhook with the secret header.

    .venv/bin/python -m benchmarks.instances_bench [--people 50] [--messages 20]
        [--rounds 3] [--skip-load] [--skip-failover] [--skip-large] [--no-sqlite-large]

PostgreSQL: HOTLINE_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432), where
user postgres may create databases. Each configuration runs on a fresh database made by this
script (hotline_bench_<pid>_<n>) and dropped at the end, also after an error or Ctrl-C; the
bots are stopped the same way. It takes about five minutes on two cores.

What the figures mean (no figure is asserted: they are printed beside their targets):

1. Load. `people` people, each sending `messages` messages (the texts of bot_bench.py), the
   next one as soon as the reply to the previous one arrived; a person's consecutive messages
   go to different instances. msg/s is replies over the wall time of the run; latency runs
   from the POST of the update to the reply's arrival at the stand-in, so it covers the
   webhook, the inbox, the handling, the outbox and the sending instance. Telegram's flood
   limit is off (telegram.rate_limit: false), as in driver.py. Once for PostgreSQL with 1 and
   with 3 instances, once for SQLite with 1 instance.
2. Failover. Three instances on PostgreSQL with a staff group; one emergency case is opened
   and never claimed, so the case watch re-alerts it every few seconds
   (staff.critical_alert_after: 2 s; the watch itself runs every 5 s on each instance). The
   watch is not held by one instance (each round takes the singleton anew, and any living
   instance runs the next), but the posts go out through the one instance holding the bot's
   sending turn: that is the instance whose death stops the re-alerts. It is found on the
   database (the session holding the advisory lock `sending:telegram:<bot id>`, named
   "instance:pid" in pg_stat_activity), SIGKILLed, and the figure is the time from the kill
   to the next re-alert post recorded at the stand-in. It includes waiting for the next watch
   round that is due, so the usual gap between re-alerts before the kill is printed beside
   it, and so is the takeover itself: how long until another instance's session held the
   sending turn (the database polled every 50 ms). The kill comes at a random moment between
   two re-alerts. The killed instance is then started again under its name; this is
   repeated, and once an instance that does not send is killed instead, for comparison.
3. Large database. A fresh database is migrated (`hotline migrate`), then seeded directly with
   SQL: 200,000 people, 100,000 cases (50 waiting, 50 active, ~5,000 cancelled, the rest
   closed; 4 % critical, 8 % urgent, 8 % review; nine triage categories and the intake
   topics), 1,000,000 messages (six per
   case, the rest outside cases), and a week of handled inbox events and sent replies
   (100,000 each), all dated within the retention windows so that the purge at start keeps
   them; then VACUUM ANALYZE. One instance is measured on it and on an empty database: the load of
   figure 1 (the p99 ratio large/empty is the figure; target <= 1.2), and what staff see, each
   timed 50 times from the POST to the stand-in receiving the bot's post: /hangcho (the
   queue), /thongke (today's figures), the card of a new case (an emergency from a person
   with earlier cases, to its card in the case's topic), and a claim ("Nhận ca" pressed, to
   the card edited in place). The same on SQLite unless --no-sqlite-large.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psycopg
from psycopg import sql

from benchmarks.driver import Figures, percentile
from tests.instances import (
    CONFIG,
    ROOT,
    TOKEN,
    Instance,
    Instances,
    clean_environment,
    lock_holder,
    post_update,
    telegram_webhook_env,
    webhooks_ready,
)
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, Call
from tests.standin.recording import SEND_METHODS

SERVER = os.environ.get("HOTLINE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
STAFF_CHAT = updates.STAFF_CHAT_ID
COUNSELLOR = 5001
BOT_ID = TOKEN.split(":", 1)[0]
TEXTS = ["xin chào", "/help", "/start", "/huy"]  # bot_bench.py's load
EMERGENCY = "bố em đang đánh em bé ở nhà, cứu với"
REALERT_AFTER = 2  # seconds (staff.critical_alert_after) in the failover figure
FAILOVER_TARGET = 5.0
STAFF_RUNS = 50
STAFF_TARGET_MS = 50.0
RATIO_TARGET = 1.2
NEW_ALERT = re.compile(r"KHẨN CẤP · Ca #(\d+)")
WAIT = 60.0  # seconds any one awaited post may take before the run is given up


# ---------------------------------------------------------------- databases


class Databases:
    """PostgreSQL databases made for this run; `drop_all` removes every one (FORCE: a bot
    killed mid-run may still hold a connection for a moment)."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.names: list[str] = []

    def admin(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(f"{self.server}/postgres", autocommit=True, connect_timeout=5)

    def create(self) -> str:
        name = f"hotline_bench_{os.getpid()}_{len(self.names) + 1}"
        with self.admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.names.append(name)
        return f"{self.server}/{name}"

    def drop_all(self) -> None:
        with self.admin() as conn:
            while self.names:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.names.pop())))


async def migrate(url: str) -> None:
    """`hotline migrate`, as an IT person would run it before the first start."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "--config", str(CONFIG), "migrate",
        env=clean_environment(HOTLINE_DATABASE_URL=url), cwd=str(ROOT),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"hotline migrate failed ({process.returncode}):\n{out.decode()}")


# ---------------------------------------------------------------- running bots


def bot_env(api: BotApiStandIn, url: str, **extra: str) -> dict[str, str]:
    return clean_environment(
        HOTLINE_DATABASE_URL=url,
        HOTLINE_STAFF_COUNSELLORS=str(COUNSELLOR),
        # Claims in figure 3 are many; the cap of a real desk would refuse them.
        HOTLINE_STAFF_MAX_ACTIVE_CASES="1000",
        **telegram_webhook_env(api, staff_chat_id=STAFF_CHAT),
        **extra,
    )


@contextlib.asynccontextmanager
async def running(api: BotApiStandIn, env: dict[str, str], count: int) -> Any:
    """`count` instances serving (their webhooks set at the stand-in), and an HTTP client."""
    async with (Instances(env, count) as group,
                httpx.AsyncClient(trust_env=False, timeout=30.0,
                                  limits=httpx.Limits(max_connections=200)) as client):
        since = api.mark()
        await group.start()
        await webhooks_ready(api, count, since=since)
        yield group, client


def figures(latencies: list[float], seconds: float) -> Figures:
    latencies.sort()
    return Figures(messages=len(latencies), seconds=seconds,
                   per_second=len(latencies) / seconds if seconds > 0 else 0.0,
                   p50_ms=percentile(latencies, 0.50) * 1000,
                   p99_ms=percentile(latencies, 0.99) * 1000)


async def drive(api: BotApiStandIn, client: httpx.AsyncClient, group: Instances, *,
                people: int, per_person: int, first_user: int) -> Figures:
    """driver.drive, through the webhooks: each person posts, waits for the reply, posts the
    next message to the next instance."""
    pending: dict[int, asyncio.Future[Call]] = {}

    def on_call(call: Call) -> None:  # one future per chat: O(1) per call
        if not call.ok or call.method not in SEND_METHODS:
            return
        chat = call.params.get("chat_id")
        future = pending.get(chat) if isinstance(chat, int) else None
        if future is not None and not future.done():
            future.set_result(call)

    latencies: list[float] = []
    loop = asyncio.get_running_loop()

    async def person(index: int) -> None:
        user = first_user + index
        for n in range(per_person):
            future = pending[user] = loop.create_future()
            _, posted = await post_update(client, group.alive,
                                          updates.text(user, TEXTS[(index + n) % len(TEXTS)]),
                                          first=index + n)
            try:
                reply = await asyncio.wait_for(future, WAIT)
            except TimeoutError:
                raise TimeoutError(f"person {user} got no reply to message {n} within"
                                   f" {WAIT} s") from None
            latencies.append(reply.at - posted)
        pending.pop(user, None)

    remove = api.add_listener(on_call)
    started = time.perf_counter()
    try:
        await asyncio.gather(*(person(i) for i in range(people)))
    finally:
        remove()
    return figures(latencies, time.perf_counter() - started)


# ---------------------------------------------------------------- 1. load


async def load(dbs: Databases, folder: Path, people: int, per_person: int) -> None:
    print(f"1. Load: {people} people x {per_person} messages each (the next after the reply),"
          " Telegram webhook, local Bot API stand-in")
    runs = [("PostgreSQL, 1 instance ", 1, dbs.create()),
            ("PostgreSQL, 3 instances", 3, dbs.create()),
            ("SQLite, 1 instance     ", 1, f"sqlite:///{folder}/load.db")]
    for n, (label, count, url) in enumerate(runs):
        async with BotApiStandIn() as api, running(api, bot_env(api, url), count) as (g, c):
            result = await drive(api, c, g, people=people, per_person=per_person,
                                 first_user=100_000 * (n + 1))
        print(result.line(f"  {label}"), flush=True)


# ---------------------------------------------------------------- 2. failover


def is_realert(call: Call) -> bool:
    return (call.ok and call.method == "sendMessage" and call.chat_id == STAFF_CHAT
            and str(call.params.get("text", "")).startswith("⏰"))


def realert_gaps(calls: list[Call]) -> list[float]:
    """Seconds between consecutive escalations (each posts twice: the case's topic and
    General; the topic's posts are counted)."""
    times = [c.at for c in calls if is_realert(c) and c.params.get("message_thread_id")]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


async def sender(url: str, group: Instances) -> Instance | None:
    holder = await lock_holder(url, f"sending:telegram:{BOT_ID}")
    name = holder.rsplit(":", 1)[0] if holder else ""
    return next((i for i in group.alive if i.name == name), None)


@dataclass(frozen=True)
class Failover:
    realert: float  # seconds from the SIGKILL to the next re-alert at the stand-in
    previous: float  # seconds from the last re-alert before the kill to the kill
    takeover: float | None  # seconds until another instance's session held the sending turn


async def kill_and_time(api: BotApiStandIn, url: str, group: Instances,
                        victim: Instance) -> Failover:
    before = [c.at for c in api.calls if is_realert(c)]
    since = api.mark()
    victim.kill()
    assert victim.killed_at is not None
    killed_at = victim.killed_at
    await victim.wait()

    async def taken_over() -> float | None:
        while time.perf_counter() - killed_at < WAIT:
            holder = await sender(url, group)
            if holder is not None and holder is not victim:
                return time.perf_counter() - killed_at
            await asyncio.sleep(0.05)  # polling the database: nothing to wait on
        return None

    takeover = asyncio.create_task(taken_over())
    call = await api.wait_for(lambda c: is_realert(c) and c.at > killed_at, timeout=WAIT,
                              since=since)
    return Failover(call.at - killed_at, killed_at - before[-1] if before else float("nan"),
                    await takeover)


async def failover(dbs: Databases, rounds: int) -> None:
    print(f"2. Failover: 3 instances on PostgreSQL, one critical case never claimed,"
          f" re-alerted every {REALERT_AFTER} s or so by the case watch")
    url = dbs.create()
    async with BotApiStandIn() as api, running(
            api, bot_env(api, url, HOTLINE_STAFF_CRITICAL_ALERT_AFTER=str(REALERT_AFTER)),
            3) as (group, client):
        await post_update(client, group.alive, updates.text(777, EMERGENCY))
        await api.wait_for(lambda c: c.ok and c.chat_id == STAFF_CHAT
                           and bool(NEW_ALERT.search(str(c.params.get("text", "")))),
                           timeout=WAIT)
        since = api.mark()
        for _ in range(10):  # five re-alerts (two posts each), for the usual gap between them
            await api.wait_for(is_realert, timeout=WAIT, since=api.mark())
        gaps = realert_gaps(api.calls[since:])
        print(f"  before any kill: re-alerts {statistics.median(gaps):.1f} s apart (median of"
              f" {len(gaps)} gaps, min {min(gaps):.1f}, max {max(gaps):.1f})", flush=True)
        for n in range(rounds + 1):
            victim = await sender(url, group)
            bystander = n == rounds
            if bystander:  # for comparison: an instance that does not send
                victim = next(i for i in group.alive if i is not victim)
                what = "an instance that does not send"
            elif victim is None:
                victim = group.alive[0]
                what = "no sending turn found on the database; killed the first instance"
            else:
                what = "the sending instance"
            name, pid = victim.name, victim.pid
            # At some moment between two re-alerts, not right after one.
            await api.wait_for(is_realert, timeout=WAIT, since=api.mark())
            await asyncio.sleep(random.Random(n).uniform(0.5, 4.5))
            timing = await kill_and_time(api, url, group, victim)
            after = await sender(url, group)
            if bystander:
                turn = f"sending turn still with {after.name if after else 'nobody'}"
            elif timing.takeover is None:
                turn = f"sending turn not taken over within {WAIT:.0f} s"
            else:
                turn = (f"sending turn taken by {after.name if after else '?'} after"
                        f" {timing.takeover:.2f} s")
            print(f"  kill {n + 1}: {what} ({name}, pid {pid}), {timing.previous:.1f} s after"
                  f" the last re-alert -> next re-alert {timing.realert:.2f} s after the"
                  f" SIGKILL (target < {FAILOVER_TARGET:.0f} s); {turn}", flush=True)
            index = group.instances.index(victim)
            since = api.mark()
            await group.restart(index)
            await webhooks_ready(api, 1, since=since)


# ---------------------------------------------------------------- 3. large database


@dataclass(frozen=True)
class Dialect:
    """What differs in the seeding SQL: a series of integers g (1..n) and a timestamp in the
    stores' text form (UTC, microseconds) for `now` minus some seconds."""

    name: str
    series: Callable[[int], str]
    stamp: Callable[[str], str]


POSTGRES = Dialect(
    "PostgreSQL",
    lambda n: f"generate_series(1, {n}) AS s(g)",
    lambda ago: ("to_char((now() - (" + ago + ") * interval '1 second') AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"),
)
SQLITE = Dialect(
    "SQLite",
    lambda n: (f"(WITH RECURSIVE r(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM r"
               f" WHERE g < {n}) SELECT g FROM r) AS s"),
    lambda ago: ("strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (" + ago + ") || ' seconds')"
                 " || '.000000+00:00'"),
)

PEOPLE, CASES, CASE_PEOPLE = 200_000, 100_000, 60_000
PER_CASE, LOOSE_MESSAGES, WEEK_ROWS = 6, 400_000, 100_000
SEED_USERS = 1_000_000  # seeded people's Telegram ids start above this
DAYS = 57 * 86_400  # every seeded date is within the retention windows (90 days and more)
CATEGORIES = ("suicide", "child_abuse", "sexual_abuse", "domestic_violence", "elder_abuse",
              "violence", "medical", "homeless", "mental_health", None)
# A case has a triage category, or else the topic chosen at intake (labels.j2: topic_*).
TOPICS = ("chinh_sach", "gia_dinh", "khac", "nguoi_cao_tuoi", "nguoi_khuyet_tat", "tam_ly",
          "tre_em")
OUTCOMES = ("đã tư vấn", "chuyển tuyến", "can thiệp khẩn cấp", "không liên lạc được")


def pick(values: tuple[str | None, ...], index: str) -> str:
    whens = " ".join(f"WHEN {i} THEN {'NULL' if v is None else repr(v)}"
                     for i, v in enumerate(values))
    return f"CASE ({index}) % {len(values)} {whens} END"


def opened_ago(g: str) -> str:
    """Seconds before now case `g` was opened: minutes for the open ones (its six messages
    follow a minute apart, all in the past), weeks for the rest."""
    return (f"CASE WHEN {g} % 1000 IN (0, 1) AND {g} <= 50000 THEN 420 + {g} % 900"
            f" ELSE 3600 + ({g} * 37) % {DAYS} END")


def seed_statements(d: Dialect) -> list[str]:
    """Open cases: g <= 50,000 and g % 1000 in (0, 1); their people (g * 7919 % 60,000) have no
    other open case, since two cases share a person only 60,000 apart."""
    status = ("CASE WHEN g % 1000 = 0 AND g <= 50000 THEN 'waiting'"
              " WHEN g % 1000 = 1 AND g <= 50000 THEN 'active'"
              " WHEN g % 20 = 7 THEN 'cancelled' ELSE 'closed' END")
    priority = ("CASE WHEN g % 25 = 3 THEN 'critical' WHEN g % 25 IN (4, 5) THEN 'urgent'"
                " WHEN g % 25 IN (6, 7) THEN 'review' ELSE 'normal' END")
    rank = ("CASE WHEN g % 25 = 3 THEN 0 WHEN g % 25 IN (4, 5) THEN 1"
            " WHEN g % 25 IN (6, 7) THEN 2 ELSE 3 END")
    age = opened_ago("g")
    closing = f"CASE WHEN {status} IN ('closed', 'cancelled') THEN"
    topic = (f"CASE WHEN g % {len(CATEGORIES)} = {CATEGORIES.index(None)} THEN"
             f" {pick(TOPICS, f'g / {len(CATEGORIES)}')} ELSE '' END")
    in_case = d.stamp(opened_ago("c.id") + " - s.g * 60")
    this_week = d.stamp("(g * 3) % 590000")  # within retention.delivery_days (7)
    return [
        f"INSERT INTO people (id, channel, external_id, first_name, flow, flow_data, created_at,"
        f" last_seen_at) SELECT g, CASE WHEN g % 10 = 0 THEN 'zalo' ELSE 'telegram' END,"
        f" CAST({SEED_USERS} + g AS TEXT), 'Người ' || g, 'menu', '{{}}',"
        f" {d.stamp(f'{DAYS} + 3600 - g % 3600')}, {d.stamp(f'(g * 13) % {DAYS}')}"
        f" FROM {d.series(PEOPLE)}",
        f"INSERT INTO cases (id, person_id, status, priority, priority_rank, category, topic,"
        f" summary, signals, created_at, claimed_by, claimed_at, first_reply_at, closed_at,"
        f" outcome, details, escalated_at) SELECT g, (g * 7919) % {CASE_PEOPLE} + 1, {status},"
        f" {priority}, {rank}, {pick(CATEGORIES, 'g')}, {topic},"
        f" 'tóm tắt ca ' || g, '[]', {d.stamp(age)},"
        f" CASE WHEN {status} = 'waiting' THEN NULL ELSE {COUNSELLOR} + g % 10 END,"
        f" CASE WHEN {status} = 'waiting' THEN NULL ELSE {d.stamp(f'{age} - 60')} END,"
        f" CASE WHEN {status} = 'waiting' THEN NULL ELSE {d.stamp(f'{age} - 120')} END,"
        f" {closing} {d.stamp(f'{age} - 1800')} ELSE NULL END,"
        f" {closing} {pick(OUTCOMES, 'g')} ELSE NULL END, '{{}}',"
        f" CASE WHEN {status} = 'waiting' AND g % 25 IN (3, 4, 5) THEN {d.stamp('30')}"
        f" ELSE NULL END FROM {d.series(CASES)}",
        # Six messages per case, in its first minutes; the person's, the bot's, the staff's.
        f"INSERT INTO messages (person_id, case_id, direction, kind, text, meta, created_at)"
        f" SELECT c.person_id, c.id,"
        f" CASE s.g % 3 WHEN 1 THEN 'in' WHEN 2 THEN 'out' ELSE 'staff' END, 'text',"
        f" 'tin nhắn ' || s.g || ' của ca ' || c.id, '{{}}',"
        f" {in_case} FROM cases c, {d.series(PER_CASE)}",
        f"INSERT INTO messages (person_id, direction, kind, text, meta, created_at)"
        f" SELECT (g * 31) % {PEOPLE} + 1, CASE g % 2 WHEN 0 THEN 'in' ELSE 'out' END,"
        f" 'text', 'câu hỏi chính sách ' || g, '{{}}', {d.stamp(f'(g * 17) % {DAYS}')}"
        f" FROM {d.series(LOOSE_MESSAGES)}",
        f"INSERT INTO inbox (channel, event_id, payload, received_at, processed_at)"
        f" SELECT 'telegram', 'seed-' || g, '', {this_week}, {this_week}"
        f" FROM {d.series(WEEK_ROWS)}",
        f"INSERT INTO outbox (channel, recipient, person_id, priority_rank, payload,"
        f" created_at, attempts, next_attempt_at, sent_at, sent_ref)"
        f" SELECT 'telegram', CAST({SEED_USERS} + (g * 31) % {PEOPLE} + 1 AS TEXT),"
        f" (g * 31) % {PEOPLE} + 1, 3, '{{\"text\": \"Xin chào\"}}',"
        f" {this_week}, 1, {this_week}, {this_week}, 'seed' FROM {d.series(WEEK_ROWS)}",
    ]


SEEDED = (f"{PEOPLE:,} people, {CASES:,} cases, {CASES * PER_CASE + LOOSE_MESSAGES:,}"
          f" messages, {WEEK_ROWS:,} handled inbox events and {WEEK_ROWS:,} sent replies")


async def seed_postgres(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        async with conn.transaction():
            for statement in seed_statements(POSTGRES):
                await conn.execute(statement.encode())  # no parameters: % is SQL's modulo
            for table in ("people", "cases"):  # ids were given: the bot's next ones follow
                await conn.execute(sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))"
                ).format(t=sql.Literal(table), i=sql.Identifier(table)))
        # What autovacuum would have done to a database that grew over weeks; left to it,
        # it vacuums the fresh million rows during the measurement instead.
        await conn.execute("VACUUM ANALYZE")


def seed_sqlite(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        with conn:
            for statement in seed_statements(SQLITE):
                conn.execute(statement)
        conn.execute("ANALYZE")


async def purge_done(url: str) -> None:
    """The first watch round purges: wait until it is over, so it is not measured."""
    while True:
        if url.startswith("sqlite:///"):
            with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
                held = conn.execute("SELECT 1 FROM singletons WHERE name = 'purge'").fetchone()
        else:
            held = await lock_holder(url, "purge")
        if not held:
            return
        await asyncio.sleep(0.2)  # nothing to wait on but the other process's job


async def bench_people(url: str, count: int, first_user: int) -> list[int]:
    """Telegram ids for the staff figures: on a seeded database, people with closed cases only
    (their cards show earlier cases and history); on an empty one, new people."""
    query = ("SELECT CAST(p.external_id AS INTEGER) FROM people p WHERE p.channel = 'telegram'"
             " AND EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id)"
             " AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id"
             " AND c.status IN ('waiting', 'active')) ORDER BY p.id LIMIT ?")
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            found = [int(r[0]) for r in conn.execute(query, (count,))]
    else:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            cursor = await conn.execute(query.replace("?", "%s"), (count,))
            found = [int(r[0]) for r in await cursor.fetchall()]
    return found + [first_user + i for i in range(count - len(found))]


def staff_callback(data: str, thread: int, message_id: int) -> dict[str, Any]:
    update = updates.callback(COUNSELLOR, data, message_id=message_id, first_name="Hoa")
    message = update["callback_query"]["message"]
    message["chat"] = {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff",
                       "is_forum": True}
    message["message_thread_id"] = thread
    message["is_topic_message"] = True
    return update


def to_staff(starts: str) -> Callable[[Call], bool]:
    def match(call: Call) -> bool:
        return (call.ok and call.method == "sendMessage" and call.chat_id == STAFF_CHAT
                and str(call.params.get("text", "")).startswith(starts))
    return match


async def timed(api: BotApiStandIn, client: httpx.AsyncClient, group: Instances,
                update: dict[str, Any], expect: Callable[[Call], bool]) -> tuple[float, Call]:
    since = api.mark()
    _, posted = await post_update(client, group.alive, update)
    call = await api.wait_for(expect, timeout=WAIT, since=since)
    return call.at - posted, call


async def staff_figures(api: BotApiStandIn, client: httpx.AsyncClient, group: Instances,
                        people: list[int]) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {"/hangcho": [], "/thongke": [], "new case card": [],
                                    "claim -> card edited": []}
    for _ in range(STAFF_RUNS):
        for command, starts in (("/hangcho", ("Hàng chờ", "Không có ca")),
                                ("/thongke", ("Hôm nay:",))):
            def answer(c: Call, starts: tuple[str, ...] = starts) -> bool:
                return any(to_staff(s)(c) for s in starts)
            took, _ = await timed(api, client, group,
                                  updates.group_text(STAFF_CHAT, COUNSELLOR, command), answer)
            seen[command].append(took)
    for user in people:
        def card(c: Call) -> bool:
            return (to_staff("🔴 KHẨN CẤP")(c) and c.params.get("message_thread_id") is not None
                    and "(cập nhật)" not in str(c.params.get("text", "")).split("\n")[0])
        took, posted = await timed(api, client, group, updates.text(user, EMERGENCY), card)
        seen["new case card"].append(took)
        found = NEW_ALERT.search(str(posted.params.get("text", "")))
        assert found is not None
        message_id = int(posted.result["message_id"])
        thread = int(posted.params["message_thread_id"])

        def edited(c: Call, message_id: int = message_id) -> bool:
            return (c.ok and c.method == "editMessageText"
                    and c.params.get("message_id") == message_id)
        took, _ = await timed(api, client, group,
                              staff_callback(f"case:claim:{found.group(1)}", thread, message_id),
                              edited)
        seen["claim -> card edited"].append(took)
    return seen


def staff_line(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return (f"{label}: p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms"
            f" ({len(ms)} runs)")


async def one_database(url: str, people: int, per_person: int,
                       first_user: int) -> tuple[Figures, dict[str, list[float]]]:
    async with BotApiStandIn() as api, running(api, bot_env(api, url), 1) as (group, client):
        # Warm-up (the encoder's first texts, the first watch round) is not measured.
        await drive(api, client, group, people=5, per_person=4, first_user=first_user + 90_000)
        await purge_done(url)
        result = await drive(api, client, group, people=people, per_person=per_person,
                             first_user=first_user)
        staff = await staff_figures(api, client, group,
                                    await bench_people(url, STAFF_RUNS, first_user + 50_000))
    return result, staff


async def large(dbs: Databases, folder: Path, people: int, per_person: int,
                with_sqlite: bool) -> None:
    print(f"3. Large database: {SEEDED}; 1 instance, the load of figure 1, and staff views"
          f" timed {STAFF_RUNS} times each")
    stores: list[tuple[str, Callable[[], str]]] = [("PostgreSQL", dbs.create)]
    if with_sqlite:
        counter = iter(range(1, 10))
        stores.append(("SQLite", lambda: f"sqlite:///{folder}/large_{next(counter)}.db"))
    for n, (name, make_url) in enumerate(stores):
        empty_url, large_url = make_url(), make_url()
        await migrate(empty_url)
        await migrate(large_url)
        started = time.perf_counter()
        if large_url.startswith("sqlite:///"):
            await asyncio.to_thread(seed_sqlite, large_url.removeprefix("sqlite:///"))
        else:
            await seed_postgres(large_url)
        print(f"  {name}: seeded in {time.perf_counter() - started:.0f} s", flush=True)
        base = 3_000_000 + 400_000 * n
        empty, empty_staff = await one_database(empty_url, people, per_person, base)
        print(empty.line(f"  {name}, empty"), flush=True)
        full, full_staff = await one_database(large_url, people, per_person,
                                              base + 200_000)
        print(full.line(f"  {name}, large"), flush=True)
        ratio = full.p99_ms / empty.p99_ms if empty.p99_ms else float("nan")
        print(f"  {name}: p99 reply latency large/empty = {ratio:.2f} (target <="
              f" {RATIO_TARGET})")
        print(f"  {name}, staff, from the POST to the bot's post at the stand-in (target"
              f" < {STAFF_TARGET_MS:.0f} ms):")
        for what in empty_staff:
            print(f"    {staff_line(f'{what:22} empty', empty_staff[what])}")
            print(f"    {staff_line(f'{what:22} large', full_staff[what])}", flush=True)


# ---------------------------------------------------------------- main


async def run(args: argparse.Namespace, dbs: Databases, folder: Path) -> None:
    # SIGTERM cleans up as Ctrl-C does: the bots stopped, the databases dropped.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    if not args.skip_load:
        await load(dbs, folder, args.people, args.messages)
    if not args.skip_failover:
        await failover(dbs, args.rounds)
    if not args.skip_large:
        await large(dbs, folder, args.people, args.messages, not args.no_sqlite_large)


@contextlib.contextmanager
def cleaned_up(dbs: Databases) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="instances_bench_") as folder:
        try:
            yield Path(folder)
        finally:
            dbs.drop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="per person")
    parser.add_argument("--rounds", type=int, default=3, help="kills of the sending instance")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-failover", action="store_true")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--no-sqlite-large", action="store_true",
                        help="figure 3 on PostgreSQL only")
    args = parser.parse_args()
    dbs = Databases(SERVER)
    with cleaned_up(dbs) as folder:
        try:
            asyncio.run(run(args, dbs, folder))
        except (KeyboardInterrupt, asyncio.CancelledError):
            print("interrupted: bots stopped, databases dropped", file=sys.stderr)


if __name__ == "__main__":
    main()

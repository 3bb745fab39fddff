"""Three `hotline run` processes on one PostgreSQL database, Telegram in webhook mode and Zalo
on, one of them SIGKILLed in the middle of a burst. The test plays Telegram and Zalo: it posts
each update to one instance and a person's next message to another, and posts again to a
survivor whatever the killed one did not answer 200.

What must hold afterwards: everybody is answered; each person's replies come in the order of
their messages; a reply is repeated at most once, and only one that was in flight at the kill;
every emergency opens one case, whose alert is posted once and whose re-alerts by the case
watch never come twice in one interval; the Zalo access token, made stale during the run, is
refreshed exactly once across the three instances.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import psycopg

from tests.bot.zalo_fixtures import APP_ID, APP_SECRET, OA_SECRET_KEY, raw_body, signed
from tests.bot.zalo_fixtures import text as zalo_text
from tests.instances import (
    Instance,
    Instances,
    NoInstanceLeft,
    clean_environment,
    lock_holder,
    post_raw,
    post_update,
    telegram_webhook_env,
    webhooks_ready,
)
from tests.postgres import empty_tables
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, Call
from tests.standin.zalo_api import ZaloApiStandIn, ZaloCall

INSTANCES = 3
PEOPLE = 300
MESSAGES = 500
FIRST_USER = 30_000
STAFF_CHAT = updates.STAFF_CHAT_ID
BOT_ID = "123"  # of tests.instances.TOKEN
RUN_SECONDS = 120.0  # from the first post to the last reply, kill and takeover included
SPACING = 0.03  # seconds between two people's first messages: the burst lasts ~9 s
KILL_AFTER = 60  # replies to people seen before the kill (of ~500 expected)
ALERT_AFTER = 3  # seconds: critical cases are re-alerted by the case watch during the run
# The stand-in runs on this test's busy event loop: a reply the killed instance sent just
# before it died may be recorded a moment after. A first copy recorded this long after the
# kill still counts as in flight at the kill.
RECORDING_LAG = 1.0
ZALO_WAVES = (6, 15, 9)  # before the token goes stale; right after; after the kill

POLICY = "trợ cấp người cao tuổi bao nhiêu"
EMERGENCY = "bố em đang đánh em bé ở nhà, cứu với"
STILL = "cứu với nó vẫn đang đánh em bé"
ADDRESS = "xóm 2, xã Tân Lập, Quảng Ninh"

# What each reply answers, by how its template starts (knowledge/templates/); a policy answer
# is any other text (an article, "which one?", or "no sure answer").
KINDS = (
    ("Xin chào", "greeting"),
    ("Mình có thể giúp bạn", "help"),
    ("Mình đang ở đây với bạn", "emergency"),
    ("Để giúp được nhanh hơn", "where"),
    ("Mình đã ghi lại địa chỉ", "address"),
    ("Mình hỏi thêm một câu", "danger"),
    ("Mình vẫn đang tìm tư vấn viên", "escalated"),
    ("Xin lỗi, hệ thống", "error"),
)
# Sent by the case watch when it first re-alerts a case, whenever that is: not an answer.
ASIDE = "escalated"

Script = tuple[tuple[str, ...], tuple[str, ...]]  # (messages, the replies they get, in order)
ORDINARY: dict[str, Script] = {
    "single": (("/start",), ("greeting",)),
    "pair": (("/start", POLICY), ("greeting", "policy")),
    "triple": (("/start", "/help", POLICY), ("greeting", "help", "policy")),
}
EMERGENCIES: tuple[Script, ...] = (
    (("/start", EMERGENCY), ("greeting", "emergency", "where")),
    ((EMERGENCY, STILL), ("emergency", "where", "emergency")),
    ((EMERGENCY, ADDRESS), ("emergency", "where", "address", "danger")),
)
NEW_ALERT = re.compile(r"KHẨN CẤP · Ca #(\d+)")
TOPIC_CASE = re.compile(r"#(\d+)")


def kind_of(text: str) -> str:
    for start, kind in KINDS:
        if text.startswith(start):
            return kind
    return "policy"


@dataclass
class Person:
    user_id: int
    texts: tuple[str, ...]
    expected: tuple[str, ...]
    emergency: bool = False
    landed: list[str] = field(default_factory=list)  # the instance that took each message
    posted: list[float] = field(default_factory=list)  # perf_counter() of the POST taken
    update_ids: list[int] = field(default_factory=list)

    def update(self, text: str) -> updates.Update:
        update = (updates.command(self.user_id, text) if text.startswith("/")
                  else updates.text(self.user_id, text))
        self.update_ids.append(int(update["update_id"]))
        return update

    def left_by(self, killed: str, unhandled: set[str]) -> list[str]:
        """This person's messages the killed instance had kept (answered 200) but not
        handled when it died: picked up later by a survivor."""
        return [text for text, name, update_id in zip(self.texts, self.landed,
                                                      self.update_ids, strict=False)
                if name == killed and str(update_id) in unhandled]


def cast() -> list[Person]:
    """300 people, 500 messages: a few emergencies, the rest saying hello, some asking on."""
    scripts: list[Script] = [e for e in EMERGENCIES for _ in range(2)]
    rest = PEOPLE - len(scripts)
    messages_left = MESSAGES - sum(len(m) for m, _ in scripts)
    triples = 44
    pairs = messages_left - rest - 2 * triples
    singles = rest - pairs - triples
    scripts += ([ORDINARY["triple"]] * triples + [ORDINARY["pair"]] * pairs
                + [ORDINARY["single"]] * singles)
    people = [Person(FIRST_USER + i, texts, expected, emergency=i < 2 * len(EMERGENCIES))
              for i, (texts, expected) in enumerate(scripts)]
    random.Random(7).shuffle(people)  # emergencies somewhere in the burst, not first
    assert len(people) == PEOPLE and sum(len(p.texts) for p in people) == MESSAGES
    return people


@dataclass(frozen=True)
class Seen:
    text: str
    at: float  # perf_counter() when the stand-in recorded it
    index: int


class Recorder:
    """Every successful sendMessage, by chat, as the stand-in records it; and who still waits
    for a reply (re-checked only for the chat of each new call)."""

    def __init__(self, people: list[Person]) -> None:
        self.people = {p.user_id: p for p in people}
        self.by_chat: dict[int, list[Seen]] = defaultdict(list)
        self.staff: list[Call] = []
        self.topics: list[Call] = []
        self.waiting = set(self.people)
        self.changed = asyncio.Event()

    def __call__(self, call: Call) -> None:
        self.changed.set()
        if not call.ok:
            return
        if call.method == "createForumTopic":
            self.topics.append(call)
            return
        if call.method != "sendMessage":
            return
        chat = int(call.chat_id)
        if chat == STAFF_CHAT:
            self.staff.append(call)
            return
        self.by_chat[chat].append(Seen(str(call.params.get("text", "")), call.at, call.index))
        if chat in self.waiting and not missing(self.people[chat], self.by_chat[chat]):
            self.waiting.discard(chat)

    @property
    def answered(self) -> int:
        return sum(len(seen) for seen in self.by_chat.values())


def answers(seen: list[Seen]) -> list[Seen]:
    return [s for s in seen if kind_of(s.text) != ASIDE]


def missing(person: Person, seen: list[Seen]) -> list[str]:
    got = Counter(kind_of(s.text) for s in answers(seen))
    return list((Counter(person.expected) - got).elements())


def zalo_people() -> list[list[str]]:
    ids = iter(f"7{n:017d}" for n in range(1, sum(ZALO_WAVES) + 1))
    return [[next(ids) for _ in range(size)] for size in ZALO_WAVES]


def zalo_answered(zalo: ZaloApiStandIn, users: list[str]) -> bool:
    done = {c.user_id for c in zalo.sends() if c.text.startswith("Xin chào")}
    return all(u in done for u in users)


async def until(recorder: Recorder, condition: Callable[[], bool], deadline: float) -> bool:
    """Re-check `condition` at every Bot API call, and at least four times a second for the
    Zalo stand-in, until `deadline` (monotonic); whether it came true."""
    while not condition():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        recorder.changed.clear()
        try:
            await asyncio.wait_for(recorder.changed.wait(), min(0.25, left))
        except TimeoutError:
            pass
    return True


async def sending_instance(url: str, group: Instances) -> Instance:
    """The instance that sends for the bot now (its session holds the sending turn), so that
    the kill takes the replies it had leased with it; else the one holding most leased
    replies; else the first."""
    holder = await lock_holder(url, f"sending:telegram:{BOT_ID}")
    names = {i.name for i in group.alive}
    if holder is not None and holder.rsplit(":", 1)[0] in names:
        return group.by_name(holder.rsplit(":", 1)[0])
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(
            "SELECT split_part(lease_owner, '/', 1), count(*) FROM outbox WHERE sent_at IS NULL"
            " AND failed_at IS NULL AND lease_owner IS NOT NULL GROUP BY 1 ORDER BY 2 DESC")
        for name, _count in await cursor.fetchall():
            if name in names:
                return group.by_name(str(name))
    return group.alive[0]


async def zalo_post(client: httpx.AsyncClient, group: Instances, user: str, first: int,
                    problems: list[str]) -> None:
    event = zalo_text(user, "xin chào")
    raw = raw_body(event)
    headers = {"X-ZEvent-Signature": signed(raw, event)}
    try:
        await post_raw(client, group.alive, raw, headers, first=first, path="zalo/webhook")
    except NoInstanceLeft as exc:
        problems.append(f"Zalo person {user}: event not taken: {exc}")


async def unhandled_events(url: str) -> set[str]:
    """Telegram events kept in the inbox and not (yet) handled."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute("SELECT event_id FROM inbox WHERE channel = 'telegram'"
                                    " AND processed_at IS NULL")
        return {str(row[0]) for row in await cursor.fetchall()}


def database_facts(url: str) -> tuple[dict[str, list[int]], dict[int, list[datetime]]]:
    """Cases by person, and each case's escalations by the case watch, from the database."""
    with psycopg.connect(url, autocommit=True) as conn:
        cases: dict[str, list[int]] = defaultdict(list)
        for external_id, case_id in conn.execute(
                "SELECT p.external_id, c.id FROM cases c JOIN people p ON p.id = c.person_id"
                " ORDER BY c.id"):
            cases[str(external_id)].append(int(case_id))
        escalations: dict[int, list[datetime]] = defaultdict(list)
        for case_id, at in conn.execute(
                "SELECT case_id, at FROM audit_log WHERE action = 'case_escalated'"
                " ORDER BY case_id, id"):
            escalations[int(case_id)].append(datetime.fromisoformat(str(at)))
    return cases, escalations


def person_problems(person: Person, seen: list[Seen], dead_at: float,
                    left: list[str]) -> list[str]:
    # Times are seconds from the kill: what the killed instance may have had to do with it.
    sent = [f"{t!r} to {name} at {at - dead_at:+.2f} s"
            for t, name, at in zip(person.texts, person.landed, person.posted, strict=False)]
    said = f"person {person.user_id} sent {sent}"
    if left:
        said += f" ({left} kept by the killed instance, unhandled when it died)"
    replies = answers(seen)
    shown = [f"{kind_of(s.text)} at {s.at - dead_at:+.2f} s" for s in seen]
    problems = []
    # A repeat is the same reply again right after itself: what the dead instance had sent
    # but not marked sent, sent again by a survivor.
    distinct: list[Seen] = []
    repeats: Counter[int] = Counter()
    for s in replies:
        if distinct and distinct[-1].text == s.text:
            repeats[len(distinct) - 1] += 1
            first = distinct[-1]
            if first.at > dead_at + RECORDING_LAG:
                problems.append(f"{said}: reply {first.text[:40]!r} repeated though it was"
                                " sent after the kill, not in flight at it; saw " + str(shown))
            continue
        distinct.append(s)
    for position, n in repeats.items():
        if n > 1:
            problems.append(f"{said}: reply {distinct[position].text[:40]!r} repeated {n}"
                            f" times; saw {shown}")
    kinds = tuple(kind_of(s.text) for s in distinct)
    if kinds == person.expected:
        pass
    elif missing(person, seen):
        problems.append(f"{said}: not answered, missing {missing(person, seen)}; saw {shown}")
    elif Counter(kinds) == Counter(person.expected):
        problems.append(f"{said}: replies out of order: expected {list(person.expected)},"
                        f" saw {shown}")
    else:
        problems.append(f"{said}: expected replies {list(person.expected)}, saw {shown}")
    escalated = [s for s in seen if kind_of(s.text) == ASIDE]
    if len(escalated) > 1 + (1 if person.emergency else 0) or (
            escalated and not person.emergency):
        problems.append(f"{said}: told {len(escalated)} times that staff were alerted")
    return problems


def staff_problems(recorder: Recorder, people: list[Person], cases: dict[str, list[int]],
                   escalations: dict[int, list[datetime]], dead_at: float) -> list[str]:
    problems = []
    alerts: dict[int, list[Call]] = defaultdict(list)
    for call in recorder.staff:
        text = str(call.params.get("text", ""))
        first_line = text.split("\n", 1)[0]
        found = NEW_ALERT.search(first_line)
        if found and "(cập nhật)" not in first_line:
            alerts[int(found.group(1))].append(call)
    topics: Counter[int] = Counter()
    for call in recorder.topics:
        found = TOPIC_CASE.search(str(call.params.get("name", "")))
        if found:
            topics[int(found.group(1))] += 1
    for person in people:
        opened = cases.get(str(person.user_id), [])
        said = f"person {person.user_id} ({list(person.texts)} to {person.landed})"
        if not person.emergency:
            if opened:
                problems.append(f"{said} opened cases {opened} without any emergency")
            continue
        if len(opened) != 1:
            problems.append(f"{said}: one emergency, but cases {opened} were opened")
            continue
        case = opened[0]
        posted = alerts.get(case, [])
        texts = [str(c.params.get("text", "")) for c in posted]
        in_flight = (len(posted) == 2 and texts[0] == texts[1]
                     and posted[0].at <= dead_at + RECORDING_LAG)
        if len(posted) != 1 and not in_flight:
            problems.append(f"case #{case} of {said}: its alert was posted {len(posted)} times"
                            f" in the staff group: {[t[:60] for t in texts]}")
        if topics[case] != 1 and not (topics[case] == 2 and in_flight):
            problems.append(f"case #{case} of {said}: {topics[case]} forum topics created")
    if not escalations:
        problems.append("the case watch escalated no case during the run: the check that"
                        " none is escalated twice proves nothing")
    for case, times in escalations.items():
        for before, after in zip(times, times[1:], strict=False):
            gap = (after - before).total_seconds()
            if gap < ALERT_AFTER - 0.5:
                problems.append(f"case #{case} escalated twice within {gap:.1f} s (the case"
                                f" watch re-alerts every {ALERT_AFTER} s): at {times}")
    return problems


async def test_three_instances_lose_nothing_repeat_nothing_and_keep_order_when_one_dies(
    postgres_url: str,
) -> None:
    empty_tables(postgres_url)
    people = cast()
    recorder = Recorder(people)
    waves = zalo_people()
    async with (BotApiStandIn() as api,
                ZaloApiStandIn(app_id=APP_ID, app_secret=APP_SECRET) as zalo):
        # The counsellors' group: a forum supergroup, as the bot needs it.
        api.state.chats[STAFF_CHAT] = {"id": STAFF_CHAT, "type": "supergroup",
                                       "title": "Tư vấn viên", "is_forum": True}
        api.add_listener(recorder)
        access, refresh = zalo.issue_tokens()
        env = clean_environment(
            HOTLINE_DATABASE_URL=postgres_url,
            HOTLINE_STAFF_COUNSELLORS="5001",
            HOTLINE_STAFF_CRITICAL_ALERT_AFTER=str(ALERT_AFTER),
            HOTLINE_DELIVERY_BASE_DELAY="0.2",
            # The encoder's CPU (three copies on a small machine) would only slow the run:
            # what is tested is which instance does what, not how well answers are found.
            HOTLINE_POLICY_DENSE="off",
            HOTLINE_ZALO_ENABLED="true",
            HOTLINE_ZALO_APP_ID=APP_ID,
            HOTLINE_ZALO_APP_SECRET=APP_SECRET,
            HOTLINE_ZALO_OA_SECRET_KEY=OA_SECRET_KEY,
            HOTLINE_ZALO_ACCESS_TOKEN=access,
            HOTLINE_ZALO_REFRESH_TOKEN=refresh,
            HOTLINE_ZALO_API_BASE_URL=zalo.base_url,
            HOTLINE_ZALO_OAUTH_BASE_URL=zalo.base_url,
            **telegram_webhook_env(api, staff_chat_id=STAFF_CHAT),
        )
        async with (Instances(env, INSTANCES) as group,
                    httpx.AsyncClient(trust_env=False, timeout=10.0,
                                      limits=httpx.Limits(max_connections=200)) as client):
            since = api.mark()
            await group.start()
            await webhooks_ready(api, INSTANCES, since=since)
            deadline = time.monotonic() + RUN_SECONDS
            problems: list[str] = []

            # Zalo: answered with the first token; then the token goes stale, and all three
            # instances find it refused at about the same time.
            await asyncio.gather(*(zalo_post(client, group, u, n, problems)
                                   for n, u in enumerate(waves[0])))
            if not await until(recorder, lambda: zalo_answered(zalo, waves[0]), deadline):
                problems.append("Zalo people not answered before the token went stale")
            zalo.expire_access_tokens()
            await asyncio.gather(*(zalo_post(client, group, u, n, problems)
                                   for n, u in enumerate(waves[1])))

            async def person(index: int, who: Person) -> None:
                await asyncio.sleep(index * SPACING)  # pacing the burst, not waiting for it
                for n, text in enumerate(who.texts):
                    # The next message to the next instance (of those alive): a person's
                    # consecutive messages land on different instances.
                    try:
                        taken, posted = await post_update(client, group.alive,
                                                          who.update(text), first=index + n)
                    except NoInstanceLeft as exc:
                        problems.append(f"person {who.user_id}: {text!r} not taken: {exc}")
                        return
                    who.landed.append(taken.name)
                    who.posted.append(posted)

            burst = asyncio.gather(*(person(i, p) for i, p in enumerate(people)))

            def refreshed_and_used() -> bool:
                return any(r.ok for r in zalo.refreshes()) and zalo_answered(zalo, waves[1][:1])

            killed: Instance | None = None
            answered_at_kill = posted_at_kill = 0
            unhandled: set[str] = set()
            if await until(recorder, lambda: recorder.answered >= KILL_AFTER
                           and refreshed_and_used(), deadline):
                killed = await sending_instance(postgres_url, group)
                killed.kill()
                await killed.wait()
                dead_at = time.perf_counter()
                unhandled = await unhandled_events(postgres_url)
                answered_at_kill = recorder.answered
                posted_at_kill = sum(len(p.posted) for p in people)
            else:
                dead_at = time.perf_counter()
                problems.append(f"only {recorder.answered} replies and Zalo refreshes"
                                f" {zalo.refreshes()} before the deadline: nothing was killed")
            await burst
            await asyncio.gather(*(zalo_post(client, group, u, n, problems)
                                   for n, u in enumerate(waves[2])))
            everyone = [u for wave in waves for u in wave]
            done = await until(recorder, lambda: not recorder.waiting
                               and zalo_answered(zalo, everyone), deadline)
            await asyncio.sleep(1.0)  # time for a late repeat to show
            elapsed = RUN_SECONDS - (deadline - time.monotonic())
            survivors = [i for i in group if i is not killed]
            codes = {i.name: await i.stop() for i in survivors}
            report = group.report()

        expected_total = sum(len(p.expected) for p in people)
        assert killed is None or (answered_at_kill < expected_total
                                  and posted_at_kill < MESSAGES), (
            f"the kill came after the burst ({posted_at_kill} messages posted,"
            f" {answered_at_kill} replies): the test proves nothing")
        if not done:
            problems.append(f"after {elapsed:.0f} s, {len(recorder.waiting)} people still"
                            " wait (see below)")
        killed_name = killed.name if killed is not None else "none"
        left = {p.user_id: p.left_by(killed_name, unhandled) for p in people}
        for who in people:
            problems += person_problems(who, recorder.by_chat.get(who.user_id, []), dead_at,
                                        left[who.user_id])
        cases, escalations = database_facts(postgres_url)
        problems += staff_problems(recorder, people, cases, escalations, dead_at)
        for user in everyone:
            if not any(c.text.startswith("Xin chào") for c in zalo.sends(user)):
                tried = [(c.status, c.answer.get("error")) for c in zalo.sends(user, ok=None)]
                problems.append(f"Zalo person {user} not answered; sends to them: {tried}")
        refreshes: list[ZaloCall] = zalo.refreshes()
        if len(refreshes) != 1 or not refreshes[0].ok:
            problems.append(f"{len(refreshes)} Zalo token refreshes across {INSTANCES} instances"
                            f" (one expected): {[json.dumps(r.answer)[:80] for r in refreshes]}")
        for name, code in codes.items():
            if code != 0:
                problems.append(f"{name} exited {code} on SIGTERM")

    repeats = sum(len(answers(s)) - len(p.expected) for p, s in
                  ((p, recorder.by_chat.get(p.user_id, [])) for p in people))
    # Shown with -s, and beside a failure: what the run did.
    print(f"killed {killed_name} after {answered_at_kill} of {expected_total} replies,"
          f" {posted_at_kill} of {MESSAGES} messages posted;"
          f" all answered after {elapsed:.1f} s; {repeats} repeated replies;"
          f" {len(recorder.staff)} staff posts; {sum(len(t) for t in escalations.values())}"
          f" escalations; Zalo refreshes {len(zalo.refreshes())}; left unhandled by the"
          f" kill: {sum(map(len, left.values()))} messages, of which"
          f" {sum(1 for p in people if left[p.user_id] and left[p.user_id][-1] != p.texts[-1])}"
          f" had a later message from the same person")
    assert not problems, (
        f"{len(problems)} problems (killed {killed_name} after {answered_at_kill} replies):\n"
        + "\n".join(problems[:60]) + ("\n…" if len(problems) > 60 else "")
        + f"\n\nprocesses:\n{report}")

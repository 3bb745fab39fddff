"""Real `hotline run` processes, several on one database: started, watched, stopped, killed.

Shared by tests/bot/test_instances.py and benchmarks/instances_bench.py, so both run the bot
exactly as a centre would (`python -m bot.cli --config config.yaml run`, configured through
the environment) and neither copies the other's process handling.

    env = clean_environment(HOTLINE_DATABASE_URL=url, **telegram_webhook_env(api))
    async with Instances(env, count=3) as group:
        await group.start()
        first = group[0]            # .name, .port, .url(path), .kill(), .stop(), .stderr()
        await post_update(client, group.alive, update, first=1)  # to group[1], else another

Each instance gets its own free port (`HOTLINE_WEB_PORT`) and its own name
(`HOTLINE_HOTLINE_INSTANCE`); in Telegram webhook mode they share one webhook URL, as behind
a load balancer (the caller plays Telegram and posts to each instance itself). Each
process's stderr is read all along (a full pipe would stall the bot's logging, and so the bot)
and kept for failure reports. Leaving the `async with` stops every process still running:
SIGTERM, then SIGKILL for one that does not stop in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.standin.bot_api import BotApiStandIn, Call, free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yaml"
SECRET = "instances-secret"  # the webhook's secret token, as setWebhook would register it
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TOKEN = "123:ABC"
STDERR_TAIL = 4000  # characters of each process's stderr shown in a report


def clean_environment(**values: str) -> dict[str, str]:
    """This process's environment without any HOTLINE_ setting of the caller's shell (it would
    silently change what is measured or tested), plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({"HOTLINE_LOGGING_LEVEL": "warning", **values})
    return env


def telegram_webhook_env(api: BotApiStandIn, *, staff_chat_id: int | None = None,
                         secret: str = SECRET, token: str = TOKEN) -> dict[str, str]:
    """Telegram in webhook mode against the Bot API stand-in, flood limits off (they would cap
    any bot at 30 messages a second; the stand-in does not enforce them)."""
    env = {
        "HOTLINE_TELEGRAM_TOKEN": token,
        "HOTLINE_TELEGRAM_BASE_URL": api.base_url,
        "HOTLINE_TELEGRAM_BASE_FILE_URL": api.base_file_url,
        "HOTLINE_TELEGRAM_MODE": "webhook",
        "HOTLINE_TELEGRAM_SECRET_TOKEN": secret,
        "HOTLINE_TELEGRAM_RATE_LIMIT": "false",
    }
    if staff_chat_id is not None:
        env["HOTLINE_TELEGRAM_STAFF_CHAT_ID"] = str(staff_chat_id)
    return env


class Instance:
    """One `hotline run` process."""

    def __init__(self, name: str, port: int, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.port = port
        self.process = process
        self.killed_at: float | None = None  # time.perf_counter() once SIGKILL was sent
        self._stderr = bytearray()
        assert process.stderr is not None
        self._reader = asyncio.create_task(self._read(process.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._stderr += chunk

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and self.killed_at is None

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.process.returncode is None:
            self.killed_at = time.perf_counter()
            self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        code = await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader  # the pipe closes with the process: all of stderr is in
        return code

    async def stop(self, timeout: float = 20.0) -> int:  # noqa: ASYNC109 - per-process bound
        """SIGTERM (the bot's own orderly stop), SIGKILL if it takes longer than `timeout`."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return await asyncio.wait_for(self.wait(), timeout)
            except TimeoutError:
                self.kill()
        return await self.wait()

    def stderr(self, tail: int = STDERR_TAIL) -> str:
        text = self._stderr.decode("utf-8", errors="replace")
        return text if len(text) <= tail else "…" + text[-tail:]

    def describe(self) -> str:
        state = ("running" if self.process.returncode is None
                 else f"exited {self.process.returncode}")
        if self.killed_at is not None:
            state += " (SIGKILLed)"
        err = self.stderr().strip() or "(no stderr)"
        return f"--- {self.name} on port {self.port}, pid {self.pid}, {state}:\n{err}"


class Instances:
    """`count` processes of `hotline run` with `env` (see `clean_environment`), each with its
    own port and name; `per_instance` adds settings of one instance's own (index → env)."""

    def __init__(
        self,
        env: Mapping[str, str],
        count: int,
        *,
        names: Sequence[str] | None = None,
        per_instance: Sequence[Mapping[str, str]] | None = None,
        config: Path = CONFIG,
    ) -> None:
        self.env = dict(env)
        self.count = count
        self.names = list(names or [f"inst-{i}" for i in range(count)])
        self.per_instance = list(per_instance or [{} for _ in range(count)])
        self.config = config
        self.instances: list[Instance] = []
        self.retired: list[Instance] = []  # replaced by `restart`, kept for the report

    def __getitem__(self, index: int) -> Instance:
        return self.instances[index]

    def __iter__(self) -> Iterator[Instance]:
        return iter(self.instances)

    def __len__(self) -> int:
        return len(self.instances)

    def by_name(self, name: str) -> Instance:
        for instance in self.instances:
            if instance.name == name:
                return instance
        raise KeyError(name)

    @property
    def alive(self) -> list[Instance]:
        return [i for i in self.instances if i.alive]

    async def spawn(self, index: int) -> Instance:
        """Start the process of instance `index` (not waiting for it to serve)."""
        name = self.names[index]
        port = free_port()
        env = {**self.env, **self.per_instance[index]}
        env.update({"HOTLINE_WEB_LISTEN": "127.0.0.1", "HOTLINE_WEB_PORT": str(port),
                    "HOTLINE_HOTLINE_INSTANCE": name})
        if env.get("HOTLINE_TELEGRAM_MODE") == "webhook":
            # Required in webhook mode, and the same for every instance, as behind a load
            # balancer; Telegram is played by the caller, who posts to each instance itself.
            path = env.get("HOTLINE_TELEGRAM_WEBHOOK_PATH", "telegram").strip("/")
            env.setdefault("HOTLINE_TELEGRAM_WEBHOOK_URL", f"https://balancer.invalid/{path}")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "--config", str(self.config), "run",
            env=env, cwd=str(ROOT),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return Instance(name, port, process)

    async def start(self, timeout: float = 90.0) -> list[Instance]:  # noqa: ASYNC109
        """Start every instance at once and wait until each web server answers /healthz."""
        self.instances = [await self.spawn(i) for i in range(self.count)]
        await asyncio.gather(*(wait_healthy(i, timeout) for i in self.instances))
        return self.instances

    async def restart(self, index: int, timeout: float = 90.0) -> Instance:  # noqa: ASYNC109
        """Instance `index` again, under the same name (as a supervisor would restart it),
        on a new port; the old process is stopped first if it still runs."""
        old = self.instances[index]
        if old.process.returncode is None:
            await old.stop()
        self.retired.append(old)
        self.instances[index] = await self.spawn(index)
        await wait_healthy(self.instances[index], timeout)
        return self.instances[index]

    async def stop(self, timeout: float = 20.0) -> dict[str, int]:  # noqa: ASYNC109
        """Stop every process (SIGTERM, then SIGKILL); exit code by name."""
        codes = await asyncio.gather(*(i.stop(timeout) for i in self.instances))
        return {i.name: code for i, code in zip(self.instances, codes, strict=True)}

    def report(self) -> str:
        return "\n".join(i.describe() for i in [*self.retired, *self.instances])

    async def __aenter__(self) -> Instances:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Shielded: a Ctrl-C or a cancelled test must not leave bots running behind it.
        await asyncio.shield(self.stop())
        if isinstance(exc, Exception):  # what the bots said is most of the explanation
            exc.add_note(f"processes:\n{self.report()}")


async def wait_healthy(instance: Instance, timeout: float = 90.0) -> None:  # noqa: ASYNC109
    """Until GET /healthz answers 200; RuntimeError with its stderr if the process exits or
    does not get there in time. The web server answers before the channels have started:
    wait for their own signs (`webhooks_ready`) where that matters."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(trust_env=False, timeout=2.0) as client:
        while True:
            if instance.process.returncode is not None:
                await instance.wait()
                raise RuntimeError(f"{instance.name} exited at start:\n{instance.describe()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(instance.url("healthz"))).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{instance.name} not serving after {timeout} s:\n"
                                   f"{instance.describe()}")
            await asyncio.sleep(0.05)  # a process starting up: nothing to wait on but time


WEBHOOK_CHECKS = frozenset({"setWebhook", "getWebhookInfo"})


async def webhooks_ready(api: BotApiStandIn, count: int, *, since: int,
                         timeout: float = 90.0) -> None:  # noqa: ASYNC109
    """Until `count` instances started since the stand-in's mark `since` have reached the
    last step of starting Telegram in webhook mode: setting the webhook (the first one), or
    finding it set (the others ask getWebhookInfo). /healthz answers before that."""
    seen = 0

    def ready(call: Call) -> bool:
        nonlocal seen
        if call.ok and call.method in WEBHOOK_CHECKS:
            seen += 1
        return seen >= count

    already = sum(1 for c in api.calls[since:] if c.ok and c.method in WEBHOOK_CHECKS)
    if already >= count:
        return
    seen = already
    try:
        await api.wait_for(ready, timeout, since=api.mark())
    except TimeoutError:
        raise TimeoutError(f"{seen} of {count} instances set or found the webhook within"
                           f" {timeout} s") from None


class NoInstanceLeft(RuntimeError):
    pass


async def post_update(
    client: httpx.AsyncClient,
    instances: Sequence[Instance],
    update: dict[str, Any],
    *,
    first: int = 0,
    path: str = "telegram",
    secret: str = SECRET,
    give_up_after: float = 30.0,
) -> tuple[Instance, float]:
    """POST a Telegram update as Telegram does, to `instances[first]`, else (it is dead, or
    the request failed without a 200) to the next living one, and so on for `give_up_after`
    seconds: Telegram delivers again what was not answered 200. The instance that answered
    200, and perf_counter() of the POST that it answered."""
    headers = {SECRET_HEADER: secret}
    return await _post(client, instances, first, path, headers, give_up_after,
                       json_body=update)


async def post_raw(
    client: httpx.AsyncClient,
    instances: Sequence[Instance],
    body: bytes,
    headers: Mapping[str, str],
    *,
    first: int = 0,
    path: str,
    give_up_after: float = 30.0,
) -> tuple[Instance, float]:
    """`post_update` for a body already encoded (a signed Zalo event)."""
    return await _post(client, instances, first, path, dict(headers), give_up_after,
                       content=body)


async def _post(
    client: httpx.AsyncClient,
    instances: Sequence[Instance],
    first: int,
    path: str,
    headers: dict[str, str],
    give_up_after: float,
    *,
    json_body: Any = None,
    content: bytes | None = None,
) -> tuple[Instance, float]:
    problems: list[str] = []
    deadline = time.monotonic() + give_up_after
    attempt = 0
    while time.monotonic() < deadline and any(i.alive for i in instances):
        target = instances[(first + attempt) % len(instances)]
        attempt += 1
        if not target.alive:
            continue
        posted = time.perf_counter()
        try:
            if content is not None:
                response = await client.post(target.url(path), content=content,
                                             headers={"Content-Type": "application/json",
                                                      **headers})
            else:
                response = await client.post(target.url(path), json=json_body,
                                             headers=headers)
        except httpx.HTTPError as exc:  # killed under the request, or refused: retry
            problems.append(f"{target.name}: {type(exc).__name__}")
        else:
            if response.status_code == 200:
                return target, posted
            problems.append(f"{target.name}: HTTP {response.status_code}")
        # A 503 asks for the update again later, as Telegram would send it: not at once.
        await asyncio.sleep(min(1.0, 0.05 * attempt))
    raise NoInstanceLeft(f"POST /{path} answered 200 by no instance within {give_up_after} s:"
                         f" {', '.join(problems[-12:])}")


# Who holds a named right of the PostgreSQL store (`singleton`, `exclusive`: a session
# advisory lock on 'singleton:' || name): the application_name of the session holding it,
# which the store sets to "instance:pid". Written out here rather than imported, so that the
# tests observe the bot from outside.
LOCK_HOLDER = (
    "WITH k AS (SELECT hashtextextended('singleton:' || %s, 0) AS key)"
    " SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid, k"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid::bigint = ((k.key >> 32) & 4294967295)"
    " AND l.objid::bigint = (k.key & 4294967295)"
)


async def lock_holder(url: str, name: str) -> str | None:
    """The session ("instance:pid") holding the named right on the database at `url`."""
    import psycopg  # only the PostgreSQL users of this module need it

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute(LOCK_HOLDER, (name,))
        row = await cursor.fetchone()
    return str(row[0]) if row is not None and row[0] else None

"""The web console on the one web app, against the real Telegram channel and the Bot API
stand-in, on a real SQLite file: a staff member asks the bot for a link (/dangnhap), signs in
with it once, sees the queue (live) and the cases they may see; everyone else sees the
sign-in page and nothing else."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import assemble, open_core
from bot.config import Config, build_config
from bot.core import Core
from bot.hotline import Hotline
from bot.webconsole.access import SESSION_COOKIE
from flows.messages import Priority
from tests.bot.test_telegram import reply_to
from tests.conftest import Clock
from tests.standin import updates
from tests.standin.bot_api import BotApiStandIn, free_port

HOA, NAM, LAN, STRANGER = 5001, 5002, 5003, 777
LINK = re.compile(r"http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+")


def console_config(db: Path, api: BotApiStandIn, port: int, *,
                   staff: dict[str, Any] | None = None) -> Config:
    return build_config({
        "telegram": {"token": "123:ABC", "base_url": api.base_url,
                     "base_file_url": api.base_file_url, "poll_timeout": 1,
                     "rate_limit": False},
        "staff": staff if staff is not None else {
            "counsellors": [{"id": HOA, "name": "Chị Hoa"}, {"id": NAM, "name": "Anh Nam"}],
            "supervisors": [{"id": LAN, "name": "Cô Lan <b>giám sát</b>"}]},
        "web": {"port": port, "public_url": f"http://127.0.0.1:{port}"},
        "database": {"url": f"sqlite:///{db}"},
    }, env={})


class Console:
    """The running hotline and a browser-like client (cookies kept, no redirects followed)."""

    def __init__(self, hotline: Hotline, api: BotApiStandIn, clock: Clock) -> None:
        self.hotline = hotline
        self.api = api
        self.clock = clock
        assert hotline.web is not None
        self.base = f"http://127.0.0.1:{hotline.web.port}"

    @property
    def core(self) -> Core:
        return self.hotline.core

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=10.0, follow_redirects=False)

    async def link_for(self, user: int) -> str:
        since = self.api.mark()
        self.api.push_update(updates.command(user, "/dangnhap"))
        call = await self.api.wait_for(reply_to(user), timeout=10, since=since)
        found = LINK.search(str(call.params["text"]))
        assert found, call.params["text"]
        return found.group(0)

    async def signed_in(self, user: int) -> httpx.AsyncClient:
        client = self.client()
        link = await self.link_for(user)
        response = await client.post(link.removeprefix(self.base))
        assert response.status_code == 303, response.text
        return client


@pytest.fixture
async def console(tmp_path: Path, clock: Clock) -> AsyncIterator[Console]:
    async with BotApiStandIn() as api:
        core = await open_core(console_config(tmp_path / "hotline.db", api, free_port()),
                               clock=clock)
        hotline = assemble(core)
        await hotline.start()
        try:
            yield Console(hotline, api, clock)
        finally:
            await hotline.stop()
            await core.close()


async def open_case(core: Core, *, summary: str = "Cần hỗ trợ", claimed_by: int | None = None,
                    priority: Priority = Priority.URGENT) -> int:
    async with core.store.transaction() as tx:
        person = await tx.people.get("telegram", f"9{priority.rank}{claimed_by or 0}")
        case = await tx.cases.create(person.id, priority, core.clock(), summary=summary)
        if claimed_by is not None:
            assert await tx.cases.claim(case.id, claimed_by, core.clock())
            await tx.audit.record(f"staff:{claimed_by}", "case_claimed", core.clock(),
                                  case_id=case.id)
    return case.id


async def test_a_staff_member_signs_in_once_with_the_link_the_bot_sent(
    console: Console,
) -> None:
    link = (await console.link_for(HOA)).removeprefix(console.base)
    async with console.client() as browser, console.client() as preview:
        page = await preview.get(link)  # a chat app fetching the link for its preview ...
        assert page.status_code == 200 and "Đăng nhập" in page.text
        assert SESSION_COOKIE not in preview.cookies  # ... signs nobody in, uses nothing up
        signed = await browser.post(link)
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        queue = await browser.get("/")
        assert queue.status_code == 200 and "Hàng chờ" in queue.text and "Chị Hoa" in queue.text
        again = await preview.post(link)  # the same link a second time
        assert again.status_code == 403 and SESSION_COOKIE not in preview.cookies
        assert (await preview.get(link)).status_code == 403


async def test_a_link_expires_after_ten_minutes(console: Console) -> None:
    link = (await console.link_for(NAM)).removeprefix(console.base)
    console.clock.advance(10 * 60 + 1)
    async with console.client() as browser:
        assert (await browser.get(link)).status_code == 403
        assert (await browser.post(link)).status_code == 403
        assert (await browser.get("/")).status_code == 401


async def test_someone_not_in_staff_gets_no_link_and_no_page(console: Console) -> None:
    since = console.api.mark()
    console.api.push_update(updates.command(STRANGER, "/dangnhap"))
    call = await console.api.wait_for(reply_to(STRANGER), timeout=10, since=since)
    assert "chỉ dành cho cán bộ" in call.params["text"] and "/login/" not in call.params["text"]
    assert await console.core.store.views.person("telegram", str(STRANGER)) is None
    async with console.client() as browser:
        for path in ("/", "/cases", "/cases/1", "/queue/events"):
            page = await browser.get(path)
            assert page.status_code == 401 and "/dangnhap" in page.text, path
        forged = await browser.post("/login/not-a-real-token")
        assert forged.status_code == 403
        browser.cookies.set(SESSION_COOKIE, "forged-session")
        assert (await browser.get("/")).status_code == 401


async def test_a_counsellor_sees_only_cases_they_held_and_a_supervisor_all(
    console: Console,
) -> None:
    mine = await open_case(console.core, claimed_by=HOA)
    theirs = await open_case(console.core, claimed_by=NAM, summary="<script>alert(1)</script>")
    hoa = await console.signed_in(HOA)
    lan = await console.signed_in(LAN)
    async with aclosing(hoa), aclosing(lan):
        assert (await hoa.get(f"/cases/{mine}")).status_code == 200
        refused = await hoa.get(f"/cases/{theirs}")
        assert refused.status_code == 403 and "<script>" not in refused.text
        listed = await hoa.get("/cases")
        assert f"#{mine}" in listed.text and f"#{theirs}" not in listed.text
        page = await lan.get(f"/cases/{theirs}")
        assert page.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "<script>alert" not in page.text
        assert "Cô Lan &lt;b&gt;giám sát&lt;/b&gt;" in page.text  # a name with HTML, escaped
        assert "Anh Nam" in page.text and "Gấp".upper() in page.text
    trail = await console.core.store.case_search.trail(theirs)
    assert [(e.actor, e.action) for e in trail][-1] == (f"staff:{LAN}", "viewed_case_web")


async def test_the_case_list_survives_bad_filters_and_a_ten_year_period(
    console: Console,
) -> None:
    await open_case(console.core, claimed_by=HOA)
    today = console.clock().date()
    async with aclosing(await console.signed_in(LAN)) as lan:
        page = await lan.get("/cases", params={
            "from": today.replace(year=today.year - 10).isoformat(), "to": today.isoformat(),
            "priority": "<b>", "number": "x" * 5000, "page": "-3"})
        assert page.status_code == 200
        assert "chỉ hiện năm cuối cùng" in page.text and "«priority»" in page.text
        assert "«number»" in page.text and "<p>1 ca.</p>" in page.text
        long = await lan.get("/cases", params={"category": "y" * 10_000, "to": "31/12/2026"})
        assert long.status_code == 200 and "«to»" in long.text and "<p>0 ca.</p>" in long.text


async def test_signing_out_needs_the_forms_token_and_ends_the_session(
    console: Console,
) -> None:
    async with aclosing(await console.signed_in(HOA)) as hoa:
        forged = await hoa.post("/logout", data={"csrf": "guess"})
        assert forged.status_code == 403 and (await hoa.get("/")).status_code == 200
        page = await hoa.get("/")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        out = await hoa.post("/logout", data={"csrf": csrf.group(1)})
        assert out.status_code == 200 and "đã đăng xuất" in out.text
        assert (await hoa.get("/")).status_code == 401


async def test_the_session_ends_when_the_staff_member_is_removed_from_staff(
    console: Console, tmp_path: Path,
) -> None:
    hoa = await console.signed_in(HOA)
    cookie = hoa.cookies[SESSION_COOKIE]
    await hoa.aclose()
    await console.hotline.stop()
    await console.core.close()
    config = console_config(tmp_path / "hotline.db", console.api, free_port(),
                            staff={"counsellors": [{"id": NAM, "name": "Anh Nam"}]})
    core = await open_core(config, clock=console.clock)
    hotline = assemble(core)
    await hotline.start()
    try:
        assert hotline.web is not None
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hotline.web.port}",
                                     cookies={SESSION_COOKIE: cookie}) as browser:
            assert (await browser.get("/")).status_code == 401
    finally:
        await hotline.stop()
        await core.close()


async def test_the_queue_page_updates_itself_when_a_case_arrives(console: Console) -> None:
    async with aclosing(await console.signed_in(LAN)) as lan:
        async with lan.stream("GET", "/queue/events") as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            lines = events.aiter_lines()
            first = await next_event(lines)
            assert "Không có ca nào đang chờ" in first
            case_id = await open_case(console.core, priority=Priority.CRITICAL)
            second = await next_event(lines)
            assert f"#{case_id}" in second and "KHẨN CẤP" in second


async def next_event(lines: AsyncIterator[str]) -> str:
    data: list[str] = []
    async for line in lines:
        if line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif not line and data:
            return "\n".join(data)
    raise AssertionError("the stream ended")


async def test_the_counsellors_page_shows_each_ones_open_cases_and_first_replies(
    console: Console,
) -> None:
    first = await open_case(console.core, claimed_by=HOA)
    await open_case(console.core, claimed_by=HOA, priority=Priority.CRITICAL)
    console.clock.advance(150)
    async with console.core.store.transaction() as tx:
        await tx.cases.mark_first_reply(first, console.clock())
    async with aclosing(await console.signed_in(LAN)) as lan:
        page = await lan.get("/counsellors")
    assert page.status_code == 200
    row = re.search(r"<tr>\s*<td>(?:<a [^>]+>)?Chị Hoa.*?</tr>", page.text, re.S)
    assert row, page.text
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    assert cells[1:] == ["Tư vấn viên", "Có", "2", "2", "hơn 2 phút"]


async def test_a_supervisor_reads_the_report_and_a_bar_leads_to_its_cases(
    console: Console,
) -> None:
    critical = await open_case(console.core, priority=Priority.CRITICAL, claimed_by=LAN)
    await open_case(console.core, priority=Priority.URGENT, claimed_by=HOA)
    today = console.clock().astimezone(console.core.config.hotline.tz).date()
    async with aclosing(await console.signed_in(LAN)) as lan:
        page = await lan.get("/reports", params={"from": today.isoformat(),
                                                 "to": today.isoformat()})
        assert page.status_code == 200
        assert "<svg" in page.text and "DejaVu Sans" in page.text and "2 ca" in page.text
        assert "<b>giám sát</b>" not in page.text  # a name with HTML, escaped in the charts too
        bar = re.search(r'href="(/cases\?[^"]*priority=critical[^"]*)"', page.text)
        assert bar, "no bar of the priority chart links to its cases"
        behind = await lan.get(bar.group(1).replace("&amp;", "&"))
        assert behind.status_code == 200 and "<p>1 ca.</p>" in behind.text
        assert f'href="/cases/{critical}"' in behind.text
        csv_file = await lan.get("/reports/cases.csv", params={"from": today.isoformat(),
                                                              "to": today.isoformat()})
        assert csv_file.status_code == 200
        assert csv_file.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
        assert rows[0][0] == "Số ca" and sorted(r[0] for r in rows[1:]) == ["1", "2"]
        assert "attachment" in csv_file.headers["content-disposition"]
        long = await lan.get("/reports", params={"from": "2016-01-01", "to": today.isoformat()})
        assert long.status_code == 200 and "dài nhất 366 ngày" in long.text
    async with aclosing(await console.signed_in(HOA)) as hoa:
        assert (await hoa.get("/reports")).status_code == 403
        assert (await hoa.get("/reports/cases.csv")).status_code == 403
        mine_only = await hoa.get("/cases", params={"from": today.isoformat(),
                                                    "to": today.isoformat(), "emergency": "yes"})
        assert "<p>1 ca.</p>" in mine_only.text
        assert f'href="/cases/{critical}"' not in mine_only.text


async def test_a_supervisor_changes_the_level_hands_on_and_closes_a_case_from_its_page(
    console: Console,
) -> None:
    case_id = await open_case(console.core, claimed_by=HOA, priority=Priority.NORMAL)
    async with aclosing(await console.signed_in(LAN)) as lan, \
            aclosing(await console.signed_in(HOA)) as hoa:
        page = await lan.get(f"/cases/{case_id}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf and "Đóng ca" in page.text
        token = csrf.group(1)

        forged = await lan.post(f"/cases/{case_id}/level", data={"level": "critical"})
        assert forged.status_code == 403
        raised = await lan.post(f"/cases/{case_id}/level",
                                data={"csrf": token, "level": "critical"})
        assert raised.status_code == 200
        handed = await lan.post(f"/cases/{case_id}/transfer", data={"csrf": token, "to": NAM})
        assert handed.status_code == 200 and "Đã chuyển ca" in handed.text
        incomplete = await lan.post(f"/cases/{case_id}/close", data={"csrf": token})
        assert "Chưa chọn đủ thông tin" in incomplete.text
        outcome = console.core.services.staff.outcomes[0]
        closed = await lan.post(f"/cases/{case_id}/close",
                                data={"csrf": token, "outcome": outcome})
        assert closed.status_code == 200 and "Đã đóng ca" in closed.text

        hoa_page = await hoa.get("/")
        hoa_csrf = re.search(r'name="csrf" value="([^"]+)"', hoa_page.text)
        assert hoa_csrf
        refused = await hoa.post(f"/cases/{case_id}/level",
                                 data={"csrf": hoa_csrf.group(1), "level": "normal"})
        assert refused.status_code == 403  # counsellors act in Telegram, not here

    case = await console.core.store.views.case(case_id)
    assert case is not None
    assert (case.priority, case.claimed_by, case.status.value, case.outcome) == (
        Priority.CRITICAL, NAM, "closed", outcome)
    trail = [(e.actor, e.action) for e in await console.core.store.case_search.trail(case_id)]
    assert (f"staff:{LAN}", "case_transferred") in trail
    assert (f"staff:{LAN}", "case_closed") in trail

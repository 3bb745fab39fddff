"""The web console in a real headless Chromium (Debian's `chromium`, driven by Playwright;
`.ci/run` installs it): sign in with the link the bot sent, watch a case arrive on the queue
without reloading, open it; a used link, a stranger and another counsellor's case are
refused. Each page is saved as a screenshot for a reviewer (SCREENSHOTS)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from flows.messages import Priority
from tests.bot.test_webconsole import HOA, LAN, NAM, Console, console, open_case  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("HOTLINE_SCREENSHOTS", ROOT / "screenshots"))
HOW_TO_INSTALL = ("Chromium is not installed: `apt-get install -y chromium fonts-dejavu-core`"
                  " (`.ci/run` does this); never `playwright install`")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(HOW_TO_INSTALL)
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=executable, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield launched
        await launched.close()


async def shot(page: Page, name: str) -> None:
    await asyncio.to_thread(SCREENSHOTS.mkdir, parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_a_counsellor_signs_in_and_watches_a_case_arrive(
    console: Console, browser: Browser,  # noqa: F811
) -> None:
    link = await console.link_for(HOA)
    page = await browser.new_page(viewport={"width": 1100, "height": 800})
    await page.goto(link)
    await shot(page, "01-sign-in")
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", name="Hàng chờ")).to_be_visible()
    await expect(page.locator("#queue")).to_contain_text("Không có ca nào đang chờ")
    await shot(page, "02-queue-empty")

    case_id = await open_case(console.core, priority=Priority.CRITICAL,
                              summary="Một em nhỏ bị đánh")
    queue = page.locator("#queue")
    await expect(queue).to_contain_text(f"#{case_id}", timeout=10_000)  # no reload
    await expect(queue).to_contain_text("KHẨN CẤP")
    await shot(page, "03-queue-live")

    mine = await open_case(console.core, claimed_by=HOA, summary="Hỏi về trợ cấp")
    await page.goto(f"{console.base}/cases")
    await page.get_by_role("link", name=f"#{mine}").click()
    await expect(page.get_by_role("heading", name=f"Ca #{mine}")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Hỏi về trợ cấp")
    await shot(page, "04-case")

    theirs = await open_case(console.core, claimed_by=NAM)
    await page.goto(f"{console.base}/cases/{theirs}")
    await expect(page.get_by_role("heading", name="Bạn không xem được ca này")).to_be_visible()
    await shot(page, "05-case-not-yours")

    await page.goto(link)  # the same link again
    await expect(page.get_by_role("heading",
                                  name="Liên kết này không dùng được nữa")).to_be_visible()
    await shot(page, "06-link-used")


async def test_a_stranger_sees_only_the_sign_in_page_and_an_expired_link_is_refused(
    console: Console, browser: Browser,  # noqa: F811
) -> None:
    link = await console.link_for(NAM)
    console.clock.advance(10 * 60 + 1)
    page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    await page.goto(link)
    await expect(page.get_by_role("heading",
                                  name="Liên kết này không dùng được nữa")).to_be_visible()
    assert await page.get_by_role("button", name="Đăng nhập").count() == 0
    for path in ("/", "/cases", "/cases/1"):
        response = await page.goto(f"{console.base}{path}")
        assert response is not None and response.status == 401
        await expect(page.get_by_role("heading", name="Cần đăng nhập")).to_be_visible()
    await shot(page, "07-stranger-phone")


async def test_a_supervisor_sees_the_charts_follows_a_bar_and_exports_the_cases(
    console: Console, browser: Browser,  # noqa: F811
) -> None:
    await open_case(console.core, priority=Priority.CRITICAL, claimed_by=HOA)
    await open_case(console.core, priority=Priority.URGENT)
    page = await browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    await page.goto(await console.link_for(LAN))
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_role("link", name="Báo cáo").click()
    chart = page.locator("section.chart").filter(has_text="Mức ưu tiên").first
    await expect(chart.locator("svg")).to_be_visible()
    await expect(chart.locator("svg")).to_contain_text("Khẩn cấp")  # Vietnamese labels
    await shot(page, "08-reports")

    await page.get_by_role("link", name="Tư vấn viên").click()
    await expect(page.locator("main")).to_contain_text("Chị Hoa")
    await shot(page, "09-counsellors")

    await page.go_back()
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Tải danh sách ca (CSV, mở được bằng Excel)").click()
    download = await downloading.value
    body = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "Số ca" and len(rows) == 3
    assert {r[4] for r in rows[1:]} == {"Khẩn cấp", "Gấp"}

"""`hotline kb gaps`: the questions the bot could not answer and those of 👎-rated answers,
for the knowledge-base editors, on a database written through the real store."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Core
from bot.cli import kb_gaps
from flows.store import NO_ANSWER, WHICH
from tests.bot.test_cli import ROOT, hotline
from tests.conftest import Clock

CONFIG = str(ROOT / "config.yaml")
LEVEL = "muc-chuan-tro-giup-xa-hoi"  # shipped: "Mức chuẩn trợ giúp xã hội hiện nay"
ASKED = "em là Thảo, gọi em số 0912345678 nhé, trợ cấp nuôi con nuôi thế nào"
ASKED_TOO = "em là Minh, gọi em số 0987 654 321 nhé, trợ cấp nuôi con nuôi thế nào"
ASKED_MASKED = "em là [tên], gọi em số [số điện thoại] nhé, trợ cấp nuôi con nuôi thế nào"
RATED = "chị Hoa bảo mức chuẩn là 500.000 đồng, đúng không"
RATED_MASKED = "chị [tên] bảo mức chuẩn là [số] đồng, đúng không"
WHICH_Q = "Bông hỏi mức chuẩn năm 2025 bao nhiêu"  # "Bông" is the person's own name
WHICH_MASKED = "[tên] hỏi mức chuẩn năm [số] bao nhiêu"
OLD = "câu hỏi cũ của Thảo về hộ nghèo"


async def write_questions(core: Core, clock: Clock) -> None:
    """Two people ask the same unanswerable question; one answer gets two 👎 and a 👍;
    one question had to ask which article; one question is 40 days old."""
    now = clock()
    async with core.store.transaction() as tx:
        thao = await tx.people.get("telegram", "1", "Thảo")
        minh = await tx.people.get("zalo", "2", "Minh")
        bong = await tx.people.get("telegram", "3", "Bông")
        await tx.feedback.add_unanswered(thao.id, OLD, None, NO_ANSWER, now - timedelta(days=40))
        await tx.feedback.add_unanswered(thao.id, ASKED, None, NO_ANSWER, now)
        await tx.feedback.add_unanswered(minh.id, ASKED_TOO, None, NO_ANSWER, now)
        await tx.feedback.add_unanswered(bong.id, WHICH_Q, LEVEL, WHICH, now)
        await tx.feedback.add_rating(thao.id, LEVEL, False, RATED, now)
        await tx.feedback.add_rating(minh.id, LEVEL, False, RATED, now)
        await tx.feedback.add_rating(bong.id, LEVEL, True, "mức chuẩn là bao nhiêu", now)
    await core.close()


async def test_gaps_are_grouped_by_article_masked_and_counted(
    core: Core, db_path: Path, clock: Clock
) -> None:
    await write_questions(core, clock)
    today = clock().astimezone(core.config.hotline.tz).date()
    env = {"HOTLINE_DATABASE_URL": f"sqlite:///{db_path}"}
    result = await asyncio.to_thread(hotline, "--config", CONFIG, "kb", "gaps", "--since",
                                     today.isoformat(), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Questions the knowledge base did not serve since {today.isoformat()}:"
        " 5 (2 rated 👎, 1 asked which article, 2 not answered)",
        "",
        f'{LEVEL} "Mức chuẩn trợ giúp xã hội hiện nay": 3 (2 rated 👎, 1 asked which article)',
        f"  2x  {RATED_MASKED}  [rated 👎]",
        f"  1x  {WHICH_MASKED}  [asked which article]",
        "",
        "(no article): 2 (2 not answered)",
        f"  2x  {ASKED_MASKED}  [not answered]",
    ]
    for trace in ("Thảo", "Minh", "Bông", "Hoa", "0912", "654", "500.000", "2025", "mức chuẩn là"
                  " bao nhiêu"):
        assert trace not in result.stdout, trace

    earlier = (today - timedelta(days=41)).isoformat()
    everything = await asyncio.to_thread(hotline, "--config", CONFIG, "kb", "gaps", "--since",
                                         earlier, "--limit", "1", env=env)
    assert everything.returncode == 0, everything.stderr
    lines = everything.stdout.splitlines()
    assert lines[0].startswith(f"Questions the knowledge base did not serve since {earlier}: 6")
    # Both groups have 3 now; the article before "(no article)", one line each with --limit 1.
    assert lines[2].startswith(f"{LEVEL} ") and lines[3] == f"  2x  {RATED_MASKED}  [rated 👎]"
    assert lines[4:] == ["  … and 1 more different questions", "",
                         "… and 1 more articles (--limit to see more)"]


async def test_by_default_the_last_30_days_by_the_clock(
    core: Core, clock: Clock
) -> None:
    await write_questions(core, clock)
    out = io.StringIO()
    assert await kb_gaps(core.config, None, 20, out, clock=clock) == 0
    report = out.getvalue()
    day = (clock().astimezone(core.config.hotline.tz) - timedelta(days=30)).date()
    assert report.startswith(f"Questions the knowledge base did not serve since {day}: 5 (")
    assert "câu hỏi cũ" not in report  # 40 days old
    clock.advance(31 * 86400)
    later = io.StringIO()
    assert await kb_gaps(core.config, None, 20, later, clock=clock) == 0
    assert later.getvalue().startswith("No unanswered or 👎-rated questions since ")


def test_a_since_that_is_not_a_date_is_refused_in_one_line(tmp_path: Path) -> None:
    result = hotline("kb", "gaps", "--since", "01/11/2026",
                     env={"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "hotline: --since: '01/11/2026' is not a date like 2026-11-01"
    assert not (tmp_path / "h.db").exists()  # refused before the database is opened


def test_a_limit_below_one_is_refused(tmp_path: Path) -> None:
    result = hotline("kb", "gaps", "--limit", "0",
                     env={"HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    assert result.returncode == 2
    assert "argument --limit: '0' is not a whole number above 0" in result.stderr


async def test_an_unknown_kind_of_unanswered_question_is_refused(core: Core) -> None:
    with pytest.raises(ValueError, match="must be one of no_answer, which, got 'ambiguous'"):
        async with core.store.transaction() as tx:
            person = await tx.people.get("telegram", "1")
            await tx.feedback.add_unanswered(person.id, "?", None, "ambiguous", core.clock())

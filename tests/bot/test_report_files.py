"""What the reports look like (bot/reporting/): the SVG charts and their sentences, the CSV
export and the printable HTML report, from a real SQLite store filled with known cases,
people with names and phone numbers who wrote messages, and counsellors whose configured
names hold HTML, a formula and 5,000 characters."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.app import Core, open_core
from bot.config import build_config
from bot.reporting.charts import Chart, charts, link_pattern
from bot.reporting.document import html_report
from bot.reporting.export import BOM, cases_csv
from bot.reporting.text import ReportText, report_text
from flows.messages import Priority
from flows.period import Period, report_rules
from flows.period_report import PeriodFigures, figures_of, read_period
from flows.store import PeriodRecord
from tests.conftest import Clock
from tests.flows.test_period_report import HANOI, NOVEMBER, NOW, hanoi, seed

SCRIPT = "<script>alert('x')</script> Hoa"
FORMULA = "=SUM(A1:A9)"
LONG = "Nguyễn Văn " + "A" * 5000
CITIZEN = "Trần Thị Mai"
PHONE = "0912345678"
STORY = "chồng em đánh em ở số 12 ngõ 34 Hàng Bạc"
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"


@pytest.fixture
async def report_core(db_path: Path, clock: Clock) -> AsyncIterator[Core]:
    config = build_config({
        "database": {"url": f"sqlite:///{db_path}"},
        "hotline": {"name": "Trung tâm <b>CTXH</b> & Hà Nội"},
        "staff": {"counsellors": [{"id": 5001, "name": SCRIPT}, {"id": 5002, "name": FORMULA},
                                  {"id": 5003, "name": LONG}]},
    }, env={})
    core = await open_core(config, clock=clock)
    yield core
    await core.close()


async def seed_people_who_wrote(core: Core) -> list[int]:
    """Cases of people who gave their name, phone number and story, in messages, the case
    summary and the emergency answers (a location too)."""
    ids = [
        await seed(core, hanoi(10, 23, 59), user="p1", priority=Priority.CRITICAL,
                   category="domestic_violence", claimed=30, replied=90, outcome="chuyển tuyến",
                   rating=5),
        await seed(core, hanoi(11, 0, 1), user="p2", topic="tre_em", channel="zalo",
                   claimed=120, replied=300, counsellor=5002, outcome="đã tư vấn"),
        await seed(core, hanoi(12), user="p3", topic="nguoi_cao_tuoi", claimed=60,
                   counsellor=5003, outcome="đã tư vấn", rating=3),
        await seed(core, hanoi(13), user="p4", priority=Priority.REVIEW, cancelled=60),
    ]
    async with core.store.transaction() as tx:
        for n, case_id in enumerate(ids):
            person = await tx.people.get("telegram", f"p{n + 1}", CITIZEN)
            await tx.messages.add(person.id, "in", "text", f"em là {CITIZEN}, số {PHONE}. {STORY}",
                                  hanoi(10), case_id=case_id)
            case = await tx.cases.get(case_id)
            assert case is not None
            await tx.cases.update(case_id, summary=f"{CITIZEN} {PHONE} {STORY}",
                                  details=case.details | {
                "where": {"latitude": 21.0345, "longitude": 105.8523}, "danger": STORY,
                "rating_comment": f"cảm ơn, {CITIZEN}"})
    return ids


async def made(core: Core, period: Period = NOVEMBER) -> tuple[PeriodFigures, PeriodRecord,
                                                               ReportText]:
    record = await read_period(core.store.views, period)
    figures = figures_of(record, period, report_rules(core.services.staff, HANOI, NOW))
    assert core.services.triage is not None
    return figures, record, report_text(core.config, core.services.triage.category_label)


def links(chart: Chart) -> list[str]:
    root = ET.fromstring(chart.svg)
    return [a.attrib[XLINK] for a in root.iter(f"{SVG}a")]


async def test_charts_are_svg_in_dejavu_sans_with_vietnamese_labels(report_core: Core) -> None:
    await seed_people_who_wrote(report_core)
    figures, _, text = await made(report_core)
    drawn = {c.name: c for c in charts(figures, text, today=NOW.date())}
    assert list(drawn) == ["days", "priority", "category", "group", "channel", "status",
                           "outcome", "response", "sla", "ratings", "feedback", "counsellor"]
    for chart in drawn.values():
        ET.fromstring(chart.svg)  # well-formed
        assert "font-family:'DejaVu Sans',sans-serif" in chart.svg
        assert "<script" not in chart.svg and "http://" not in chart.svg.replace(
            'xmlns="http://www.w3.org/2000/svg"', "").replace(
            'xmlns:xlink="http://www.w3.org/1999/xlink"', "")
        assert links(chart) == []  # no URL pattern given: no links
    assert "Số ca mỗi ngày" in drawn["days"].svg and "Khẩn cấp" in drawn["priority"].svg
    assert "Bạo lực gia đình" in drawn["category"].svg and "Người cao tuổi" in drawn["group"].svg
    assert "Rời hàng chờ" in drawn["status"].svg and "chuyển tuyến" in drawn["outcome"].svg
    assert SCRIPT not in drawn["counsellor"].svg  # escaped by the SVG writer
    assert "&lt;script&gt;alert('x')&lt;/script&gt; Hoa" in drawn["counsellor"].svg
    assert LONG[:39] + "…" in drawn["counsellor"].svg and LONG not in drawn["counsellor"].svg


async def test_each_bar_links_to_the_case_search_of_the_cases_behind_it(
    report_core: Core,
) -> None:
    await seed_people_who_wrote(report_core)
    figures, _, text = await made(report_core)
    drawn = {c.name: c for c in charts(figures, text, today=NOW.date(),
                                       link=link_pattern("/cases?{query}"))}
    assert links(drawn["priority"]) == [
        f"/cases?from=2026-11-01&to=2026-11-30&priority={p.value}" for p in Priority
        if p is not Priority.URGENT]  # no urgent case: a bar of 0 has nothing to click
    assert "/cases?from=2026-11-10&to=2026-11-10" in links(drawn["days"])
    outcome = [dict(parse_qsl(urlsplit(href).query)) for href in links(drawn["outcome"])]
    assert {"from": "2026-11-01", "to": "2026-11-30", "status": "closed",
            "outcome": "chuyển tuyến"} in outcome  # UTF-8, percent-encoded in the href
    every = {b.filters for b in (*figures.per_day, *figures.by_priority, *figures.by_category,
                                 *figures.by_group, *figures.by_channel, *figures.by_status,
                                 *figures.by_outcome, *figures.by_counsellor,
                                 *figures.ratings.stars,
                                 *(x for r in figures.sla for x in (r.met, r.missed)))}
    every |= {w.filters for w in figures.weeks}
    for chart in drawn.values():
        for href in links(chart):
            assert tuple(parse_qsl(urlsplit(href).query)) in every, (chart.name, href)
    assert links(drawn["feedback"]) == []  # 👍/👎 are not cases


def test_the_days_sentence_compares_with_the_period_before() -> None:
    text = ReportText([Path(__file__).resolve().parents[2] / "knowledge" / "templates"],
                      category_label=str, staff_name=lambda _: "")
    week = dict(kind="week", start=date(2026, 11, 23), end=date(2026, 11, 29), days=7)
    assert text.statement("days", current=True, total=31, previous=25, **week) == (
        "Tuần này có 31 ca, nhiều hơn tuần trước 6 ca.")
    assert text.statement("days", current=False, total=19, previous=25, **week) == (
        "Tuần 23/11–29/11/2026 có 19 ca, ít hơn tuần trước 6 ca.")
    assert text.statement("days", current=True, total=25, previous=25, **week) == (
        "Tuần này có 25 ca, bằng tuần trước.")
    month = dict(kind="month", current=False, start=date(2026, 11, 1),
                 end=date(2026, 11, 30), days=30)
    assert text.statement("days", total=1234, previous=None, **month) == (
        "Tháng 11/2026 có 1.234 ca, chưa có số liệu kỳ trước để so sánh.")
    assert text.statement("days", total=0, previous=5, **month) == (
        "Tháng 11/2026 không có ca nào (tháng trước có 5 ca).")
    assert text.statement("days", total=0, previous=0, **month) == (
        "Tháng 11/2026 không có ca nào, tháng trước cũng không.")
    ten = dict(kind="days", current=False, start=date(2026, 11, 5), end=date(2026, 11, 14),
               days=10)
    assert text.statement("days", total=3, previous=1, **ten) == (
        "Từ 05/11/2026 đến 14/11/2026 có 3 ca, nhiều hơn 10 ngày trước đó 2 ca.")


async def test_the_sentences_state_the_figures_in_vietnamese(report_core: Core) -> None:
    await seed_people_who_wrote(report_core)
    await seed(report_core, hanoi(20, 9), priority=Priority.CRITICAL)  # still waiting
    figures, _, text = await made(report_core)
    said = {c.name: c.statement for c in charts(figures, text, today=NOW.date())}
    assert said["days"] == "Tháng 11/2026 có 5 ca, chưa có số liệu kỳ trước để so sánh."
    assert said["priority"] == (
        "Trong 5 ca có 2 ca khẩn cấp, 0 ca gấp và 1 tin nhắn cần người đọc.")
    assert said["response"] == ("Trên 2 ca được trả lời, một nửa có lời đáp đầu tiên trong"
                                " 3,3 phút và 90% trong 5 phút.")  # 1.5 and 5 minutes
    assert said["sla"] == ("Nhận ca đúng hạn: Khẩn cấp 1/2 (50%, hạn 1 phút), Thường 2/2"
                           " (100%, hạn 30 phút).")  # the review item left within its 30
    assert said["status"] == (
        "3 ca đã đóng, 1 ca còn mở; 1 người rời hàng chờ trước khi gặp tư vấn viên.")
    assert said["ratings"] == "2 lượt đánh giá, trung bình 4,0 sao."


async def test_the_csv_has_a_bom_one_row_per_case_and_no_personal_data(
    report_core: Core, tmp_path: Path,
) -> None:
    ids = await seed_people_who_wrote(report_core)
    _, record, text = await made(report_core)
    body = cases_csv(record.cases, text, HANOI)
    assert body.startswith(BOM)
    path = tmp_path / "cases.csv"
    path.write_text(body, encoding="utf-8", newline="")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["Số ca", "Mở lúc", "Nhận lúc", "Đóng lúc", "Mức ưu tiên", "Loại ca",
                       "Chủ đề", "Nhóm đối tượng", "Kênh", "Trạng thái", "Kết quả",
                       "Tư vấn viên", "Số phút đến lời đáp đầu tiên", "Đánh giá (1-5)"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in ids]
    assert rows[1] == [str(ids[0]), "2026-11-10 23:59", "2026-11-10 23:59", "2026-11-11 00:59",
                       "Khẩn cấp", "Bạo lực gia đình", "", "Khác, chưa rõ", "Telegram",
                       "Đã đóng", "chuyển tuyến", SCRIPT, "1.5", "5"]
    assert rows[2][1] == "2026-11-11 00:01" and rows[2][6:9] == ["Trẻ em", "Trẻ em", "Zalo"]
    assert rows[2][11] == "'" + FORMULA  # Excel shows it, never runs it
    assert rows[3][11:] == [LONG, "", "3"]  # the long name whole; never replied; rated 3
    assert rows[4][9:11] == ["Rời hàng chờ", ""]
    for trace in (CITIZEN, PHONE, "Hàng Bạc", "21.03", "105.85", "cảm ơn"):
        assert trace not in body, trace


async def test_the_html_report_is_one_printable_file_without_personal_data(
    report_core: Core,
) -> None:
    await seed_people_who_wrote(report_core)
    figures, _, text = await made(report_core)
    page = html_report(figures, text, service=report_core.config.hotline.name,
                       generated_at=NOW, today=NOW.date())
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert page.count("<svg") == 11 and "<figcaption>Tháng 11/2026 có 4 ca" in page
    for needed in ("Số lượt tư vấn (ca)", "Tiếp nhận khẩn cấp", "Chuyển tuyến",
                   "Số người được tư vấn viên hỗ trợ", "Tư vấn theo lĩnh vực",
                   "Tư vấn theo nhóm đối tượng", "Bạo lực gia đình", "Người cao tuổi"):
        assert needed in page, needed
    # Self-contained: no script, no stylesheet or image to fetch, no link out.
    for outside in ("<script", "<link", "<img", "src=", "@import", "url(", "<a "):
        assert outside not in page, outside
    assert set(re.findall(r"https?://[^\s\"'<>]*", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # SVG namespaces
    # A name from the configuration is escaped; no counsellor is named (the report leaves
    # the centre).
    assert "<script>" not in page and "<b>CTXH</b>" not in page
    assert "Trung tâm &lt;b&gt;CTXH&lt;/b&gt; &amp; Hà Nội" in page
    assert "alert(" not in page and " Hoa" not in page
    for trace in (CITIZEN, PHONE, "Hàng Bạc", "21.03", "105.85", "cảm ơn"):
        assert trace not in page, trace


async def test_an_empty_period_makes_a_report_that_says_there_were_no_cases(
    report_core: Core,
) -> None:
    figures, record, text = await made(report_core)
    page = html_report(figures, text, service="Tổng đài", generated_at=NOW, today=NOW.date())
    assert "Không có ca nào trong kỳ báo cáo (01/11/2026 – 30/11/2026)." in page
    assert "<td class=\"n\">0</td>" in page
    assert page.count("<svg") == 1  # the policy answers only
    assert cases_csv(record.cases, text, HANOI).count("\r\n") == 1  # the header alone


async def test_a_year_of_days_draws_one_label_a_week(report_core: Core) -> None:
    year = Period(date(2025, 12, 1), date(2026, 11, 30), HANOI)
    await seed(report_core, datetime(2026, 1, 1, 9, tzinfo=HANOI) + timedelta(minutes=1))
    figures, _, text = await made(report_core, year)
    days = charts(figures, text, today=NOW.date(), link=link_pattern("/cases?{query}"))[0]
    assert len(figures.per_day) == 365 and links(days) == ["/cases?from=2026-01-01&to=2026-01-01"]
    labels = [t.text for t in ET.fromstring(days.svg).iter(f"{SVG}text")]
    assert "01/12" in labels and "08/12" in labels and "02/12" not in labels
    assert io.StringIO(days.svg).read().count("<rect") >= 365


def test_a_centre_s_older_knowledge_folder_gets_the_shipped_report_words(
    tmp_path: Path,
) -> None:
    shipped = Path(__file__).resolve().parents[2] / "knowledge" / "templates"
    own = tmp_path / "knowledge" / "templates"
    own.mkdir(parents=True)
    for template in shipped.glob("*.j2"):  # a copy made before templates/report/ existed
        (own / template.name).write_text(template.read_text(encoding="utf-8"),
                                         encoding="utf-8")
    (own / "labels.j2").write_text('{% set level_critical = "Rất khẩn cấp" %}',
                                   encoding="utf-8")
    config = build_config({"hotline": {"knowledge_dir": str(tmp_path / "knowledge")}}, env={})
    text = report_text(config, category_label=str)
    assert text.priority("critical") == "Rất khẩn cấp"  # the centre's own word wins
    assert text.label("chart_days") == "Số ca mỗi ngày"  # the shipped one fills the gap
    assert text.statement("ratings", count=0, mean=None) == "Chưa có lượt đánh giá nào."

"""`hotline report` as an operator runs it (real subprocesses on a real SQLite file): the CSV
and the HTML report of a period, and one clear line for input it refuses."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from bot.app import Core
from flows.messages import Priority
from tests.bot.test_cli import hotline
from tests.flows.test_period_report import hanoi, seed


def write_config(tmp_path: Path, db_path: Path) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(
        f"database:\n  url: sqlite:///{db_path}\n"
        "staff:\n  counsellors: [{id: 5001, name: \"Chị <i>Hoa</i>\"}]\n",
        encoding="utf-8")
    return str(path)


async def test_the_csv_of_a_month_has_one_row_per_case_and_reads_back_in_excel_s_encoding(
    core: Core, db_path: Path, tmp_path: Path,
) -> None:
    await seed(core, hanoi(10, 23, 59), priority=Priority.CRITICAL, category="suicide",
               claimed=40, replied=90, outcome="chuyển tuyến", rating=5)
    await seed(core, hanoi(11, 0, 1), topic="nguoi_cao_tuoi", channel="zalo")
    await seed(core, hanoi(1, 0, 1, month=12))  # December: not in November's report
    await core.close()
    config = write_config(tmp_path, db_path)
    output = tmp_path / "thang-11.csv"

    result = await asyncio.to_thread(
        hotline, "--config", config, "report", "--from", "2026-11-01", "--to", "2026-11-30",
        "--format", "csv", "--output", str(output))

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"wrote CSV of 2 cases from 2026-11-01 to 2026-11-30 to {output}")
    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    with output.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[1] == ["1", "2026-11-10 23:59", "2026-11-10 23:59", "2026-11-11 00:59",
                       "Khẩn cấp", "Tự tử, tự gây thương tích", "", "Khác, chưa rõ",
                       "Telegram", "Đã đóng", "chuyển tuyến", "Chị <i>Hoa</i>", "1.5", "5"]
    assert rows[2][:2] == ["2", "2026-11-11 00:01"] and rows[2][6:10] == [
        "Người cao tuổi", "Người cao tuổi", "Zalo", "Đang chờ"]
    assert len(rows) == 3

    to_stdout = await asyncio.to_thread(
        hotline, "--config", config, "report", "--from", "2026-11-01", "--to", "2026-11-30")
    assert to_stdout.returncode == 0 and to_stdout.stdout.startswith("\ufeffSố ca,Mở lúc,")


async def test_the_html_report_of_an_empty_period_says_there_were_no_cases(
    db_path: Path, tmp_path: Path,
) -> None:
    config = write_config(tmp_path, db_path)
    result = await asyncio.to_thread(
        hotline, "--config", config, "report", "--from", "2026-02-01", "--to", "2026-02-28",
        "--format", "html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "Không có ca nào trong kỳ báo cáo (01/02/2026 – 28/02/2026)." in result.stdout
    assert "Tháng 2/2026" not in result.stdout  # no chart of days for no case
    assert result.stderr.strip().splitlines()[-1] == (
        "hotline report: no cases from 2026-02-01 to 2026-02-28")


async def test_bad_periods_are_refused_with_one_line_and_exit_code_2(
    db_path: Path, tmp_path: Path,
) -> None:
    config = write_config(tmp_path, db_path)
    refused = {
        ("2026-13-01", "2026-12-31"): "hotline report: --from: '2026-13-01' is not a date like"
                                      " 2026-11-01",
        ("2026-11-01", "30/11/2026"): "hotline report: --to: '30/11/2026' is not a date like"
                                      " 2026-11-01",
        ("2026-11-30", "2026-11-01"): "hotline report: the period ends (2026-11-01) before it"
                                      " starts (2026-11-30)",
        ("2016-01-01", "2025-12-31"): "hotline report: the period is 3653 days long; a report"
                                      " covers at most 366 days (make one report per year)",
        ("2026-11-01", "x" * 5000): "hotline report: --to: '" + "x" * 40 + "' is not a date"
                                    " like 2026-11-01",
    }
    for (start, end), line in refused.items():
        result = await asyncio.to_thread(
            hotline, "--config", config, "report", "--from", start, "--to", end,
            "--output", str(tmp_path / "never.csv"))
        assert (result.returncode, result.stderr.strip().splitlines()) == (2, [line])
        assert result.stdout == ""
    assert not (tmp_path / "never.csv").exists()
    unknown = await asyncio.to_thread(hotline, "--config", config, "report", "--from",
                                      "2026-11-01", "--to", "2026-11-30", "--format", "pdf")
    assert unknown.returncode == 2 and "invalid choice: 'pdf'" in unknown.stderr

"""The import direction that keeps the domain channel-neutral: bot -> flows, knowledge;
flows -> nothing of the edges; knowledge -> nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "flows": {"bot", "knowledge", "telegram", "httpx", "aiosqlite", "tornado", "starlette"},
    "knowledge": {"bot", "flows", "telegram", "httpx", "aiosqlite"},
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_in_their_lane(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# The one clock (docs: /work/shared/design.md, "One clock"): bot/app.py builds it and hands it
# to everything; no other module of ours reads the wall clock, so tests can move time by hand.
WALL_CLOCK_READS = ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time(")
READS_THE_WALL_CLOCK = {"bot/app.py"}  # the composition root: `wall_clock`


def wall_clock_reads(path: Path) -> list[str]:
    return [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(read in line for read in WALL_CLOCK_READS)
    ]


def test_only_the_composition_root_reads_the_wall_clock() -> None:
    offenders = {
        name: reads
        for package in ("bot", "flows", "knowledge")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (name := path.relative_to(ROOT).as_posix()) not in READS_THE_WALL_CLOCK
        and (reads := wall_clock_reads(path))
    }
    assert offenders == {}


def test_the_composition_root_does_read_it() -> None:
    """The allowed list names a file that really holds the clock (not a stale exemption)."""
    assert all(wall_clock_reads(ROOT / name) for name in READS_THE_WALL_CLOCK)

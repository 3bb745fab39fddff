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


# The composition root (docs: /work/shared/design.md, "app.py ... the only builder"): the real
# parts are built in bot/app.py alone, so that what runs is decided in one place and a test or
# another instance can build them differently; every other module is handed its parts.
REAL_PARTS = {
    # our own parts
    "SqliteStore", "Dispatcher", "StaffDesk", "CaseWatch", "Receiving", "Deliverer",
    "TelegramChannel", "ZaloChannel", "ConsoleChannel", "TelegramSender", "StaffSender",
    "ZaloSender", "ZaloApi", "TokenManager", "InboxBot", "WebServer", "QuietServer",
    # the libraries' clients and servers
    "httpx.AsyncClient", "AsyncClient", "HTTPXRequest", "ApplicationBuilder", "ExtBot",
    "uvicorn.Server", "uvicorn.Config", "Starlette",
}
BUILDS_REAL_PARTS = {"bot/app.py"}


def called_name(call: ast.Call) -> str:
    """`Deliverer(...)` -> "Deliverer", `httpx.AsyncClient(...)` -> "httpx.AsyncClient"."""
    func, names = call.func, []
    while isinstance(func, ast.Attribute):
        names.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        names.append(func.id)
    return ".".join(reversed(names))


def real_parts_built(path: Path) -> list[str]:
    return [
        f"{node.lineno}: {name}("
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and ((name := called_name(node)) in REAL_PARTS or name.rsplit(".", 1)[-1] in REAL_PARTS)
    ]


def test_only_the_composition_root_builds_real_parts() -> None:
    offenders = {
        name: built
        for package in ("bot", "flows", "knowledge")
        for path in sorted((ROOT / package).rglob("*.py"))
        if (name := path.relative_to(ROOT).as_posix()) not in BUILDS_REAL_PARTS
        and (built := real_parts_built(path))
    }
    assert offenders == {}


def test_the_composition_root_does_build_them() -> None:
    """The allowed list names the file that really builds (not a stale exemption), and the
    check sees each kind of call it looks for."""
    built = {line.split(": ", 1)[1] for name in BUILDS_REAL_PARTS
             for line in real_parts_built(ROOT / name)}
    assert {"Deliverer(", "httpx.AsyncClient(", "SqliteStore(", "ApplicationBuilder(",
            "uvicorn.Config(", "TokenManager(", "Starlette(", "QuietServer("} <= built

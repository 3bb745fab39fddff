"""No import cycles among our own modules (flows/, knowledge/, bot/).

A cycle makes the import order decide what exists when a module runs, and it ties two modules
that should be able to change, or be reused (the console reusing the reports), alone. Every
import counts: those under TYPE_CHECKING too (a cycle that only the type checker sees is still
two modules that know each other) and those inside functions."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "flows", "knowledge")



def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def imported_names(path: Path, name: str) -> Iterator[str]:
    """Every dotted name the module imports, relative imports made absolute; for
    `from a import b`, both `a.b` (b may be a module) and `a`."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """Our module that importing `name` loads: the name itself or the nearest package or
    module above it (`flows.cases.Case` is flows.cases); None for anything not ours."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {resolve(imported, modules) for imported in imported_names(path, name)}
        graph[name] = {t for t in targets if t is not None and t != name}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every import between two modules of a strongly connected group (Tarjan's algorithm)
    closes a cycle; for each, the shortest way back, as a path that starts and ends at its
    alphabetically first module. One per edge, so that a new import into a group that
    already has a cycle still shows up as a cycle of its own."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found = set()
    for group in groups:
        for source in group:
            for target in graph[source] & group:
                ring = [source, *_shortest_path(graph, group, target, source)[:-1]]
                first = ring.index(min(ring))
                found.add((*ring[first:], *ring[:first], ring[first]))
    return sorted(list(cycle) for cycle in found)


def _shortest_path(
    graph: Mapping[str, set[str]], group: set[str], start: str, end: str
) -> list[str]:
    paths = {start: [start]}
    frontier = [start]
    while end not in paths:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        if not following:
            raise AssertionError(f"{end} not reachable from {start} in {sorted(group)}")
        frontier = following
    return paths[end]


def test_our_modules_import_each_other_without_cycles() -> None:
    found = [" -> ".join(cycle) for cycle in cycles(import_graph())]
    assert found == [], "import cycles:\n" + "\n".join(found)


def test_the_walk_sees_our_imports() -> None:
    """The graph is not vacuously acyclic: it holds the edges we know."""
    graph = import_graph()
    assert {"flows.cases", "flows.reports"} <= graph["flows.counsellor"]
    assert any(target.startswith("flows.") for target in graph["bot.app"])


def test_the_walk_counts_type_checking_local_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "thing.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import sibling\n"
        "from .. import uncle\n"
        "if TYPE_CHECKING:\n"
        "    from flows.counsellor import StaffTurn\n"
        "def later() -> None:\n"
        "    import knowledge.render\n",
        encoding="utf-8",
    )
    names = set(imported_names(module, "bot.store.thing"))
    assert {"flows.counsellor", "knowledge.render", "bot.store.sibling", "bot.uncle"} <= names


def test_a_cycle_is_named_module_by_module() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_a_new_cycle_through_modules_already_in_one_is_named_too() -> None:
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}
    assert cycles(graph) == [["a", "b", "a"], ["b", "c", "b"]]

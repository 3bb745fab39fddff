"""Every verified fact of the fact sheet can be reached by three natural phrasings.

The facts are read from `knowledge/policy_facts.md`: each top-level bullet whose status says
verified (or verified-2), and each row of the §1.2 table of groups and coefficients; §8 (the
bot's own data protection) and §10 (gaps) are not policy answers. `fact_coverage.yaml` holds,
per fact, how a citizen would ask it (accented, without diacritics, in teencode) and what a
right answer states. A phrasing reaches its fact when one of the first three articles search
offers (the answer, or the "which one?" buttons) states it, as the bot renders it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from knowledge.evaluation import has_figure
from knowledge.render import Templates
from knowledge.search import PolicySearch
from knowledge.text import is_folded

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
FACTS = KNOWLEDGE / "policy_facts.md"
COVERAGE = Path(__file__).with_name("fact_coverage.yaml")
SKIPPED_SECTIONS = {"8", "10"}
_VERIFIED = re.compile(r"(?<!un)verified")


@dataclass(frozen=True)
class Fact:
    section: str
    line: int
    text: str


def facts() -> list[Fact]:
    lines = FACTS.read_text(encoding="utf-8").split("\n")
    out: list[Fact] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^##\s+(\d+)\.", line) or re.match(r"^###\s+(\d+\.\d+)", line)
        if heading:
            section = heading.group(1)
        if line.startswith("- "):
            j = i + 1
            while j < len(lines):
                if lines[j].startswith((" ", "\t")):
                    j += 1
                    continue
                if not lines[j].strip():  # a blank line inside a bullet with sub-bullets
                    k = j
                    while k < len(lines) and not lines[k].strip():
                        k += 1
                    if k < len(lines) and lines[k].startswith((" ", "\t")):
                        j = k
                        continue
                break
            text = "\n".join(lines[i:j])
            status = text.rsplit("|", 1)[1] if "|" in text else ""
            if section and section not in SKIPPED_SECTIONS and _VERIFIED.search(status):
                out.append(Fact(section, i + 1, text))
            i = j
            continue
        if section == "1.2" and re.match(r"^\| K\d", line):
            out.append(Fact(section, i + 1, line))
        i += 1
    return out


def entries() -> list[dict[str, object]]:
    return list(yaml.safe_load(COVERAGE.read_text(encoding="utf-8")))


def fact_of(entry: dict[str, object], known: list[Fact]) -> Fact:
    found = [f for f in known if str(entry["snippet"]) in f.text]
    assert len(found) == 1, f"{entry['snippet']!r} matches {len(found)} facts"
    assert found[0].section == entry["section"], entry["snippet"]
    return found[0]


def test_every_verified_fact_has_phrasings_or_a_reason_it_is_not_asked() -> None:
    known = facts()
    assert len(known) >= 80  # the sheet is read, not skipped
    covered = {fact_of(e, known).line for e in entries()}
    uncovered = [f"§{f.section} line {f.line}: {f.text[:80]}" for f in known
                 if f.line not in covered]
    assert uncovered == []


def test_each_fact_is_asked_three_ways() -> None:
    for entry in entries():
        if "not_asked" in entry:
            assert str(entry["not_asked"]).strip()
            continue
        ask = entry["ask"]
        assert isinstance(ask, dict) and set(ask) == {"accented", "unaccented", "teencode"}
        assert not is_folded(str(ask["accented"]).lower()), ask["accented"]
        assert is_folded(str(ask["unaccented"]).lower()), ask["unaccented"]
        assert entry["expect_any"], entry["snippet"]


@pytest.fixture(scope="module")
def answers(shipped_dense: PolicySearch) -> dict[str, str]:
    templates = Templates(KNOWLEDGE / "templates")
    return {
        a.id: templates.render("policy_answer", article=a, person=None, lead="", rest=a.details)
        for a in shipped_dense.articles
    }


def test_every_phrasing_reaches_its_fact(
    shipped_dense: PolicySearch, answers: dict[str, str]
) -> None:
    missed = []
    for entry in entries():
        if "not_asked" in entry:
            continue
        expect = [str(x) for x in entry["expect_any"]]  # type: ignore[attr-defined]
        for style, question in entry["ask"].items():  # type: ignore[attr-defined]
            hits = shipped_dense.search(str(question), limit=3).hits
            if not any(has_figure(answers[h.article_id], expect) for h in hits):
                missed.append(f"§{entry['section']} {style}: {question} -> "
                              f"{[h.article_id for h in hits]} (want {expect})")
    assert missed == []

"""Load and check ``knowledge/triage.yaml`` into the compiled form ``TriageRules`` uses.

Every problem raises ``TriageDataError`` with the key that holds it, e.g.
``signals[3].level: 'hight' is not one of none, urgent, critical``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from knowledge.text import fold, normalise
from knowledge.triage_rules import Compounds, Entry, PatternError, PhraseIndex, expand

LEVELS = ("none", "urgent", "critical")
RANK = {level: n for n, level in enumerate(LEVELS)}

# Internal kinds of suppressor cues (signal kinds in triage.yaml may not start with "_").
IDIOM, NEGATION, RHETORICAL, CAP_PREFIX = "_idiom", "_negation", "_rhetorical", "_cap:"
HYPERBOLE = "_hyperbole"  # an idiom that also says the message is said in jest


class TriageDataError(ValueError):
    """triage.yaml holds something the classifier cannot use; the message names the key."""


@dataclass(frozen=True)
class Rule:
    name: str
    kinds: frozenset[str]
    level: str


@dataclass(frozen=True)
class Cap:
    """Cue phrases that cap the level unless a signal of an ``unless`` kind is present."""

    kind: str
    level: str
    unless: frozenset[str]
    drops: frozenset[str]


@dataclass(frozen=True)
class Refinement:
    category: str
    becomes: str
    if_kind: str


@dataclass(frozen=True)
class Lexicon:
    labels: Mapping[str, str]
    index: PhraseIndex
    rules: tuple[Rule, ...]
    caps: tuple[Cap, ...]
    refinements: tuple[Refinement, ...]
    extra: Mapping[str, tuple[str, ...]]
    negation_window: int


def build_lexicon(raw: Any) -> Lexicon:
    root = _mapping(raw, "top level")
    labels: dict[str, str] = {}
    for n, item in enumerate(_list(root, "categories")):
        where = f"categories[{n}]"
        cat = _mapping(item, where)
        cid, label = _text(cat, "id", where), _text(cat, "label", where)
        if cid in labels:
            raise TriageDataError(f"{where}.id: {cid!r} is listed twice")
        labels[cid] = label

    # Extra short forms, looked up exactly as typed ("đag" and "dag" are separate entries).
    extra: dict[str, tuple[str, ...]] = {}
    for full, shorts in _mapping(root.get("teencode", {}), "teencode").items():
        if not isinstance(shorts, list):
            raise TriageDataError(f"teencode.{full}: expected a list of short forms")
        extra.update({normalise(str(s)): tuple(normalise(str(full)).split()) for s in shorts})

    macros = {str(k): str(v) for k, v in _mapping(root.get("macros", {}), "macros").items()}
    sup = _mapping(root.get("suppressors"), "suppressors")
    negation = _mapping(sup.get("negation"), "suppressors.negation")
    negation_words = _strings(negation, "phrases", "suppressors.negation")
    window = negation.get("window", 2)
    if not isinstance(window, int) or window < 0:
        raise TriageDataError("suppressors.negation.window: expected a whole number ≥ 0")
    try:
        compounds = Compounds.build(_strings(root, "compounds", "top level"))
    except PatternError as err:
        raise TriageDataError(f"compounds: {err}") from None
    index = PhraseIndex(compounds, {fold(p) for p in negation_words if len(p.split()) == 1})

    def add(phrases: list[str], entry_of: Callable[[str], Entry], where: str) -> None:
        for n, phrase in enumerate(phrases):
            try:
                for plain in expand(phrase, macros):
                    index.add(plain, entry_of(plain))
            except PatternError as err:
                raise TriageDataError(f"{where}.phrases[{n}] {phrase!r}: {err}") from None

    kinds: set[str] = set()
    for n, item in enumerate(_list(root, "signals")):
        where = f"signals[{n}]"
        group = _mapping(item, where)
        kind = _text(group, "kind", where)
        if kind.startswith("_"):
            raise TriageDataError(f"{where}.kind: may not start with '_'")
        category = group.get("category")
        if category is not None and category not in labels:
            raise TriageDataError(f"{where}.category: {category!r} is not in categories")
        level = _level(group.get("level", "none"), f"{where}.level")
        negatable = group.get("negatable", True)
        if not isinstance(negatable, bool):
            raise TriageDataError(f"{where}.negatable: expected true or false")
        not_after = frozenset(fold(w) for w in _strings(group, "not_after", where))
        kinds.add(kind)

        def entry(
            name: str,
            k: str = kind,
            c: Any = category,
            lv: str = level,
            ng: bool = negatable,
            na: frozenset[str] = not_after,
        ) -> Entry:
            return Entry(_display(name), k, c, lv, ng, na)

        add(_strings(group, "phrases", where), entry, where)

    def cue(kind: str) -> Callable[[str], Entry]:
        return lambda name: Entry(_display(name), kind, None, "none", False)

    add(negation_words, cue(NEGATION), "suppressors.negation")
    add(
        _strings(negation, "rhetorical", "suppressors.negation"),
        cue(RHETORICAL),
        "suppressors.negation.rhetorical",
    )
    add(_strings(sup, "idioms", "suppressors"), cue(IDIOM), "suppressors.idioms")
    add(_strings(sup, "hyperbole", "suppressors"), cue(HYPERBOLE), "suppressors.hyperbole")

    caps: list[Cap] = []
    for n, item in enumerate(sup.get("caps") or []):
        where = f"suppressors.caps[{n}]"
        block = _mapping(item, where)
        kind = CAP_PREFIX + _text(block, "name", where)
        unless = _known(frozenset(_strings(block, "unless", where)), kinds, f"{where}.unless")
        drops = _known(frozenset(_strings(block, "drops", where)), kinds, f"{where}.drops")
        caps.append(Cap(kind, _level(block.get("cap"), f"{where}.cap"), unless, drops))
        add(_strings(block, "phrases", where), cue(kind), where)

    rules: list[Rule] = []
    for n, item in enumerate(_list(root, "rules")):
        where = f"rules[{n}]"
        rule = _mapping(item, where)
        needed = _known(frozenset(_strings(rule, "all", where)), kinds, f"{where}.all")
        level = _level(rule.get("level"), f"{where}.level")
        rules.append(Rule(_text(rule, "name", where), needed, level))

    refinements: list[Refinement] = []
    for n, item in enumerate(root.get("refinements") or []):
        where = f"refinements[{n}]"
        ref = _mapping(item, where)
        source, target = _text(ref, "category", where), _text(ref, "becomes", where)
        for key, cat_id in (("category", source), ("becomes", target)):
            if cat_id not in labels:
                raise TriageDataError(f"{where}.{key}: {cat_id!r} is not in categories")
        if_kind = _text(ref, "if_kind", where)
        _known(frozenset({if_kind}), kinds, f"{where}.if_kind")
        refinements.append(Refinement(source, target, if_kind))

    return Lexicon(labels, index, tuple(rules), tuple(caps), tuple(refinements), extra, window)


def _display(phrase: str) -> str:
    return phrase.replace(" ** ", " … ")


def _known(wanted: frozenset[str], kinds: set[str], where: str) -> frozenset[str]:
    for k in sorted(wanted - kinds):
        raise TriageDataError(f"{where}: no signal group has kind {k!r}")
    return wanted


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TriageDataError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _list(parent: Mapping[str, Any], key: str) -> list[Any]:
    value = parent.get(key)
    if not isinstance(value, list) or not value:
        raise TriageDataError(f"{key}: expected a non-empty list")
    return value


def _text(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TriageDataError(f"{where}.{key}: expected non-empty text")
    return value


def _strings(parent: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = parent.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise TriageDataError(f"{where}.{key}: expected a list of phrases")
    return [str(v) for v in value]


def _level(value: Any, where: str) -> str:
    if value not in RANK:
        raise TriageDataError(f"{where}: {value!r} is not one of {', '.join(LEVELS)}")
    return str(value)

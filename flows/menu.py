"""The front door: /start, /help, /huy, the main menu and polite answers to the unexpected."""

from __future__ import annotations

from flows.messages import Button, IncomingKind, Outgoing
from flows.turn import FlowName, Step, Turn

MENU_POLICY = "menu:policy"
MENU_COUNSELLOR = "menu:counsellor"
MENU_EMERGENCY = "menu:emergency"
MENU_HOME = "menu:home"


def main_menu(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    return (
        (turn.button("menu_policy", MENU_POLICY),),
        (turn.button("menu_counsellor", MENU_COUNSELLOR),),
        (turn.button("menu_emergency", MENU_EMERGENCY),),
    )


def menu_reply(turn: Turn, template: str, **values: object) -> Outgoing:
    return Outgoing(turn.text(template, **values), buttons=main_menu(turn))


async def start(turn: Turn) -> Step:
    name = turn.person.first_name
    return Step(
        route="menu",
        replies=[menu_reply(turn, "start", first_name=name)],
        flow=FlowName.MENU,
        data={},
    )


async def help_(turn: Turn) -> Step:
    return Step(route="menu", replies=[menu_reply(turn, "help")])


async def cancel(turn: Turn) -> Step:
    had_flow = turn.person.flow != FlowName.MENU
    return Step(
        route="menu",
        replies=[menu_reply(turn, "cancelled", had_flow=had_flow)],
        flow=FlowName.MENU,
        data={},
    )


async def show_menu(turn: Turn) -> Step:
    return Step(route="menu", replies=[menu_reply(turn, "menu")], flow=FlowName.MENU, data={})


async def unknown_command(turn: Turn) -> Step:
    return Step(
        route="fallback",
        replies=[menu_reply(turn, "unknown_command", command=turn.incoming.command)],
    )


async def stale_button(turn: Turn) -> Step:
    return Step(route="fallback", replies=[menu_reply(turn, "stale_button")])


async def unsupported(turn: Turn) -> Step:
    """Media, edits and locations outside a flow that uses them: say so kindly."""
    incoming = turn.incoming
    kind = incoming.attachment.kind if incoming.attachment else incoming.kind.value
    return Step(route="fallback", replies=[menu_reply(turn, "unsupported", kind=kind)])


async def fallback(turn: Turn) -> Step:
    return Step(route="fallback", replies=[menu_reply(turn, "fallback")])


# Greetings get the welcome again instead of a search for "xin chào".
GREETINGS = frozenset(
    {
        "xin chào", "xin chao", "chào", "chao", "chào bạn", "chao ban", "chào em", "chao em",
        "chào ad", "chao ad", "alo", "a lô", "hi", "hello", "helo", "hey", "hí", "start",
    }
)


def is_greeting(text: str) -> bool:
    return text.strip(" .!?,~").lower() in GREETINGS


async def handle_non_text(turn: Turn) -> Step:
    """Media, locations and empty messages at the menu."""
    incoming = turn.incoming
    if incoming.kind is IncomingKind.TEXT:
        return await fallback(turn)
    return await unsupported(turn)

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


def start(turn: Turn) -> Step:
    name = turn.person.first_name
    return Step(
        route="menu",
        replies=[menu_reply(turn, "start", first_name=name)],
        flow=FlowName.MENU,
        data={},
    )


def help_(turn: Turn) -> Step:
    return Step(route="menu", replies=[menu_reply(turn, "help")])


def cancel(turn: Turn) -> Step:
    had_flow = turn.person.flow != FlowName.MENU
    return Step(
        route="menu",
        replies=[menu_reply(turn, "cancelled", had_flow=had_flow)],
        flow=FlowName.MENU,
        data={},
    )


def show_menu(turn: Turn) -> Step:
    return Step(route="menu", replies=[menu_reply(turn, "menu")], flow=FlowName.MENU, data={})


def unknown_command(turn: Turn) -> Step:
    return Step(
        route="fallback",
        replies=[menu_reply(turn, "unknown_command", command=turn.incoming.command)],
    )


def stale_button(turn: Turn) -> Step:
    return Step(route="fallback", replies=[menu_reply(turn, "stale_button")])


def unsupported(turn: Turn) -> Step:
    """Media, edits and locations outside a flow that uses them: say so kindly."""
    incoming = turn.incoming
    kind = incoming.attachment.kind if incoming.attachment else incoming.kind.value
    return Step(route="fallback", replies=[menu_reply(turn, "unsupported", kind=kind)])


def fallback(turn: Turn) -> Step:
    return Step(route="fallback", replies=[menu_reply(turn, "fallback")])


def handle(turn: Turn) -> Step:
    """A message while the person is at the menu."""
    incoming = turn.incoming
    if incoming.kind is IncomingKind.TEXT and incoming.text.strip():
        return fallback(turn)
    return unsupported(turn)

"""The dispatcher: every Incoming goes through here, in one unit of work.

1. A replayed event (same channel event id) is recognised and ignored.
2. The message is stored before anything acts on it.
3. Global commands and menu buttons work from any flow; otherwise the person's current flow
   handles the message.
4. The flow's replies go to the outbox in the same transaction as the state change, so a crash
   either loses nothing or repeats nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from flows import emergency, entitlement, handoff, menu, policy, privacy
from flows.messages import Handled, Incoming, IncomingKind, Outgoing, TriageLevel
from flows.ordering import KeyedLocks
from flows.outbox import write_step
from flows.ports import Assessment, Services
from flows.store import Store, person_key
from flows.turn import FlowName, Step, Turn
from flows.web_sign_in import is_sign_in, sign_in

FlowHandler = Callable[[Turn], Awaitable[Step]]


async def consented(turn: Turn) -> Step:
    """Consent given: go on with what the person asked for when it was needed."""
    thanks = await privacy.agree(turn)
    if turn.data.get("after_consent") != "handoff":
        return thanks
    person = replace(turn.person, consent_at=turn.now)
    step = await handoff.request(replace(turn, person=person))
    step.replies = [Outgoing(turn.text("consent_thanks"))] + step.replies
    return step


async def at_menu(turn: Turn) -> Step:
    """Free text at the menu (or after the 'ask a question' button) is a policy question."""
    incoming = turn.incoming
    comment = await handoff.rating_comment(turn)
    if comment is not None:
        return comment
    if incoming.kind is IncomingKind.TEXT and incoming.text.strip():
        if menu.is_greeting(incoming.text):
            return await menu.start(turn)
        wanted = entitlement.wanted(turn)  # "mẹ tôi 80 tuổi được hưởng gì?"
        if wanted is not None:
            return await entitlement.start(turn, wanted)
        return await policy.question(turn)
    return await menu.handle_non_text(turn)


async def in_entitlement(turn: Turn) -> Step:
    """An answer to the entitlement check, or a new message handled as at the menu."""
    return await entitlement.answer(turn, otherwise=at_menu)


COMMANDS: dict[str, FlowHandler] = {
    "start": menu.start,
    "help": menu.help_,
    "trogiup": menu.help_,
    "menu": menu.show_menu,
    "huy": menu.cancel,
    "cancel": menu.cancel,
    "khancap": emergency.start,
    "sos": emergency.start,
    "tuvanvien": handoff.request,
    "ketthuc": handoff.end,
    "baomat": privacy.notice,
    "dulieu": privacy.my_data,
    "xoa": privacy.erase_ask,
}

# While a case is open the bot does not answer in the counsellor's place: these still work,
# anything that would start another flow shows the case's status instead.
IN_CASE_COMMANDS = {"help", "trogiup", "khancap", "sos", "tuvanvien", "ketthuc", "baomat",
                    "dulieu", "xoa"}
IN_CASE_BUTTONS = (menu.MENU_EMERGENCY, handoff.LEAVE, handoff.STAY)

BUTTONS: dict[str, FlowHandler] = {
    menu.MENU_HOME: menu.show_menu,
    menu.MENU_POLICY: policy.ask,
    menu.MENU_EMERGENCY: emergency.start,
    emergency.PREFIX: emergency.answer,
    menu.MENU_COUNSELLOR: handoff.request,
    handoff.PREFIX: handoff.intake,
    handoff.LEAVE: handoff.leave,
    handoff.STAY: handoff.stay,
    handoff.RATE: handoff.rate,
    privacy.AGREE: consented,
    privacy.SHOW: privacy.show_messages,
    privacy.ERASE: privacy.erase_ask,
    privacy.ERASE_YES: privacy.erase,
    privacy.ERASE_NO: privacy.erase,
    policy.ARTICLE: policy.show_article,
    policy.FEEDBACK: policy.feedback,
    entitlement.PREFIX: entitlement.press,
}

FLOWS: dict[str, FlowHandler] = {
    FlowName.MENU: at_menu,
    FlowName.POLICY: at_menu,
    FlowName.EMERGENCY: emergency.answer,
    FlowName.INTAKE: handoff.intake,
    FlowName.WAITING: handoff.waiting,
    FlowName.TALKING: handoff.talking,
    FlowName.ENTITLEMENT: in_entitlement,
}


async def record_triage(turn: Turn, case_id: int | None, assessment: Assessment) -> None:
    """Keep on the case which triage layer raised it and why, for its card."""
    layer = assessment.layer
    if case_id is None or not layer:
        return
    case = await turn.tx.cases.get(case_id)
    if case is None:
        return
    entry = {"layer": layer, "reasons": list(assessment.reasons),
             "needs_check": assessment.needs_check}
    previous = case.details.get("triage")
    if isinstance(previous, dict) and previous.get("layer") == "rules" and layer == "model":
        return  # a rule reason stays the better explanation
    await turn.tx.cases.update(case_id, details=dict(case.details) | {"triage": entry})


def describe(incoming: Incoming) -> tuple[str, dict[str, object]]:
    """The text kept in the conversation history, and the facts kept beside it."""
    meta: dict[str, object] = {}
    if incoming.attachment:
        meta["attachment"] = incoming.attachment.kind
        if incoming.attachment.ref:
            meta["ref"] = incoming.attachment.ref
        return incoming.attachment.caption, meta
    if incoming.location:
        meta["location"] = [incoming.location.latitude, incoming.location.longitude]
    if incoming.button:
        meta["button"] = incoming.button
    if incoming.message_ref:
        meta["message_ref"] = incoming.message_ref
    return incoming.text, meta


# How long a message waits for the person's earlier ones another instance is handling:
# handling takes milliseconds, a busy instance a second or two.
EARLIER_WAIT_STEP = 0.02
EARLIER_WAIT_LOOKS = 150  # 3 s


class Dispatcher:
    def __init__(self, store: Store, services: Services) -> None:
        self.store = store
        self.services = services
        # Arrival order within this process: one person's messages reach triage and the store
        # one at a time, in the order they came. Across instances, the store's
        # `transaction(person=…)` keeps one person's units of work apart.
        self.locks = KeyedLocks()

    async def handle(self, incoming: Incoming) -> Handled:
        await self._after_earlier(incoming)
        async with self.locks.hold((incoming.channel, incoming.user_id)):
            return await self._handle(incoming)

    async def _after_earlier(self, incoming: Incoming) -> None:
        """Let the person's earlier messages go first: on several instances, each handles
        what it received, and the one holding an earlier message may reach the person's
        lock after the one holding a later message. Bounded (an earlier message left by an
        instance that died is picked up later, and this one does not wait for that), and
        never for a message that signals danger: an emergency waits for nothing."""
        key = person_key(incoming.channel, incoming.user_id)
        earlier = self.store.inbox.earlier_unhandled
        if not await earlier(incoming.channel, incoming.event_id, key):
            return  # the usual case, at the cost of one indexed read
        if self.urgent_at_a_glance(incoming):
            return
        for _ in range(EARLIER_WAIT_LOOKS):
            await asyncio.sleep(EARLIER_WAIT_STEP)
            if not await earlier(incoming.channel, incoming.event_id, key):
                return

    async def _handle(self, incoming: Incoming) -> Handled:
        if is_sign_in(incoming):
            return await self._sign_in(incoming)
        # Triage's one full assessment of this message, made before queueing for the store so
        # that a message that signals danger is handled ahead of ordinary ones.
        assessment = await self.assess(incoming)
        urgent = self.is_urgent(incoming, assessment)
        if not urgent:
            await self.warm_search(incoming)
        async with self.store.transaction(person=person_key(incoming.channel, incoming.user_id),
                                          urgent=urgent) as tx:
            if await tx.inbox.is_processed(incoming.channel, incoming.event_id):
                return Handled(route="duplicate")
            now = self.services.clock()
            person = await tx.people.get(incoming.channel, incoming.user_id, incoming.first_name)
            text, meta = describe(incoming)
            message_id = await tx.messages.add(
                person.id, "in", incoming.kind.value, text, now,
                event_id=incoming.event_id, meta=meta,
            )
            turn = Turn(incoming, person, tx, self.services, now, assessment)
            step = await self.route(turn, assessment)
            if step.case_id is not None:
                await tx.messages.link(message_id, step.case_id)
            flow = step.flow or person.flow
            data = person.flow_data if step.data is None else step.data
            if (flow, data) != (person.flow, person.flow_data):
                await tx.people.set_flow(person.id, flow, data)
            await write_step(tx, step, incoming.channel, incoming.user_id, person.id, now)
            await tx.inbox.mark_processed(incoming.channel, incoming.event_id, now)
        if step.compact:
            await self.store.checkpoint()
        return Handled(
            route=step.route,
            replies=tuple(step.replies),
            urgency=step.urgency,
            category=step.category,
            articles=step.articles,
            signals=step.signals,
        )

    async def handle_failure(self, incoming: Incoming) -> None:
        """After an error of ours: keep the message, apologise, show the emergency numbers.

        The failed unit of work was rolled back, so this records the message again in a
        fresh one and marks the event processed: the person is answered, not left waiting.
        """
        async with self.locks.hold((incoming.channel, incoming.user_id)):
            async with self.store.transaction(
                    person=person_key(incoming.channel, incoming.user_id)) as tx:
                if await tx.inbox.is_processed(incoming.channel, incoming.event_id):
                    return
                now = self.services.clock()
                person = await tx.people.get(incoming.channel, incoming.user_id,
                                             incoming.first_name)
                text, meta = describe(incoming)
                meta["failed"] = True
                await tx.messages.add(
                    person.id, "in", incoming.kind.value, text, now,
                    event_id=incoming.event_id, meta=meta,
                )
                apology = Step(route="error",
                               replies=[Outgoing(self.services.render.render("error"))])
                await write_step(tx, apology, incoming.channel, incoming.user_id, person.id, now)
                await tx.inbox.mark_processed(incoming.channel, incoming.event_id, now)

    async def _sign_in(self, incoming: Incoming) -> Handled:
        """A staff member asks for a web console link: no person, history or case."""
        async with self.store.transaction(
                person=person_key(incoming.channel, incoming.user_id)) as tx:
            if await tx.inbox.is_processed(incoming.channel, incoming.event_id):
                return Handled(route="duplicate")
            now = self.services.clock()
            step = await sign_in(tx, self.services, incoming, now)
            await tx.inbox.mark_processed(incoming.channel, incoming.event_id, now)
        return Handled(route=step.route, replies=tuple(step.replies))

    async def route(self, turn: Turn, assessment: Assessment | None) -> Step:
        incoming = turn.incoming
        if incoming.kind in (IncomingKind.LEFT, IncomingKind.JOINED):
            return Step(route="membership")  # nothing to say; a blocked bot cannot reply
        if (assessment is not None and assessment.layer == "model"
                and turn.person.flow not in (FlowName.MENU, FlowName.POLICY,
                                             FlowName.ENTITLEMENT)):
            # A person answering the emergency questions or already with a counsellor is read
            # by a human: the model alone does not re-raise their address or a "dạ em chờ".
            assessment = None
        if assessment is not None and assessment.level != TriageLevel.NONE:
            # Safety first: danger in any message wins over whatever flow the person is in.
            if turn.person.flow in (FlowName.WAITING, FlowName.TALKING):
                step = await emergency.during_case(turn, assessment)
                case = await turn.tx.cases.get(step.case_id) if step.case_id else None
                if case is not None and incoming.attachment is not None:
                    # The alert quotes the caption; the photo or file itself still goes to
                    # the counsellors, as any media in a case does.
                    step.staff.append(handoff.relay_post(turn, case))
            else:
                step = await emergency.on_signal(turn, assessment)
            await record_triage(turn, step.case_id, assessment)
            return step
        return await self.route_by_flow(turn)

    async def warm_search(self, incoming: Incoming) -> None:
        """Embed what may be a policy question before the unit of work: the encoder takes
        20-35 ms of CPU, and the store is not held meanwhile (an emergency waits for nothing
        but the store)."""
        search = self.services.search
        if (search is not None and incoming.kind is IncomingKind.TEXT and not incoming.command
                and incoming.text.strip()):
            await search.warm(incoming.text)

    def is_urgent(self, incoming: Incoming, assessment: Assessment | None) -> bool:
        """Does this message signal danger (or ask for emergency help)? Read from the one
        assessment `handle` made of it."""
        if self._asks_for_help(incoming):
            return True
        return assessment is not None and assessment.level != TriageLevel.NONE

    def urgent_at_a_glance(self, incoming: Incoming) -> bool:
        """Rules only (no model, no review), for a channel ordering a batch before it is
        stored: a fraction of a millisecond per message. No flow acts on it; the message's
        full assessment runs once, in `handle`."""
        if self._asks_for_help(incoming):
            return True
        triage = self.services.triage
        text = self._text(incoming)
        return triage is not None and bool(text) and triage.quick_check(text).is_emergency

    async def assess(self, incoming: Incoming) -> Assessment | None:
        """Triage's full assessment (both layers); the port reads a long text off the event
        loop, so others are served meanwhile."""
        triage = self.services.triage
        text = self._text(incoming)
        return await triage.assess(text) if triage is not None and text else None

    @staticmethod
    def _asks_for_help(incoming: Incoming) -> bool:
        """The emergency button or command: the person says it is an emergency."""
        return incoming.button == menu.MENU_EMERGENCY or incoming.command in ("khancap", "sos")

    @staticmethod
    def _text(incoming: Incoming) -> str:
        """The text triage reads: a message's text or a media caption; not a button press."""
        if incoming.kind is IncomingKind.BUTTON:
            return ""
        text = incoming.text or (incoming.attachment.caption if incoming.attachment else "")
        return text if text.strip() else ""

    async def route_by_flow(self, turn: Turn) -> Step:
        incoming = turn.incoming
        in_case = turn.person.flow in (FlowName.WAITING, FlowName.TALKING)
        if in_case and incoming.command in ("huy", "cancel"):
            return await (handoff.leave if turn.person.flow == FlowName.WAITING
                          else handoff.end)(turn)
        if in_case and incoming.command and incoming.command not in IN_CASE_COMMANDS:
            return await handoff.request(turn)
        if in_case and incoming.kind is IncomingKind.BUTTON and (
            incoming.button.startswith("menu:") and incoming.button not in IN_CASE_BUTTONS
        ):
            return await handoff.request(turn)
        if incoming.kind is IncomingKind.TEXT and incoming.command:
            return await COMMANDS.get(incoming.command, menu.unknown_command)(turn)
        if incoming.kind is IncomingKind.BUTTON:
            return await self.button(turn)
        if incoming.kind is IncomingKind.EDITED and not in_case:
            return await menu.unsupported(turn)
        return await FLOWS.get(turn.person.flow, at_menu)(turn)

    async def button(self, turn: Turn) -> Step:
        data = turn.incoming.button
        handler = BUTTONS.get(data)
        if handler is None:
            handler = BUTTONS.get(data.split(":", 1)[0] + ":", menu.stale_button)
        return await handler(turn)

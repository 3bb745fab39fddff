"""The Telegram channel: python-telegram-bot's Application wired to the dispatcher and outbox.

Losing nothing: PTB's updater confirms fetched updates to Telegram (with the next getUpdates
offset) before they are handled, and its webhook answers 200 as soon as the update is queued.
Both go through `Application.update_queue`, so that queue is replaced by one that writes each
update to the store's inbox before queueing it. At start, whatever is in the inbox but not
processed (a crash, a SIGKILL) is queued again; the dispatcher ignores an update it already
processed, so a redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from datetime import datetime
from typing import Any

from telegram import (
    BotCommand,
    Update,
)
from telegram.error import (
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    ExtBot,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from bot.app import Core
from bot.channels.telegram_send import delivery_errors, send_outgoing
from bot.channels.telegram_staff import StaffSender
from bot.channels.telegram_updates import CHANNEL, update_to_incoming, update_to_staff
from bot.delivery import Deliverer
from flows.dispatch import Dispatcher
from flows.messages import Outgoing
from flows.outbox import STAFF_CHANNEL
from flows.ports import Clock
from flows.store import REPLAY_LEASE, Delivery, InboundEvent, Store

log = logging.getLogger(__name__)

# Commands shown in Telegram's menu; descriptions are `command_<name>` in labels.j2.
BOT_COMMANDS = ("start", "help", "tuvanvien", "khancap", "huy")


def inbound_event(update: Update, received_at: datetime) -> InboundEvent:
    return InboundEvent(
        channel=CHANNEL,
        event_id=str(update.update_id),
        payload=json.dumps(update.to_dict(), ensure_ascii=False),
        received_at=received_at,
    )


class InboxBot(ExtBot[None]):
    """PTB's bot, keeping each polled batch in the inbox before handing it over: the next
    getUpdates, which confirms the batch to Telegram, can only be sent after that. One write
    per batch instead of one per update keeps a burst from queueing at the store."""

    def __init__(self, store: Store, dispatcher: Dispatcher, clock: Clock,
                 **kwargs: Any) -> None:
        self._inbox = store  # set before PTB freezes the object's attributes
        self._dispatcher = dispatcher
        self._clock = clock
        self._kept: set[int] = set()
        super().__init__(**kwargs)

    def _urgent(self, update: Update) -> bool:
        # The rules-only glance: the full assessment runs once, when the update is handled.
        incoming = update_to_incoming(update, self._clock())
        return incoming is not None and self._dispatcher.urgent_at_a_glance(incoming)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            now = self._clock()
            await self._inbox.record_inbound([inbound_event(u, now) for u in updates],
                                             urgent=any(self._urgent(u) for u in updates))
            self._kept.update(u.update_id for u in updates)
        return updates

    def take_kept(self, update_id: int) -> bool:
        """True (once) if this update was already kept with its batch."""
        if update_id in self._kept:
            self._kept.discard(update_id)
            return True
        return False


class DurableUpdateQueue(asyncio.Queue[object]):
    """The application's update queue. A webhook update (or any not kept with a polled batch)
    is written to the inbox before anything else sees it; PTB's webhook answers Telegram only
    after this returns."""

    def __init__(self, store: Store, clock: Clock) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.bot: InboxBot | None = None

    async def put(self, item: object) -> None:
        if isinstance(item, Update) and not (self.bot and self.bot.take_kept(item.update_id)):
            await self.store.record_inbound([inbound_event(item, self.clock())])
        await super().put(item)

    async def requeue(self, item: object) -> None:
        """Queue an update that is already in the inbox."""
        await super().put(item)


class TelegramSender:
    """Outgoing -> Bot API, to a person's (or a staff member's) private chat."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.application = application

    async def send(self, recipient: str, message: Outgoing) -> str:
        with delivery_errors():
            return await send_outgoing(self.application.bot, int(recipient), message)


class TelegramChannel:
    """Citizens in private chats; counsellors in one supergroup with a topic per case."""

    def __init__(self, core: Core) -> None:
        # Opt in to PTB's coming timedelta durations now; otherwise PTB warns about the old
        # integer ones each time it builds a RetryAfter (retry_after_seconds reads both).
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self.core = core
        self.config = core.config
        self.store = core.store
        self.dispatcher = core.dispatcher
        self.desk = core.desk
        self.staff_chat_id = core.config.telegram.staff_chat_id
        self.clock = core.clock
        self.queue = DurableUpdateQueue(core.store, self.clock)
        self.application = self._build_application()
        self.deliverer = Deliverer(
            core.store, CHANNEL, TelegramSender(self.application), core.config.delivery,
            clock=self.clock, on_undeliverable=self._undeliverable,
        )
        self.staff_deliverer: Deliverer | None = None
        if self.staff_chat_id is not None:
            sender = StaffSender(self.application, core.store, self.staff_chat_id,
                                 core.topic_title, core.case_card)
            self.staff_deliverer = Deliverer(core.store, STAFF_CHANNEL, sender,
                                             core.config.delivery, clock=self.clock)

        core.deliverers.extend(self.deliverers)

    @property
    def deliverers(self) -> list[Deliverer]:
        return [d for d in (self.deliverer, self.staff_deliverer) if d is not None]

    def wake(self) -> None:
        self.core.wake()

    def _build_application(self) -> Application[Any, Any, Any, Any, Any, Any]:
        cfg = self.config.telegram
        bot = InboxBot(
            self.store,
            self.dispatcher,
            self.clock,
            token=cfg.token,
            base_url=cfg.base_url,
            base_file_url=cfg.base_file_url,
            # What ApplicationBuilder would build, with the long-poll's read timeout.
            request=HTTPXRequest(connection_pool_size=256),
            get_updates_request=HTTPXRequest(connection_pool_size=1,
                                             read_timeout=cfg.poll_timeout + 5),
            rate_limiter=AIORateLimiter(max_retries=0) if cfg.rate_limit else None,
        )
        self.queue.bot = bot
        application = (
            ApplicationBuilder()
            .bot(bot)
            .update_queue(self.queue)
            # Different people concurrently; the dispatcher keeps each person's order.
            .concurrent_updates(True)
            .build()
        )
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)
        return application

    # ---------------------------------------------------------------- handling

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # No await before the dispatcher takes the person's lock: that keeps arrival order.
        now = self.clock()
        incoming = update_to_incoming(update, now)
        popup = ""
        try:
            if incoming is not None:
                await self.dispatcher.handle(incoming)
            elif (staff := update_to_staff(update, self.staff_chat_id, now)) is not None:
                handled = await self.desk.handle(staff)
                popup = handled.reply_text
            else:
                await self._ignore(update)
        finally:
            self.wake()
        if update.callback_query is not None:
            await self._answer(update, popup)

    async def _answer(self, update: Update, popup: str) -> None:
        """Stop the client's spinner (and show a staff member why a press did nothing)."""
        assert update.callback_query is not None
        try:
            await update.callback_query.answer(popup[:200] or None, show_alert=bool(popup))
        except TelegramError as exc:
            log.info(
                "callback answer failed",
                extra={"event": "callback_answer_failed", "error": type(exc).__name__},
            )

    async def _ignore(self, update: Update) -> None:
        chat = update.effective_chat
        log.info(
            "update ignored",
            extra={
                "event": "update_ignored",
                "update_id": update.update_id,
                "chat_type": chat.type if chat else "none",
            },
        )
        async with self.store.transaction() as tx:
            await tx.mark_processed(CHANNEL, str(update.update_id), self.clock())

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        error = context.error
        log.error(
            "update handling failed",
            exc_info=(type(error), error, error.__traceback__) if error else None,
            extra={"event": "update_failed", "update_id": update_id},
        )
        if isinstance(update, Update):
            incoming = update_to_incoming(update, self.clock())
            if incoming is not None:
                await self.dispatcher.handle_failure(incoming)
                self.wake()

    async def _undeliverable(self, delivery: Delivery, reason: str) -> None:
        await self.core.report_undeliverable(delivery, reason)
        self.wake()

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Initialise, replay the inbox, start delivering and receiving."""
        cfg = self.config.telegram
        app = self.application
        await app.initialize()
        await self._set_commands()
        await self._replay_inbox()
        for deliverer in self.deliverers:
            deliverer.start()
        await app.start()
        assert app.updater is not None
        if cfg.mode == "webhook":
            await app.updater.start_webhook(
                listen=cfg.webhook_listen,
                port=cfg.webhook_port,
                url_path=cfg.webhook_path,
                webhook_url=cfg.webhook_url,
                secret_token=cfg.secret_token,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            await app.updater.start_polling(
                poll_interval=0.0,
                timeout=cfg.poll_timeout,
                allowed_updates=Update.ALL_TYPES,
                error_callback=self._polling_error,
            )
        if self.staff_chat_id is None:
            log.warning("no staff group configured: cases wait in the queue",
                        extra={"event": "no_staff_group"})
        log.info("telegram channel started", extra={"event": "telegram_started", "mode": cfg.mode})

    async def stop(self) -> None:
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        for deliverer in self.deliverers:
            await deliverer.stop()
        await app.shutdown()

    def _polling_error(self, error: TelegramError) -> None:
        log.warning(
            "polling error", extra={"event": "polling_error", "error": type(error).__name__}
        )

    async def _replay_inbox(self) -> None:
        pending = await self.store.claim_inbound(
            CHANNEL, f"{self.store.instance}/{CHANNEL}", REPLAY_LEASE)
        for event in pending:
            update = Update.de_json(json.loads(event.payload), self.application.bot)
            await self.queue.requeue(update)
        if pending:
            log.info(
                "inbox replayed", extra={"event": "inbox_replayed", "updates": len(pending)}
            )

    async def _set_commands(self) -> None:
        render = self.dispatcher.services.render
        try:
            await self.application.bot.set_my_commands(
                [BotCommand(name, render.label(f"command_{name}")) for name in BOT_COMMANDS]
            )
        except TelegramError as exc:  # the menu of commands is a nicety, not a reason to stop
            log.warning(
                "set commands failed",
                extra={"event": "set_commands_failed", "error": type(exc).__name__},
            )

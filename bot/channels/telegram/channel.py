"""The Telegram channel: citizens in private chats, counsellors in one supergroup with a topic
per case. python-telegram-bot's Application (built in bot/app.py) feeds the receiving
pipeline; its bot sends what the deliverers hand it.

Updates reach the Application's queue by polling (`InboxBot`, one instance) or through the
webhook route of the one web app (`TelegramWebhook`, several instances); either way they were
kept in the inbox first. The Application then handles different people concurrently; the
dispatcher keeps each person's order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from starlette.routing import BaseRoute, Route
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.channels.telegram.send import TelegramSender
from bot.channels.telegram.staff import StaffSender
from bot.channels.telegram.updates import CHANNEL, update_to_incoming, update_to_staff
from bot.channels.telegram.webhook import TelegramWebhook
from bot.config import TelegramConfig
from bot.lease import KeptLease, StartRefused
from bot.receiving import Ignored, Received, Receiving
from flows.messages import StaffIncoming
from flows.ports import Renderer
from flows.store import InboundEvent

log = logging.getLogger(__name__)

# Commands shown in Telegram's menu; descriptions are `command_<name>` in labels.j2.
BOT_COMMANDS = ("start", "help", "tuvanvien", "khancap", "huy")

WEBHOOK_CONNECTIONS = 40  # python-telegram-bot's own default
WEBHOOK_LEASE = timedelta(minutes=1)  # setting a webhook takes one request


def webhook_digest(url: str, secret: str, connections: int) -> str:
    """What the webhook is set with, as a digest: the secret is never stored."""
    options = f"{url}\n{secret}\n{connections}\n{','.join(Update.ALL_TYPES)}"
    return hashlib.sha256(options.encode()).hexdigest()


class TelegramChannel:
    name = CHANNEL
    reply_window: timedelta | None = None  # a bot may write to anyone who has not blocked it

    def __init__(
        self,
        config: TelegramConfig,
        application: Application[Any, Any, Any, Any, Any, Any],
        receiving: Receiving,
        sender: TelegramSender,
        staff_sender: StaffSender | None,
        render: Renderer,
    ) -> None:
        self.config = config
        self.application = application
        self.receiving = receiving
        self.sender = sender
        self.staff_sender = staff_sender
        self.render = render
        self._polling: KeptLease | None = None
        self.clock = receiving.clock
        application.add_handler(TypeHandler(Update, self.on_update))
        application.add_error_handler(self.on_error)

    def routes(self) -> Sequence[BaseRoute]:
        if self.config.mode != "webhook":
            return ()
        endpoint = TelegramWebhook(self.application, self.receiving, self.config.secret_token)
        return (Route(f"/{self.config.webhook_path}", endpoint.post, methods=["POST"]),)

    # ---------------------------------------------------------------- translating

    def decode(self, update: Update, now: datetime) -> Received:
        incoming = update_to_incoming(update, now)
        if incoming is not None:
            return incoming
        staff = update_to_staff(update, self.config.staff_chat_id, now)
        if staff is not None:
            return staff
        chat = update.effective_chat
        log.info("update ignored", extra={"event": "update_ignored",
                                          "update_id": update.update_id,
                                          "chat_type": chat.type if chat else "none"})
        return Ignored(CHANNEL, str(update.update_id))

    def decode_kept(self, event: InboundEvent) -> Received | None:
        try:
            update = Update.de_json(json.loads(event.payload), self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return self.decode(update, self.clock())

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # No await before the pipeline reaches the dispatcher: that keeps arrival order.
        received = self.decode(update, self.clock())
        handled = await self.receiving.handle(received)
        if update.callback_query is not None and handled is not None:
            popup = handled.reply_text if isinstance(received, StaffIncoming) else ""
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

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The pipeline apologises for errors in handling; this is for the rest (decoding).
        error = context.error
        log.error(
            "update handling failed",
            exc_info=(type(error), error, error.__traceback__) if error else None,
            extra={"event": "update_failed",
                   "update_id": update.update_id if isinstance(update, Update) else None},
        )

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Initialise, replay the inbox, then receive (polling, or the webhook set)."""
        cfg = self.config
        if cfg.mode != "webhook":
            await self._take_polling()  # before anything runs: a refusal leaves nothing behind
        try:
            await self._receive()
        except BaseException:
            if self._polling is not None:  # a start that failed later gives the lease back
                await self._polling.release()
                self._polling = None
            raise
        if cfg.staff_chat_id is None:
            log.warning("no staff group configured: cases wait in the queue",
                        extra={"event": "no_staff_group"})
        log.info("telegram channel started", extra={"event": "telegram_started", "mode": cfg.mode})

    async def _receive(self) -> None:
        cfg = self.config
        app = self.application
        await app.initialize()
        await self._set_commands()
        await self.receiving.replay(self.decode_kept)
        await app.start()
        if cfg.mode == "webhook":
            await self._set_webhook()
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0.0,
                timeout=cfg.poll_timeout,
                allowed_updates=Update.ALL_TYPES,
                error_callback=self._polling_error,
            )

    async def _set_webhook(self) -> None:
        """Point Telegram at the webhook once for every instance: the first to start sets
        it, the others find it set as configured (Telegram limits how often setWebhook may
        be called). A changed URL, secret or option, or a webhook removed at Telegram, is
        set again."""
        cfg = self.config
        bot = self.application.bot
        store = self.receiving.store
        name = f"telegram_webhook:{self._bot_id}"
        wanted = webhook_digest(cfg.webhook_url, cfg.secret_token, WEBHOOK_CONNECTIONS)
        async with store.singleton(name, WEBHOOK_LEASE, wait=True):
            if await store.tokens.setting(name) == wanted:
                info = await bot.get_webhook_info()
                if info.url == cfg.webhook_url:
                    log.info("webhook already set", extra={"event": "webhook_kept"})
                    return
            await bot.set_webhook(
                url=cfg.webhook_url,
                secret_token=cfg.secret_token,
                allowed_updates=Update.ALL_TYPES,
                max_connections=WEBHOOK_CONNECTIONS,
            )
            await store.tokens.remember_setting(name, wanted)
            log.info("webhook set", extra={"event": "webhook_set"})

    @property
    def _bot_id(self) -> str:
        return self.config.token.split(":", 1)[0]  # the bot's id, not the secret part

    async def _take_polling(self) -> None:
        """Telegram serves one getUpdates consumer per bot: a second instance polling would
        take updates from the first, so it does not start."""
        self._polling = KeptLease(self.receiving.store, f"telegram_polling:{self._bot_id}")
        holder = await self._polling.take()
        if holder is not None:
            self._polling = None
            raise StartRefused(
                f"telegram.mode: {holder} already polls this bot's updates; run several"
                " instances with telegram.mode: webhook, or stop the other one")

    async def stop(self) -> None:
        """Stop receiving; the Application finishes the updates it has (its shutdown, which
        closes the bot's HTTP client, comes after the deliverers stopped: bot/app.py)."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if self._polling is not None:
            await self._polling.release()
            self._polling = None
        if app.running:
            await app.stop()
        await self.receiving.drain()

    async def pick_up(self, older_than: timedelta) -> int:
        return await self.receiving.replay(self.decode_kept,
                                           received_before=self.clock() - older_than)

    def _polling_error(self, error: TelegramError) -> None:
        log.warning(
            "polling error", extra={"event": "polling_error", "error": type(error).__name__}
        )

    async def _set_commands(self) -> None:
        try:
            await self.application.bot.set_my_commands(
                [BotCommand(name, self.render.label(f"command_{name}")) for name in BOT_COMMANDS]
            )
        except TelegramError as exc:  # the menu of commands is a nicety, not a reason to stop
            log.warning(
                "set commands failed",
                extra={"event": "set_commands_failed", "error": type(exc).__name__},
            )

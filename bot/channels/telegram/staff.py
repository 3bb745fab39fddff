"""Posting into the counsellors' supergroup: one forum topic per case, General for the rest.

Each post says what it asks for (`flows.cases.staff_target`): post in a case's topic, refresh
its card, close its topic, post in General, or delete an erased case's topic. A case's topic is
created the first time something is posted for it, and created again when Telegram says it is
gone ("message thread not found": someone deleted it), after which the case card is posted
again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram.error import BadRequest
from telegram.ext import Application

from bot.channels.telegram.send import delivery_errors, reply_markup, send_outgoing, send_text
from bot.delivery import RetryLater
from flows.cases import (
    Case,
    CloseTopic,
    DeleteTopic,
    InCaseTopic,
    InGeneral,
    RefreshCard,
    staff_target,
)
from flows.counsellor import is_card_button
from flows.messages import Outgoing
from flows.store import Store

log = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128

TopicTitle = Callable[[Case], str]
CaseCard = Callable[[Case], Awaitable[Outgoing]]


class StaffSender:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        store: Store,
        staff_chat_id: int,
        topic_title: TopicTitle,
        case_card: CaseCard,
    ) -> None:
        self.application = application
        self.store = store
        self.chat_id = staff_chat_id
        self.topic_title = topic_title
        self.case_card = case_card

    async def send(self, recipient: str, message: Outgoing) -> str:
        bot = self.application.bot
        target = staff_target(recipient, message.edit)
        if isinstance(target, InGeneral):
            with delivery_errors():
                return await send_outgoing(bot, self.chat_id, message)
        if isinstance(target, DeleteTopic):
            # An erased case: say so in General and delete its topic with the conversation.
            with delivery_errors():
                ref = await send_outgoing(bot, self.chat_id, message)
            await self.delete_topic(int(target.thread))
            return ref
        return await self.post_for_case(target, message)

    async def post_for_case(
        self, target: InCaseTopic | RefreshCard | CloseTopic, message: Outgoing
    ) -> str:
        bot = self.application.bot
        case_id = target.case_id
        case = await self.store.views.case(case_id)
        if case is None:
            with delivery_errors():  # the case was erased: post in General instead
                return await send_outgoing(bot, self.chat_id, message)
        thread_id, created = await self.topic_of(case)
        try:
            with delivery_errors():
                if created and not _is_card(message):
                    await self.post_card(case, thread_id)
                if isinstance(target, RefreshCard) and not created:
                    return await self.update_card(case, thread_id)
                ref = await send_outgoing(bot, self.chat_id, message, thread_id=thread_id)
                if _is_card(message):
                    await self.store.cases.set_card(case.id, ref)
                if isinstance(target, CloseTopic):
                    await self.close_topic(thread_id)
                return ref
        except Exception as exc:
            if _thread_gone(exc):
                log.warning("case topic gone; recreating",
                            extra={"event": "topic_recreate", "case": case_id})
                await self.store.cases.set_thread(case_id, "")
                raise RetryLater("topic deleted; recreating it", after=0) from exc
            raise

    async def post_card(self, case: Case, thread_id: int) -> None:
        card = await self.case_card(case)
        ref = await send_text(self.application.bot, self.chat_id, card, thread_id=thread_id)
        await self.store.cases.set_card(case.id, ref)

    async def update_card(self, case: Case, thread_id: int) -> str:
        """Show the case's current state on its card (and drop the claim button)."""
        card = await self.case_card(case)
        if not case.card_ref:
            ref = await send_text(self.application.bot, self.chat_id, card, thread_id=thread_id)
            await self.store.cases.set_card(case.id, ref)
            return ref
        try:
            await self.application.bot.edit_message_text(
                chat_id=self.chat_id, message_id=int(case.card_ref), text=card.text,
                reply_markup=reply_markup(card),
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise
        return case.card_ref

    async def delete_topic(self, thread_id: int) -> None:
        try:
            await self.application.bot.delete_forum_topic(self.chat_id, thread_id)
        except BadRequest as exc:  # already gone
            log.info("topic not deleted", extra={"event": "topic_delete_failed",
                                                 "error": exc.message})

    async def close_topic(self, thread_id: int) -> None:
        try:
            await self.application.bot.close_forum_topic(self.chat_id, thread_id)
        except BadRequest as exc:  # already closed, or gone: the case is closed either way
            log.info("topic not closed", extra={"event": "topic_close_failed",
                                                "error": exc.message})

    async def topic_of(self, case: Case) -> tuple[int, bool]:
        """The case's topic id, creating the topic if it has none; True if just created."""
        if case.thread_id:
            return int(case.thread_id), False
        with delivery_errors():
            topic = await self.application.bot.create_forum_topic(
                chat_id=self.chat_id, name=self.topic_title(case)[:TOPIC_NAME_LIMIT]
            )
        await self.store.cases.set_thread(case.id, str(topic.message_thread_id))
        log.info("case topic created", extra={"event": "topic_created", "case": case.id})
        return topic.message_thread_id, True


def _is_card(message: Outgoing) -> bool:
    # A case's first post is normally its card already (it carries the claim button, or the
    # level buttons of a card posted again).
    return any(is_card_button(b.data) for b in message.button_list())


def _thread_gone(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, BadRequest) and "thread not found" in cause.message.lower()

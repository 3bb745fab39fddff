"""What every channel shares (built by bot/app.py): the store, the services the flows use, the
dispatcher for citizens, the desk for staff, the case watch, and what the staff cards say."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from bot.config import Config
from bot.delivery import Deliverer
from bot.store.port import EdgeStore
from flows.cases import Case, CaseStatus, claim_data
from flows.corrections import LEVELS
from flows.counsellor import StaffDesk, level_data
from flows.dispatch import Dispatcher
from flows.messages import Button, Outgoing
from flows.outbox import undeliverable_step, write_step
from flows.ports import Clock, Services
from flows.reports import case_label
from flows.retention import PurgeReport
from flows.store import Delivery
from flows.watch import CaseWatch
from knowledge.search import PolicySearch

log = logging.getLogger(__name__)


@dataclass
class Core:
    """What every channel shares: the store, the services flows use, the dispatcher for
    citizens, the desk for staff and the watch that keeps cases from waiting silently."""

    config: Config
    store: EdgeStore
    services: Services
    dispatcher: Dispatcher
    desk: StaffDesk
    watch: CaseWatch
    deliverers: list[Deliverer] = field(default_factory=list)
    # Per channel, how long after a person's last message it lets us write (bot/app.py).
    reply_windows: dict[str, timedelta] = field(default_factory=dict)

    @property
    def clock(self) -> Clock:
        """The one clock, as the flows see it; channels and deliverers take it from here."""
        return self.services.clock

    def wake(self) -> None:
        """New rows are in the outbox: any channel's handling can queue for another (a Zalo
        emergency posts to the Telegram staff group), so every worker looks."""
        for deliverer in self.deliverers:
            deliverer.wake()

    async def close(self) -> None:
        await self.store.close()

    def topic_title(self, case: Case) -> str:
        return self.services.render.render("staff_topic_title", case=case,
                                           category=case_label(self.services, case))

    async def case_card(self, case: Case) -> Outgoing:
        """Everything a counsellor needs before answering: summary, signals, answers, tags,
        the person's earlier cases and the conversation so far, and once closed the person's
        rating; the claim button while waiting, and the level buttons while the case is
        open."""
        card = await self.store.views.case_card(case.id)
        history = [m for m in (card.history if card else ())
                   if m.direction in ("in", "out", "staff")]
        staff = self.services.staff.directory
        text = self.services.render.render(
            "staff_card", case=case, category=case_label(self.services, case),
            window_hours=await self.zalo_window_hours(case),
            opened=case.created_at.astimezone(self.config.hotline.tz).strftime("%H:%M %d/%m"),
            earlier=card.earlier if card else (),
            history=history, counsellor=staff.name_of(case.claimed_by),
            tags=await self.store.case_tags.of(case.id),
        )
        return Outgoing(text, buttons=self.card_buttons(case), priority=case.priority)

    def card_buttons(self, case: Case) -> tuple[tuple[Button, ...], ...]:
        """The claim button while waiting; the level row while open (owner and supervisors)."""
        label = self.services.render.label
        rows: list[tuple[Button, ...]] = []
        if case.status == CaseStatus.WAITING:
            rows.append((Button(label("claim"), claim_data(case.id)),))
        if case.is_open:
            # The current level is ticked.
            rows.append(tuple(
                Button(("✓ " if level is case.priority else "")
                       + label(f"level_button_{level.value}"), level_data(case.id, level))
                for level in LEVELS
            ))
        return tuple(rows)

    async def refresh_knowledge(self) -> bool:
        """Re-index the articles when staff changed them on disk. A broken file is logged
        (file and problem, no personal data) and the previous index keeps answering."""
        search = self.services.search
        if not isinstance(search, PolicySearch):
            return False
        try:
            # A rebuild parses every article: off the event loop.
            reloaded = await asyncio.to_thread(search.rebuild_if_changed)
        except (OSError, ValueError) as exc:
            log.error("knowledge reload failed",
                      extra={"event": "knowledge_reload_failed", "problem": str(exc)})
            return False
        if reloaded:
            log.info("knowledge reloaded", extra={"event": "knowledge_reloaded",
                                                  "articles": len(search.articles)})
        return reloaded

    async def purge(self, *, dry_run: bool) -> PurgeReport:
        report = await self.store.purge(self.services.clock(), self.services.retention,
                                        dry_run=dry_run)
        log.info("retention purge", extra={"event": "purge", "dry_run": dry_run,
                                           "removed": report.total})
        return report

    async def zalo_window_hours(self, case: Case) -> int | None:
        """Hours left to write to the person, for channels that allow it only for a while
        after the person's last message (Zalo: 7 days, error -230 after that). None for
        channels without such a window."""
        window = self.reply_windows.get(case.channel)
        if window is None:
            return None
        last = await self.store.views.last_message_from(case.person_id)
        if last is None:
            return 0
        left = last + window - self.services.clock()
        return max(0, int(left.total_seconds() // 3600))

    async def report_undeliverable(self, delivery: Delivery, reason: str) -> None:
        step = undeliverable_step(self.services, delivery, reason)
        if step is None:
            return
        async with self.store.transaction() as tx:
            await write_step(tx, step, delivery.channel, delivery.recipient, None,
                             self.services.clock())

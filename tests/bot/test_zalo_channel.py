"""The Zalo channel end to end: signed webhook requests into the one web app under the real
uvicorn server, the real dispatcher on a SQLite file, replies through the OA API stand-in."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Core, assemble, open_core
from bot.channels.zalo.events import button_payload
from bot.hotline import Hotline
from flows.store import InboundEvent
from tests.bot import zalo_fixtures as z
from tests.bot.zalo_fixtures import (  # noqa: F401
    post_event,
    reply_to,
    webhook_url,
    zalo_api,
    zalo_channel,
    zalo_core,
)
from tests.standin.zalo_api import ZaloApiStandIn

USER = "246845883529197922"


async def test_a_person_starts_uses_the_menu_and_sends_a_sticker_and_an_image(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    url = webhook_url(zalo_channel)
    assert (await post_event(url, z.text(USER, "/start"))).status_code == 200
    welcome = await zalo_api.wait_for(reply_to(USER, "Xin chào!"))
    # The payload is the label, so the chat shows what the person pressed in their words.
    assert [payload for _, payload in welcome.buttons] == [
        "📚 Hỏi chính sách", "🧑‍💼 Gặp tư vấn viên", "🆘 Báo khẩn cấp",
    ]

    # Pressing "Hỏi chính sách": Zalo sends the button's payload back as the person's text.
    since = zalo_api.mark()
    await post_event(url, z.text(USER, welcome.buttons[0][1]))
    await zalo_api.wait_for(reply_to(USER, "Bạn hãy gõ câu hỏi"), since=since)

    since = zalo_api.mark()
    await post_event(url, z.sticker(USER))
    await zalo_api.wait_for(reply_to(USER, "chỉ hiểu được chữ"), since=since)

    since = zalo_api.mark()
    await post_event(url, z.image(USER, caption="ảnh giấy tờ"))
    await zalo_api.wait_for(reply_to(USER, "Cảm ơn bạn đã gửi ảnh"), since=since)


async def test_every_kind_of_event_is_answered_or_recorded(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    url = webhook_url(zalo_channel)
    answered = [
        (z.file("201"), "tệp"),
        (z.media("user_send_audio", "202"), "tin nhắn thoại"),
        (z.location("203", "21.03", "105.85"), "vị trí"),
        (z.media("user_send_video", "204"), "video"),
        (z.media("user_send_gif", "205"), "chỉ hiểu được chữ"),
        (z.media("user_send_link", "206"), "nội dung này"),
        (z.text("207", button_payload("case:claim:999")), "Nút này đã cũ"),
    ]
    for event, _ in answered:
        assert (await post_event(url, event)).status_code == 200
    for name in ("follow", "unfollow"):
        assert (await post_event(url, z.follow("208", name))).status_code == 200
    for event, expected in answered:
        await zalo_api.wait_for(reply_to(event["sender"]["id"], expected), timeout=10)
    await _wait_until_inbox_empty(zalo_core)
    person = await zalo_core.store.views.person("zalo", "208")
    assert person is not None  # the follower is known, and was not written to
    kinds = [m.kind for m in await zalo_core.store.views.history(person.id)]
    assert kinds == ["joined", "left"]
    assert zalo_api.sends("208") == []


async def test_echoes_and_unknown_events_are_acknowledged_and_not_stored(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    url = webhook_url(zalo_channel)
    for event in (z.oa_echo(USER, "Xin chào"), z.envelope("user_seen_message", USER, {})):
        assert (await post_event(url, event)).status_code == 200
    await asyncio.sleep(0.2)
    assert await _inbox(zalo_core) == []
    assert zalo_api.sends() == []


async def test_unsigned_wrongly_signed_stale_and_malformed_requests_change_nothing(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    url = webhook_url(zalo_channel)
    event = z.text(USER, "/start")
    raw = z.raw_body(event)
    stale = z.text(USER, "/start")
    stale["timestamp"] = z.now_ms(-3600)
    statuses = [
        (await post_event(url, event, header=None)).status_code,
        (await post_event(url, event, header="mac=" + "0" * 64)).status_code,
        (await post_event(url, event, header=z.signed(raw, event, key="wrong"))).status_code,
        (await post_event(url, stale)).status_code,
        (await post_event(url, event, raw=b"{not json", header="mac=00")).status_code,
        (await post_event(url, event, raw=b"x" * 70_000, header="mac=00")).status_code,
    ]
    assert statuses == [401, 401, 401, 403, 400, 413]
    await asyncio.sleep(0.2)
    assert await _inbox(zalo_core) == []
    assert zalo_api.sends() == []
    assert await zalo_core.store.views.person("zalo", USER) is None


async def test_logs_carry_ids_and_reasons_never_what_people_wrote(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, caplog: Any  # noqa: F811
) -> None:
    caplog.set_level(logging.INFO)  # aiosqlite quotes SQL parameters at DEBUG
    url = webhook_url(zalo_channel)
    secret = "nhà tôi ở ngõ 5 phố Huế"
    zalo_api.fail_next(error=-230)
    await post_event(url, z.text(USER, secret))
    await post_event(url, z.text(USER, secret), header="mac=" + "1" * 64)
    await zalo_api.wait_for(lambda c: c.answer.get("error") == -230)
    await asyncio.sleep(0.2)
    events = {getattr(r, "event", "") for r in caplog.records}
    assert {"zalo_event_rejected", "zalo_window_closed"} <= events
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert all(secret not in str(v) for v in vars(record).values())


async def test_the_webhook_refuses_get_and_unknown_paths(
    zalo_channel: Hotline,  # noqa: F811
) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        assert (await client.get(webhook_url(zalo_channel))).status_code == 405
        assert zalo_channel.web is not None
        base = f"http://127.0.0.1:{zalo_channel.web.port}"
        assert (await client.post(f"{base}/other", content=b"{}")).status_code == 404


async def test_a_duplicate_delivery_is_answered_once(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    url = webhook_url(zalo_channel)
    event = z.text(USER, "/help")
    results = await asyncio.gather(*(post_event(url, event) for _ in range(3)))
    assert [r.status_code for r in results] == [200, 200, 200]
    await zalo_api.wait_for(reply_to(USER, "/huy"))
    await _wait_until_inbox_empty(zalo_core)
    assert (await post_event(url, event)).status_code == 200  # a late redelivery too
    await asyncio.sleep(0.3)
    assert len(zalo_api.sends(USER)) == 1
    person = await zalo_core.store.views.person("zalo", USER)
    assert person is not None
    assert [m.direction for m in await zalo_core.store.views.history(person.id)] == ["in", "out"]


async def test_the_webhook_answers_well_within_two_seconds(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    zalo_api.send_delay = 1.0  # a slow OA API must not hold the webhook's answer
    url = webhook_url(zalo_channel)
    timings = []
    for i in range(20):
        started = time.perf_counter()
        response = await post_event(url, z.text(f"30{i}", "/help"))
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    assert max(timings) < 0.5, timings


async def test_a_slow_store_gets_503_and_the_redelivery_is_answered_once(
    db_path: Path, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    core = await open_core(z.zalo_config(db_path, zalo_api))
    channel = assemble(core, zalo_store_deadline=0.3)
    await channel.start()
    try:
        url = webhook_url(channel)
        event = z.text(USER, "/help")
        async with core.store.transaction():  # another writer holds the database
            started = time.perf_counter()
            first = await post_event(url, event)
            waited = time.perf_counter() - started
        assert first.status_code == 503 and waited < 1.0
        await zalo_api.wait_for(reply_to(USER, "/huy"))  # the write went on: nothing lost
        assert (await post_event(url, event)).status_code == 200  # Zalo's retry
        await asyncio.sleep(0.3)
        assert len(zalo_api.sends(USER)) == 1
    finally:
        await channel.stop()
        await core.close()


async def test_a_reply_outside_the_interaction_window_is_recorded_not_retried(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    zalo_api.fail_next(error=-230)
    await post_event(webhook_url(zalo_channel), z.text(USER, "/help"))
    await zalo_api.wait_for(lambda c: c.answer.get("error") == -230)
    row = await _wait_for_outbox(zalo_core, lambda r: r["failed_at"] is not None)
    assert row["last_error"].startswith("zalo_window")
    await asyncio.sleep(0.3)
    assert len(zalo_api.sends(USER, ok=None)) == 1


async def test_rate_limited_and_quota_answers_are_retried_until_delivered(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    zalo_api.fail_next(status=429, retry_after=1)
    zalo_api.fail_next(error=-32)
    await post_event(webhook_url(zalo_channel), z.text(USER, "/help"))
    delivered = await zalo_api.wait_for(reply_to(USER, "/huy"), timeout=10)
    attempts = zalo_api.sends(USER, ok=None)
    assert [c.status for c in attempts] == [429, 200, 200]
    assert [c.answer.get("error") for c in attempts][1:] == [-32, 0]
    assert delivered.at - attempts[0].at >= 0.9  # Retry-After was honoured


async def test_an_expired_access_token_is_refreshed_and_the_reply_delivered(
    zalo_channel: Hotline, zalo_api: ZaloApiStandIn, zalo_core: Core  # noqa: F811
) -> None:
    zalo_api.expire_access_tokens()
    await post_event(webhook_url(zalo_channel), z.text(USER, "/help"))
    await zalo_api.wait_for(reply_to(USER, "/huy"))
    assert len(zalo_api.refreshes()) == 1
    stored = await zalo_core.store.tokens.load(zalo_core.config.zalo.app_id)
    assert stored is not None and stored.refresh_token in zalo_api.refresh_tokens


async def test_an_event_stored_but_not_handled_is_answered_after_a_restart(
    db_path: Path, zalo_api: ZaloApiStandIn  # noqa: F811
) -> None:
    config = z.zalo_config(db_path, zalo_api)
    core = await open_core(config)
    event = z.text("401", "/start")
    await core.store.record_inbound(
        [InboundEvent("zalo", event["message"]["msg_id"], json.dumps(event), datetime.now(UTC))]
    )
    channel = assemble(core)
    await channel.start()
    try:
        await zalo_api.wait_for(reply_to("401", "Xin chào"))
        await _wait_until_inbox_empty(core)
    finally:
        await channel.stop()
        await core.close()


async def test_a_port_in_use_fails_start_with_the_key_named(
    zalo_channel: Hotline, zalo_core: Core  # noqa: F811
) -> None:
    import dataclasses

    import pytest

    assert zalo_channel.web is not None
    taken = dataclasses.replace(
        zalo_core.config,
        web=dataclasses.replace(zalo_core.config.web, port=zalo_channel.web.port),
    )
    other = assemble(dataclasses.replace(zalo_core, config=taken, deliverers=[]))
    with pytest.raises(RuntimeError, match="^web.port: cannot listen"):
        await other.start()
    await other.stop()


# ---------------------------------------------------------------- helpers


async def _inbox(core: Core) -> list[Any]:
    return await core.store.ex.fetch("SELECT * FROM inbox WHERE channel = 'zalo'", ())


async def _wait_until_inbox_empty(core: Core) -> None:
    for _ in range(100):
        if not await core.store.inbox.unprocessed("zalo"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("events left unprocessed in the inbox")


async def _wait_for_outbox(core: Core, match: Any) -> Any:
    for _ in range(100):
        rows = await core.store.ex.fetch("SELECT * FROM outbox WHERE channel = 'zalo'", ())
        for row in rows:
            if match(row):
                return row
        await asyncio.sleep(0.05)
    raise AssertionError("no matching outbox row")

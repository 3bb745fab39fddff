"""The safety net: a person telling of their situation, whom no triage layer raised and no
article answers, is never asked to rephrase; a counsellor reads what they wrote."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.app import Core
from flows.counsellor import StaffDesk
from flows.dispatch import Dispatcher
from flows.messages import Priority
from flows.triage import LayeredTriage
from flows.watch import CaseWatch
from tests.factories import make_incoming, queued
from tests.factories_staff import staff

NO_ANSWER = "thử hỏi lại"  # the policy no-answer text asks to rephrase


@pytest.fixture
async def rules_core(desk_core: Core) -> AsyncIterator[Core]:
    """The hotline with the rules alone, as it runs when no model file ships: the safety net
    must hold there too, and what it catches does not move when the model is retrained."""
    shipped = desk_core.services.triage
    assert isinstance(shipped, LayeredTriage)
    services = replace(desk_core.services, triage=LayeredTriage(shipped.rules))
    store = desk_core.store
    yield Core(desk_core.config, store, services, Dispatcher(store, services),
               StaffDesk(store, services), CaseWatch(store, services))


async def test_a_situation_nobody_understood_gets_a_warm_reply_and_a_review_item(
    rules_core: Core,
) -> None:
    text = "dạo này em thấy tủi thân lắm, ở nhà chẳng ai hiểu em, em không biết kể với ai"
    handled = await rules_core.dispatcher.handle(make_incoming(text, user="801"))
    assert handled.route == "review"
    assert NO_ANSWER not in handled.reply_text
    assert "tư vấn viên" in handled.reply_text and "113" in handled.reply_text
    assert "111" not in handled.reply_text  # no child in it
    buttons = [b.data for r in handled.replies for row in r.buttons for b in row]
    assert "menu:counsellor" in buttons
    case = await rules_core.store.views.case(1)
    assert case is not None and case.priority is Priority.REVIEW and case.status == "waiting"
    posts = [q for q in await queued(rules_core, "staff") if q.recipient == "case:1"]
    assert posts and "CẦN ĐỌC" in posts[0].text and "tủi thân" in posts[0].text
    assert "case:claim:1" in posts[0].buttons


async def test_a_child_in_the_story_brings_the_child_line(rules_core: Core) -> None:
    text = "em mới 12 tuổi, ở nhà em hay bị mắng, em buồn lắm không biết làm sao"
    handled = await rules_core.dispatcher.handle(make_incoming(text, user="802"))
    assert handled.route in ("review", "emergency")
    assert "111" in handled.reply_text


async def test_more_of_the_story_joins_the_open_review_item(rules_core: Core) -> None:
    await rules_core.dispatcher.handle(make_incoming("em buồn quá, chẳng ai hiểu em", user="803"))
    again = await rules_core.dispatcher.handle(
        make_incoming("em cứ khóc hoài mà không dám kể với ai", user="803"))
    assert again.route == "review"
    assert await rules_core.store.views.case(2) is None  # one case, not two


async def test_an_unanswerable_policy_question_keeps_the_honest_no_answer(
    rules_core: Core,
) -> None:
    handled = await rules_core.dispatcher.handle(
        make_incoming("thủ tục xin giấy phép nuôi chim yến là gì", user="804"))
    assert handled.route == "policy"
    assert "chưa có câu trả lời" in handled.reply_text
    assert await rules_core.store.views.case(1) is None


async def test_review_items_are_counted_in_the_day_figures(rules_core: Core) -> None:
    await rules_core.dispatcher.handle(make_incoming("em buồn quá, chẳng ai hiểu em", user="805"))
    await rules_core.desk.handle(staff(6001, "/thongke"))
    posts = [q.text for q in await queued(rules_core, "staff") if "Hôm nay" in q.text]
    assert posts and "chờ người đọc: 1" in posts[-1]


async def test_the_reply_to_a_review_item_never_waits_behind_nor_says_emergency(
    rules_core: Core,
) -> None:
    handled = await rules_core.dispatcher.handle(
        make_incoming("chồng em dạo này hay chửi em, em mệt mỏi lắm", user="806"))
    first_line = handled.reply_text.splitlines()[0].lower()
    assert not any(w in first_line for w in ("nguy hiểm", "khẩn cấp", "bạo lực", "tự tử"))


async def test_a_model_raise_is_marked_on_the_card_for_a_counsellor_to_check(
    desk_core: Core,
) -> None:
    # Wording the rules do not know, that the shipped model reads as a crisis.
    text = "mấy đêm nay em chỉ ngồi nhìn ra cửa sổ, nghĩ nếu mình không còn ở đây thì tốt hơn"
    verdict = await desk_core.services.triage.assess(text)  # type: ignore[union-attr]
    assert verdict.layer == "model" and verdict.needs_check
    handled = await desk_core.dispatcher.handle(make_incoming(text, user="807"))
    assert handled.route == "emergency"
    case = await desk_core.store.views.case(1)
    assert case is not None and case.details["triage"]["layer"] == "model"
    card = await desk_core.case_card(case)
    assert "mô hình thống kê" in card.text and "cần người kiểm tra" in card.text


async def test_a_huge_or_strange_message_is_stored_and_answered(desk_core: Core) -> None:
    texts = ["à" * 100_000, "😭" * 3000, "\u200b\u202e\x00 chồng em đang đánh em"]
    for n, text in enumerate(texts):
        handled = await desk_core.dispatcher.handle(make_incoming(text, user=f"90{n}"))
        assert handled.replies, n
    assert handled.route == "emergency"  # the hidden characters hid nothing
    first = await desk_core.store.views.person("telegram", "900")  # the first to write
    assert first is not None
    stored = [m for m in await desk_core.store.views.history(first.id) if m.direction == "in"]
    assert [len(m.text) for m in stored][:1] == [100_000]

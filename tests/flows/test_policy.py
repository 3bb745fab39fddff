"""Policy answers through the dispatcher with the shipped knowledge base."""

from __future__ import annotations

from bot.app import Core
from tests.factories import make_incoming


def buttons(handled) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.data for r in handled.replies for b in r.button_list()]


async def test_a_confident_answer_has_the_short_answer_source_review_date_and_buttons(
    core: Core,
) -> None:
    handled = await core.dispatcher.handle(make_incoming("mức chuẩn trợ giúp xã hội là bao nhiêu"))
    assert handled.route == "policy" and handled.articles == ("muc-chuan-tro-giup-xa-hoi",)
    text = handled.reply_text
    lines = text.splitlines()
    assert lines[0] == "Đây là thông tin bạn hỏi."
    assert "500.000 đồng" in lines[1]  # the short answer comes first
    assert "📜 Căn cứ: Nghị định 20/2021/NĐ-CP" in text and "76/2024/NĐ-CP" in text
    assert "rà soát ngày" in text
    data = buttons(handled)
    assert "menu:counsellor" in data
    assert "fb:up:muc-chuan-tro-giup-xa-hoi" in data and "fb:down:muc-chuan-tro-giup-xa-hoi" in data


async def test_unaccented_and_teencode_questions_find_the_same_article(core: Core) -> None:
    for text in ("muc chuan tro giup xa hoi bn", "mức chuẩn tc xã hội bnhiu"):
        handled = await core.dispatcher.handle(make_incoming(text, user="2"))
        assert handled.articles[:1] == ("muc-chuan-tro-giup-xa-hoi",), text


async def test_two_close_candidates_are_offered_as_buttons(core: Core) -> None:
    # The level is not said, and the two articles give different amounts: ask which.
    handled = await core.dispatcher.handle(make_incoming("tro cap nguoi khuyet tat bao nhieu"))
    assert "Bạn muốn hỏi về điều nào?" in handled.reply_text
    offered = [d for d in buttons(handled) if d.startswith("kb:")]
    assert "kb:tro-cap-nguoi-khuyet-tat-nang" in offered and len(offered) >= 2
    chosen = await core.dispatcher.handle(make_incoming(button="kb:tro-cap-nguoi-khuyet-tat-nang"))
    assert chosen.articles == ("tro-cap-nguoi-khuyet-tat-nang",)
    assert "Căn cứ" in chosen.reply_text


async def test_no_good_match_is_said_plainly_with_no_figure_and_a_counsellor_offer(
    core: Core,
) -> None:
    handled = await core.dispatcher.handle(make_incoming("giá vàng hôm nay bao nhiêu"))
    assert handled.articles == ()
    assert "chưa có câu trả lời chắc chắn" in handled.reply_text
    assert "đồng" not in handled.reply_text  # no made-up amount
    assert "menu:counsellor" in buttons(handled)


async def test_feedback_is_stored_with_the_question(core: Core) -> None:
    await core.dispatcher.handle(make_incoming("mức chuẩn trợ giúp xã hội"))
    thanks = await core.dispatcher.handle(
        make_incoming(button="fb:down:muc-chuan-tro-giup-xa-hoi"))
    assert "người biên tập" in thanks.reply_text and "menu:counsellor" in buttons(thanks)
    rows = [(a, helpful, q) for a, helpful, q, _ in await core.store.views.answer_ratings()]
    assert rows == [("muc-chuan-tro-giup-xa-hoi", False, "mức chuẩn trợ giúp xã hội")]


async def test_the_ask_button_then_a_question(core: Core) -> None:
    prompt = await core.dispatcher.handle(make_incoming(button="menu:policy"))
    assert "gõ câu hỏi" in prompt.reply_text
    question = make_incoming("thẻ bảo hiểm y tế cho người hưởng trợ cấp")
    handled = await core.dispatcher.handle(question)
    assert handled.route == "policy" and handled.articles

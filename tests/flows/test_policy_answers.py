"""Policy answers as a person sees them: follow-ups, the person named, citations, bad input."""

from __future__ import annotations

from bot.app import Core
from flows.store import UNANSWERED_KINDS
from tests.conftest import Clock
from tests.factories import make_incoming


async def ask(core: Core, text: str, user: str = "111"):  # type: ignore[no-untyped-def]
    return await core.dispatcher.handle(make_incoming(text, user=user))


async def test_a_follow_up_is_read_with_the_previous_subject(core: Core) -> None:
    first = await ask(core, "Người khuyết tật nặng được trợ cấp bao nhiêu một tháng?")
    assert first.articles == ("tro-cap-nguoi-khuyet-tat-nang",)
    then = await ask(core, "còn đặc biệt nặng thì sao?")
    assert then.articles == ("tro-cap-nguoi-khuyet-tat-dac-biet-nang",)
    assert "1.000.000" in then.reply_text


async def test_a_follow_up_changing_the_age_keeps_the_group(core: Core) -> None:
    await ask(core, "Người cao tuổi hộ nghèo không có người phụng dưỡng được trợ cấp bao nhiêu?")
    then = await ask(core, "nếu 85 tuổi thì sao")
    assert then.articles == ("tro-cap-nguoi-cao-tuoi-ho-ngheo",)
    assert "1.000.000" in then.reply_text  # hệ số 2,0 from 80


async def test_after_the_context_window_a_follow_up_stands_alone(core: Core, clock: Clock) -> None:
    await ask(core, "Người khuyết tật nặng được trợ cấp bao nhiêu một tháng?")
    clock.advance(11 * 60)  # the default window is 10 minutes
    then = await ask(core, "còn đặc biệt nặng thì sao?")
    assert then.articles != ("tro-cap-nguoi-khuyet-tat-dac-biet-nang",)
    assert "Căn cứ" not in then.reply_text  # not answered as if it still leaned on the first


async def test_a_new_question_is_not_read_with_the_previous_subject(core: Core) -> None:
    await ask(core, "Người khuyết tật nặng được trợ cấp bao nhiêu một tháng?")
    then = await ask(core, "Tổng đài quốc gia bảo vệ trẻ em là số nào?")
    assert then.articles == ("tong-dai-111",) and "111" in then.reply_text


async def test_the_answer_names_the_person_the_question_described(core: Core) -> None:
    handled = await ask(
        core, "Mẹ tôi 81 tuổi, không có lương hưu, được trợ cấp bao nhiêu một tháng?")
    assert handled.articles == ("tro-cap-nguoi-tu-80-tuoi",)
    assert handled.reply_text.splitlines()[0].startswith("Mẹ bạn 81 tuổi, không có lương hưu:")
    assert "500.000" in handled.reply_text


async def test_the_citation_names_each_document_once_with_the_date_it_applies_from(
    core: Core,
) -> None:
    text = (await ask(core, "mức chuẩn trợ giúp xã hội là bao nhiêu")).reply_text
    line = next(x for x in text.splitlines() if x.startswith("📜 Căn cứ:"))
    assert line.count("Nghị định 20/2021/NĐ-CP") == 1
    assert "có hiệu lực từ 01/7/2021" in line
    assert ("mức chuẩn trợ giúp xã hội 500.000 đồng/tháng theo Nghị định 76/2024/NĐ-CP, "
            "áp dụng từ 01/7/2024") in line


async def typed_by(core: Core, user: str) -> int:
    person = await core.store.views.person("telegram", user)
    assert person is not None
    return sum(1 for m in await core.store.views.history(person.id) if m.direction == "in")


async def test_bad_input_gets_a_polite_answer_and_is_kept(core: Core) -> None:
    story = "Nhà tôi ở xa lắm, đường đi khó khăn, con cái đi làm ăn xa. " * 330  # ~20,000 chars
    cases = [story + "Vậy người khuyết tật nặng được trợ cấp bao nhiêu?", "0912345678",
             "Nguyễn Văn An", "🙏🙏🙏", "how much is tro cap nguoi khuyet tat nang?"]
    for n, text in enumerate(cases):
        handled = await ask(core, text, user=f"bad-{n}")
        assert handled.reply_text.strip(), text[:40]
        assert "hỏi lại ngắn gọn" not in handled.reply_text or len(text) < 100
    for text in ("0912345678", "Nguyễn Văn An", "🙏🙏🙏"):
        handled = await ask(core, text, user="bad-again")
        assert handled.articles == ()  # nothing to answer from: no made-up article
    english = await ask(core, "how much is tro cap nguoi khuyet tat nang?", user="bad-en")
    assert english.articles == ("tro-cap-nguoi-khuyet-tat-nang",)
    # Everyone who wrote, each message kept: len(cases) + 4 in all.
    assert [await typed_by(core, f"bad-{n}") for n in range(len(cases))] == [1] * len(cases)
    assert await typed_by(core, "bad-again") == 3
    assert await typed_by(core, "bad-en") == 1


async def test_an_unanswered_question_is_kept_for_the_editors(core: Core, clock: Clock) -> None:
    await ask(core, "giá vàng hôm nay bao nhiêu")
    kept = await core.store.views.gap_questions(clock.start)
    assert [(q.question, q.kind) for q in kept if q.kind in UNANSWERED_KINDS] == [
        ("giá vàng hôm nay bao nhiêu", "no_answer")]

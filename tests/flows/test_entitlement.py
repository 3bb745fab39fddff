"""The entitlement check through the real dispatcher, the shipped rules and templates, and a
SQLite store: "mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?" -> at most three questions -> the
allowances, amounts, sources and where to apply."""

from __future__ import annotations

from dataclasses import replace

from bot.app import Core
from flows.dispatch import Dispatcher
from flows.messages import Handled
from flows.turn import FlowName
from tests.factories import make_incoming


def data_of(handled: Handled) -> list[str]:
    return [b.data for r in handled.replies for b in r.button_list()]


def labels_of(handled: Handled) -> list[str]:
    return [b.label for r in handled.replies for b in r.button_list()]


class Chat:
    """One person talking to the dispatcher; counts the check's questions."""

    def __init__(self, core: Core, user: str) -> None:
        self.core = core
        self.user = user
        self.questions = 0

    async def say(self, text: str = "", *, button: str = "") -> Handled:
        handled = await self.core.dispatcher.handle(
            make_incoming(text, user=self.user, button=button))
        if any(d.startswith("ent:") for d in data_of(handled)):
            self.questions += 1
        return handled

    async def press(self, label: str, handled: Handled) -> Handled:
        """Press the button with this label on the last reply."""
        buttons = {b.label: b.data for r in handled.replies for b in r.button_list()}
        assert label in buttons, (label, list(buttons))
        return await self.say(button=buttons[label])

    async def unsure_to_the_end(self, handled: Handled) -> Handled:
        """Answer "Chưa rõ" to each question still on screen (at most three): the result."""
        for _ in range(3):
            if not any(d.startswith("ent:") for d in data_of(handled)):
                break
            handled = await self.press("Chưa rõ", handled)
        return handled

    async def flow(self) -> str:
        person = await self.core.store.views.person("telegram", self.user)
        assert person is not None
        return person.flow


async def test_what_the_message_says_is_not_asked_again(core: Core) -> None:
    chat = Chat(core, "101")
    first = await chat.say("mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?")
    assert first.route == "entitlement"
    assert first.reply_text.splitlines()[0].startswith("Mình sẽ hỏi")  # a neutral first line
    assert "Mình đã ghi nhận: 80 tuổi, hộ nghèo." in first.reply_text
    assert "bao nhiêu tuổi" not in first.reply_text  # the age was in the message
    assert "Mẹ bạn có khuyết tật không?" in first.reply_text
    assert labels_of(first) == ["Đặc biệt nặng", "Nặng", "Nhẹ", "Không khuyết tật", "Chưa rõ"]
    second = await chat.press("Không khuyết tật", first)
    assert "hộ nghèo" not in second.reply_text.split("?")[0]  # the household is known
    assert "lương hưu hoặc trợ cấp bảo hiểm xã hội hằng tháng" in second.reply_text
    result = await chat.say("không")
    assert chat.questions == 2 and await chat.flow() == FlowName.MENU
    text = result.reply_text
    assert "✅ Trợ cấp hưu trí xã hội: 500.000 đ/tháng" in text
    assert ("▫️ Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH hoặc trợ cấp xã hội hằng "
            "tháng: hệ số 1,0 × 500.000 đ = 500.000 đ/tháng") in text
    assert "hai mức bằng nhau" in text and "Luật Bảo hiểm xã hội số 41/2024/QH15, Điều 22" in text
    # What might still pay more, with the one fact the bot does not ask about.
    assert "Nếu mẹ bạn không có người phụng dưỡng" in text and "1.000.000 đ/tháng" in text
    assert "🏥 Thẻ bảo hiểm y tế" in text
    assert "UBND cấp xã (xã, phường, đặc khu) nơi cư trú" in text
    assert "Cổng dịch vụ công quốc gia" in text
    assert "Nghị định 76/2024/NĐ-CP" in text and "01/7/2024" in text
    assert "UBND xã xác định chính xác diện và mức hưởng khi xét hồ sơ" in text
    assert "huyện" not in text and "Phòng LĐ" not in text
    assert data_of(result) == ["menu:counsellor", "menu:home"]


async def test_an_unaccented_question_asks_age_disability_and_household_with_pension(
    core: Core,
) -> None:
    chat = Chat(core, "102")
    age = await chat.say("me toi dc huong che do gi")
    assert "Mẹ bạn năm nay bao nhiêu tuổi?" in age.reply_text
    assert labels_of(age) == ["16–59 tuổi", "60–69 tuổi", "70–74 tuổi", "75–79 tuổi",
                              "Từ 80 tuổi", "Chưa rõ"]
    disability = await chat.say("78 tuổi")
    assert "khuyết tật" in disability.reply_text
    status = await chat.say("nặng")
    assert "hộ nghèo hoặc hộ cận nghèo" in status.reply_text
    assert "lương hưu" in status.reply_text  # both in one question
    assert "Hộ nghèo, không có lương hưu" in labels_of(status)
    result = await chat.press("Hộ nghèo, không có lương hưu", status)
    assert chat.questions == 3
    text = result.reply_text
    assert "✅ Người khuyết tật nặng (từ đủ 60 tuổi): hệ số 2,0 × 500.000 đ = 1.000.000 đ/tháng" \
        in text
    assert "▫️ Trợ cấp hưu trí xã hội: 500.000 đ/tháng" in text
    assert "mức cao hơn" in text and "Dự kiến nhận: 1.000.000 đ/tháng" in text
    assert "Giấy xác nhận khuyết tật" in text


async def test_teencode_with_the_age_written_78t(core: Core) -> None:
    chat = Chat(core, "103")
    first = await chat.say("bố e 78t thì đc hưởng j ko")
    assert first.route == "entitlement"
    assert "78 tuổi" in first.reply_text and "Bố bạn có khuyết tật không?" in first.reply_text
    status = await chat.say("ko")
    result = await chat.say("k có lương hưu, ko nghèo")
    assert chat.questions == 2, status.reply_text
    assert "✅ Trợ cấp hưu trí xã hội: 500.000 đ/tháng" in result.reply_text
    assert "Luật Bảo hiểm xã hội số 41/2024/QH15, Điều 21" in result.reply_text


async def test_never_more_than_three_questions(core: Core) -> None:
    starts = ["tôi được hưởng gì?", "con tôi được hưởng chế độ gì", "cháu tôi được hưởng gì",
              "ông tôi được hưởng gì", "em dc huong gi", "bà nội tôi có được trợ cấp gì không"]
    for n, start in enumerate(starts):
        for pick in (0, -1):  # always the first option, or always the last ("Chưa rõ")
            chat = Chat(core, f"2{n}{pick}")
            handled = await chat.say(start)
            while any(d.startswith("ent:") for d in data_of(handled)):
                handled = await chat.say(button=[d for d in data_of(handled)
                                                 if d.startswith("ent:")][pick])
            assert 1 <= chat.questions <= 3, (start, pick)
            assert "Đây là kết quả kiểm tra sơ bộ." in handled.reply_text
            assert await chat.flow() == FlowName.MENU


async def test_a_single_poor_parent_gets_both_allowances(core: Core) -> None:
    chat = Chat(core, "104")
    first = await chat.say("Chồng mất, tôi một mình nuôi hai con, nhà cận nghèo, 62 tuổi thì "
                           "được hưởng gì?")
    assert "Bạn có khuyết tật không?" in first.reply_text
    result = await chat.press("Nặng", first)
    text = result.reply_text
    assert "500.000 đ/con/tháng; 2 con: 1.000.000 đ/tháng" in text
    assert "✅ Người khuyết tật nặng (từ đủ 60 tuổi)" in text
    assert "được hưởng cả hai khoản" in text and "Dự kiến nhận: 2.000.000 đ/tháng" in text


async def test_nothing_applies_is_said_plainly_with_what_might_and_a_counsellor(
    core: Core,
) -> None:
    chat = Chat(core, "105")
    await chat.say("bố tôi 66 tuổi được hưởng gì")
    status = await chat.say("không khuyết tật")
    result = await chat.press("Không thuộc hộ nghèo, cận nghèo", status)
    text = result.reply_text
    assert "hiện bố bạn chưa thuộc diện được trợ cấp xã hội hằng tháng" in text
    assert "✅" not in text and "Dự kiến nhận" not in text
    assert "Khi bố bạn đủ 75 tuổi" in text and "Trợ cấp hưu trí xã hội" in text
    assert "Gặp tư vấn viên" in text and "menu:counsellor" in data_of(result)


async def test_everything_known_gives_the_answer_at_once(core: Core) -> None:
    chat = Chat(core, "106")
    result = await chat.say("Mẹ tôi 81 tuổi, không khuyết tật, hộ cận nghèo, không có lương "
                            "hưu, được hưởng gì?")
    assert chat.questions == 0 and result.route == "entitlement"
    assert "✅ Trợ cấp hưu trí xã hội: 500.000 đ/tháng" in result.reply_text


async def test_an_unrelated_question_leaves_the_check_and_is_answered(core: Core) -> None:
    chat = Chat(core, "107")
    await chat.say("bố e 78t thì đc hưởng j ko")
    other = await chat.say("giấy xác nhận khuyết tật làm ở đâu?")
    assert other.route == "policy" and other.articles
    assert await chat.flow() == FlowName.MENU


async def test_a_reply_that_answers_nothing_is_asked_again_once(core: Core) -> None:
    chat = Chat(core, "108")
    await chat.say("con tôi được hưởng gì")
    again = await chat.say("có")
    assert again.route == "entitlement" and "Mình chưa hiểu câu trả lời" in again.reply_text
    assert "bao nhiêu tuổi" in again.reply_text and await chat.flow() == FlowName.ENTITLEMENT
    await chat.say("ừm")
    assert await chat.flow() == FlowName.MENU  # twice: it was not an answer


async def test_a_new_entitlement_question_starts_over_for_that_person(core: Core) -> None:
    chat = Chat(core, "109")
    await chat.say("mẹ tôi được hưởng gì")
    again = await chat.say("còn con tôi 2 tuổi thì được hưởng gì?")
    assert again.route == "entitlement" and "Con bạn có khuyết tật không?" in again.reply_text


async def test_an_earlier_questions_button_changes_that_answer_and_asks_again(
    core: Core,
) -> None:
    chat = Chat(core, "115")
    disability = await chat.say("bố e 78t thì đc hưởng j ko")
    status = await chat.press("Không khuyết tật", disability)
    changed = await chat.press("Nặng", disability)  # the first question's buttons, still shown
    assert "lương hưu" in changed.reply_text and labels_of(changed) == labels_of(status)
    result = await chat.press("Không nghèo, không có lương hưu", changed)
    assert "✅ Người khuyết tật nặng (từ đủ 60 tuổi)" in result.reply_text


async def test_huy_stops_the_check_and_its_buttons_go_stale(core: Core) -> None:
    chat = Chat(core, "110")
    first = await chat.say("mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?")
    cancelled = await chat.say("/huy")
    assert "Đã dừng" in cancelled.reply_text and await chat.flow() == FlowName.MENU
    stale = await chat.press("Nặng", first)
    assert stale.route == "fallback" and "Nút này đã cũ" in stale.reply_text


async def test_an_emergency_while_answering_goes_to_the_emergency_flow(core: Core) -> None:
    chat = Chat(core, "111")
    await chat.say("mẹ tôi 80 tuổi, hộ nghèo được hưởng gì?")
    handled = await chat.say("chong em dang danh em cuu voi")
    assert handled.route == "emergency" and handled.urgency == "critical"
    assert await chat.flow() == FlowName.EMERGENCY


async def test_a_danger_only_the_model_sees_is_raised_while_answering(core: Core) -> None:
    text = "con gai toi di lam o bien gioi roi mat lien lac, so bi ban"
    triage = core.services.triage
    assert triage is not None
    seen = await triage.assess(text)
    assert (seen.layer, seen.level) == ("model", "critical"), "pick another model-only message"
    chat = Chat(core, "112")
    await chat.say("bố tôi được hưởng gì")
    handled = await chat.say(text)
    assert handled.route == "emergency" and await chat.flow() == FlowName.EMERGENCY


async def test_policy_questions_still_get_articles(core: Core) -> None:
    chat = Chat(core, "113")
    handled = await chat.say("mức chuẩn trợ giúp xã hội là bao nhiêu")
    assert handled.route == "policy" and handled.articles == ("muc-chuan-tro-giup-xa-hoi",)
    accident = await chat.say("tôi bị tai nạn lao động được hưởng gì")
    assert accident.route != "entitlement"  # not a social-assistance question


async def test_without_the_rules_file_the_question_goes_to_the_articles(core: Core) -> None:
    services = replace(core.services, entitlements=None)
    dispatcher = Dispatcher(core.store, services)
    handled = await dispatcher.handle(make_incoming("mẹ tôi 80 tuổi được hưởng gì", user="114"))
    assert handled.route != "entitlement"


STORY = ("Chào ban biên tập, cô ruột tôi năm nay 82 tuổi, cả đời làm ruộng ở quê, chồng mất "
         "sớm trong một vụ tai nạn, không có con cái. Giờ cô sống một mình trong căn nhà nhỏ "
         "cuối xóm, hàng xóm thỉnh thoảng sang nấu cơm giúp. Cô không có lương hưu hay khoản "
         "nào khác. Vậy xin hỏi cô tôi có thuộc diện được hưởng trợ cấp gì không ạ? Tôi cảm ơn.")


async def test_a_story_no_article_answers_gets_the_check_with_what_it_told(core: Core) -> None:
    chat = Chat(core, "115")
    first = await chat.say(STORY)
    assert first.route == "entitlement" and first.urgency == "none"
    assert "Mình đã ghi nhận: 82 tuổi" in first.reply_text
    assert "bao nhiêu tuổi" not in first.reply_text  # the story said it
    result = await chat.unsure_to_the_end(first)
    assert "Trợ cấp hưu trí xã hội: 500.000 đ/tháng" in result.reply_text
    assert "Cô bạn" in result.reply_text or "cô bạn" in result.reply_text


async def test_a_story_about_a_death_or_a_group_in_general_is_not_the_check(
    core: Core,
) -> None:
    burial = await Chat(core, "116").say(
        "Bà nội tôi 86 tuổi, đang hưởng trợ cấp xã hội hằng tháng ở xã thì tuần trước bà qua "
        "đời. Gia đình lo hậu sự xong rồi. Xin hỏi nhà tôi có được nhận tiền hỗ trợ mai táng "
        "không, được bao nhiêu?")
    assert burial.route != "entitlement"
    general = await Chat(core, "117").say(
        "Ban biên tập cho hỏi, trẻ dưới 16 tuổi mất cha hoặc mất mẹ thì theo quy định hiện "
        "nay có được hưởng trợ cấp xã hội hằng tháng không? Mong sớm nhận phản hồi.")
    assert general.route != "entitlement"


async def test_not_knowing_a_fathers_age_gives_the_adult_amounts_only(core: Core) -> None:
    chat = Chat(core, "118")
    first = await chat.say("bố tôi bị khuyết tật đặc biệt nặng thì được hưởng gì")
    assert "bao nhiêu tuổi" in first.reply_text and "Chưa rõ" in labels_of(first)
    result = await chat.press("Chưa rõ", first)
    for _ in range(2):
        if not any(d.startswith("ent:") for d in data_of(result)):
            break
        result = await chat.press("Chưa rõ", result)
    text = result.reply_text
    assert "1.000.000 đ/tháng" in text and "1.250.000 đ/tháng" in text
    assert "dưới 16 tuổi" not in text and "dưới 3 tuổi" not in text


async def test_a_mild_disability_is_told_who_the_allowance_is_for(core: Core) -> None:
    chat = Chat(core, "119")
    first = await chat.say("em tôi bị khuyết tật nhẹ, 30 tuổi, được hưởng gì?")
    result = await chat.unsure_to_the_end(first)
    text = result.reply_text
    assert "chưa thuộc diện được trợ cấp xã hội hằng tháng" in text
    assert "dành cho người khuyết tật nặng và người khuyết tật đặc biệt nặng" in text
    assert "Nghị định 20/2021/NĐ-CP" in text


async def test_a_follow_up_after_the_result_leans_on_what_was_asked(core: Core) -> None:
    chat = Chat(core, "120")
    result = await chat.say("Mẹ tôi 81 tuổi, không khuyết tật, hộ cận nghèo, không có lương "
                            "hưu, được hưởng gì?")
    assert result.route == "entitlement" and chat.questions == 0
    papers = await chat.say("thế hồ sơ gồm những gì?")
    assert papers.route == "policy" and len(papers.articles) == 1, papers.reply_text
    assert "Mẫu số" in papers.reply_text
    # Alone, the same words are too little to know which papers are meant.
    alone = await Chat(core, "121").say("thế hồ sơ gồm những gì?")
    assert alone.articles != papers.articles or "Mẫu số" not in alone.reply_text


async def test_a_follow_up_typed_instead_of_an_answer_leans_on_the_check(core: Core) -> None:
    chat = Chat(core, "122")
    first = await chat.say("bố e 78t thì đc hưởng j ko")
    assert any(d.startswith("ent:") for d in data_of(first))
    papers = await chat.say("vậy hồ sơ nộp ở đâu?")
    assert papers.route == "policy" and len(papers.articles) == 1, papers.reply_text
    assert await chat.flow() == FlowName.MENU


async def test_asking_how_much_instead_of_answering_is_told_it_hangs_on_the_answer(
    core: Core,
) -> None:
    chat = Chat(core, "123")
    first = await chat.say("Trẻ em dưới 3 tuổi thuộc hộ cận nghèo ở thôn đặc biệt khó khăn "
                           "vùng dân tộc thiểu số có được trợ cấp hàng tháng không?")
    assert first.route == "entitlement" and "ghi nhận: dưới 3 tuổi" in first.reply_text
    again = await chat.say("dc bn 1 thang v ad")
    assert again.route == "entitlement" and await chat.flow() == FlowName.ENTITLEMENT
    assert "Số tiền tùy vào câu trả lời" in again.reply_text and "Chưa rõ" in labels_of(again)
    result = await chat.unsure_to_the_end(again)
    assert "750.000 đ/tháng" in result.reply_text  # under 3, near-poor, in a hard-hit area


async def test_a_disability_named_without_its_level_is_told_who_decides_it(core: Core) -> None:
    chat = Chat(core, "124")
    first = await chat.say(
        "Chào ban biên tập, chị gái tôi bị liệt hai chân sau một lần sốt nặng hồi nhỏ, đi lại "
        "phải có người dìu, chưa đi làm được ngày nào. Nhà tôi ở quê, bố mẹ đều đã già. Vậy chị "
        "tôi có được nhận trợ cấp xã hội hằng tháng không ạ?")
    assert first.route == "entitlement"
    result = await chat.unsure_to_the_end(first)
    text = result.reply_text
    # An older sister is an adult: the disability allowance at each adult age, one unknown away.
    assert "khuyết tật nặng" in text and "750.000 đ/tháng" in text
    assert "dưới 16 tuổi" not in text
    assert "Hội đồng xác định mức độ khuyết tật cấp xã" in text and "Mẫu số 01" in text

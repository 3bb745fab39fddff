"""Emergencies through the real dispatcher, triage rules, directory and a SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import Core
from flows.messages import Priority
from tests.conftest import Clock
from tests.factories import Queued, make_incoming, queued


async def outbox(core: Core, channel: str = "telegram") -> list[Queued]:
    return await queued(core, channel)


async def test_violence_happening_now_gets_help_at_once_and_a_critical_case(
    desk_core: Core,
) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming("chong em dang danh em cuu voi"))
    assert handled.route == "emergency"
    assert handled.urgency == "critical" and handled.category == "domestic_violence"
    first = handled.replies[0]
    assert first.priority is Priority.CRITICAL
    assert first.text.splitlines()[0] == "Mình đang ở đây với bạn."  # neutral preview line
    assert "113" in first.text
    assert "1900 969 680" in first.text  # Ngôi nhà Bình yên for domestic violence
    where = handled.replies[1]
    assert "đang ở đâu" in where.text and where.location_button
    case = await desk_core.store.get_case(1)
    assert case is not None and case.priority is Priority.CRITICAL and case.status == "waiting"
    staff = await outbox(desk_core, "staff")
    alert = staff[0]
    assert staff[0].recipient == "case:1"
    assert "KHẨN CẤP" in alert.text and "Bạo lực gia đình" in alert.text
    assert "chong em dang danh em cuu voi" in alert.text  # the text, so counsellors see why
    assert "đang" in alert.text  # a signal that matched
    assert alert.button_list() == ("case:claim:1",)


async def test_the_first_reply_goes_out_before_anything_else(desk_core: Core) -> None:
    await desk_core.dispatcher.handle(make_incoming("/help", user="900"))
    await desk_core.dispatcher.handle(make_incoming("tôi uống hết vỉ thuốc ngủ rồi", user="901"))
    due = await desk_core.store.due_deliveries("telegram", datetime(2100, 1, 1, tzinfo=UTC), 10)
    assert due[0].recipient == "901" and due[0].message.priority is Priority.CRITICAL


async def test_suicide_risk_gets_a_caring_message_that_keeps_them_talking(
    desk_core: Core,
) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming("t k muon song nua, dinh nhay cau"))
    assert handled.category == "suicide" and handled.urgency == "critical"
    text = handled.replies[0].text
    assert "Bạn không một mình" in text and "nhắn tiếp" in text
    assert "115" in text


async def test_an_emergency_wins_over_the_flow_the_person_is_in(desk_core: Core) -> None:
    await desk_core.dispatcher.handle(make_incoming(button="menu:policy"))
    await desk_core.dispatcher.handle(make_incoming(button="menu:counsellor"))  # intake
    handled = await desk_core.dispatcher.handle(make_incoming("co dua be bi bo o cong cho"))
    assert handled.route == "emergency" and handled.category == "abandoned_child"
    assert "111" in handled.replies[0].text


async def test_idioms_and_policy_questions_are_not_emergencies(desk_core: Core) -> None:
    for text in ("cười chết mất", "trợ cấp cho nạn nhân bạo lực gia đình là bao nhiêu",
                 "năm ngoái tôi bị chồng đánh, giờ đã ly hôn và ổn rồi"):
        handled = await desk_core.dispatcher.handle(make_incoming(text, user="700"))
        assert handled.urgency == "none" and handled.route != "emergency", text
    assert await desk_core.store.get_case(1) is None


async def test_the_button_and_khancap_open_a_critical_case(desk_core: Core) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming(button="menu:emergency"))
    assert handled.urgency == "critical" and "113" in handled.reply_text
    handled = await desk_core.dispatcher.handle(make_incoming("/khancap", user="222"))
    assert handled.route == "emergency"
    assert (await desk_core.store.get_case(2)).priority is Priority.CRITICAL  # type: ignore[union-attr]


async def test_intake_answers_are_attached_to_the_case_and_every_question_skippable(
    desk_core: Core,
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("ba toi dang bi nguoi ta danh"))
    await d.handle(make_incoming(location=(21.0285, 105.8542)))
    await d.handle(make_incoming(button="em:danger:yes"))
    done = await d.handle(make_incoming(button="em:skip"))
    assert "đầu hàng chờ" in done.reply_text
    case = await desk_core.store.get_case(1)
    assert case is not None
    assert case.details == {
        "where": {"latitude": 21.0285, "longitude": 105.8542}, "danger": "yes", "safe": "skipped",
    }
    person = await desk_core.store.find_person("telegram", "111")
    assert person is not None and person.flow == "waiting"
    posts = [d.text for d in await outbox(desk_core, "staff")]
    assert any("Vị trí: 21.02850, 105.85420" in p for p in posts)
    assert any("Đang có người gặp nguy hiểm: có" in p for p in posts)


async def test_triage_raises_a_case_but_never_lowers_it(desk_core: Core) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("toi muon chet"))  # urgent
    assert (await desk_core.store.get_case(1)).priority is Priority.URGENT  # type: ignore[union-attr]
    await d.handle(make_incoming("toi dang cam dao"))  # critical
    assert (await desk_core.store.get_case(1)).priority is Priority.CRITICAL  # type: ignore[union-attr]
    await d.handle(make_incoming("buon qua"))
    await d.handle(make_incoming("toi muon chet"))
    assert (await desk_core.store.get_case(1)).priority is Priority.CRITICAL  # type: ignore[union-attr]


async def test_out_of_hours_the_on_call_list_hears_at_once(desk_core: Core, clock: Clock) -> None:
    clock.advance(12 * 3600)  # 22:00 in Hà Nội
    await desk_core.dispatcher.handle(make_incoming("hang xom dang danh con ghe lam"))
    direct = [d for d in await outbox(desk_core) if d.recipient == "5002"]
    assert len(direct) == 1 and "Ngoài giờ" in direct[0].text


async def test_in_office_hours_no_one_is_woken(desk_core: Core) -> None:
    await desk_core.dispatcher.handle(make_incoming("hang xom dang danh con ghe lam"))
    assert [d for d in await outbox(desk_core) if d.recipient in ("5002", "6001")] == []


async def test_an_unclaimed_critical_case_is_escalated_after_a_minute(
    desk_core: Core, clock: Clock
) -> None:
    await desk_core.dispatcher.handle(make_incoming("chong em dang cam dao doa giet em"))
    clock.advance(30)
    assert (await desk_core.watch.run_once()).escalated == ()
    clock.advance(31)
    assert (await desk_core.watch.run_once()).escalated == (1,)
    person = [d.text for d in await outbox(desk_core) if d.recipient == "111"]
    assert any("vẫn đang tìm tư vấn viên" in t for t in person)
    supervisors = [d for d in await outbox(desk_core) if d.recipient == "6001"]
    assert len(supervisors) == 1 and "chưa có tư vấn viên nhận" in supervisors[0].text
    staff = [d for d in await outbox(desk_core, "staff") if "⏰" in d.text]
    assert {d.recipient for d in staff} == {"case:1", "general"}
    # Again a minute later: staff and supervisors again, the person is not told twice.
    clock.advance(61)
    assert (await desk_core.watch.run_once()).escalated == (1,)
    person = [d.text for d in await outbox(desk_core) if d.recipient == "111"]
    assert sum("vẫn đang tìm" in t for t in person) == 1


async def test_an_urgent_case_waits_five_minutes_before_escalation(
    desk_core: Core, clock: Clock
) -> None:
    await desk_core.dispatcher.handle(make_incoming("toi muon chet"))
    clock.advance(120)
    assert (await desk_core.watch.run_once()).escalated == ()
    clock.advance(181)
    assert (await desk_core.watch.run_once()).escalated == (1,)

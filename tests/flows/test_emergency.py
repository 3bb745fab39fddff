"""Emergencies through the real dispatcher, triage rules, directory and a SQLite store."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Core
from flows.dispatch import Dispatcher
from flows.messages import Handled, Priority
from flows.outbox import write_step
from flows.turn import Step, Turn
from knowledge.directory import Directory
from knowledge.triage import Assessment
from tests.conftest import ROOT, Clock
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
    case = await desk_core.store.views.case(1)
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
    due = await desk_core.store.outbox.due("telegram", datetime(2100, 1, 1, tzinfo=UTC), 10)
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
    assert await desk_core.store.views.case(1) is None


async def test_the_button_and_khancap_open_a_critical_case(desk_core: Core) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming(button="menu:emergency"))
    assert handled.urgency == "critical" and "113" in handled.reply_text
    handled = await desk_core.dispatcher.handle(make_incoming("/khancap", user="222"))
    assert handled.route == "emergency"
    assert (await desk_core.store.views.case(2)).priority is Priority.CRITICAL  # type: ignore[union-attr]


async def test_intake_answers_are_attached_to_the_case_and_every_question_skippable(
    desk_core: Core,
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("ba toi dang bi nguoi ta danh"))
    await d.handle(make_incoming(location=(21.0285, 105.8542)))
    await d.handle(make_incoming(button="em:danger:yes"))
    done = await d.handle(make_incoming(button="em:skip"))
    assert "đầu hàng chờ" in done.reply_text
    case = await desk_core.store.views.case(1)
    assert case is not None
    answers = {k: v for k, v in case.details.items() if k in ("where", "danger", "safe")}
    assert answers == {
        "where": {"latitude": 21.0285, "longitude": 105.8542}, "danger": "yes", "safe": "skipped",
    }
    assert case.details["triage"]["layer"] == "rules"  # the card says who raised it
    person = await desk_core.store.views.person("telegram", "111")
    assert person is not None and person.flow == "waiting"
    posts = [d.text for d in await outbox(desk_core, "staff")]
    assert any("Vị trí: 21.02850, 105.85420" in p for p in posts)
    assert any("Đang có người gặp nguy hiểm: có" in p for p in posts)


async def test_triage_raises_a_case_but_never_lowers_it(desk_core: Core) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming("toi muon chet"))  # urgent
    assert (await desk_core.store.views.case(1)).priority is Priority.URGENT  # type: ignore[union-attr]
    await d.handle(make_incoming("toi dang cam dao"))  # critical
    assert (await desk_core.store.views.case(1)).priority is Priority.CRITICAL  # type: ignore[union-attr]
    await d.handle(make_incoming("buon qua"))
    await d.handle(make_incoming("toi muon chet"))
    assert (await desk_core.store.views.case(1)).priority is Priority.CRITICAL  # type: ignore[union-attr]


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


# ------------------------------------------------- replies that fit the person (facets)
#
# Until triage fills in `facets`, these tests hand the real dispatcher an Assessment built
# here, in the same unit of work the dispatcher uses for a message.


async def signal(
    core: Core, text: str, *, category: str | None, level: str = "critical",
    facets: tuple[str, ...] = (), user: str = "111",
) -> Step:
    incoming = make_incoming(text, user=user)
    assessment = Assessment(level, category, ("test",), facets=frozenset(facets))
    async with core.store.transaction(urgent=True) as tx:
        now = core.services.clock()
        person = await tx.people.get(incoming.channel, incoming.user_id, incoming.first_name)
        turn = Turn(incoming, person, tx, core.services, now, assessment)
        step = await core.dispatcher.route(turn, assessment)
        await tx.people.set_flow(person.id, step.flow or person.flow,
                          person.flow_data if step.data is None else step.data)
        await write_step(tx, step, incoming.channel, incoming.user_id, person.id, now)
    return step


def listed(text: str) -> list[str]:
    """The numbers a reply lists, one per '📞' line."""
    return re.findall(r"^📞 ([\d ]+?) –", text, flags=re.MULTILINE)


async def test_a_bystander_is_told_how_to_help_the_other_person(desk_core: Core) -> None:
    step = await signal(desk_core, "ban toi noi muon chet, dang cam dao",
                        category="suicide", facets=("third_party",))
    first = step.replies[0].text
    assert first.splitlines()[0] == "Mình đang ở đây với bạn."
    assert "ở bên người ấy" in first and "ra xa người ấy" in first
    assert "hãy gọi 115 ngay" in first
    assert "Nếu bạn đang ở gần thuốc" not in first
    assert listed(first)[0] == "115"
    # Someone writing about themselves still gets the words meant for them.
    own = (await signal(desk_core, "toi muon chet", category="suicide", user="112")).replies[0]
    assert "Nếu bạn đang ở gần thuốc" in own.text and "người ấy" not in own.text


async def test_an_overdose_already_taken_gets_call_115_now(desk_core: Core) -> None:
    step = await signal(desk_core, "tôi uống hết vỉ thuốc ngủ rồi", category="suicide",
                        facets=("done",))
    first = step.replies[0].text
    assert "Hãy gọi 115 ngay bây giờ" in first
    assert "ra xa" not in first
    assert listed(first)[0] == "115"
    # Someone else's injury after violence: 115 first as well, ahead of the police.
    other = await signal(desk_core, "hang xom bi chong danh chay mau", user="112",
                         category="domestic_violence", facets=("done", "third_party"))
    assert "Hãy gọi 115 ngay bây giờ để người ấy được cấp cứu" in other.replies[0].text
    assert listed(other.replies[0].text)[:2] == ["115", "113"]


async def test_thanks_come_once_and_danger_now_says_whom_to_call(desk_core: Core) -> None:
    d = desk_core.dispatcher
    seen: list[Handled] = [await d.handle(make_incoming("chong em dang danh em cuu voi"))]
    assert "Cảm ơn" in seen[0].replies[0].text
    assert "Cảm ơn" not in seen[0].replies[1].text  # the location question
    seen.append(await d.handle(make_incoming("thôn 3, xã Yên Lạc")))
    seen.append(danger := await d.handle(make_incoming(button="em:danger:yes")))
    call, ask = danger.replies
    assert "Hãy gọi 113 ngay bây giờ" in call.text and call.priority is Priority.CRITICAL
    assert "nói chuyện điện thoại an toàn" in ask.text  # the next question, after the call
    seen.append(await d.handle(make_incoming(button="em:skip")))
    texts = [r.text for h in seen for r in h.replies]
    assert sum(t.count("Cảm ơn") for t in texts) == 1


@pytest.mark.parametrize(("category", "number"), [("medical", "115"), ("fire_rescue", "114"),
                                                   ("suicide", "115"), (None, "113")])
async def test_danger_now_calls_the_service_that_fits(
    desk_core: Core, category: str | None, number: str
) -> None:
    await signal(desk_core, "cuu voi", category=category)
    await desk_core.dispatcher.handle(make_incoming(button="em:skip"))
    danger = await desk_core.dispatcher.handle(make_incoming(button="em:danger:yes"))
    assert f"Hãy gọi {number} ngay bây giờ" in danger.replies[0].text


async def test_the_location_keyboard_goes_once_the_question_is_behind(desk_core: Core) -> None:
    d = desk_core.dispatcher
    handled = await d.handle(make_incoming("chong em dang danh em cuu voi"))
    where = handled.replies[1]
    assert where.location_button and [b.data for b in where.button_list()] == ["em:skip"]
    typed_skip = await d.handle(make_incoming("bo qua"))  # the keyboard's "Bỏ qua" key, typed
    noted, danger = typed_skip.replies
    assert noted.remove_keyboard and not noted.buttons
    assert "Có ai đang gặp nguy hiểm" in danger.text and not danger.remove_keyboard
    case = await desk_core.store.views.case(1)
    assert case is not None and case.details["where"] == "skipped"
    # An address typed, or a location shared, takes it away too.
    await d.handle(make_incoming("chong em dang danh em cuu voi", user="112"))
    typed = await d.handle(make_incoming("xóm 2, xã Tân Lập", user="112"))
    assert typed.replies[0].remove_keyboard and "địa chỉ" in typed.replies[0].text
    await d.handle(make_incoming("chong em dang danh em cuu voi", user="113"))
    shared = await d.handle(make_incoming(location=(16.05, 108.2), user="113"))
    assert shared.replies[0].remove_keyboard and "vị trí" in shared.replies[0].text
    # The removal survives the outbox.
    kept = [d.message for d, _ in await desk_core.store.views.deliveries("telegram")]
    assert sum(1 for message in kept if message.remove_keyboard) == 3


async def test_the_child_line_only_when_a_child_may_be_involved(desk_core: Core) -> None:
    handled = await desk_core.dispatcher.handle(make_incoming("chong em dang danh em cuu voi"))
    assert handled.category == "domestic_violence"
    shown = listed(handled.replies[0].text)
    assert "113" in shown and "1900 969 680" in shown and "111" not in shown
    with_child = await signal(desk_core, "chồng đang đánh mẹ con em", user="112",
                              category="domestic_violence", facets=("child",))
    assert listed(with_child.replies[0].text)[:3] == ["113", "111", "1900 969 680"]
    labour = await signal(desk_core, "ep be di ban ve so", category="child_labour", user="113",
                          level="urgent")
    assert listed(labour.replies[0].text) == ["111", "113"]  # a child category implies it
    online = await signal(desk_core, "bi doa tung anh nong", category="online_exploitation",
                          user="114")
    assert listed(online.replies[0].text) == ["113"]


async def test_an_unverified_number_is_never_shown_and_ngay_mai_shows_its_hours(
    desk_core: Core,
) -> None:
    step = await signal(desk_core, "tôi ở Hà Nội, tôi không muốn sống nữa", category="suicide")
    first = step.replies[0].text
    assert "024 3352 5662" not in first  # Hà Nội's line is unverified
    assert listed(first) == ["115", "096 306 1414", "113"]
    assert "096 306 1414 – Đường dây nóng Ngày Mai · giờ nghe máy: 13h–20h30" in first
    await desk_core.dispatcher.handle(make_incoming("Hà Nội"))
    await desk_core.dispatcher.handle(make_incoming(button="em:skip"))
    done = await desk_core.dispatcher.handle(make_incoming(button="em:skip"))
    assert "024 3352 5662" not in done.reply_text


@pytest.fixture
async def local_core(desk_core: Core, tmp_path: Path) -> AsyncIterator[Core]:
    """The desk core with a directory that has a verified provincial line (Đà Nẵng)."""
    path = tmp_path / "directory.yaml"
    path.write_text(
        (ROOT / "knowledge" / "directory.yaml").read_text(encoding="utf-8").replace(
            "hotlines:\n",
            "hotlines:\n"
            "  - {id: da_nang_test, name: Trung tâm CTXH Đà Nẵng (thử), number: '0236 000 000',"
            " purpose: p, source: test, verified: true, province: da_nang}\n", 1,
        ).replace("  violence: [police,", "  violence: [police, da_nang_test,"),
        encoding="utf-8",
    )
    directory = Directory.load(path, provinces=ROOT / "knowledge" / "provinces.yaml")
    services = replace(desk_core.services, directory=directory)
    yield Core(desk_core.config, desk_core.store, services, Dispatcher(desk_core.store, services),
               desk_core.desk, desk_core.watch)


async def test_a_provincial_number_is_shown_only_in_its_province(local_core: Core) -> None:
    unknown = await signal(local_core, "nó đang đánh tôi", category="violence")
    assert "0236 000 000" not in unknown.replies[0].text  # province unknown: not shown
    elsewhere = await signal(local_core, "ở Hà Nội, nó đang đánh tôi", category="violence",
                             user="112")
    assert "0236 000 000" not in elsewhere.replies[0].text
    here = await signal(local_core, "o da nang, no dang danh toi", category="violence",
                        user="113")
    assert "0236 000 000" in here.replies[0].text
    # Learnt from the answer to "where": said once the address is noted, and at the end.
    noted = await local_core.dispatcher.handle(make_incoming("tổ 5, Hải Châu, Đà Nẵng"))
    assert "Ở Đà Nẵng, bạn cũng có thể gọi" in noted.replies[0].text
    assert "0236 000 000" in noted.replies[0].text
    await local_core.dispatcher.handle(make_incoming(button="em:skip"))
    done = await local_core.dispatcher.handle(make_incoming(button="em:skip"))
    assert "0236 000 000" in done.reply_text

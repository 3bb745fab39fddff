"""Counsellors correct triage's level and category, through the real desk and a real SQLite
file: the queue order follows, the change is audited and said in the topic, and what triage
had given the case stays known for the export."""

from __future__ import annotations

import re

from bot.app import Core
from flows.cases import Case, claim_data
from flows.corrections import match_category, parse_level
from flows.counsellor import CaseButton, level_data, parse_case_button
from flows.messages import Priority
from flows.outbox import STAFF_CHANNEL
from flows.store import Correction
from tests.conftest import Clock
from tests.factories import make_incoming, queued
from tests.factories_staff import staff

HOA, NAM, LAN = 5001, 5002, 6001  # counsellors Chị Hoa and Anh Nam; Cô Lan supervises


async def seed_case(core: Core, user: str, priority: Priority, text: str, *,
                    category: str | None = None, layer: str = "rules",
                    first_name: str = "") -> Case:
    """A waiting case as triage leaves it: the person's message, linked, and the triage entry;
    its topic is thread "7<case id>"."""
    now = core.services.clock()
    async with core.store.transaction() as tx:
        person = await tx.people.get("telegram", user, first_name)
        details = ({"triage": {"layer": layer, "reasons": [], "needs_check": False}}
                   if layer else {})
        case = await tx.cases.create(person.id, priority, now, category=category,
                                    summary=text[:300], details=details)
        await tx.messages.add(person.id, "in", "text", text, now, case_id=case.id)
    await core.store.cases.set_thread(case.id, f"7{case.id}")
    return case


async def queue_order(core: Core) -> list[int]:
    handled = await core.desk.handle(staff(HOA, "/hangcho"))
    assert handled.route == "staff"
    text = (await queued(core, "staff"))[-1].text
    return [int(n) for n in re.findall(r"#(\d+)", text)]


async def audit(core: Core, action: str) -> list[tuple[str, int, str]]:
    return [(actor, case_id, detail)
            for _, actor, done, case_id, detail in await core.store.views.audit_entries()
            if done == action]


async def corrections(core: Core) -> list[Correction]:
    return await core.store.views.corrections()


async def case_of(core: Core, case_id: int) -> Case:
    case = await core.store.views.case(case_id)
    assert case is not None
    return case


async def test_corrections_move_cases_in_the_queue_both_ways(
    desk_core: Core, clock: Clock
) -> None:
    first = await seed_case(desk_core, "1", Priority.URGENT, "em mệt mỏi quá, muốn biến mất",
                            category="suicide", layer="model")
    clock.advance(60)
    second = await seed_case(desk_core, "2", Priority.URGENT, "chồng em hay đánh em",
                             category="domestic_violence")
    clock.advance(60)
    review = await seed_case(desk_core, "3", Priority.REVIEW, "em không biết phải làm sao",
                             layer="")
    assert await queue_order(desk_core) == [first.id, second.id, review.id]

    # A supervisor lowers a false alarm below the other urgent case…
    lowered = await desk_core.desk.handle(staff(LAN, "/muc can doc", thread=f"7{first.id}",
                                                name="Lan"))
    assert lowered.route == "correction"
    assert await queue_order(desk_core) == [second.id, first.id, review.id]
    # …and raises a review item to critical with the card's button: it goes first.
    pressed = await desk_core.desk.handle(
        staff(LAN, button=level_data(review.id, Priority.CRITICAL), thread=f"7{review.id}"))
    assert "Khẩn cấp" in pressed.reply_text  # the popup, for the one who pressed
    assert await queue_order(desk_core) == [review.id, second.id, first.id]
    assert (await case_of(desk_core, review.id)).priority is Priority.CRITICAL


async def test_the_owner_corrects_level_and_category_audited_said_and_shown(
    desk_core: Core,
) -> None:
    case = await seed_case(desk_core, "1", Priority.URGENT, "chồng em hay đánh em",
                           category="domestic_violence")
    thread = f"7{case.id}"
    await desk_core.desk.handle(staff(HOA, button=claim_data(case.id)))
    await desk_core.desk.handle(staff(HOA, "/muc khẩn cấp", thread=thread))
    await desk_core.desk.handle(staff(HOA, "/loai bao luc, xam hai tre em", thread=thread))

    corrected = await case_of(desk_core, case.id)
    assert corrected.priority is Priority.CRITICAL and corrected.category == "child_abuse"
    assert await audit(desk_core, "priority_set") == [("staff:5001", case.id, "urgent->critical")]
    assert await audit(desk_core, "category_set") == [
        ("staff:5001", case.id, "domestic_violence->child_abuse")]
    posts = [q for q in await queued(desk_core, "staff") if q.recipient == f"case:{case.id}"]
    texts = [q.text for q in posts]
    assert "Chị Hoa đã đổi mức ưu tiên: Gấp → Khẩn cấp" in texts
    assert "Chị Hoa đã đổi loại ca: Bạo lực gia đình → Bạo lực, xâm hại trẻ em" in texts
    edits = [d.message.edit for d, _ in await desk_core.store.views.deliveries(STAFF_CHANNEL)
             if d.recipient == f"case:{case.id}"]  # where every post about a case goes
    assert edits.count("card") >= 3  # the claim and each correction refresh the card
    # The card says what triage had given, ticks the level now, and offers the others.
    card = await desk_core.case_card(corrected)
    assert "Trợ lý đã xếp mức: Gấp" in card.text
    level_row = card.buttons[-1]
    assert [b.label for b in level_row] == ["✓ 🔴 Khẩn cấp", "🟠 Gấp", "🟡 Cần đọc", "🟢 Thường"]


async def test_triage_level_before_any_correction_stays_known(desk_core: Core) -> None:
    case = await seed_case(desk_core, "1", Priority.URGENT, "em muốn chết cho xong",
                           category="suicide", layer="model")
    thread = f"7{case.id}"
    await desk_core.desk.handle(staff(HOA, button=claim_data(case.id)))
    for command in ("/muc thuong", "/loai 15", "/muc critical"):
        await desk_core.desk.handle(staff(HOA, command, thread=thread))
    rows = await corrections(desk_core)
    assert [(r.triage_priority, r.triage_category, r.triage_layer) for r in rows] == [
        ("urgent", "suicide", "model")] * 3
    assert [(r.priority, r.category) for r in rows] == [
        ("normal", "suicide"), ("normal", "mental_health"), ("critical", "mental_health")]
    assert {r.actor for r in rows} == {"staff:5001"}
    details = (await case_of(desk_core, case.id)).details
    assert details["before_correction"] == {"priority": "urgent", "category": "suicide",
                                            "layer": "model"}
    exported = await desk_core.store.views.corrected_cases()
    assert len(exported) == 1  # one per case: its latest correction
    assert exported[0].correction.priority is Priority.CRITICAL
    assert exported[0].texts == ("em muốn chết cho xong",)


async def test_a_counsellor_who_does_not_own_the_case_is_refused_politely(
    desk_core: Core,
) -> None:
    case = await seed_case(desk_core, "1", Priority.URGENT, "chồng em hay đánh em",
                           category="domestic_violence")
    thread = f"7{case.id}"
    waiting = await desk_core.desk.handle(staff(NAM, "/muc thuong", thread=thread, name="Nam"))
    assert "chưa có người nhận" in (await queued(desk_core, "staff"))[-1].text
    assert waiting.route == "correction"
    await desk_core.desk.handle(staff(HOA, button=claim_data(case.id)))
    await desk_core.desk.handle(staff(NAM, "/loai 1", thread=thread, name="Nam"))
    assert "tư vấn viên khác phụ trách" in (await queued(desk_core, "staff"))[-1].text
    popup = await desk_core.desk.handle(
        staff(NAM, button=level_data(case.id, Priority.NORMAL), thread=thread, name="Nam"))
    assert "tư vấn viên khác phụ trách" in popup.reply_text
    unchanged = await case_of(desk_core, case.id)
    assert unchanged.priority is Priority.URGENT and unchanged.category == "domestic_violence"
    assert await audit(desk_core, "priority_set") == []
    assert await audit(desk_core, "category_set") == []
    assert await corrections(desk_core) == []
    # Someone who is not staff at all is refused as for every other action, and logged.
    stranger = await desk_core.desk.handle(
        staff(424242, button=level_data(case.id, Priority.NORMAL), thread=thread))
    assert stranger.route == "refused"


async def test_a_supervisor_may_correct_a_case_another_counsellor_has(desk_core: Core) -> None:
    case = await seed_case(desk_core, "1", Priority.CRITICAL, "bố em đánh em chảy máu",
                           category="child_abuse")
    thread = f"7{case.id}"
    await desk_core.desk.handle(staff(HOA, button=claim_data(case.id)))
    await desk_core.desk.handle(staff(LAN, "/muc gap", thread=thread, name="Lan"))
    assert (await case_of(desk_core, case.id)).priority is Priority.URGENT
    assert await audit(desk_core, "priority_set") == [("staff:6001", case.id, "critical->urgent")]
    assert "Cô Lan đã đổi mức ưu tiên: Khẩn cấp → Gấp" in [
        q.text for q in await queued(desk_core, "staff")]


async def test_a_normal_intake_case_raised_by_a_counsellor_is_kept_for_the_corpus(
    desk_core: Core,
) -> None:
    d = desk_core.dispatcher
    await d.handle(make_incoming(button="menu:counsellor"))
    await d.handle(make_incoming(button="privacy:agree"))
    await d.handle(make_incoming(button="ho:topic:tre_em"))
    await d.handle(make_incoming("con tôi dạo này hay trốn học, không chịu nghe lời"))
    await desk_core.store.cases.set_thread(1, "71")
    await desk_core.desk.handle(staff(HOA, button=claim_data(1)))
    await desk_core.desk.handle(staff(HOA, "/muc gấp", thread="71"))
    await desk_core.desk.handle(staff(HOA, "/loai child_abuse", thread="71"))
    [kept] = await desk_core.store.views.corrected_cases()
    assert kept.correction.triage_priority is Priority.NORMAL
    assert kept.correction.triage_layer == ""
    assert (kept.correction.priority, kept.correction.category) == (Priority.URGENT,
                                                                    "child_abuse")
    assert kept.texts == ("con tôi dạo này hay trốn học, không chịu nghe lời",)
    assert kept.first_name == "Lan"  # the channel's name, for masking; never exported


async def test_without_an_argument_the_commands_list_the_choices(desk_core: Core) -> None:
    case = await seed_case(desk_core, "1", Priority.REVIEW, "em buồn quá", layer="")
    thread = f"7{case.id}"
    await desk_core.desk.handle(staff(HOA, button=claim_data(case.id)))
    await desk_core.desk.handle(staff(HOA, "/loai", thread=thread))
    listing = (await queued(desk_core, "staff"))[-1].text
    assert "chưa có loại" in listing
    assert "1. Tự tử, tự gây thương tích" in listing and "9. Bạo lực gia đình" in listing
    await desk_core.desk.handle(staff(HOA, "/loai bạo lực", thread=thread))  # three begin so
    assert "Không có loại «bạo lực»" in (await queued(desk_core, "staff"))[-1].text
    await desk_core.desk.handle(staff(HOA, "/muc", thread=thread))
    assert "đang ở mức: Cần đọc" in (await queued(desk_core, "staff"))[-1].text
    await desk_core.desk.handle(staff(HOA, "/muc rất gấp", thread=thread))
    assert "Không có mức «rất gấp»" in (await queued(desk_core, "staff"))[-1].text
    await desk_core.desk.handle(staff(HOA, "/muc can doc", thread=thread))
    assert "đã ở mức Cần đọc" in (await queued(desk_core, "staff"))[-1].text
    assert await corrections(desk_core) == []


async def test_the_card_buttons_data_round_trips(desk_core: Core) -> None:
    case = await seed_case(desk_core, "1", Priority.URGENT, "chồng em hay đánh em",
                           category="domestic_violence")
    card = await desk_core.case_card(case)
    data = [b.data for row in card.buttons for b in row]
    assert data[0] == claim_data(case.id)
    assert [parse_case_button(d) for d in data] == [
        CaseButton("claim", case.id),
        *(CaseButton("level", case.id, level) for level in
          (Priority.CRITICAL, Priority.URGENT, Priority.REVIEW, Priority.NORMAL)),
    ]
    assert all(len(d.encode()) <= 64 for d in data)  # Telegram's callback_data limit
    assert parse_case_button("case:level:1:urgentish") is None
    assert parse_case_button("privacy:agree") is None
    await desk_core.desk.handle(staff(HOA, button=data[0]))
    active = await desk_core.case_card(await case_of(desk_core, case.id))
    assert [len(row) for row in active.buttons] == [4]  # claimed: the level row only
    await desk_core.desk.handle(staff(HOA, button=active.buttons[0][3].data,
                                      thread=f"7{case.id}"))
    assert (await case_of(desk_core, case.id)).priority is Priority.NORMAL


async def test_a_closed_case_keeps_its_level(desk_core: Core) -> None:
    case = await seed_case(desk_core, "1", Priority.URGENT, "chồng em hay đánh em")
    thread = f"7{case.id}"
    await desk_core.desk.handle(staff(HOA, button=claim_data(case.id)))
    await desk_core.desk.handle(staff(HOA, "/dong 1", thread=thread))
    popup = await desk_core.desk.handle(
        staff(HOA, button=level_data(case.id, Priority.NORMAL), thread=thread))
    assert "đã đóng" in popup.reply_text
    assert (await case_of(desk_core, case.id)).priority is Priority.URGENT


def test_levels_are_read_with_or_without_diacritics_and_as_ids() -> None:
    for text, level in (("khẩn cấp", Priority.CRITICAL), ("KHAN CAP", Priority.CRITICAL),
                        ("critical", Priority.CRITICAL), ("gấp", Priority.URGENT),
                        ("gap", Priority.URGENT), ("urgent", Priority.URGENT),
                        ("cần đọc", Priority.REVIEW), ("can doc", Priority.REVIEW),
                        ("review", Priority.REVIEW), ("thường", Priority.NORMAL),
                        ("thuong", Priority.NORMAL), ("normal", Priority.NORMAL)):
        assert parse_level(text) is level, text
    assert parse_level("gấp lắm") is None and parse_level("") is None


def test_categories_are_read_by_id_number_or_label() -> None:
    categories = ("suicide", "domestic_violence", "violence")
    labels = {"suicide": "Tự tử, tự gây thương tích", "domestic_violence": "Bạo lực gia đình",
              "violence": "Bạo lực, đe dọa"}
    assert match_category("domestic_violence", categories, labels) == "domestic_violence"
    assert match_category("2", categories, labels) == "domestic_violence"
    assert match_category("Bạo lực gia đình", categories, labels) == "domestic_violence"
    assert match_category("bao luc gia dinh", categories, labels) == "domestic_violence"
    assert match_category("tu tu", categories, labels) == "suicide"  # a beginning is enough
    assert match_category("bạo lực", categories, labels) is None  # two begin so
    assert match_category("4", categories, labels) is None
    assert match_category("0", categories, labels) is None

"""Staff are channel-neutral: a member has a staff id, a name, roles and an address per channel;
the desk knows them by their channel address and the audit log names them `staff:<id>`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.app import Core
from flows.cases import (
    CloseTopic,
    DeleteTopic,
    InCaseTopic,
    InGeneral,
    RefreshCard,
    StaffPost,
    StaffPostKind,
    claim_data,
    copy_address,
    parse_claim,
    parse_copy_address,
    staff_recipient,
    staff_target,
)
from flows.counsellor import CaseButton, StaffDesk, parse_case_button
from flows.ports import StaffSettings
from flows.staff import Role, StaffDirectory, StaffMember
from tests.factories import make_incoming, queued
from tests.factories_staff import member, staff

HOA_ADDRESS = 5001  # her Telegram user id; her staff id is 7


def directory() -> StaffDirectory:
    return StaffDirectory((
        StaffMember(7, "Chị Hoa", frozenset({Role.COUNSELLOR}), {"telegram": str(HOA_ADDRESS)}),
        member(6001, "Cô Lan", Role.SUPERVISOR, Role.ON_CALL),
        member(8001, "Anh Bình", Role.ON_CALL),
    ))


async def audit_rows(core: Core) -> list[tuple[str, str]]:
    return [(actor, action) for _, actor, action, _, _ in await core.store.views.audit_entries()
            if actor.lower().startswith(("staff:", "telegram:"))]  # in any case, as LIKE did


async def waiting_case(core: Core) -> int:
    d = core.dispatcher
    for step in (make_incoming(button="menu:counsellor"), make_incoming(button="privacy:agree"),
                 make_incoming(button="ho:topic:tre_em"), make_incoming("con tôi bị bắt nạt")):
        await d.handle(step)
    person = await core.store.views.person("telegram", "111")
    assert person is not None
    return int(person.flow_data["case_id"])


def test_the_directory_finds_members_by_channel_address_and_role() -> None:
    staff_ = directory()
    hoa = staff_.by_address("telegram", "5001")
    assert hoa is not None and hoa.id == 7 and hoa.actor == "staff:7"
    assert staff_.by_address("zalo", "5001") is None
    assert staff_.is_counsellor(7) and not staff_.is_supervisor(7)
    assert staff_.is_counsellor(6001) and staff_.is_supervisor(6001)  # supervisors act too
    assert not staff_.is_counsellor(8001)  # on call only: alerted, not at the desk
    assert staff_.name_of(7) == "Chị Hoa"
    assert staff_.name_of(8001) == staff_.name_of(None) == ""
    assert staff_.counsellor_names() == {7: "Chị Hoa", 6001: "Cô Lan"}
    assert staff_.find_counsellor("chị hoa") == hoa and staff_.find_counsellor("7") == hoa
    assert staff_.find_counsellor("8001") is None


def test_supervisors_and_on_call_are_reached_at_their_address_on_the_alert_channel() -> None:
    settings = StaffSettings(directory=directory())
    assert settings.supervisors == ("6001",)
    assert settings.on_call == ("6001", "8001")
    assert replace(settings, channel="zalo").on_call == ()


async def test_a_staff_member_acts_under_their_staff_id_and_is_audited_as_staff(
    desk_core: Core,
) -> None:
    case_id = await waiting_case(desk_core)
    services = replace(desk_core.services, staff=replace(desk_core.services.staff,
                                                         directory=directory()))
    desk = StaffDesk(desk_core.store, services)
    handled = await desk.handle(staff(HOA_ADDRESS, button=claim_data(case_id), name="Hoa"))
    assert "Bạn đã nhận ca" in handled.reply_text
    case = await desk_core.store.views.case(case_id)
    assert case is not None and case.claimed_by == 7
    await desk_core.store.cases.set_thread(case_id, "77")
    await desk.handle(staff(HOA_ADDRESS, "Chào em, chị là Hoa.", thread="77"))
    to_person = [q.text for q in await queued(desk_core, "telegram") if q.recipient == "111"]
    assert any("Chị Hoa" in text for text in to_person)  # her name, never her account's
    assert (await desk.handle(staff(HOA_ADDRESS, "/cua_toi"))).route == "staff"
    assert await audit_rows(desk_core) == [
        ("staff:7", "case_claimed"), ("staff:7", "viewed_my_cases")]


async def test_someone_outside_the_staff_is_audited_by_channel_address(
    desk_core: Core,
) -> None:
    handled = await desk_core.desk.handle(staff(424242, "/hangcho"))
    assert handled.route == "refused"
    assert await audit_rows(desk_core) == [("telegram:424242", "refused")]


def test_the_claim_button_reads_back_the_case_it_was_built_for() -> None:
    for case_id in (1, 42, 100_000):
        assert parse_claim(claim_data(case_id)) == case_id
        assert parse_case_button(claim_data(case_id)) == CaseButton("claim", case_id)
    assert claim_data(1) == "case:claim:1"  # buttons already posted keep working
    assert parse_claim("case:level:1:urgent") is None
    assert parse_claim("privacy:agree") is None


@pytest.mark.parametrize("data", ["case:claim:999", "case:claim:abc", "case:claim:"])
async def test_a_stale_or_garbled_claim_button_is_refused_politely(
    desk_core: Core, data: str
) -> None:
    handled = await desk_core.desk.handle(staff(5001, button=data))
    assert handled.route == "claim"
    assert "Không tìm thấy ca này" in handled.reply_text


@pytest.mark.parametrize(
    ("post", "target"),
    [
        (StaffPost("x", case_id=3), InCaseTopic(3)),
        (StaffPost("x"), InGeneral()),
        (StaffPost("", case_id=3, edit=StaffPostKind.REFRESH_CARD), RefreshCard(3)),
        (StaffPost("x", case_id=3, edit=StaffPostKind.CLOSE_TOPIC), CloseTopic(3)),
        (StaffPost("x", thread="77", edit=StaffPostKind.DELETE_TOPIC), DeleteTopic("77")),
    ],
)
def test_a_staff_post_reads_back_as_what_it_asks_of_the_staff_channel(
    post: StaffPost, target: object
) -> None:
    assert staff_target(staff_recipient(post.case_id, post.thread), post.edit) == target


def test_a_copy_address_names_the_channel_it_can_be_copied_from() -> None:
    address = copy_address("telegram", "-100777", "9001")
    assert parse_copy_address(address) == ("telegram", "-100777", "9001")
    assert parse_copy_address("") is None
    assert parse_copy_address("telegram:1") is None

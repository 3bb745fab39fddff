"""config.yaml plus HOTLINE_<SECTION>_<KEY>; every bad value is named in one line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, build_config, load_config
from flows.office_hours import OfficeHours
from flows.ports import PolicySettings, StaffSettings
from flows.retention import RetentionPolicy
from flows.staff import Role

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_config_yaml_loads_with_defaults() -> None:
    config = load_config(ROOT / "config.yaml", env={})
    assert config.database.url == "sqlite:///hotline.db"
    assert config.hotline.timezone == "Asia/Ho_Chi_Minh"
    assert config.telegram.base_url == "https://api.telegram.org/bot"
    assert config.telegram.mode == "polling"
    assert config.telegram.token == ""


def test_environment_overrides_every_section() -> None:
    config = build_config(
        {"telegram": {"token": "1:a"}},
        env={
            "HOTLINE_TELEGRAM_TOKEN": "123:ABC",
            "HOTLINE_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "HOTLINE_TELEGRAM_STAFF_CHAT_ID": "-1001234",
            "HOTLINE_DATABASE_URL": "sqlite:///x.db",
            "HOTLINE_HOTLINE_TIMEZONE": "Asia/Bangkok",
        },
    )
    assert config.telegram.token == "123:ABC"
    assert config.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert config.telegram.staff_chat_id == -1001234
    assert config.database.url == "sqlite:///x.db"
    assert config.hotline.timezone == "Asia/Bangkok"


def test_staff_lists_come_comma_separated_and_keep_names_from_yaml() -> None:
    config = build_config(
        {"staff": {"counsellors": [{"id": 5001, "name": "Chị Hoa"}]}},
        env={"HOTLINE_STAFF_COUNSELLORS": "5001, 5002", "HOTLINE_STAFF_SUPERVISORS": "6001"},
    )
    staff = config.staff.directory
    assert [(m.id, m.name) for m in staff.with_role(Role.COUNSELLOR)] == [
        (5001, "Chị Hoa"),
        (5002, ""),
    ]
    assert staff.is_counsellor(6001) and staff.is_supervisor(6001)
    assert not staff.is_counsellor(7000)


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [
        ({}, {"HOTLINE_TELEGRAM_MODE": "carrier-pigeon"}, "HOTLINE_TELEGRAM_MODE: must be one of"),
        ({"telegram": {"base_url": "api.telegram.org"}}, {}, "telegram.base_url: must be an http"),
        ({}, {"HOTLINE_STAFF_COUNSELLORS": "5001,abc"}, "'abc' is not a Telegram user id"),
        ({}, {"HOTLINE_TELEGRAM_STAFF_CHAT_ID": "12"}, "telegram.staff_chat_id: a supergroup"),
        ({"hotline": {"timezone": "Mars/Olympus"}}, {}, "hotline.timezone: unknown time zone"),
        ({"database": {"url": "mysql://x"}}, {}, "database.url: must start with"),
        ({"telegram": {"token": "nonsense"}}, {}, "telegram.token: does not look like"),
        ({"web": {"port": "eighty"}}, {}, "web.port: must be a whole"),
        (
            {"telegram": {"token": "1:a", "mode": "webhook"}},
            {},
            "telegram.webhook_url: required when telegram.mode is webhook",
        ),
        ({"telgram": {}}, {}, "telgram: unknown section"),
    ],
)
def test_a_bad_value_names_its_key(data: dict, env: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as error:
        build_config(data, env)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("telegram:\n  token: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_config(path, env={})


@pytest.mark.parametrize("url", ["postgresql://hotline@db/hotline", "postgres://db/hotline"])
def test_a_postgresql_database_url_is_taken_as_it_is(url: str) -> None:
    for data, env in (({"database": {"url": url}}, {}), ({}, {"HOTLINE_DATABASE_URL": url})):
        assert build_config(data, env).database.url == url


def test_another_database_is_refused_in_one_line_without_the_rest_of_the_url() -> None:
    with pytest.raises(ConfigError) as error:
        build_config({"database": {"url": "mysql://root:secret@db/hotline"}}, env={})
    assert str(error.value) == (
        "database.url: must start with sqlite:/// or postgresql://, got 'mysql'")


def test_unset_keys_take_the_domains_own_defaults() -> None:
    config = build_config({}, env={})
    assert config.staff == StaffSettings()
    assert config.retention == RetentionPolicy()
    assert config.policy.settings == PolicySettings()


def test_the_sections_become_the_domains_settings() -> None:
    config = build_config(
        {"staff": {"counsellors": [{"id": 5001, "name": "Chị Hoa"}], "on_call": [5002],
                   "max_active_cases": 3},
         "hotline": {"timezone": "Asia/Bangkok"},
         "retention": {"outcome_days": {"chuyển tuyến": 730}},
         "policy": {"context_minutes": 2.5}},
        env={"HOTLINE_HOTLINE_OFFICE_HOURS": "mon-fri 07:30-17:00",
             "HOTLINE_RETENTION_AUDIT_DAYS": "3650"},
    )
    hoa = config.staff.directory.by_address("telegram", "5001")
    assert hoa is not None and (hoa.id, hoa.name, hoa.roles) == (5001, "Chị Hoa",
                                                                  {Role.COUNSELLOR})
    assert config.staff.on_call == ("5002",) and config.staff.max_active_cases == 3
    assert config.staff.office_hours == OfficeHours.parse("mon-fri 07:30-17:00",
                                                          ZoneInfo("Asia/Bangkok"))
    assert config.retention.case_days("chuyển tuyến") == 730
    assert config.retention.audit_days == 3650
    assert config.policy.settings.context == timedelta(minutes=2.5)


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [
        ({"hotline": {"office_hours": "mon-fri 9-5"}}, {},
         "hotline.office_hours: 'mon-fri 9-5' is not like 'mon-fri 07:30-17:00'"),
        ({}, {"HOTLINE_HOTLINE_OFFICE_HOURS": "mon-fri 17:00-07:30"},
         "HOTLINE_HOTLINE_OFFICE_HOURS: 'mon-fri 17:00-07:30': the end is not after the start"),
    ],
)
def test_office_hours_are_read_by_the_domains_parser_and_a_bad_one_names_its_key(
    data: dict, env: dict, message: str  # type: ignore[type-arg]
) -> None:
    with pytest.raises(ConfigError) as error:
        build_config(data, env)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [
        ({"telegram": {"webhook_port": 8443}}, {},
         "telegram.webhook_port: replaced by web.port"),
        ({"telegram": {"webhook_listen": "0.0.0.0"}}, {},
         "telegram.webhook_listen: replaced by web.listen"),
        ({"zalo": {"port": 8090}}, {}, "zalo.port: replaced by web.port"),
        ({}, {"HOTLINE_ZALO_LISTEN": "0.0.0.0"}, "HOTLINE_ZALO_LISTEN: replaced by web.listen"),
    ],
)
def test_a_replaced_webhook_key_stops_the_start_naming_the_new_one(
    data: dict, env: dict, message: str  # type: ignore[type-arg]
) -> None:
    with pytest.raises(ConfigError) as error:
        build_config(data, env)
    assert str(error.value) == f"{message} (one web server serves every webhook and /healthz)"


def test_the_web_server_has_one_address_for_every_channel() -> None:
    assert (build_config({}, env={}).web.listen, build_config({}, env={}).web.port) == (
        "127.0.0.1", 8090)
    config = build_config({"web": {"listen": "0.0.0.0"}}, env={"HOTLINE_WEB_PORT": "9000"})
    assert (config.web.listen, config.web.port) == ("0.0.0.0", 9000)
    with pytest.raises(ConfigError, match="^web.port: 70000 is not a port number$"):
        build_config({"web": {"port": 70000}}, env={})


def test_telegram_and_zalo_webhooks_need_paths_of_their_own() -> None:
    with pytest.raises(ConfigError, match="^zalo.webhook_path: 'hooks' is telegram.webhook_path"):
        build_config({"telegram": {"token": "1:a", "mode": "webhook", "webhook_path": "hooks",
                                   "webhook_url": "https://x.example/hooks", "secret_token": "s"},
                      "zalo": {"enabled": True, "app_id": "1", "app_secret": "2",
                               "oa_secret_key": "3", "webhook_path": "hooks"}}, env={})


def test_an_instance_name_is_kept_and_a_bad_one_refused() -> None:
    assert build_config({"hotline": {"instance": "hue-2"}}, env={}).hotline.instance == "hue-2"
    assert build_config({}, env={"HOTLINE_HOTLINE_INSTANCE": "a"}).hotline.instance == "a"
    with pytest.raises(ConfigError, match="^hotline.instance: letters, digits"):
        build_config({"hotline": {"instance": "host:1"}}, env={})

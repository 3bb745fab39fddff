"""config.yaml plus HOTLINE_<SECTION>_<KEY>; every bad value is named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, build_config, load_config

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
    assert [(m.user_id, m.name) for m in config.staff.counsellors] == [
        (5001, "Chị Hoa"),
        (5002, ""),
    ]
    assert config.staff.is_counsellor(6001) and config.staff.is_supervisor(6001)
    assert not config.staff.is_counsellor(7000)


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
        ({"telegram": {"webhook_port": "eighty"}}, {}, "telegram.webhook_port: must be a whole"),
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

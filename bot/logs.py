"""One event per line: `time level logger event key=value …`.

People who write in are vulnerable, so log lines carry ids and facts, never message text or
names; callers pass only such fields in `extra`. httpx logs every request URL at INFO, and a
Telegram URL contains the bot token, so httpx is kept at WARNING. PTB's webhook handler logs
whole updates at DEBUG, so telegram's loggers never go below INFO.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class EventFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        event = fields.pop("event", None) or record.getMessage().replace(" ", "_")
        parts = [
            self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            record.levelname,
            record.name,
            f"event={event}",
        ]
        parts += [f"{k}={_value(v)}" for k, v in sorted(fields.items())]
        line = " ".join(parts)
        if record.exc_info:
            # The exception type and where it happened; its message may quote a person's text.
            exc_type = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            line += f" error={exc_type}"
            if record.levelno >= logging.ERROR:
                line += "\n" + self.formatException(record.exc_info)
        return line


def _value(value: object) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def setup_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(EventFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    telegram_level = max(logging.INFO, logging.getLevelName(level))
    logging.getLogger("telegram").setLevel(telegram_level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)

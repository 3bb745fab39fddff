"""The console's pages: Jinja2 templates under knowledge/templates/web/, HTML-escaped
(names and texts come from people and staff), with the labels of labels.j2."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from flows.ports import Renderer


class Pages:
    def __init__(self, folder: Path, labels: Renderer, tz: tzinfo) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["label"] = labels.label
        self.env.filters["local"] = lambda at, fmt="%H:%M %d/%m/%Y": local(at, tz, fmt)
        self.env.filters["replace_actors"] = replace_actors

    def render(self, name: str, /, **values: Any) -> str:
        return self.env.get_template(f"{name}.j2").render(**values)


def local(at: datetime | None, tz: tzinfo, fmt: str) -> str:
    return at.astimezone(tz).strftime(fmt) if at is not None else ""


def replace_actors(text: str, names: dict[str, str]) -> str:
    """`staff:5001` in an audit detail as the staff member's name."""
    return " ".join(names.get(word, word) for word in text.split(" "))

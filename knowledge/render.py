"""Every sentence a citizen sees comes from a Jinja2 template under `knowledge/templates/`.

StrictUndefined makes a missing variable an error in tests instead of a blank sent to a person.
Button labels live as `{% set %}` variables in `labels.j2`, so a centre edits one file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined


class Templates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=False,  # plain text for chat apps, never HTML
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._labels: dict[str, str] | None = None

    def render(self, template: str, /, **values: Any) -> str:
        """Render `name.j2`; blank lines at the ends are trimmed, inner ones kept."""
        return self.env.get_template(f"{template}.j2").render(**values).strip()

    def label(self, key: str) -> str:
        if self._labels is None:
            module = self.env.get_template("labels.j2").module
            self._labels = {
                k: str(v) for k, v in vars(module).items() if not k.startswith("_")
            }
        try:
            return self._labels[key]
        except KeyError:
            raise KeyError(f"labels.j2 has no label {key!r}") from None

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.j2"))

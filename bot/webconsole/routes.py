"""The console's routes on the one web app (bot/app.py adds them when `web.public_url` is
set): its pages, the sign-in link, the live queue and its static files."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core import Core
from bot.webconsole.access import Access
from bot.webconsole.actions import CaseActions
from bot.webconsole.live import LiveQueue
from bot.webconsole.pages import Console
from bot.webconsole.render import Pages
from bot.webconsole.reports import Reports
from flows.web_sign_in import SIGN_IN_PATH


def console_routes(core: Core) -> list[BaseRoute]:
    config = core.config
    knowledge = config.knowledge_path
    pages = Pages(knowledge / "templates" / "web", core.services.render, config.hotline.tz)
    access = Access(core.store, core.services.staff.directory, pages, core.clock,
                    secure=config.web.public_url.startswith("https://"))
    reports = Reports(core, access)
    console = Console(core, access, pages, reports)
    live = LiveQueue(console, access)
    actions = CaseActions(core, console)
    staff = access.staff_only
    return [
        Route("/", staff(console.queue_page), methods=["GET"]),
        Route("/queue/events", staff(live.events), methods=["GET"]),
        Route("/cases", staff(console.cases_page), methods=["GET"]),
        Route("/cases/{case_id}", staff(console.case_page), methods=["GET"]),
        Route("/cases/{case_id}/{action}", staff(actions.act, form=True), methods=["POST"]),
        Route("/counsellors", staff(console.counsellors_page), methods=["GET"]),
        Route("/reports", staff(reports.page), methods=["GET"]),
        Route("/reports/cases.csv", staff(reports.csv), methods=["GET"]),
        Route("/reports/report.html", staff(reports.document), methods=["GET"]),
        Route(f"{SIGN_IN_PATH}{{token}}", access.link_page, methods=["GET"]),
        Route(f"{SIGN_IN_PATH}{{token}}", access.sign_in, methods=["POST"]),
        Route("/logout", staff(access.sign_out, form=True), methods=["POST"]),
        Mount("/static", StaticFiles(directory=static_folder(knowledge)), name="static"),
    ]


def static_folder(knowledge: Path) -> Path:
    """The centre's own knowledge folder may lack the vendored scripts: the shipped ones."""
    own = knowledge / "static"
    return own if own.is_dir() else Path(__file__).resolve().parents[2] / "knowledge" / "static"

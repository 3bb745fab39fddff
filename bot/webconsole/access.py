"""Who may see the console: a staff member who opened a sign-in link the bot sent them and
pressed «Đăng nhập» (a POST, so that a chat app fetching the link for its preview cannot use
it up). The session is a random cookie (HttpOnly, SameSite=Strict, Secure behind HTTPS) kept
as its hash in the database, so that it can be revoked; it ends after SESSION_FOR, at sign
out, or when its staff member is no longer in `staff`. Every form carries the session's CSRF
token. Everyone else gets the sign-in page and nothing else.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.store.port import EdgeStore
from bot.webconsole.render import Pages
from flows.ports import Clock
from flows.staff import Role, StaffDirectory, StaffMember
from flows.web_sign_in import SIGN_IN_PATH, secret_hash

log = logging.getLogger(__name__)

SESSION_COOKIE = "hotline_session"
SESSION_FOR = timedelta(hours=12)  # a shift; then a new link
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 64 * 1024  # a console form is a few fields


@dataclass(frozen=True)
class Visitor:
    member: StaffMember
    csrf: str
    session: str  # the hash of the session's cookie

    @property
    def supervises(self) -> bool:
        return Role.SUPERVISOR in self.member.roles


StaffEndpoint = Callable[[Request, Visitor], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


class Access:
    def __init__(self, store: EdgeStore, directory: StaffDirectory, pages: Pages,
                 clock: Clock, *, secure: bool) -> None:
        self.store = store
        self.directory = directory
        self.pages = pages
        self.clock = clock
        self.secure = secure  # the console is reached over HTTPS: cookies only go that way

    # ---------------------------------------------------------------- signing in

    async def link_page(self, request: Request) -> Response:
        """GET of a sign-in link: the button, or why the link no longer works."""
        token = str(request.path_params["token"])
        if await self.store.web_access.sign_in_usable(secret_hash(token), self.clock()):
            return self.page("sign_in_confirm", action=f"{SIGN_IN_PATH}{token}")
        return self.page("sign_in_link_dead", status=403)

    async def sign_in(self, request: Request) -> Response:
        """POST of the button: the link is used up, the session begins."""
        token = str(request.path_params["token"])
        now = self.clock()
        staff_id = await self.store.web_access.use_sign_in(secret_hash(token), now)
        member = self.directory.member(staff_id) if staff_id is not None else None
        if member is None or not member.may_act:
            log.warning("web sign-in refused", extra={"event": "web_sign_in_refused"})
            return self.page("sign_in_link_dead", status=403)
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await self.store.web_access.open_session(secret_hash(cookie), member.id, csrf, now,
                                                 now + SESSION_FOR)
        await self.store.audit.record(member.actor, "web_signed_in", now)
        log.info("web sign-in", extra={"event": "web_signed_in", "staff": member.id})
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_FOR.total_seconds()),
                            httponly=True, samesite="strict", secure=self.secure, path="/")
        return response

    async def sign_out(self, request: Request, visitor: Visitor) -> Response:
        now = self.clock()
        await self.store.web_access.revoke_session(visitor.session, now)
        await self.store.audit.record(visitor.member.actor, "web_signed_out", now)
        response = self.page("signed_out")
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=self.secure)
        return response

    # ---------------------------------------------------------------- every other page

    async def visitor(self, request: Request) -> Visitor | None:
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if not cookie or len(cookie) > 200:
            return None
        hashed = secret_hash(cookie)
        now = self.clock()
        session = await self.store.web_access.session(hashed, now)
        if session is None:
            return None
        member = self.directory.member(session.staff_id)
        if member is None or not member.may_act:  # removed from `staff` since
            await self.store.web_access.revoke_session(hashed, now)
            return None
        return Visitor(member, session.csrf, hashed)

    def staff_only(self, endpoint: StaffEndpoint, *, form: bool = False) -> Endpoint:
        """`endpoint` for a signed-in staff member; the sign-in page for anyone else. With
        `form`, a POST whose CSRF token is not the session's is refused."""

        async def guarded(request: Request) -> Response:
            visitor = await self.visitor(request)
            if visitor is None:
                return self.page("sign_in_needed", status=401)
            if form and not await self.form_is_genuine(request, visitor):
                log.warning("web form refused", extra={"event": "web_csrf_refused"})
                return self.page("form_refused", visitor=visitor, status=403)
            return await endpoint(request, visitor)

        return guarded

    async def form_is_genuine(self, request: Request, visitor: Visitor) -> bool:
        given = (await read_form(request)).get(CSRF_FIELD, "")
        return hmac.compare_digest(given.encode(), visitor.csrf.encode())

    def page(self, name: str, *, status: int = 200, visitor: Visitor | None = None,
             **values: object) -> HTMLResponse:
        html = self.pages.render(name, visitor=visitor, csrf_field=CSRF_FIELD, **values)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


async def read_form(request: Request) -> dict[str, str]:
    """A console form (urlencoded, a few fields): read up to MAX_FORM_BYTES, else nothing.
    Starlette's own form parsing needs python-multipart, for files the console never takes."""
    kept: dict[str, str] | None = getattr(request.state, "form", None)
    if kept is None:  # the body can be read once: the CSRF check reads it first
        kept = request.state.form = await _parse_form(request)
    return kept


async def _parse_form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=50)
    except ValueError:  # more fields than any console form has
        return {}
    return {key: values[0] for key, values in fields.items()}


FORM_TYPE = "application/x-www-form-urlencoded"

# No framing, no sniffing, nothing loaded from elsewhere (htmx is served from here).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'"
                               " 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

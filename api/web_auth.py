"""Sessions of the web UI: the login cookie carrying the JWT, CSRF tokens and flash messages.

The browser holds the same kind of signed JWT the API hands out (api.security), in an HttpOnly,
SameSite=Strict cookie; its session lives on the server (db.logins), so logging out ends it everywhere.
Every POST form carries a CSRF token derived from that JWT with an HMAC, so a page of another site can
neither read nor forge it. The login form itself uses a double-submit cookie.
"""

import base64
import hashlib
import hmac
import json
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from api.deps import SessionDep, SettingsDep, TokenRefused, check_token
from api.security import issue_token
from core.config import Settings
from db.accounts import User
from db.logins import revoke_session

SESSION_COOKIE = "wagecase_session"
LOGIN_CSRF_COOKIE = "wagecase_login_csrf"
FLASH_COOKIE = "wagecase_flash"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page and back to `next_path` afterwards."""

    def __init__(self, next_path: str, expired: bool = False):
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


class PasswordChangeRequired(LoginRequired):
    """The admin reset the user's password: every page but /password (and logging out) waits for a new one.
    A LoginRequired whose way on is /password, so that every page's refusal handling leads there."""

    def __init__(self) -> None:
        super().__init__("/password")


PASSWORD_PAGES = frozenset({"/password", "/logout"})


class CsrfFailed(Exception):
    """A POST without the right CSRF token (a stale page or another site's form)."""


def _hmac(settings: Settings, purpose: str, value: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token_for(token: str, settings: Settings) -> str:
    """The CSRF token of the session that holds this JWT."""
    return _hmac(settings, "csrf", token)[:40]


def login_redirect_url(next_path: str, expired: bool = False) -> str:
    """The login page, returning to `next_path` (a local path) after a successful login."""
    url = f"/login?next={quote(next_path, safe='/')}"
    return url + "&expired=1" if expired else url


def safe_next(value: str | None) -> str:
    """A local path to go to after login; anything else (other hosts, schemes) becomes '/'."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def get_web_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """The active user of the session cookie; LoginRequired (→ redirect to /login) otherwise."""
    next_path = request.url.path if request.method == "GET" else "/"
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(next_path)
    try:
        user, claims = check_token(session, settings, token)
    except TokenRefused as refused:
        raise LoginRequired(next_path, expired=refused.expired) from None
    request.state.web_user = user
    request.state.session_id = claims.session_id
    request.state.csrf_token = csrf_token_for(token, settings)
    if user.must_change_password and request.url.path not in PASSWORD_PAGES:
        raise PasswordChangeRequired()
    return user


WebUser = Annotated[User, Depends(get_web_user)]


async def checked_form(request: Request, _user: WebUser) -> FormData:
    """The POSTed form after its CSRF token was checked against the session's."""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or "")
    if not hmac.compare_digest(sent, request.state.csrf_token):
        raise CsrfFailed()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def start_session(response: Response, request: Request, user: User, settings: Settings) -> None:
    """Open a session for the user and put its token into the session cookie."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        token = issue_token(session, user, settings)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_minutes * 60,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")


def end_session(response: Response, request: Request | None = None) -> None:
    """End the browser's session on the server (its token is refused from now on) and forget the cookie."""
    session_id = getattr(request.state, "session_id", None) if request is not None else None
    if session_id:
        with Session(request.app.state.engine) as session:
            revoke_session(session=session, session_id=session_id)
    response.delete_cookie(SESSION_COOKIE, path="/")


def new_login_csrf() -> str:
    """A random token for the double-submit check of the login form."""
    return secrets.token_urlsafe(24)


def set_login_csrf(response: Response, request: Request, token: str) -> None:
    """Remember the login form's token in a cookie the login POST must match."""
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def login_csrf_ok(request: Request, sent: str) -> bool:
    """Whether the login form's token matches its cookie."""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    return bool(cookie) and hmac.compare_digest(cookie, sent)


# ---- flash messages (shown once on the next page) ----------------------------------------------------


def set_flash(response: Response, request: Request, settings: Settings, message: str, kind: str = "ok") -> None:
    """Show `message` once on the next page the browser loads."""
    payload = base64.urlsafe_b64encode(json.dumps([kind, message], ensure_ascii=False).encode()).decode()
    value = f"{payload}.{_hmac(settings, 'flash', payload)[:32]}"
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=120,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def read_flash(request: Request, settings: Settings) -> tuple[str, str] | None:
    """The pending flash message (kind, text) if its cookie is there and genuine."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    payload, _, mac = value.rpartition(".")
    if not payload or not hmac.compare_digest(mac, _hmac(settings, "flash", payload)[:32]):
        return None
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return str(kind), str(message)


def clear_flash(request: Request, response: Response) -> None:
    """Remove a shown flash message from the browser."""
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")

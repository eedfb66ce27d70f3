"""Logging in and out."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import SessionDep, SettingsDep
from api.throttle import count_login_attempt, note_login
from api.web.errors import WebRoute
from api.web.pages import login_page, redirect, render
from api.web_auth import (
    CSRF_FIELD,
    CheckedForm,
    LoginRequired,
    PasswordChangeRequired,
    WebUser,
    end_session,
    get_web_user,
    login_csrf_ok,
    safe_next,
    start_session,
)
from db.accounts import authenticate

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/login")
def login_form(
    request: Request, session: SessionDep, settings: SettingsDep, next: str | None = None, expired: bool = False
) -> Response:
    """The login page (or straight on, for a browser that is still logged in)."""
    try:
        get_web_user(request, session, settings)
        return RedirectResponse(safe_next(next), status_code=303)
    except PasswordChangeRequired:
        return RedirectResponse("/password", status_code=303)
    except LoginRequired:
        pass
    notice = "登录已过期，请重新登录。" if expired else None
    return login_page(request, next_path=safe_next(next), notice=notice)


@router.post("/login")
async def login_submit(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Check the password; on success set the session cookie and go on to the page asked for."""
    form = await request.form()
    username = str(form.get("username") or "").strip()
    next_path = safe_next(str(form.get("next") or "/"))
    if not login_csrf_ok(request, str(form.get(CSRF_FIELD) or "")):
        return login_page(
            request,
            next_path=next_path,
            username=username,
            status=403,
            error="登录页面已过期，请重新输入用户名和密码。",
        )
    attempt = count_login_attempt(request, username)  # counted before the password is checked
    if wait := attempt.wait:  # the same throttle as POST /api/auth/token
        return login_page(
            request,
            next_path=next_path,
            username=username,
            status=429,
            error=f"登录失败次数过多，请{(wait + 59) // 60}分钟后再试。",
        )
    user = authenticate(session=session, username=username, password=str(form.get("password") or ""))
    ok = user is not None and user.active
    note_login(request, attempt, ok)
    if not ok:
        return login_page(request, next_path=next_path, username=username, status=401, error="用户名或密码不正确。")
    response = redirect(request, next_path)
    start_session(response, request, user, settings)
    return response


@router.get("/logout")
def logout_confirm(request: Request, user: WebUser) -> Response:
    """A page with the logout button (logging out changes state, so it is a POST)."""
    return render(request, "logout.html")


@router.post("/logout")
def logout(request: Request, form: CheckedForm) -> Response:
    """End the session."""
    response = redirect(request, "/login", "您已安全退出。")
    end_session(response, request)
    return response

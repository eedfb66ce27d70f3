"""User accounts for the admin (list, create, change role, unit and name, deactivate, reset a password) and,
for everyone, the page to set one's own password (forced after a reset)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import JurisdictionDep, SessionDep, SettingsDep
from api.web.errors import WebRoute
from api.web.forms import errors_by_field
from api.web.pages import PageForbidden, PageNotFound, clean, redirect, render
from api.web.texts import ROLE_LABELS
from api.web_auth import CSRF_FIELD, CheckedForm, WebUser, start_session
from db.accounts import (
    User,
    UserChange,
    UserCreate,
    change_user,
    create_user,
    get_user,
    list_users,
    reset_password,
)
from db.logins import change_password
from domain.errors import DomainError
from domain.roles import LIAISON_UNITS, Role, unit_fits_role

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MIN_PASSWORD = 8


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise PageForbidden("只有系统管理员可以管理用户。")


def _users_page(
    request: Request, session, jurisdiction, *, values: dict | None = None, errors: dict | None = None, status=200
) -> HTMLResponse:
    units = [(code, unit.name) for code, unit in jurisdiction.units.items()]
    return render(
        request,
        "users.html",
        status=status,
        users=list_users(session=session),
        roles=list(ROLE_LABELS.items()),
        units=units,
        liaison_units=[(code, name) for code, name in units if code in LIAISON_UNITS],
        values=values or {},
        errors=errors or {},
    )


def _user_or_404(session, user_id: str) -> User:
    user = get_user(session=session, user_id=int(user_id)) if user_id.isdigit() else None
    if user is None:
        raise PageNotFound(f"没有编号为 {user_id} 的用户。")
    return user


@router.get("/users")
def users_page(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    """Every account with its role, unit and state, and the form to add one."""
    _require_admin(user)
    return _users_page(request, session, jurisdiction)


@router.post("/users")
def user_create(
    request: Request, session: SessionDep, user: WebUser, form: CheckedForm, jurisdiction: JurisdictionDep
) -> Response:
    """Add an account; every error at once, next to its field."""
    _require_admin(user)
    values = {key: str(value) for key, value in form.items() if key not in (CSRF_FIELD, "password")}
    body = {key: clean(form.get(key)) for key in ("username", "full_name", "role", "unit")}
    body["password"] = str(form.get("password") or "")
    errors: dict[str, str] = {}
    data = None
    try:
        data = UserCreate.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        errors, _general = errors_by_field(exc)
    unit, role = body["unit"], body["role"]
    if unit and unit not in jurisdiction.units:
        errors.setdefault("unit", "请从列表中选择")
    elif unit and role and not unit_fits_role(role, unit):
        errors.setdefault("unit", "联络员只能属于公安、法院、检察院或人民银行")
    if data is not None and not errors:
        try:
            created = create_user(
                session=session,
                username=data.username,
                password=data.password,
                role=data.role,
                unit=data.unit,
                full_name=data.full_name,
            )
        except DomainError as exc:
            errors[(exc.field or "username").removeprefix("body.")] = _zh(exc)
        else:
            name = created.full_name or created.username
            return redirect(request, "/users", f"已添加用户 {name}（{created.username}）。")
    return _users_page(request, session, jurisdiction, values=values, errors=errors, status=422)


def _zh(exc: DomainError) -> str:
    if exc.code == "not_allowed_now":
        return "此用户名已被使用"
    return exc.text("zh")


@router.post("/users/{user_id}")
def user_change(
    user_id: str,
    request: Request,
    session: SessionDep,
    user: WebUser,
    form: CheckedForm,
    jurisdiction: JurisdictionDep,
) -> Response:
    """Change an account's full name, role and unit, or (de)activate it (ending its sessions)."""
    _require_admin(user)
    target = _user_or_404(session, user_id)
    what = str(form.get("do") or "change")
    if what in ("deactivate", "activate"):
        if target.id == user.id:
            return redirect(request, "/users", "不能停用自己的账号。", "error")
        change_user(session=session, user=target, change=UserChange(active=what == "activate"))
        said = "已启用" if what == "activate" else "已停用，其登录已全部失效"
        return redirect(request, "/users", f"用户 {target.username} {said}。")
    unit = clean(form.get("unit"))
    if unit is not None and unit not in jurisdiction.units:
        return redirect(request, "/users", "请从列表中选择单位。", "error")
    try:
        change = UserChange(role=clean(form.get("role")), unit=unit, full_name=str(form.get("full_name") or ""))
        change_user(session=session, user=target, change=change)
    except ValidationError:
        return redirect(request, "/users", "角色或姓名填写有误。", "error")
    except DomainError as exc:
        session.rollback()
        return redirect(request, "/users", f"未修改 {target.username}：{exc.text('zh')}。", "error")
    return redirect(request, "/users", f"已修改用户 {target.username}。")


@router.post("/users/{user_id}/password")
def user_reset(user_id: str, request: Request, session: SessionDep, user: WebUser, form: CheckedForm) -> Response:
    """Set a temporary password the user must replace at the next login; their sessions end."""
    _require_admin(user)
    target = _user_or_404(session, user_id)
    password = str(form.get("password") or "")
    if len(password) < MIN_PASSWORD:
        return redirect(request, "/users", f"临时密码至少 {MIN_PASSWORD} 位，{target.username} 的密码未重置。", "error")
    reset_password(session=session, user=target, password=password)
    return redirect(request, "/users", f"已重置 {target.username} 的密码；该用户下次登录时须设置新密码。")


# ---- one's own password --------------------------------------------------------------------------


@router.get("/password")
def password_page(request: Request, user: WebUser) -> Response:
    """The form to set a new password (the only page open after an admin's reset)."""
    return render(request, "password.html", errors={}, forced=user.must_change_password)


@router.post("/password")
def password_change(
    request: Request, session: SessionDep, settings: SettingsDep, user: WebUser, form: CheckedForm
) -> Response:
    """Check the current password, set the new one, end every other session and log in afresh."""
    current, new, again = (str(form.get(k) or "") for k in ("current_password", "new_password", "new_password2"))
    errors: dict[str, str] = {}
    if len(new) < MIN_PASSWORD:
        errors["new_password"] = f"新密码至少 {MIN_PASSWORD} 位"
    elif new != again:
        errors["new_password2"] = "两次输入的新密码不一致"
    if not errors:
        try:
            change_password(session=session, user=user, current=current, new=new)
        except DomainError as exc:
            field = (exc.field or "").removeprefix("body.")
            errors[field or "current_password"] = (
                "当前密码不正确" if field == "current_password" else "新密码不能与当前密码相同"
            )
    if errors:
        return render(request, "password.html", status=422, errors=errors, forced=user.must_change_password)
    response = redirect(request, "/", "新密码已设置。")
    start_session(response, request, user, settings)
    return response

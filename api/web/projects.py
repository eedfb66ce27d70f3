"""Construction projects: the list, registering one, one project with its wage-guarantee deposit."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.case_service import check_township
from api.deps import JurisdictionDep, SessionDep
from api.inputs import WEB_FORM
from api.params import parse_number
from api.web.display import People
from api.web.errors import WebRoute
from api.web.forms import errors_by_field
from api.web.intake import project_body
from api.web.pages import (
    PAGE_SIZE,
    PageNotFound,
    redirect,
    render,
    require_registrar,
    township_options,
)
from api.web_auth import CSRF_FIELD, CheckedForm, WebUser
from db.accounts import ProjectCreate, create_project, get_project, list_projects, people
from db.deposits import deposit_ledger
from domain.errors import InvalidInput

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _deposit(session, project_id: int) -> dict | None:
    """The project's wage-guarantee deposit {balance, ledger: [...]}, or None without one."""
    data = deposit_ledger(session=session, project_id=project_id)
    if data is None:
        return None
    return data if isinstance(data, dict) else data.model_dump()


@router.get("/projects")
def projects_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: str = "1",
) -> Response:
    """Registered construction projects, newest first, with a search box."""
    page = parse_number(page) or 1
    rows, total = list_projects(session=session, q=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(
        request, "projects.html", projects=rows, total=total, q=q or "", page=page, pages=max(1, -(-total // PAGE_SIZE))
    )


def _project_form_page(
    request: Request, *, values: dict, status: int = 200, errors: dict | None = None, general: list | None = None
) -> HTMLResponse:
    return render(
        request,
        "project_new.html",
        status=status,
        values=values,
        errors=errors or {},
        general=general or [],
        townships=township_options(request),
    )


@router.get("/projects/new")
def project_new(request: Request, user: WebUser) -> Response:
    """The form to register a project."""
    require_registrar(user)
    return _project_form_page(request, values={})


@router.post("/projects/new")
def project_create(
    request: Request, session: SessionDep, user: WebUser, form: CheckedForm, jurisdiction: JurisdictionDep
) -> Response:
    """Register a project; errors are shown next to their fields."""
    require_registrar(user)
    values = {key: str(value) for key, value in form.items() if key != CSRF_FIELD}
    try:
        data = ProjectCreate.model_validate(project_body(form), context=WEB_FORM)
        check_township(jurisdiction, data.township, "township")
    except ValidationError as exc:
        errors, general = errors_by_field(exc)
        return _project_form_page(request, values=values, status=422, errors=errors, general=general)
    except InvalidInput as exc:
        name = exc.field.removeprefix("body.") if exc.field else "township"
        return _project_form_page(request, values=values, status=422, errors={name: exc.text("zh")})
    project = create_project(session=session, data=data, created_by=user.username)
    return redirect(request, f"/projects/{project.id}", f"项目“{project.name}”已登记。")


@router.get("/projects/{project_id}")
def project_page(project_id: str, request: Request, session: SessionDep, user: WebUser) -> Response:
    """One project with its parties and its wage-guarantee deposit ledger."""
    number = parse_number(project_id)
    project = get_project(session=session, project_id=number) if number else None
    if project is None:
        raise PageNotFound(f"没有编号为 {project_id} 的项目。")
    who = People(people(session=session, usernames={project.created_by}), request.app.state.jurisdiction)
    return render(request, "project.html", project=project, deposit=_deposit(session, project.id), people=who)

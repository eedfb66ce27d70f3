"""Construction projects that complaints refer to (POST /api/projects); each is monitored for payrolls."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from starlette.concurrency import run_in_threadpool

from api import monitoring_service
from api.case_service import check_township
from api.deps import CurrentUser, JurisdictionDep, SessionDep, get_temporal, require_roles
from api.params import Offset, RecordId
from db.accounts import (
    ProjectCreate,
    ProjectList,
    ProjectPublic,
    User,
    create_project,
    get_project,
    list_projects,
)
from db.engine import session_scope
from db.monitoring import ProjectMonitor
from domain.roles import Role

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/projects", tags=["projects"])

ProjectEditor = Annotated[
    User, Depends(require_roles(Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN))
]


def _public(project, monitor: ProjectMonitor | None) -> ProjectPublic:
    out = ProjectPublic.from_row(project)
    if monitor is not None:
        out.works_started_at = monitor.works_started_at
        out.payday = monitor.payday
        out.special_account_bank = monitor.account_bank
        out.special_account_no = monitor.account_no
    return out


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a project")
async def post_project(
    body: ProjectCreate, request: Request, jurisdiction: JurisdictionDep, user: ProjectEditor
) -> ProjectPublic:
    """Register a project; its township must be a township of the jurisdiction. From then on its pay
    periods are monitored (every `payroll_cycle` from `works_started_at`, docs/monitoring.md)."""
    check_township(jurisdiction, body.township, "body.township")
    engine = request.app.state.engine

    def store():
        with session_scope(engine) as session:
            project = create_project(session=session, data=body, created_by=user.username, commit=False)
            monitor = monitoring_service.register_monitor(
                session=session,
                jurisdiction=jurisdiction,
                project=project,
                works_started_at=body.works_started_at,
                payday=body.payday,
                account_bank=body.special_account_bank,
                account_no=body.special_account_no,
            )
            session.flush()
            session.refresh(project)  # as stored: amounts with their two places
            return project, monitor

    project, monitor = await run_in_threadpool(store)
    if monitor is not None:
        try:
            client = await get_temporal(request)
            await monitoring_service.start_monitor(
                client,
                jurisdiction=jurisdiction,
                project_id=project.id,
                task_queue=request.app.state.settings.task_queue,
                name=project.name,
            )
        except Exception as err:  # the project stands; the worker starts monitors not running (docs/monitoring.md)
            log.warning("monitoring of project %s not started now (%s); the worker starts it", project.id, err)
    return _public(project, monitor)


@router.get("/{project_id}", summary="One project")
def get_one_project(project_id: RecordId, session: SessionDep, _user: CurrentUser) -> ProjectPublic:
    """The project, or 404."""
    project = get_project(session=session, project_id=project_id)
    if project is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no project with id {project_id}")
    return _public(project, session.get(ProjectMonitor, project_id))


@router.get("", summary="Search projects")
def get_projects(
    session: SessionDep,
    _user: CurrentUser,
    q: Annotated[str | None, Query(description="part of a name, or a credit code")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> ProjectList:
    """Projects, newest first, with the total number that match."""
    rows, total = list_projects(session=session, q=q, limit=limit, offset=offset)
    return ProjectList(items=[ProjectPublic.from_row(row) for row in rows], total=total)

"""Construction projects that complaints refer to (CONTRACT.md, POST /api/projects)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from api.case_service import check_township
from api.deps import CurrentUser, JurisdictionDep, SessionDep, require_roles
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
from domain.roles import Role

router = APIRouter(prefix="/api/projects", tags=["projects"])

ProjectEditor = Annotated[
    User, Depends(require_roles(Role.CLERK, Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN))
]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a project")
def post_project(
    body: ProjectCreate, session: SessionDep, jurisdiction: JurisdictionDep, user: ProjectEditor
) -> ProjectPublic:
    """Register a project; its township must be a township of the jurisdiction."""
    check_township(jurisdiction, body.township, "body.township")
    project = create_project(session=session, data=body, created_by=user.username)
    return ProjectPublic.from_row(project)


@router.get("/{project_id}", summary="One project")
def get_one_project(project_id: RecordId, session: SessionDep, _user: CurrentUser) -> ProjectPublic:
    """The project, or 404."""
    project = get_project(session=session, project_id=project_id)
    if project is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no project with id {project_id}")
    return ProjectPublic.from_row(project)


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

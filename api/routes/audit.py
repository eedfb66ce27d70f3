"""The personal-data audit trail: who saw unmasked ID numbers and phones of which case, and when."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import SessionDep, require_roles
from db.accounts import User
from db.audit import PersonalDataViewList, PersonalDataViewPublic, list_views
from domain.roles import Role

router = APIRouter(prefix="/api/audit", tags=["audit"])

Auditor = Annotated[User, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]


@router.get("/personal-data-views", summary="Views of unmasked personal data (supervisor, admin)")
def get_personal_data_views(
    session: SessionDep,
    _user: Auditor,
    case_no: Annotated[str | None, Query(max_length=32)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PersonalDataViewList:
    """Newest first; each row is one view of one case (case_no null: payloads naming no case)."""
    rows, total = list_views(session=session, case_no=case_no, username=username, limit=limit, offset=offset)
    return PersonalDataViewList(items=[PersonalDataViewPublic.model_validate(r) for r in rows], total=total)

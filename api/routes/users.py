"""User accounts: the admin creates and lists them; everyone can see who they are logged in as and change
their own password."""

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from api.deps import AdminUser, CurrentUser, JurisdictionDep, SessionDep
from db.accounts import UserCreate, UserPublic, create_user, list_users
from db.logins import change_password
from domain.errors import InvalidInput

router = APIRouter(prefix="/api/users", tags=["users"])


class PasswordChange(BaseModel):
    current_password: Annotated[str, Field(max_length=128)]
    new_password: Annotated[str, Field(min_length=8, max_length=128)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user (admin)")
def post_user(body: UserCreate, session: SessionDep, jurisdiction: JurisdictionDep, _admin: AdminUser) -> UserPublic:
    """Create a user in a unit of the jurisdiction; 409 if the username is taken."""
    if body.unit not in jurisdiction.units:
        raise InvalidInput(f"unknown unit {body.unit!r} (not a unit of {jurisdiction.name})", field="body.unit")
    user = create_user(
        session=session,
        username=body.username,
        password=body.password,
        role=body.role,
        unit=body.unit,
        full_name=body.full_name,
    )
    return UserPublic.model_validate(user)


@router.get("/me", summary="The logged-in user")
def get_me(user: CurrentUser) -> UserPublic:
    """The user the token belongs to."""
    return UserPublic.model_validate(user)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Change your password (ends all your sessions)",
)
def post_password(body: PasswordChange, user: CurrentUser, session: SessionDep) -> Response:
    """Set a new password after checking the current one; every token of the user, this one included, is
    refused afterwards (log in again)."""
    change_password(session=session, user=user, current=body.current_password, new=body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", summary="All users (admin)")
def get_users(session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    """Every user account, by username."""
    return [UserPublic.model_validate(user) for user in list_users(session=session)]

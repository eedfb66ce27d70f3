"""User accounts: the admin creates, lists and changes them (role, unit, full name, deactivation, a
password reset that the user must replace at the next login); everyone can see who they are logged in as
and change their own password."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field

from api.deps import AdminUser, CurrentUser, JurisdictionDep, SessionDep
from db.accounts import (
    PasswordReset,
    User,
    UserChange,
    UserCreate,
    UserPublic,
    change_user,
    create_user,
    get_user,
    list_users,
    reset_password,
)
from db.logins import change_password
from domain.errors import InvalidInput

router = APIRouter(prefix="/api/users", tags=["users"])


class PasswordChange(BaseModel):
    current_password: Annotated[str, Field(max_length=128)]
    new_password: Annotated[str, Field(min_length=8, max_length=128)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user (admin)")
def post_user(body: UserCreate, session: SessionDep, jurisdiction: JurisdictionDep, _admin: AdminUser) -> UserPublic:
    """Create a user in a unit of the jurisdiction (a liaison only in the police, court, procuratorate or
    bank); 409 if the username is taken."""
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


def _user_or_404(session: SessionDep, user_id: int) -> User:
    user = get_user(session=session, user_id=user_id)
    if user is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no user with id {user_id}")
    return user


@router.patch("/{user_id}", summary="Change a user's role, unit, full name or active flag (admin)")
def patch_user(
    user_id: int, body: UserChange, session: SessionDep, jurisdiction: JurisdictionDep, _admin: AdminUser
) -> UserPublic:
    """Change what is given; deactivating (`active: false`) ends every session of the user."""
    if body.unit is not None and body.unit not in jurisdiction.units:
        raise InvalidInput(f"unknown unit {body.unit!r} (not a unit of {jurisdiction.name})", field="body.unit")
    user = change_user(session=session, user=_user_or_404(session, user_id), change=body)
    return UserPublic.model_validate(user)


@router.post("/{user_id}/password", summary="Reset a user's password (admin)")
def post_reset(user_id: int, body: PasswordReset, session: SessionDep, _admin: AdminUser) -> UserPublic:
    """Set a temporary password; the user's sessions end and they must set a new one at the next login."""
    user = reset_password(session=session, user=_user_or_404(session, user_id), password=body.password)
    return UserPublic.model_validate(user)

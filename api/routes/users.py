"""User accounts: the admin creates and lists them; everyone can see who they are logged in as."""

from fastapi import APIRouter, status

from api.deps import AdminUser, CurrentUser, JurisdictionDep, SessionDep
from db.accounts import UserCreate, UserPublic, create_user, list_users
from domain.errors import InvalidInput

router = APIRouter(prefix="/api/users", tags=["users"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user (admin)")
def post_user(
    body: UserCreate, session: SessionDep, jurisdiction: JurisdictionDep, _admin: AdminUser
) -> UserPublic:
    """Create a user in a unit of the jurisdiction; 409 if the username is taken."""
    if body.unit not in jurisdiction.units:
        raise InvalidInput(
            f"unknown unit {body.unit!r} (not a unit of {jurisdiction.name})", field="body.unit"
        )
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


@router.get("", summary="All users (admin)")
def get_users(session: SessionDep, _admin: AdminUser) -> list[UserPublic]:
    """Every user account, by username."""
    return [UserPublic.model_validate(user) for user in list_users(session=session)]


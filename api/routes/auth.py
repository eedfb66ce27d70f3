"""Log in: exchange a username and password for a Bearer token (OAuth2 password flow)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import SessionDep, SettingsDep
from api.security import create_access_token
from api.throttle import ensure_login_allowed, note_login
from db.accounts import authenticate

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds
    role: str
    unit: str


@router.post("/token", summary="Log in (form fields username, password)")
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """A token for the user; 401 with the same message for an unknown user and a wrong password;
    429 after repeated failures for the account or from the address (api.throttle)."""
    ensure_login_allowed(request, form.username)
    user = authenticate(session=session, username=form.username, password=form.password)
    ok = user is not None and user.active
    note_login(request, form.username, ok)
    if not ok:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Token(
        access_token=create_access_token(user.username, user.role, user.unit, settings),
        expires_in=settings.token_minutes * 60,
        role=user.role,
        unit=user.unit,
    )

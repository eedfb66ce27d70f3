"""Log in and out: exchange a username and password for a Bearer token (OAuth2 password flow); end it."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, SettingsDep, oauth2_scheme
from api.security import decode_token, issue_token
from api.throttle import ensure_login_allowed, note_login
from db.accounts import authenticate
from db.logins import revoke_session

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int  # seconds
    role: str
    unit: str


@router.post("/token", summary="Log in (form fields username, password)")
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """A token for the user; 401 with the same message for an unknown user and a wrong password;
    429 after repeated failures for the account or from the address (api.throttle)."""
    attempt = ensure_login_allowed(request, form.username)  # counted before the password is checked
    user = authenticate(session=session, username=form.username, password=form.password)
    ok = user is not None and user.active
    note_login(request, attempt, ok)
    if not ok:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="incorrect username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Token(
        access_token=issue_token(session, user, settings),
        expires_in=settings.token_minutes * 60,
        role=user.role,
        unit=user.unit,
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Log out: the token is refused from now on",
)
def logout(
    _user: CurrentUser, session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Response:
    """End the session of this token (other sessions of the user stay open)."""
    revoke_session(session=session, session_id=decode_token(token or "", settings).session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

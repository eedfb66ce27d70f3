"""Request dependencies: settings, database session, current user, roles, jurisdiction, Temporal."""

from collections.abc import Callable, Iterator
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from temporalio.client import Client

from api.security import TokenClaims, decode_token
from core.codec import data_converter
from core.config import Settings
from db.accounts import User
from db.engine import get_engine
from db.logins import session_user
from db.types import utcnow
from domain.errors import Forbidden
from domain.jurisdiction import Jurisdiction
from domain.roles import Role

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request."""
    engine = getattr(request.app.state, "engine", None) or get_engine()
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def expire_reads(session: Session, user: User) -> None:
    """Expire what the request's session has read (the case's rows, to be read again once the workflow has
    written them), except the user it authenticated: unchanged within the request, and expiring it would
    cost a query to read it again at its next attribute."""
    for instance in list(session.identity_map.values()):
        if instance is not user:
            session.expire(instance)


def get_jurisdiction(request: Request) -> Jurisdiction:
    """The jurisdiction loaded at start-up."""
    return request.app.state.jurisdiction


JurisdictionDep = Annotated[Jurisdiction, Depends(get_jurisdiction)]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=message,
        headers={"WWW-Authenticate": "Bearer"},
    )


# What a user whose password was reset may still do before setting a new one.
PASSWORD_CHANGE_PATHS = frozenset({"/api/users/me", "/api/users/me/password"})


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The active user named by the Bearer token; 401 otherwise; 403 while a reset password awaits its
    replacement (POST /api/users/me/password)."""
    if not token:
        raise _unauthorized("not authenticated: send Authorization: Bearer <token>")
    user = user_from_token(session, settings, token)
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise Forbidden("your password was reset: set a new one first (POST /api/users/me/password)")
    return user


class TokenRefused(Exception):
    """A token that does not (or no longer) open a session; `expired`: it ran out of time."""

    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


def check_token(session: Session, settings: Settings, token: str) -> tuple[User, TokenClaims]:
    """The active user of a signed, unexpired token whose session is open, and its claims; TokenRefused
    otherwise. One lookup by primary key (the session, joined to its user) per request."""
    try:
        claims = decode_token(token, settings)
    except jwt.ExpiredSignatureError:
        raise TokenRefused("the token has expired; log in again", expired=True) from None
    except jwt.InvalidTokenError:
        raise TokenRefused("the token is not valid") from None
    found = session_user(session=session, session_id=claims.session_id) if claims.session_id else None
    if found is None or found[1].username != claims.username:
        raise TokenRefused("the token is not valid")
    login, user = found
    if not user.active:
        raise TokenRefused("the account of this token does not exist or is disabled")
    if login.revoked_at is not None:
        raise TokenRefused("this session has ended (logged out, or the password was changed); log in again")
    if login.expires_at <= utcnow():
        raise TokenRefused("the token has expired; log in again", expired=True)
    return user, claims


def user_from_token(session: Session, settings: Settings, token: str) -> User:
    """The active user a signed, unexpired token of an open session names; 401 otherwise."""
    try:
        return check_token(session, settings, token)[0]
    except TokenRefused as refused:
        raise _unauthorized(refused.message) from None


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_roles(*roles: Role) -> Callable[[User], User]:
    """A dependency that returns the current user if their role is one of `roles`, else 403."""
    allowed = frozenset(roles)
    needed = " or ".join(str(role) for role in roles)

    def check_role(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden(f"this needs the role {needed}; you are {user.role}")
        return user

    return check_role


AdminUser = Annotated[User, Depends(require_roles(Role.ADMIN))]


async def get_temporal(request: Request) -> Client:
    """The app's Temporal client, connected on first use; 503 if Temporal cannot be reached."""
    state = request.app.state
    if state.temporal is not None:
        return state.temporal
    async with state.temporal_lock:
        if state.temporal is None:
            settings: Settings = state.settings
            try:
                state.temporal = await Client.connect(
                    settings.temporal_address,
                    namespace=settings.temporal_namespace,
                    data_converter=data_converter(settings),
                )
            except Exception as exc:  # connection refused, bad address, TLS, … all mean the same here
                raise HTTPException(
                    status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                    detail=f"Temporal is not reachable at {settings.temporal_address}: {exc}",
                ) from exc
    return state.temporal


TemporalDep = Annotated[Client, Depends(get_temporal)]

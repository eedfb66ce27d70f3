"""Access tokens: signed JWTs (HS256) carrying the username, role, unit and the id of their session.

The token alone is not enough: its session (db.logins, the `jti` claim) must exist and not be revoked, so
logging out or changing the password ends it at once (api.deps.user_from_token)."""

from dataclasses import dataclass
from datetime import timedelta

import jwt
from sqlmodel import Session

from core.config import Settings
from db.accounts import User
from db.logins import open_session
from db.types import utcnow

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    unit: str
    session_id: str


def create_access_token(username: str, role: str, unit: str, settings: Settings, session_id: str = "") -> str:
    """A token for this user that expires after settings.token_minutes (valid only with a session id that
    names an open session: see issue_token)."""
    now = utcnow()
    claims = {
        "sub": username,
        "role": str(role),
        "unit": unit,
        "jti": session_id,
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def issue_token(session: Session, user: User, settings: Settings) -> str:
    """Open a session for the user and return its token."""
    row = open_session(session=session, user=user, minutes=settings.token_minutes)
    return create_access_token(user.username, user.role, user.unit, settings, session_id=row.id)


def decode_token(token: str, settings: Settings) -> TokenClaims:
    """The claims of a valid token; jwt.InvalidTokenError if it is malformed, forged or expired."""
    claims = jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    return TokenClaims(
        username=claims["sub"],
        role=claims.get("role", ""),
        unit=claims.get("unit", ""),
        session_id=str(claims.get("jti") or ""),
    )

"""Access tokens: signed JWTs (HS256) carrying the username, role and unit."""

from dataclasses import dataclass
from datetime import timedelta

import jwt

from core.config import Settings
from db.types import utcnow

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: str
    unit: str


def create_access_token(username: str, role: str, unit: str, settings: Settings) -> str:
    """A token for this user that expires after settings.token_minutes."""
    now = utcnow()
    claims = {
        "sub": username,
        "role": str(role),
        "unit": unit,
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_token(token: str, settings: Settings) -> TokenClaims:
    """The claims of a valid token; jwt.InvalidTokenError if it is malformed, forged or expired."""
    claims = jwt.decode(
        token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]}
    )
    return TokenClaims(username=claims["sub"], role=claims.get("role", ""), unit=claims.get("unit", ""))

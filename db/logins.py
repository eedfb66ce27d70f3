"""Log-in sessions and log-in attempts: the database is the one truth every API process shares.

A session is one row per issued token (its `jti`): logging out or changing the password revokes it, and
every request looks it up by primary key. An attempt is one row per log-in that is being checked or has
failed, counted per account and per client address before the (slow) password check, so that parallel
guesses cannot slip past the limit however many processes serve them.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, Index, delete, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from db.accounts import User, authenticate, hash_password
from db.types import UTCDateTime, utcnow
from domain.errors import InvalidInput

# ---- sessions ----------------------------------------------------------------------------------


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_sessions"

    id: str = Field(primary_key=True, max_length=43)  # the token's jti
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def open_session(*, session: Session, user: User, minutes: int) -> LoginSession:
    """A new session of the user for `minutes`, committed; sessions long expired are cleared on the way."""
    now = utcnow()
    session.exec(delete(LoginSession).where(col(LoginSession.expires_at) < now - timedelta(days=1)))
    row = LoginSession(
        id=secrets.token_urlsafe(24), user_id=user.id, created_at=now, expires_at=now + timedelta(minutes=minutes)
    )
    session.add(row)
    session.commit()
    return row


def session_user(*, session: Session, session_id: str) -> tuple[LoginSession, User] | None:
    """The session with this id and its user (one lookup by primary key), or None."""
    found = session.exec(
        select(LoginSession, User)
        .join(User, col(User.id) == col(LoginSession.user_id))
        .where(col(LoginSession.id) == session_id)
    ).first()
    return None if found is None else (found[0], found[1])


def revoke_session(*, session: Session, session_id: str) -> None:
    """End one session (logging out)."""
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.id) == session_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.commit()


def revoke_user_sessions(*, session: Session, user_id: int, commit: bool = True) -> None:
    """End every session of the user (password changed, account disabled)."""
    session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    if commit:
        session.commit()


def change_password(*, session: Session, user: User, current: str, new: str) -> None:
    """Set the user's new password if `current` is right, and end every session of the user."""
    if authenticate(session=session, username=user.username, password=current) is None:
        raise InvalidInput("the current password is not right", field="body.current_password")
    if new == current:
        raise InvalidInput("the new password must differ from the current one", field="body.new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    session.add(user)
    revoke_user_sessions(session=session, user_id=user.id, commit=False)
    session.commit()


# ---- attempts ----------------------------------------------------------------------------------


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100)  # "user:<name>" or "client:<address>"
    at: float = Field(index=True)  # seconds on the throttle's clock (wall clock: shared by every process)


def add_attempts(*, engine: Engine, keys: tuple[str, ...], at: float, forget_before: float) -> list[int]:
    """Count one attempt under each key, committed at once (before anyone checks a password), and drop
    attempts that left the window; the new rows' ids."""
    with Session(engine) as session:
        session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) <= forget_before))
        rows = [LoginAttempt(key=key, at=at) for key in keys]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def nth_newest_attempt(*, engine: Engine, key: str, since: float, n: int, except_ids: list[int]) -> float | None:
    """When the n-th newest attempt under `key` after `since` was made (not counting `except_ids`), or None
    if there are fewer than n."""
    with Session(engine) as session:
        return session.exec(
            select(LoginAttempt.at)
            .where(col(LoginAttempt.key) == key, col(LoginAttempt.at) > since, col(LoginAttempt.id).not_in(except_ids))
            .order_by(col(LoginAttempt.at).desc())
            .offset(n - 1)
            .limit(1)
        ).first()


def count_attempts(*, engine: Engine, key: str, since: float) -> int:
    """Attempts under `key` after `since`."""
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(LoginAttempt)
            .where(col(LoginAttempt.key) == key, col(LoginAttempt.at) > since)
        ).one()


def forget_attempts(*, engine: Engine, ids: list[int], keys: tuple[str, ...] = ()) -> None:
    """Delete these attempts, and every attempt under `keys`."""
    with Session(engine) as session:
        session.exec(delete(LoginAttempt).where(col(LoginAttempt.id).in_(ids)))
        if keys:
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.key).in_(keys)))
        session.commit()

"""User accounts and construction projects: tables, API schemas and data access."""

from datetime import datetime
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import AfterValidator, BaseModel, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import String, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from api.inputs import Name, PlainDecimal
from db.types import Money, UTCDateTime, utcnow
from domain.errors import InvalidInput, NotAllowedNow
from domain.identity import check_credit_code
from domain.model import Organisation, ProjectInfo
from domain.roles import LIAISON_UNITS, Role, unit_fits_role
from domain.routing import LAND_TYPES, PROJECT_TYPES, ProjectFacts

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def _credit_code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return check_credit_code(value)  # GB 32100-2015: characters and check character
    except InvalidInput as err:  # a pydantic error whose type is the domain's code (domain.texts)
        raise PydanticCustomError(err.code, "{message}", {**err.params, "message": err.message}) from None


CreditCode = Annotated[str | None, AfterValidator(_credit_code)]
Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{2,64}$")]


class OrgInfo(BaseModel):
    """An organisation named in a case or project, with its optional unified social credit code."""

    name: Name
    credit_code: CreditCode = None

    def to_domain(self) -> Organisation:
        """The same organisation as the workflow's dataclass."""
        return Organisation(name=self.name, credit_code=self.credit_code)


# ---- users -------------------------------------------------------------------------------------


class UserBase(SQLModel):
    username: Username = Field(max_length=64, unique=True, index=True)
    role: Role = Field(sa_type=String(16))
    unit: str = Field(max_length=32)
    full_name: str | None = Field(default=None, max_length=64)


class User(UserBase, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    active: bool = True
    must_change_password: bool = False  # the admin reset the password: the user sets a new one first
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=128)


class UserPublic(UserBase):
    id: int
    active: bool
    must_change_password: bool = False
    created_at: datetime


class UserChange(SQLModel):
    """What the admin may change of a user; absent fields stay as they are."""

    role: Role | None = None
    unit: str | None = Field(default=None, max_length=32)
    full_name: str | None = Field(default=None, max_length=64)
    active: bool | None = None


class PasswordReset(SQLModel):
    """A temporary password the admin hands over; the user must replace it at the next login."""

    password: str = Field(min_length=8, max_length=128)


def hash_password(password: str) -> str:
    """An argon2 hash of the password."""
    return _hasher.hash(password)


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    unit: str,
    full_name: str | None = None,
) -> User:
    """Create an active user; NotAllowedNow if the username is taken."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}", field="role") from None
    check_role_unit(role, unit)
    if get_user_by_username(session=session, username=username) is not None:
        raise NotAllowedNow(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        unit=unit,
        full_name=full_name,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # created concurrently
        session.rollback()
        raise NotAllowedNow(f"user {username!r} already exists", field="username") from None
    session.refresh(user)
    return user


def get_user(*, session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def check_role_unit(role: str, unit: str) -> None:
    """InvalidInput unless a user of `role` may belong to `unit` (a liaison: police, court, procuratorate,
    bank)."""
    if not unit_fits_role(role, unit):
        raise InvalidInput(code="liaison_unit", field="body.unit", unit=unit, units=", ".join(LIAISON_UNITS))


def change_user(*, session: Session, user: User, change: UserChange) -> User:
    """Apply the admin's change (role, unit, full name, active); deactivating ends the user's sessions."""
    from db.logins import revoke_user_sessions  # logins builds on accounts

    role = change.role or user.role
    unit = change.unit or user.unit
    check_role_unit(role, unit)
    user.role, user.unit = Role(role), unit
    if change.full_name is not None:
        user.full_name = change.full_name.strip() or None
    if change.active is not None:
        user.active = change.active
    session.add(user)
    if change.active is False:
        revoke_user_sessions(session=session, user_id=user.id, commit=False)
    session.commit()
    session.refresh(user)
    return user


def reset_password(*, session: Session, user: User, password: str) -> User:
    """Give the user a temporary password they must change at the next login; ends their sessions."""
    from db.logins import revoke_user_sessions

    user.password_hash = hash_password(password)
    user.must_change_password = True
    session.add(user)
    revoke_user_sessions(session=session, user_id=user.id, commit=False)
    session.commit()
    session.refresh(user)
    return user


def people(*, session: Session, usernames: set[str]) -> dict[str, User]:
    """The users with these usernames (one query), by username; unknown names are left out."""
    if not usernames:
        return {}
    return {u.username: u for u in session.exec(select(User).where(col(User.username).in_(sorted(usernames))))}


def get_user_by_username(*, session: Session, username: str) -> User | None:
    """The user with this username, or None."""
    return session.exec(select(User).where(User.username == username)).first()


def list_users(*, session: Session) -> list[User]:
    """All users, by username."""
    return list(session.exec(select(User).order_by(col(User.username))))


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The user if the password is right, else None (taking as long for unknown users)."""
    user = get_user_by_username(session=session, username=username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.commit()
        session.refresh(user)
    return user


def ensure_admin(*, session: Session, password: str, unit: str = "hrss") -> User:
    """Create the user `admin`, or reset its password, role, unit and active flag."""
    user = get_user_by_username(session=session, username="admin")
    if user is None:
        return create_user(session=session, username="admin", password=password, role=Role.ADMIN, unit=unit)
    user.password_hash = hash_password(password)
    user.role = Role.ADMIN
    user.unit = unit
    user.active = True
    user.must_change_password = False
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


# ---- projects ----------------------------------------------------------------------------------


class ProjectBase(SQLModel):
    name: Name = Field(max_length=200)
    type: str = Field(max_length=32, schema_extra={"json_schema_extra": {"enum": list(PROJECT_TYPES)}})
    township: str | None = Field(default=None, max_length=32)
    has_permit: bool
    land: str = Field(max_length=16, schema_extra={"json_schema_extra": {"enum": list(LAND_TYPES)}})
    government_invested: bool
    contract_amount: PlainDecimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2, sa_type=Money)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in PROJECT_TYPES:
            raise PydanticCustomError(
                "unknown_project_type",
                "unknown project type {value}; expected one of {known}",
                {"value": value, "known": ", ".join(PROJECT_TYPES)},
            )
        return value

    @field_validator("land")
    @classmethod
    def _known_land(cls, value: str) -> str:
        if value not in LAND_TYPES:
            raise PydanticCustomError(
                "unknown_land_type",
                "unknown land type {value}; expected one of {known}",
                {"value": value, "known": ", ".join(LAND_TYPES)},
            )
        return value


class Project(ProjectBase, table=True):
    __tablename__ = "projects"

    id: int | None = Field(default=None, primary_key=True)
    construction_unit_name: str = Field(max_length=200)  # 建设单位
    construction_unit_credit_code: str | None = Field(default=None, max_length=18)
    general_contractor_name: str = Field(max_length=200)  # 施工总承包单位
    general_contractor_credit_code: str | None = Field(default=None, max_length=18)
    subcontractor_name: str | None = Field(default=None, max_length=200)  # 分包单位
    subcontractor_credit_code: str | None = Field(default=None, max_length=18)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)

    def facts(self) -> ProjectFacts:
        """What routing needs to know about this project."""
        return ProjectFacts(
            type=self.type,
            township=self.township,
            has_permit=self.has_permit,
            land=self.land,
            government_invested=self.government_invested,
        )

    def to_info(self) -> ProjectInfo:
        """The project as the case workflow holds it."""
        sub = None
        if self.subcontractor_name:
            sub = Organisation(name=self.subcontractor_name, credit_code=self.subcontractor_credit_code)
        return ProjectInfo(
            id=self.id,
            name=self.name,
            facts=self.facts(),
            construction_unit=Organisation(
                name=self.construction_unit_name, credit_code=self.construction_unit_credit_code
            ),
            general_contractor=Organisation(
                name=self.general_contractor_name, credit_code=self.general_contractor_credit_code
            ),
            subcontractor=sub,
        )


class ProjectCreate(ProjectBase):
    construction_unit: OrgInfo
    general_contractor: OrgInfo
    subcontractor: OrgInfo | None = None
    # Payroll monitoring (db/monitoring.py, docs/monitoring.md); kept in project_monitors, not here.
    works_started_at: datetime | None = Field(
        default=None, description="when works started (pay periods count from it); default: registration"
    )
    payday: int | None = Field(default=None, ge=1, le=31, description="day of the month wages are due")
    special_account_bank: str | None = Field(
        default=None, max_length=100, description="bank of the project's 农民工工资专用账户"
    )
    special_account_no: str | None = Field(default=None, max_length=40, description="its account number")


class ProjectPublic(ProjectCreate):
    id: int
    created_at: datetime
    created_by: str

    @classmethod
    def from_row(cls, project: Project) -> "ProjectPublic":
        """The public view of a stored project, with its parties nested as on input."""
        sub = None
        if project.subcontractor_name:
            sub = OrgInfo(name=project.subcontractor_name, credit_code=project.subcontractor_credit_code)
        return cls(
            **project.model_dump(include=set(ProjectBase.model_fields) | {"id", "created_at", "created_by"}),
            construction_unit=OrgInfo(
                name=project.construction_unit_name, credit_code=project.construction_unit_credit_code
            ),
            general_contractor=OrgInfo(
                name=project.general_contractor_name, credit_code=project.general_contractor_credit_code
            ),
            subcontractor=sub,
        )


class ProjectList(SQLModel):
    items: list[ProjectPublic]
    total: int


def create_project(*, session: Session, data: ProjectCreate, created_by: str, commit: bool = True) -> Project:
    """Store a new project registered by the user `created_by` (commit=False: inside a larger transaction)."""
    sub = data.subcontractor
    project = Project(
        **data.model_dump(include=set(ProjectBase.model_fields)),
        construction_unit_name=data.construction_unit.name,
        construction_unit_credit_code=data.construction_unit.credit_code,
        general_contractor_name=data.general_contractor.name,
        general_contractor_credit_code=data.general_contractor.credit_code,
        subcontractor_name=sub.name if sub else None,
        subcontractor_credit_code=sub.credit_code if sub else None,
        created_by=created_by,
    )
    session.add(project)
    if commit:
        session.commit()
        session.refresh(project)
    else:
        session.flush()
    return project


def get_project(*, session: Session, project_id: int) -> Project | None:
    """The project with this id, or None."""
    return session.get(Project, project_id)


def list_projects(
    *, session: Session, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Project], int]:
    """Projects whose name or parties contain `q`, newest first, and how many match in all."""
    query = select(Project)
    if q and q.strip():
        text = q.strip()
        query = query.where(
            or_(
                col(Project.name).icontains(text, autoescape=True),
                col(Project.construction_unit_name).icontains(text, autoescape=True),
                col(Project.general_contractor_name).icontains(text, autoescape=True),
                col(Project.subcontractor_name).icontains(text, autoescape=True),
                col(Project.construction_unit_credit_code) == text.upper(),
                col(Project.general_contractor_credit_code) == text.upper(),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Project.id).desc()).offset(offset).limit(limit))
    return list(rows), total

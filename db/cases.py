"""Case tables: the database projection of the case workflows, and the data-access functions on it.

Only activities write these rows (from the workflow's state); the API reads them for lists, details,
statistics and documents. Every write is idempotent: rows are keyed by (case_no, seq).
"""

import hashlib
import json
import zlib
from datetime import datetime
from decimal import Decimal

from pydantic import TypeAdapter
from sqlalchemy import (
    Column,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    delete,
    insert,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session
from sqlmodel import Field, Session, SQLModel, select

from db.search import CaseSearchGram, grams_of
from db.types import Money, UTCDateTime, utcnow
from domain.model import CasePolicy, CaseState
from domain.routing import RoutingConfig

_STATE = TypeAdapter(CaseState)
_POLICY = TypeAdapter(CasePolicy)
# The columns whose bigrams make a case's search index (db.search); case_no first.
SEARCHED_COLUMNS = (
    "case_no",
    "employer_name",
    "employer_credit_code",
    "project_name",
    "complainant_name",
    "party_names",
)
PARTY_SEPARATOR = "\n"  # between the names in party_names (never typed in a search box)


class CaseRecord(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_stage_next", "stage", "next_deadline_at"),
        Index("ix_cases_lead_next", "lead_unit", "next_deadline_at"),
        # counts of a unit's filtered list read this index alone (80 -> 34 ms p50 at 100,000 rows, timed directly)
        Index("ix_cases_stage_overdue_case", "stage", "overdue", "case_no"),
        # a township's list by stage is counted from this index alone; without it SQLite (which has no
        # statistics unless ANALYZE runs) counted through the stage index: 92 -> 8 ms p50 at 40,000 cases
        Index("ix_cases_township_stage", "township", "stage"),
        # every column the statistics read (case_stats): they read this index alone, not every case row
        # (136 -> 52 ms at 100,000 cases on PostgreSQL, EXPLAIN ANALYZE on a shared machine; migration 0014;
        # the outcome since the joined flag is grouped, migration 0015). A column case_stats reads goes here.
        Index(
            "ix_cases_stats",
            "lead_unit",
            "township",
            "stage",
            "overdue",
            "escalated",
            "amount_claimed",
            "amount_recovered",
            "outcome",
        ),
    )

    case_no: str = Field(primary_key=True, max_length=32)
    version: int = 0
    stage: str = Field(index=True, max_length=32)
    lead_unit: str = Field(index=True, max_length=64)
    township: str | None = Field(default=None, index=True, max_length=64)
    channel: str = Field(max_length=32)
    received_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    registered_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    registered_by: str = Field(max_length=64)
    complainant_name: str = Field(max_length=200)
    complainant_phone: str | None = Field(default=None, max_length=32)
    complainant_id_number: str | None = Field(default=None, max_length=32)
    employer_name: str = Field(max_length=300, index=True)
    employer_credit_code: str | None = Field(default=None, max_length=18, index=True)
    project_id: int | None = Field(default=None, index=True)
    project_name: str | None = Field(default=None, max_length=300)
    # the project's other parties (建设单位, 施工总承包单位, 分包单位), one a line: searched like the employer
    party_names: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    amount_claimed: Decimal = Field(sa_column=Column(Money, nullable=False))
    amount_owed: Decimal | None = Field(default=None, sa_column=Column(Money, nullable=True))
    amount_recovered: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))
    workers_count: int = 0
    major: bool = Field(default=False, index=True)
    overdue: bool = Field(default=False, index=True)
    escalated: bool = Field(default=False, index=True)
    next_deadline_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True, index=True))
    liable_party: str | None = Field(default=None, max_length=32)
    outcome: str | None = Field(default=None, max_length=200)
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    pending_actions: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # The workflow state without its policy, which is stored once in case_policies under this hash (rows
    # written before migration 0013 have no hash and the policy inside state_json).
    state_json: str = Field(sa_column=Column(Text, nullable=False))
    policy_hash: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CasePolicyRecord(SQLModel, table=True):
    """A policy snapshot (CasePolicy: the jurisdiction's rules a case started under), stored once for all
    the cases that carry it, by the SHA-256 of its JSON. The policy was 83% of a case's stored state
    (about 15 KB of 18): every case registered under the same jurisdiction file carries the same one."""

    __tablename__ = "case_policies"
    hash: str = Field(primary_key=True, max_length=64)
    policy_json: str = Field(sa_column=Column(Text, nullable=False))


class CaseUnit(SQLModel, table=True):
    """Which units may see and work a case: the lead and the co-handlers (unit scoping).

    Each row repeats the case's stage and overdue flag, so that a unit's list filtered by them is counted
    from this table's index alone, without reading the cases (list_cases)."""

    __tablename__ = "case_units"
    __table_args__ = (Index("ix_case_units_unit_stage_overdue", "unit", "stage", "overdue", "case_no"),)
    case_no: str = Field(primary_key=True, max_length=32)
    unit: str = Field(primary_key=True, max_length=64, index=True)
    role: str = Field(max_length=8)  # lead | co | liaison
    stage: str = Field(default="", max_length=32)  # as cases.stage
    overdue: bool = False  # as cases.overdue


class CaseDeadline(SQLModel, table=True):
    __tablename__ = "case_deadlines"
    case_no: str = Field(primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=64, index=True)
    unit: str = Field(max_length=64)
    start_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))
    status: str = Field(max_length=16, index=True)
    level: int = 0
    basis: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    extended_working_days: int = 0


class CaseEvent(SQLModel, table=True):
    """The case timeline."""

    __tablename__ = "case_events"
    case_no: str = Field(primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    kind: str = Field(max_length=64)
    actor: str = Field(max_length=64)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class CaseEscalation(SQLModel, table=True):
    __tablename__ = "case_escalations"
    case_no: str = Field(primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    level: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    deadline_kind: str = Field(max_length=64)
    unit: str = Field(max_length=64)


class CaseWorker(SQLModel, table=True):
    __tablename__ = "case_workers"
    case_no: str = Field(primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    name: str = Field(max_length=100)
    id_number: str | None = Field(default=None, max_length=18, index=True)
    amount_owed: Decimal = Field(sa_column=Column(Money, nullable=False))


class CasePayment(SQLModel, table=True):
    __tablename__ = "case_payments"
    case_no: str = Field(primary_key=True, max_length=32)
    seq: int = Field(primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    payer: str = Field(max_length=32)
    actor: str = Field(max_length=64)
    reference: str | None = Field(default=None, max_length=100)


class Document(SQLModel, table=True):
    """An issued document: stored once, never changed (its content hash proves it)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_no", "seq", name="uq_documents_case_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, index=True)
    seq: int
    kind: str = Field(max_length=32)
    title: str = Field(max_length=100)
    content_hash: str = Field(max_length=64)
    # The HTML is stored compressed (zlib: about 7 KB -> 3 KB a document, most of it the shared print
    # styles; migration 0013). A row written before has it as text in column `html`. Read it as `doc.html`.
    html_text: str | None = Field(default=None, sa_column=Column("html", Text, nullable=True))
    html_zlib: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    issued_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def html(self) -> str:
        """The document's HTML, exactly as issued (its content hash is of this text)."""
        if self.html_zlib is not None:
            return zlib.decompress(self.html_zlib).decode()
        return self.html_text or ""


def compressed_html(html: str) -> bytes:
    """What documents.html_zlib stores of a document's HTML."""
    return zlib.compress(html.encode(), 9)


class IdempotencyKey(SQLModel, table=True):
    """An intake's Idempotency-Key: the key is the user's, so another user's same key is another request."""

    __tablename__ = "idempotency_keys"
    username: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    case_no: str = Field(max_length=32)
    intake_json: str = Field(sa_column=Column(Text, nullable=False))  # to start the workflow again on a replay
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CaseCounter(SQLModel, table=True):
    """The last case number issued per prefix and year (DX-2026-000123)."""

    __tablename__ = "case_counters"
    prefix: str = Field(primary_key=True, max_length=16)
    year: int = Field(primary_key=True)
    last: int = 0


# ---- writes (activities) ---------------------------------------------------------------------------


# Policy JSON by hash. Content-addressed, so an entry is never stale; a process meets a handful of policies.
_POLICY_TEXTS: dict[str, str] = {}
_STATE_START = '{"intake":{'  # CaseState's first field is the intake (and the intake has fields beside the policy)


def _remember_policy(digest: str, text: str) -> None:
    if len(_POLICY_TEXTS) >= 64:
        _POLICY_TEXTS.clear()
    _POLICY_TEXTS[digest] = text


def store_policy(session: Session, policy: CasePolicy) -> str:
    """Store a policy once (by the hash of its JSON) and return the hash."""
    text = _POLICY.dump_json(policy).decode()
    digest = hashlib.sha256(text.encode()).hexdigest()
    stored = select(CasePolicyRecord.hash).where(CasePolicyRecord.hash == digest)
    if digest in _POLICY_TEXTS and session.exec(stored).first() is not None:  # the usual case: no text read
        return digest
    dialect = session.get_bind().dialect.name
    insert_of = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert_of is not None:  # another process may store the same policy at the same moment
        session.execute(insert_of(CasePolicyRecord).values(hash=digest, policy_json=text).on_conflict_do_nothing())
    elif session.get(CasePolicyRecord, digest) is None:
        session.add(CasePolicyRecord(hash=digest, policy_json=text))
        session.flush()
    _remember_policy(digest, text)
    return digest


def policy_text(session: Session | None, digest: str) -> str:
    """The JSON of the policy stored under this hash."""
    text = _POLICY_TEXTS.get(digest)
    if text is None:
        row = session.get(CasePolicyRecord, digest) if session is not None else None
        if row is None:
            raise LookupError(f"case policy {digest} is not stored")
        text = row.policy_json
        _remember_policy(digest, text)
    return text


# Validated policies by hash, shared by every state read here: nothing changes a case's policy once it is
# registered (the workflow's copy is its own), so readers take it as it is instead of validating 15 KB again.
_POLICIES: dict[str, CasePolicy] = {}
# What stands in for the policy while a stored state is validated (then the shared one is put in).
_EMPTY_POLICY_JSON = _POLICY.dump_json(
    CasePolicy(deadlines={}, routing=RoutingConfig({}, (), False, False, "", ""), office_unit="", escalation_levels=[])
).decode()


def stored_policy(session: Session | None, digest: str) -> CasePolicy:
    """The policy stored under this hash (one object per process: read it, do not change it)."""
    policy = _POLICIES.get(digest)
    if policy is None:
        policy = _POLICY.validate_json(policy_text(session, digest))
        if len(_POLICIES) >= 64:
            _POLICIES.clear()
        _POLICIES[digest] = policy
    return policy


def with_policy(state_json: str, policy_json: str) -> str:
    """A state's JSON stored without its policy, with the policy put back (the JSON of the whole state)."""
    if not state_json.startswith(_STATE_START):
        raise ValueError("a case state stored without its policy starts with its intake")
    return f'{_STATE_START}"policy":{policy_json},{state_json[len(_STATE_START) :]}'


def project_case(*, session: Session, state: CaseState, pending: list[str], policy_hash: str | None = None) -> bool:
    """Write a case's state into its rows; a stale or repeated write changes nothing. True if written.

    The policy goes into case_policies (once for all cases that carry it); `policy_hash`, when the caller
    took the state's policy from the stored one under that hash, saves hashing it again."""
    case_no = state.case_no
    record = session.get(CaseRecord, case_no, with_for_update=True)
    if record is not None and record.version > state.version:
        return False
    policy_hash = policy_hash or store_policy(session, state.intake.policy)
    intake = state.intake
    facts = intake.project.facts if intake.project else None
    values = dict(
        version=state.version,
        stage=state.stage.value,
        lead_unit=state.lead_unit,
        township=facts.township if facts else None,
        channel=intake.channel.value,
        received_at=intake.received_at,
        registered_at=intake.registered_at,
        registered_by=intake.registered_by.username,
        complainant_name=intake.complainant.name,
        complainant_phone=intake.complainant.phone,
        complainant_id_number=intake.complainant.id_number,
        employer_name=intake.employer.name,
        employer_credit_code=intake.employer.credit_code,
        project_id=intake.project.id if intake.project else None,
        project_name=intake.project.name if intake.project else None,
        party_names=party_names_of(intake.project),
        description=intake.description,
        amount_claimed=intake.amount_claimed,
        amount_owed=state.amount_owed,
        amount_recovered=state.amount_recovered,
        workers_count=len(intake.workers),
        major=state.major,
        overdue=state.overdue(),
        escalated=bool(state.escalations),
        next_deadline_at=state.next_deadline(),
        liable_party=state.liable_party.value if state.liable_party else None,
        outcome=state.outcome,
        closed_at=state.closed_at,
        pending_actions=json.dumps(pending),
        state_json=_STATE.dump_json(state, exclude={"intake": {"policy"}}).decode(),
        policy_hash=policy_hash,
        updated_at=utcnow(),
    )
    new = record is None  # a new case has no rows to compare with: its children are inserted in bulk
    # The roster changes only when a complaint is joined to the case (domain/joining.py: a worker's claim
    # may grow); only then are the stored workers' rows compared, otherwise new ones are appended.
    roster_changed = record is not None and (
        record.workers_count != len(intake.workers) or record.amount_claimed != intake.amount_claimed
    )
    texts = [case_no, *(values[name] for name in SEARCHED_COLUMNS[1:])]
    if new or [getattr(record, name) for name in SEARCHED_COLUMNS] != texts:
        _index_search(session, case_no, texts, new=new)
    if new:  # a new case's rows go in by plain inserts: the ORM's unit of work has nothing to track
        session.execute(insert(CaseRecord.__table__).values(case_no=case_no, **values))
    else:
        for key, value in values.items():
            setattr(record, key, value)
        session.add(record)

    units = {
        **{u: "liaison" for u in state.liaison_units},  # police, court, procuratorate once referred
        **{u: "co" for u in state.co_units},
        state.lead_unit: "lead",
    }
    if new:
        rows = [
            dict(unit=unit, role=role, stage=values["stage"], overdue=values["overdue"]) for unit, role in units.items()
        ]
        _insert_all(session, CaseUnit, case_no, rows)
    else:
        existing_units = {u.unit: u for u in session.exec(select(CaseUnit).where(CaseUnit.case_no == case_no))}
        for unit, row in existing_units.items():
            if unit not in units:
                session.delete(row)
        for unit, role in units.items():
            row = existing_units.get(unit) or CaseUnit(case_no=case_no, unit=unit, role=role)
            row.role, row.stage, row.overdue = role, values["stage"], values["overdue"]
            session.add(row)

    _upsert(
        session,
        CaseDeadline,
        case_no,
        new,
        [
            dict(
                seq=d.seq,
                kind=d.kind,
                unit=d.unit,
                start_at=d.start_at,
                due_at=d.due_at,
                status=d.status.value,
                level=d.level,
                basis=d.basis,
                resolved_at=d.resolved_at,
                extended_working_days=d.extended_working_days,
            )
            for d in state.deadlines
        ],
    )
    _insert_new(
        session,
        CaseEvent,
        case_no,
        new,
        [
            dict(
                seq=e.seq,
                at=e.at,
                kind=e.kind,
                actor=e.actor,
                summary=e.summary,
                data=json.dumps(e.data, ensure_ascii=False, default=str),
            )
            for e in state.timeline
        ],
    )
    _insert_new(
        session,
        CaseEscalation,
        case_no,
        new,
        [
            dict(seq=e.seq, at=e.at, level=e.level, reason=e.reason, deadline_kind=e.deadline_kind, unit=e.unit)
            for e in state.escalations
        ],
    )
    (_upsert if roster_changed else _insert_new)(
        session,
        CaseWorker,
        case_no,
        new,
        [
            dict(seq=i, name=w.name, id_number=w.id_number, amount_owed=w.amount_owed)
            for i, w in enumerate(intake.workers, start=1)
        ],
    )
    _insert_new(
        session,
        CasePayment,
        case_no,
        new,
        [
            dict(seq=p.seq, at=p.at, amount=p.amount, payer=p.payer.value, actor=p.actor, reference=p.reference)
            for p in state.payments
        ],
    )
    return True


def _insert_all(session: Session, model, case_no: str, rows: list[dict]) -> None:
    """Insert every row, in one executemany of a plain insert (the children of a new case)."""
    if rows:
        session.execute(insert(model.__table__), [{"case_no": case_no, **row} for row in rows])


def _insert_new(session: Session, model, case_no: str, new: bool, rows: list[dict]) -> None:
    """Insert the rows whose seq is not stored yet (append-only children)."""
    if new:
        return _insert_all(session, model, case_no, rows)
    if not rows:
        return
    known = set(session.exec(select(model.seq).where(model.case_no == case_no)))
    for row in rows:
        if row["seq"] not in known:
            session.add(model(case_no=case_no, **row))


def _upsert(session: Session, model, case_no: str, new: bool, rows: list[dict]) -> None:
    """Insert or update rows by seq (children whose fields change, such as deadlines)."""
    if new:
        return _insert_all(session, model, case_no, rows)
    existing = {r.seq: r for r in session.exec(select(model).where(model.case_no == case_no))}
    for row in rows:
        current = existing.get(row["seq"])
        if current is None:
            session.add(model(case_no=case_no, **row))
        else:
            for key, value in row.items():
                setattr(current, key, value)
            session.add(current)


# ---- reads (API) -----------------------------------------------------------------------------------


def get_case(*, session: Session, case_no: str) -> CaseRecord | None:
    """A case's projection row."""
    return session.get(CaseRecord, case_no)


def party_names_of(project) -> str:
    """The names of a project's construction unit, general contractor and subcontractor, one a line."""
    if project is None:
        return ""
    orgs = (project.construction_unit, project.general_contractor, project.subcontractor)
    return PARTY_SEPARATOR.join(org.name for org in orgs if org is not None and org.name)


def case_state(record: CaseRecord, session: Session | None = None) -> CaseState:
    """The workflow state as last projected (its policy from case_policies, read through the record's
    session unless one is given, or from this process's cache)."""
    if record.policy_hash is None:  # written before migration 0013: the policy is inside
        return _STATE.validate_json(record.state_json)
    policy = stored_policy(session or object_session(record), record.policy_hash)
    state = _STATE.validate_json(with_policy(record.state_json, _EMPTY_POLICY_JSON))
    state.intake.policy = policy
    return state


def case_units(*, session: Session, case_no: str) -> dict[str, str]:
    """Unit code → lead/co for a case."""
    return {u.unit: u.role for u in session.exec(select(CaseUnit).where(CaseUnit.case_no == case_no))}


def case_children(*, session: Session, model, case_no: str) -> list:
    """Rows of one child table of a case, in order."""
    return list(session.exec(select(model).where(model.case_no == case_no).order_by(model.seq)))


def _index_search(session: Session, case_no: str, texts: list[str | None], *, new: bool) -> None:
    """(Re)write the case's search bigrams (db.search)."""
    if not new:
        session.execute(delete(CaseSearchGram).where(CaseSearchGram.case_no == case_no))
    pieces = [piece for text in texts if text for piece in text.split(PARTY_SEPARATOR)]
    rows = [{"gram": g, "case_no": case_no} for g in sorted(grams_of(pieces))]
    if rows:  # one executemany: some sixty rows per case, too many for the ORM's unit of work at intake
        session.execute(insert(CaseSearchGram.__table__), rows)


def next_case_no(*, session: Session, prefix: str, year: int) -> str:
    """Allocate the next case number for the prefix and year, e.g. DX-2026-000123."""
    bump = (
        update(CaseCounter)
        .where(CaseCounter.prefix == prefix, CaseCounter.year == year)
        .values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last)
    )
    for _ in range(3):
        last = session.execute(bump).scalar_one_or_none()
        if last is not None:
            return f"{prefix}-{year}-{last:06d}"
        try:
            with session.begin_nested():
                session.add(CaseCounter(prefix=prefix, year=year, last=1))
            return f"{prefix}-{year}-{1:06d}"
        except IntegrityError:
            continue  # another request created the counter first
    raise RuntimeError("could not allocate a case number")

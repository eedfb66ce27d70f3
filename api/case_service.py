"""What the API and the web UI do with cases: register complaints and take actions (reading them: api/case_views.py).

Registration and actions go through the case workflow, which owns the state and has written the
database projection before an update returns.
"""

import hashlib
import json
from datetime import datetime, timedelta, timezone

from pydantic import TypeAdapter
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.calendar import open_clocks, schedule_cache
from api import schemas
from core.policy import case_policy
from db.accounts import ProjectCreate, User, create_project, get_project
from db.audit import CASE_DETAIL, add_views
from db.cases import (
    CaseRecord,
    IdempotencyKey,
    case_units,
    next_case_no,
)
from db.engine import session_scope
from db.matters import open_matter
from domain import lifecycle, procedure
from domain.actions import ACTIONS
from domain.actions.petition import earliest_received, received_too_long_ago
from domain.calendar import CHINA_TZ
from domain.errors import DomainError, Forbidden, InvalidInput, NotAllowedNow, from_kind
from domain.formatting import clock_time
from domain.jurisdiction import Jurisdiction
from domain.messages import ActionInput, CaseInput, CaseOpening
from domain.model import Actor, CaseIntake, CaseState, Person, WorkerClaim
from domain.roles import Role
from domain.rules import DeadlineRule
from domain.ui_text import CHANNEL_LABELS, md_escape
from workflows.case import CaseWorkflow
from workflows.search_attributes import CASE_NO, CASE_STAGE, WORKERS_AFFECTED, case_attributes

# No complaint handled here is older: an earlier date is a typing error (1900, 0001).
EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=CHINA_TZ)
FUTURE_SKEW = timedelta(minutes=2)  # clocks of the clerk's PC and the server may differ a little
UNMASKED_ROLES = {Role.CASEWORKER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.ADMIN}
_INTAKE = TypeAdapter(CaseIntake)


class CaseNotFound(Exception):
    pass


def actor_of(user: User) -> Actor:
    """The user as the workflow sees them."""
    return Actor(username=user.username, role=user.role, unit=user.unit)


def check_township(jurisdiction: Jurisdiction, code: str | None, field: str) -> None:
    """Refuse a township code that the jurisdiction does not have."""
    if code is None:
        return
    unit = jurisdiction.units.get(code)
    if unit is None or unit.kind != "township":
        known = ", ".join(t.code for t in jurisdiction.townships())
        raise InvalidInput(code="not_a_township", field=field, code_given=code, county=jurisdiction.name, known=known)


def visible_units(user: User) -> list[str] | None:
    """The units whose cases the user may see; None means every case."""
    if user.role in (Role.ADMIN, Role.SUPERVISOR, Role.LEADER):
        return None
    return [user.unit]


def ensure_visible(*, session: Session, record: CaseRecord, user: User) -> None:
    """403 unless the user's role or unit may see this case."""
    scope = visible_units(user)
    if scope is None:
        return
    if record.registered_by == user.username:  # whoever registered a complaint may see it (and its receipt)
        return
    if not set(scope) & set(case_units(session=session, case_no=record.case_no)):
        raise Forbidden(code="case_not_visible", case_no=record.case_no, unit=user.unit)


# ---- registration -------------------------------------------------------------------------------


def _request_hash(body: schemas.CaseCreate) -> str:
    return hashlib.sha256(body.model_dump_json(exclude={"received_at"}).encode()).hexdigest()


def _received_at(body: schemas.CaseCreate, now: datetime, jurisdiction: Jurisdiction) -> datetime:
    received = check_received_at(
        body.received_at, now, late_entry_reason=body.late_entry_reason, limitation=jurisdiction.deadlines["limitation"]
    )
    if body.arrears_ended_at is not None and body.arrears_ended_at > now.astimezone(CHINA_TZ).date():
        raise InvalidInput(
            code="arrears_end_in_future", field="body.arrears_ended_at", given=body.arrears_ended_at.isoformat()
        )
    return received


def check_received_at(
    received: datetime | None,
    now: datetime,
    *,
    late_entry_reason: str | None = None,
    limitation: DeadlineRule | None = None,
    field: str = "body.received_at",
) -> datetime:
    """When the complaint was received (default now), in UTC; InvalidInput if before the system's
    records begin, in the future, or (given the limitation rule) further back than the limitation without
    a reason for the late entry (劳动保障监察条例 art. 20; docs/deadlines.md "Late entry")."""
    received = received or now
    if received.tzinfo is None:
        received = received.replace(tzinfo=CHINA_TZ)
    given = received.date().isoformat()  # as it was sent (a conversion could overflow at year 1 or 9999)
    if received < EARLIEST_RECEIVED:
        raise InvalidInput(
            code="received_before_records", field=field, given=given, earliest=f"{EARLIEST_RECEIVED:%Y-%m-%d}"
        )
    if received > now + FUTURE_SKEW:
        raise InvalidInput(code="received_in_future", field=field)
    if limitation is not None and not late_entry_reason and received_too_long_ago(received, now, limitation):
        earliest = earliest_received(now.astimezone(CHINA_TZ).date(), limitation)
        raise InvalidInput(
            code="late_entry_reason_required",
            field=field,
            given=given,
            limitation=limitation.describe(),
            earliest=earliest.isoformat(),
        )
    return received.astimezone(timezone.utc)


def _new_intake(
    *, session: Session, body: schemas.CaseCreate, user: User, jurisdiction: Jurisdiction, now: datetime
) -> CaseIntake:
    project = None
    if body.project_id is not None:
        row = get_project(session=session, project_id=body.project_id)
        if row is None:
            raise InvalidInput(code="no_such_project", field="body.project_id", project_id=body.project_id)
        project = row.to_info()
    elif body.project is not None:
        check_township(jurisdiction, body.project.township, "body.project.township")
        project = create_project(
            session=session, data=ProjectCreate.model_validate(body.project), created_by=user.username, commit=False
        ).to_info()
    workers = [WorkerClaim(w.name, w.id_number, w.amount_owed, w.bank, w.bank_account) for w in body.workers]
    claimed = body.amount_claimed if body.amount_claimed is not None else sum(w.amount_owed for w in workers)
    received_at = _received_at(body, now, jurisdiction)
    case_no = next_case_no(session=session, prefix=jurisdiction.case_prefix, year=now.astimezone(CHINA_TZ).year)
    employer = body.employer.to_domain()
    # 有案必接: registered all the same, and joined to the open case about the same employer or project
    matter = open_matter(session=session, credit_code=employer.credit_code, project_id=project.id if project else None)
    return CaseIntake(
        case_no=case_no,
        channel=body.channel,
        received_at=received_at,
        registered_at=now,
        registered_by=actor_of(user),
        complainant=Person(body.complainant.name, body.complainant.phone, body.complainant.id_number),
        workers=workers,
        employer=employer,
        amount_claimed=claimed,
        description=body.description,
        policy=case_policy(jurisdiction),
        project=project,
        group_incident=body.group_incident,
        arrears_ended_at=body.arrears_ended_at,
        late_entry_reason=body.late_entry_reason,
        matter=matter,
    )


def _record_view(session: Session, user: User, case_no: str, shown_unmasked: bool) -> None:
    """The audit row of the registrant's unmasked view of the case (db/audit.py), in the caller's transaction."""
    if shown_unmasked:
        add_views(
            session=session, username=user.username, role=user.role, unit=user.unit, case_nos=[case_no], via=CASE_DETAIL
        )


def _reserve(
    *,
    engine: Engine,
    body: schemas.CaseCreate,
    user: User,
    jurisdiction: Jurisdiction,
    key: str | None,
    shown_unmasked: bool = False,
) -> CaseIntake:
    """Allocate the case number and, with an Idempotency-Key, remember the intake under the key.
    `shown_unmasked`: the caller will show the registrant the case unmasked, so the audit row of that view is
    written in this transaction (one SQLite write lock per complaint fewer than a commit of its own)."""
    now = datetime.now(timezone.utc)
    digest = _request_hash(body)
    if key:
        with session_scope(engine) as session:
            known = session.get(IdempotencyKey, (user.username, key))
            if known is not None:
                intake = _replay(known, digest)
                _record_view(session, user, intake.case_no, shown_unmasked)
                return intake
    try:
        with session_scope(engine) as session:
            intake = _new_intake(session=session, body=body, user=user, jurisdiction=jurisdiction, now=now)
            _record_view(session, user, intake.case_no, shown_unmasked)
            if key:
                session.add(
                    IdempotencyKey(
                        username=user.username,
                        key=key,
                        request_hash=digest,
                        case_no=intake.case_no,
                        intake_json=_INTAKE.dump_json(intake).decode(),
                    )
                )
        return intake
    except IntegrityError:
        if not key:
            raise
        with session_scope(engine) as session:  # a concurrent request with the same key won
            intake = _replay(session.get(IdempotencyKey, (user.username, key)), digest)
            _record_view(session, user, intake.case_no, shown_unmasked)
            return intake


def _reserve_and_count(*, engine: Engine, **reserve) -> tuple[CaseIntake, CaseOpening | None]:
    """_reserve, then the new case's first clocks (counted after the intake's transaction, which holds the
    write lock; with the calendar the worker's compute_clocks activity uses, activities/calendar.py)."""
    intake = _reserve(engine=engine, **reserve)
    return intake, open_clocks(intake, schedule_cache(engine).get())


def reserve_intakes(
    *, engine: Engine, bodies: list[schemas.CaseCreate], user: User, jurisdiction: Jurisdiction
) -> list[CaseIntake]:
    """Many complaints' intakes with their case numbers, in one transaction (the benchmark's fill,
    bench/fill.py: the same intake as POST /api/cases builds, without a request per complaint)."""
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        return [
            _new_intake(session=session, body=body, user=user, jurisdiction=jurisdiction, now=now) for body in bodies
        ]


def _replay(known: IdempotencyKey, digest: str) -> CaseIntake:
    if known.request_hash != digest:
        raise NotAllowedNow(code="idempotency_key_reused", case_no=known.case_no)
    return _INTAKE.validate_json(known.intake_json)


def _unit_or_office(jurisdiction: Jurisdiction, code: str) -> str:
    return jurisdiction.units[code].name if code in jurisdiction.units else jurisdiction.office_name


def start_search_attributes(intake: CaseIntake, opening: CaseOpening | None) -> list[SearchAttributePair]:
    """What the Temporal UI can search a new case by from its start. With an opening: the attributes the
    case has once registered and referred (workflows/search_attributes.py `case_attributes`), so that the workflow has
    nothing to upsert at registration (it upserts whatever differs); without one, the intake's."""
    if opening is None:
        return [
            SearchAttributePair(CASE_NO, intake.case_no),
            SearchAttributePair(CASE_STAGE, "intake"),
            SearchAttributePair(WORKERS_AFFECTED, len(intake.workers)),
        ]
    state = CaseState(intake=intake, procedure=procedure.STATUTORY_PROCEDURE)
    lifecycle.open_case(state)
    lifecycle.refer(state, datetime.now(timezone.utc), opening.times)
    return [SearchAttributePair(update.key, update.value) for update in case_attributes(state)]


def case_start(
    intake: CaseIntake,
    jurisdiction: Jurisdiction,
    task_queue: str,
    *,
    opening: CaseOpening | None = None,
    skip_documents: bool = False,
) -> WithStartWorkflowOperation:
    """The start of a new case's workflow, for update-with-start. `opening`: its first clocks, counted by
    activities.calendar.open_clocks (the workflow then runs no activity to count them). `skip_documents` is
    the benchmark's fill only (bench/fill.py; domain.messages.CaseInput): no request of the API sets it."""
    # What the Temporal Web UI shows for the case: no ID numbers or phones in it.
    # Names typed at intake are escaped: the UI renders this text as Markdown.
    project = f"（{md_escape(intake.project.name)}）" if intake.project else ""
    summary = (
        f"{intake.case_no} 欠薪投诉：{md_escape(intake.employer.name)}{project}拖欠{len(intake.workers)}名"
        f"农民工工资{intake.amount_claimed:,.2f}元"
    )
    details = (
        f"收到投诉 {clock_time(intake.received_at)}（北京时间）· "
        f"渠道 {CHANNEL_LABELS.get(intake.channel.value, intake.channel.value)} · "
        f"登记单位 {md_escape(_unit_or_office(jurisdiction, intake.registered_by.unit))}"
    )
    return WithStartWorkflowOperation(
        CaseWorkflow.run,
        CaseInput(intake=intake, skip_documents=skip_documents, opening=opening),
        id=intake.case_no,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(start_search_attributes(intake, opening)),
        static_summary=summary,
        static_details=details,
    )


async def register_case(
    *,
    client: Client,
    engine: Engine,
    body: schemas.CaseCreate,
    user: User,
    jurisdiction: Jurisdiction,
    task_queue: str,
    idempotency_key: str | None,
    shown_unmasked: bool = False,
) -> str:
    """Register a complaint and start its workflow; returns once the case is routed and projected.
    `shown_unmasked`: the caller shows the registrant the case unmasked (its audit row is written here)."""
    # Database work runs in a thread: the event loop keeps serving while SQLite waits for its write lock.
    intake, opening = await run_in_threadpool(
        _reserve_and_count,
        engine=engine,
        body=body,
        user=user,
        jurisdiction=jurisdiction,
        key=idempotency_key,
        shown_unmasked=shown_unmasked,
    )
    start = case_start(intake, jurisdiction, task_queue, opening=opening)
    try:
        await client.execute_update_with_start_workflow(CaseWorkflow.registered, start_workflow_operation=start)
    except WorkflowAlreadyStartedError:
        if not idempotency_key:  # a fresh number already taken: the database and Temporal are out of step
            raise RuntimeError(
                f"case number {intake.case_no} is already used in Temporal namespace; "
                "the database was reset without Temporal's data"
            ) from None
        # else: a replayed key for a case whose workflow has already finished
    return intake.case_no


# ---- actions ------------------------------------------------------------------------------------


# Actions that move money (the registry's `moves_money`): without an Idempotency-Key a retried request could
# count a payment twice, so they are refused (428) before anything is sent.
MONEY_ACTIONS = frozenset(name for name, action in ACTIONS.items() if action.moves_money)


class KeyRequired(DomainError):
    """The request must carry an Idempotency-Key (HTTP 428 Precondition Required)."""

    kind = "key_required"
    default_code = "key_required"


def action_digest(action: str, params: dict) -> str:
    """The hash that tells a retry (same key, same body) from a reused key (same key, another body)."""
    canonical = json.dumps(
        {"action": action, "params": params}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def perform_action(
    *, client: Client, case_no: str, action: str, params: dict, user: User, idempotency_key: str | None = None
) -> None:
    """Send an action to the case workflow; domain refusals come back as DomainErrors.

    With an Idempotency-Key the action is applied once for the life of the case (the workflow keeps the
    user's keys across continue-as-new): the same key and body again change nothing, the same key with
    another body is refused (409). Actions that move money need a key (428)."""
    if action in MONEY_ACTIONS and not idempotency_key:
        raise KeyRequired(action=action)
    digest = action_digest(action, params) if idempotency_key else None
    # Within one run Temporal answers a repeated update id with the first result; the id names the user,
    # the key and the body, so the workflow's own guard sees every reuse of a key with another body.
    update_id = f"{user.username}:{idempotency_key}:{digest[:16]}" if idempotency_key and digest else None
    handle = client.get_workflow_handle(case_no)
    inp = ActionInput(action, actor_of(user), params, key=idempotency_key, digest=digest)
    try:
        await handle.execute_update(CaseWorkflow.act, inp, id=update_id)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            details = cause.details[0] if cause.details else {}
            details = details if isinstance(details, dict) else {}
            field = details.get("field")
            raise from_kind(
                cause.type,
                code=details.get("code"),
                message=cause.message,
                field=f"body.{field}" if field else None,
                params=details.get("params"),
            ) from None
        raise
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise NotAllowedNow(code="case_archived", case_no=case_no) from None
        raise


# ---- reads --------------------------------------------------------------------------------------

"""The outbox of messages to a complainant: registered, transferred, decided, closed.

The projection activity enqueues a message for each such event of the case's timeline, once: a row is
keyed by (case_no, event_seq), so a retried activity finds its rows already there. A sender (core/sms.py)
drains the unsent rows when an SMS provider is configured; without one they stay `pending`, and the case
page shows them so that staff can phone the complainant instead. Nothing is marked sent that was not
accepted by the provider.
"""

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Column, Index, Text, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, select

from db.cases import CaseEvent, CaseRecord
from db.types import UTCDateTime, utcnow
from domain.calendar import CHINA_TZ
from domain.joining import JOINED
from domain.lifecycle import OUTCOME_LABELS
from domain.model import CaseState, Event

PENDING, SENT, FAILED, NO_MOBILE = "pending", "sent", "failed", "no_mobile"
STATUS_LABELS = {PENDING: "未发送", SENT: "已发送", FAILED: "发送失败", NO_MOBILE: "无手机号"}
KIND_LABELS = {"registered": "受理告知", "transferred": "转办告知", "decided": "调查结论告知", "closed": "办结告知"}
# Timeline events (domain/lifecycle.py) that the complainant is told of, and the message kind of each.
TOLD_EVENTS = {
    "registered": "registered",
    "transferred": "transferred",
    "referral_disputed": "transferred",
    "findings": "decided",
    "payment_decided": "decided",
    "closed": "closed",
}
MAX_ATTEMPTS = 5
RETRY_BACKOFF = timedelta(minutes=5)
_MOBILE = re.compile(r"1[3-9]\d{9}")
HOTLINE = "12333"


class ComplainantMessage(SQLModel, table=True):
    """One message to a case's complainant, and what became of it."""

    __tablename__ = "complainant_messages"
    __table_args__ = (
        UniqueConstraint("case_no", "event_seq", name="uq_complainant_messages_case_event"),
        Index("ix_complainant_messages_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, index=True)
    event_seq: int  # the timeline event it tells of
    kind: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=PENDING, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    provider_message_id: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, max_length=500)


def _day(at: datetime) -> str:
    local = at.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日"


def message_text(state: CaseState, event: Event, kind: str, *, unit_name: Callable[[str], str], county: str) -> str:
    """The message for one event, in plain words (zh-CN), short enough for two SMS parts."""
    head = f"【{county}根治欠薪】"
    case_no = state.case_no
    follow = "可凭案件编号和本手机号在网上查询办理进度。"
    if kind == "registered":
        ack = next((d for d in state.deadlines if d.kind == "acknowledge"), None)
        lead = event_unit(state, event)
        due = f"，{_day(ack.due_at)}前签收办理" if ack else ""
        return f"{head}您反映的欠薪问题已受理，案件编号{case_no}，由{unit_name(lead)}负责{due}。{follow}"
    if kind == "transferred":
        to_unit = event.data.get("to_unit") or state.lead_unit
        reason = str(event.data.get("reason") or "").strip()
        if event.kind == "referral_disputed":
            return f"{head}您的案件{case_no}正由{county}根治欠薪工作领导小组办公室协调确定办理单位，确定后再告知您。"
        why = f"，原因：{reason[:40]}" if reason else ""
        return f"{head}您的案件{case_no}已转由{unit_name(to_unit)}办理{why}。{follow}"
    if kind == "decided":
        if event.kind == "findings" and event.data.get("substantiated") is False:
            return (
                f"{head}您的案件{case_no}经调查，反映的欠薪问题未能查实。如有异议，请联系"
                f"{unit_name(state.lead_unit)}或拨打{HOTLINE}。"
            )
        return f"{head}您的案件{case_no}经调查，欠薪问题属实，{unit_name(state.lead_unit)}正依法督促支付。{follow}"
    outcome = str(event.data.get("outcome") or state.outcome or "")
    if outcome == JOINED and state.joined_to:  # 有案必接: handled in its matter, not finished (domain/joining.py)
        return (
            f"{head}您的案件{case_no}反映的欠薪问题已有案件{state.joined_to}在办，已并入该案一并处理，"
            f"办理结果以该案为准。{follow}"
        )
    label = OUTCOME_LABELS.get(outcome, outcome)
    return f"{head}您的案件{case_no}已办结，结果：{label}。可凭案件编号和本手机号在网上查看结果，并对办理情况作出评价。"


def event_unit(state: CaseState, event: Event) -> str:
    """The unit that led the case when the event happened (the referral's, for registration)."""
    referred = next((e for e in state.timeline if e.kind == "referred" and e.seq >= event.seq), None)
    return (referred.data.get("lead_unit") if referred else None) or state.lead_unit


def is_mobile(phone: str | None) -> bool:
    """Whether a (normalised) phone number can receive an SMS."""
    return bool(phone) and _MOBILE.fullmatch(phone) is not None


def enqueue_complainant_messages(
    *, session: Session, state: CaseState, unit_name: Callable[[str], str], county: str
) -> int:
    """Queue the messages for the events this projection adds; call it before the projection is written.

    Only events newer than those already projected are told (a case that existed before the outbox is
    not told its past), and (case_no, event_seq) is unique, so a retried activity queues nothing twice."""
    case_no = state.case_no
    projected = session.exec(select(func.max(CaseEvent.seq)).where(CaseEvent.case_no == case_no)).one() or 0
    fresh = [e for e in state.timeline if e.seq > projected and e.kind in TOLD_EVENTS]
    if not fresh:
        return 0
    known = (
        set()
        if not projected
        else set(  # a case without projected events has no messages yet either
            session.exec(select(ComplainantMessage.event_seq).where(ComplainantMessage.case_no == case_no))
        )
    )
    named = _safe_names(unit_name)
    status = PENDING if is_mobile(state.intake.complainant.phone) else NO_MOBILE
    added = 0
    for event in fresh:
        if event.seq in known:
            continue
        kind = TOLD_EVENTS[event.kind]
        session.add(
            ComplainantMessage(
                case_no=case_no,
                event_seq=event.seq,
                kind=kind,
                status=status,
                created_at=event.at,
                text=message_text(state, event, kind, unit_name=named, county=county),
            )
        )
        added += 1
    return added


def _safe_names(unit_name: Callable[[str], str]) -> Callable[[str], str]:
    def name(code: str) -> str:
        try:
            return unit_name(code)
        except KeyError:  # a unit the jurisdiction file no longer has: its code, rather than no message
            return code

    return name


def case_messages(*, session: Session, case_no: str) -> list[ComplainantMessage]:
    """A case's messages, oldest first."""
    return list(
        session.exec(
            select(ComplainantMessage)
            .where(ComplainantMessage.case_no == case_no)
            .order_by(ComplainantMessage.event_seq)
        )
    )


def due_messages(*, session: Session, now: datetime, limit: int = 50) -> list[tuple[ComplainantMessage, str]]:
    """Unsent messages whose next attempt is due, with the complainant's phone."""
    waiting = (ComplainantMessage.next_attempt_at.is_(None)) | (ComplainantMessage.next_attempt_at <= now)
    rows = session.exec(
        select(ComplainantMessage, CaseRecord.complainant_phone)
        .join(CaseRecord, CaseRecord.case_no == ComplainantMessage.case_no)
        .where(ComplainantMessage.status == PENDING, waiting)
        .order_by(ComplainantMessage.id)
        .limit(limit)
    ).all()
    return [(message, phone) for message, phone in rows]


def record_attempt(
    *,
    session: Session,
    message: ComplainantMessage,
    now: datetime,
    provider_message_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record one attempt to send: sent with the provider's id, or an error (failed after MAX_ATTEMPTS)."""
    message.attempts += 1
    if provider_message_id is not None:
        message.status, message.sent_at = SENT, now
        message.provider_message_id = provider_message_id[:128]
        message.last_error = None
    else:
        message.last_error = (error or "unknown error")[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = FAILED
        else:
            message.next_attempt_at = now + RETRY_BACKOFF * message.attempts
    session.add(message)

"""Service (送达) of a document on a party, and its 送达回证; the periods that run from service.

A document with legal effect binds its addressee from service (行政诉讼法 art. 46, 行政复议法 art. 20: the
party's windows run from when it knew of the act). `serve` records how, when and on whom document `seq` was
served and issues the filled 送达回证. For the handling decision the review and suit windows open at
`served_at`; the order's own date to pay stays what the order set.
"""

from datetime import datetime, timedelta
from typing import Annotated, Literal

from annotated_types import Ge, Le, MaxLen, MinLen

from domain.actions.base import (
    CASE_WORKERS,
    INVOLVED,
    OPEN_STAGES,
    Action,
    ChinaTime,
    ClockRequest,
    OptionalText,
    china_time,
    command,
    set_field,
)
from domain.actions.effects import doc, event, issuing_unit, open_clock
from domain.errors import InvalidInput, NotAllowedNow
from domain.model import CaseState, DocumentRef, Service
from domain.procedure import STATUTORY_PROCEDURE

# The documents served on a party (each has its 送达回证).
SERVED_KINDS = ("order_to_pay", "payment_decision", "court_reminder", "blacklist_notice", "blacklist_decision")
METHODS = ("direct", "left_at_address", "post", "electronic", "public_notice")
# 民事诉讼法 art. 95 (applied to administrative service): a public notice takes effect after 30 days.
PUBLIC_NOTICE_DAYS = 30

Name = Annotated[str, MinLen(1), MaxLen(200)]


@command
class Serve:
    """Service of document `seq`: how (`method`), when (`served_at`), on whom (`recipient`); 留置送达 needs a
    `witness`; 公告送达 takes effect `notice_days` (default 30) after `served_at`."""

    seq: Annotated[int, Ge(1)]
    method: Literal["direct", "left_at_address", "post", "electronic", "public_notice"]
    served_at: ChinaTime
    recipient: Name
    witness: Annotated[str, MaxLen(200)] | None = None
    place: Annotated[str, MaxLen(200)] | None = None
    evidence: OptionalText | None = None  # photo/video reference of a posted document
    notice_days: Annotated[int, Ge(1), Le(90)] | None = None

    def __post_init__(self):
        set_field(self, "served_at", china_time(self.served_at))


def effective_at(cmd: Serve) -> datetime:
    """When the service takes effect: at once, or when a public notice's period passes."""
    served = china_time(cmd.served_at)
    assert served is not None
    if cmd.method == "public_notice":
        return served + timedelta(days=cmd.notice_days or PUBLIC_NOTICE_DAYS)
    return served


def _served_doc(state: CaseState, seq: int) -> DocumentRef | None:
    return next((d for d in state.documents if d.seq == seq), None)


def _check(state: CaseState, cmd: Serve, now: datetime) -> None:
    served = _served_doc(state, cmd.seq)
    if served is None or served.kind not in SERVED_KINDS:
        raise InvalidInput(code="not_a_served_document", field="seq", seq=cmd.seq)
    if any(s == cmd.seq for s in state.served_seqs):
        raise NotAllowedNow(code="already_served", field="seq", seq=cmd.seq)
    served_at = china_time(cmd.served_at)
    assert served_at is not None
    if served_at > now + timedelta(minutes=5):
        raise InvalidInput(code="served_in_future", field="served_at")
    issued = next((e.at for e in state.timeline if e.data.get("seq") == cmd.seq), None)
    if issued is not None and served_at < issued - timedelta(minutes=5):
        raise InvalidInput(code="served_before_issue", field="served_at")
    if cmd.method == "left_at_address" and not cmd.witness:
        raise InvalidInput(code="witness_required", field="witness")


def _clocks(state: CaseState, cmd: Serve, now: datetime) -> list[ClockRequest]:
    served = _served_doc(state, cmd.seq)
    start = effective_at(cmd)
    if served is not None and served.kind == "court_reminder" and state.procedure >= STATUTORY_PROCEDURE:
        return [ClockRequest("court_reminder", "court_reminder", start)]  # 行政强制法 art. 54: from its service
    if served is None or served.kind != "payment_decision":
        return []
    return [
        ClockRequest("decision_review", "decision_review", start),
        ClockRequest("decision_suit", "decision_suit", start),
    ]


def _apply(state: CaseState, cmd: Serve, actor, now, times):
    served = _served_doc(state, cmd.seq)
    assert served is not None
    start = effective_at(cmd)
    served_at = china_time(cmd.served_at)
    assert served_at is not None
    state.served_seqs.append(cmd.seq)
    state.services.append(
        Service(cmd.seq, served.kind, cmd.method, served_at, start, cmd.recipient, cmd.evidence or None)
    )
    if served.kind == "court_reminder" and "court_reminder" in times:
        open_clock(state, "court_reminder", issuing_unit(state, "court_reminder"), start, times["court_reminder"])
    if served.kind == "payment_decision":
        state.decision_served_at = start
        unit = issuing_unit(state, "payment_decision")
        open_clock(state, "decision_review", unit, start, times["decision_review"])
        open_clock(state, "decision_suit", unit, start, times["decision_suit"])
    event(
        state,
        now,
        "served",
        actor.username,
        f"第{cmd.seq}号文书已送达（{cmd.method}）：{cmd.recipient}",
        seq=cmd.seq,
        method=cmd.method,
        served_at=served_at.isoformat(),
    )
    params = {
        "served_seq": cmd.seq,
        "method": cmd.method,
        "served_at": served_at.isoformat(),
        "recipient": cmd.recipient,
    }
    for name in ("witness", "place"):
        if getattr(cmd, name):
            params[name] = getattr(cmd, name)
    return [doc(state, "service_record", **params)]


SERVE = Action(
    name="serve",
    command=Serve,
    stages=OPEN_STAGES,
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply,
    check=_check,
    clocks=_clocks,
    awaited=lambda state: any(d.kind in SERVED_KINDS and d.seq not in state.served_seqs for d in state.documents),
    not_awaited="nothing_to_serve",
    secondary=True,
    label="登记送达",
    hint="登记文书的送达方式、时间和受送达人，出具送达回证；处理决定的复议、诉讼期限自送达起算。",
    field_labels={
        "seq": "文书序号",
        "method": "送达方式",
        "served_at": "送达时间",
        "recipient": "受送达人",
        "witness": "见证人",
        "place": "送达地点",
        "evidence": "张贴照片/录像编号",
        "notice_days": "公告期（日）",
    },
    field_help={"witness": "留置送达必填", "notice_days": "公告送达的，公告期满视为送达（默认30日）"},
)

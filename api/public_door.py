"""The complainants' door, shared by the JSON routes and the public pages: file online, follow the case
with its number and the complainant's phone, rate the handling.

What a complainant sees of a case is the stage in plain words, the unit that handles it, the deadlines
that bind the government, transfers, the result and the documents addressed to them (受理回执,
处理结果告知书); never ID numbers, other workers or the employer's data. A wrong phone and an unknown
case number get the same answer, and failures are throttled per case number and per address.
"""

import hashlib
import hmac
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session

from api.window_counter import WindowCounter
from db.accounts import User
from db.cases import CaseRecord, Document, case_children, case_state, get_case
from db.satisfaction import RATING_LABELS, get_rating
from domain.errors import InvalidInput
from domain.identity import check_phone
from domain.jurisdiction import Jurisdiction
from domain.lifecycle import DEADLINE_LABELS, OUTCOME_LABELS, STAGE_LABELS
from domain.model import CaseState
from domain.roles import Role

MAX_FAILURES = 5  # per case number and per address, in the window below
FAILURE_WINDOW_SECONDS = 10 * 60
MAX_COMPLAINTS_PER_ADDRESS = 30  # online complaints from one address in the window below (a flood limit, not a
# statutory figure: a family or a site office files several)
COMPLAINT_WINDOW_SECONDS = 10 * 60
# The registrant of online complaints: not an account (usernames are ASCII), so nobody logs in as it.
ONLINE_REGISTRANT = "网上投诉平台"
NOT_FOUND = (
    "没有找到与该案件编号和手机号码相符的案件。请核对案件编号（见受理回执或短信）和投诉时留的手机号码；"
    "如有疑问请拨打12333。"
)

# The stage in plain words, and what happens now.
PUBLIC_STAGES = {
    "intake": ("已收到", "您的投诉已收到，正在登记。"),
    "referred": ("已转交承办单位", "已交给承办单位，等待其签收办理。"),
    "investigating": ("调查核实中", "承办单位正在调查核实欠薪情况。"),
    "payment_ordered": ("已责令限期支付", "已书面责令欠薪单位在期限内支付工资。"),
    "decided": ("已作出处理决定", "劳动保障监察机构已作出行政处理决定，责令支付工资。"),
    "deposit_drawdown": ("正在动用工资保证金", "正在从工程项目的工资保证金中支付工资。"),
    "police_referred": ("已移送公安机关", "欠薪涉嫌犯罪，已移送公安机关依法处理。"),
    "court_enforcement": ("已申请法院强制执行", "已申请人民法院强制执行。"),
    "closed": ("已办结", "案件已办结。"),
}
PUBLIC_DEADLINE_LABELS = {
    "acknowledge": "承办单位签收",
    "investigate": "调查处理",
    "decision": "作出行政处理决定",
    "police_approval": "审批移送公安",
    "police_transfer": "移送公安机关",
    "police_review": "公安机关决定是否立案",
    "deposit_payout": "从保证金中支付工资",
    "court_accept": "法院受理",
    "court_rule": "法院作出执行裁定",
}
# Periods that bind a party (the employer's time to pay, to object, to seek review), not the government.
PARTY_DEADLINES = frozenset(
    {
        "order_payment",
        "deposit_replenish",
        "blacklist_notice",
        "decision_review",
        "decision_suit",
        "review_suit",
        "court_reminder",
        "payment_order_objection",
        "major_case_dispatch",
        "referral_objection",  # the unit's window to object to a referral: a right, not a duty owed to anyone
    }
)
STATUS_LABELS = {"open": "办理中", "met": "已按期办理", "missed": "已超期", "cancelled": "已取消"}
PUBLIC_DOCUMENTS = ("receipt", "result_notice", "non_acceptance")  # the documents addressed to the complainant


class PublicThrottles:
    """Failed look-ups (per case number and per address) and online complaints (per address)."""

    def __init__(self) -> None:
        self.lookups = WindowCounter(
            max_per_user=MAX_FAILURES, max_per_client=MAX_FAILURES, window_seconds=FAILURE_WINDOW_SECONDS
        )
        self.complaints = WindowCounter(
            max_per_user=10**9, max_per_client=MAX_COMPLAINTS_PER_ADDRESS, window_seconds=COMPLAINT_WINDOW_SECONDS
        )


def throttles(app) -> PublicThrottles:
    """The app's public throttles (made on first use)."""
    found = getattr(app.state, "public_throttles", None)
    if found is None:
        found = app.state.public_throttles = PublicThrottles()
    return found


def online_registrant(jurisdiction: Jurisdiction) -> User:
    """The registrant recorded for complaints filed online (an actor, not a stored account)."""
    return User(username=ONLINE_REGISTRANT, role=Role.CLERK, unit=jurisdiction.office_unit, password_hash="!")


CaseNo = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=32)]
PhoneText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ProgressQuery(BaseModel):
    """A case number and the complainant's phone."""

    model_config = ConfigDict(extra="ignore")
    case_no: CaseNo
    phone: PhoneText


class RatingIn(ProgressQuery):
    rating: Literal["satisfied", "basically_satisfied", "unsatisfied"]
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def phone_matches(stored: str | None, given: str) -> bool:
    """Whether the given phone is the stored one, compared in constant time (both normalised)."""
    try:
        normal = check_phone(given)
    except InvalidInput:
        normal = "\x00invalid"  # compared all the same, so a malformed phone takes as long as a wrong one
    same = hmac.compare_digest(_digest(stored or "\x00none"), _digest(normal))
    return same and bool(stored)


def find_case(*, session: Session, case_no: str, phone: str) -> CaseRecord | None:
    """The case if `phone` is its complainant's; None for a wrong pair and an unknown case alike."""
    record = get_case(session=session, case_no=case_no.strip().upper())
    return record if phone_matches(record.complainant_phone if record else None, phone) and record else None


def _unit_name(jurisdiction: Jurisdiction, code: str | None) -> str:
    unit = jurisdiction.units.get(code or "")
    return unit.name if unit else (jurisdiction.office_name if code == jurisdiction.office_unit else (code or ""))


def public_stage(stage: str) -> tuple[str, str]:
    """A stage's plain label and what happens in it."""
    label = STAGE_LABELS.get(stage, stage) if isinstance(stage, str) else stage
    return PUBLIC_STAGES.get(stage, (label, ""))


def transfers(state: CaseState, jurisdiction: Jurisdiction) -> list[dict]:
    """Each change of the unit that handles the case: when, from which unit to which, and why."""
    out = []
    for event in state.timeline:
        if event.kind not in ("transferred", "referral_disputed"):
            continue
        out.append(
            {
                "at": event.at,
                "from_unit": event.data.get("from_unit"),
                "from_unit_name": _unit_name(jurisdiction, event.data.get("from_unit")),
                "to_unit": event.data.get("to_unit"),
                "to_unit_name": (
                    _unit_name(jurisdiction, event.data.get("to_unit"))
                    if event.kind == "transferred"
                    else jurisdiction.office_name
                ),
                "reason": (
                    event.data.get("reason")
                    if event.kind == "transferred"
                    else "承办单位认为不属其职责，报领导小组办公室协调确定承办单位"
                ),
            }
        )
    return out


def progress_view(*, session: Session, record: CaseRecord, jurisdiction: Jurisdiction) -> dict:
    """What the complainant is shown of their case (no ID numbers, no other party's data)."""
    state = case_state(record)
    label, hint = public_stage(record.stage)
    deadlines = [
        {
            "kind": d.kind,
            "label": PUBLIC_DEADLINE_LABELS.get(d.kind, DEADLINE_LABELS.get(d.kind, d.kind)),
            "unit": d.unit,
            "unit_name": _unit_name(jurisdiction, d.unit),
            "due_at": d.due_at,
            "status": d.status.value,
            "status_label": STATUS_LABELS.get(d.status.value, d.status.value),
        }
        for d in state.deadlines
        if d.kind not in PARTY_DEADLINES
    ]
    rating = get_rating(session=session, case_no=record.case_no)
    matter = _matter_view(session, state.joined_to, jurisdiction) if state.joined_to else None
    if matter is not None:
        hint = f"同一欠薪事项已有案件 {state.joined_to} 在办，您的投诉并入该案一并处理，办理结果以该案为准。"
    docs = [
        d for d in case_children(session=session, model=Document, case_no=record.case_no) if d.kind in PUBLIC_DOCUMENTS
    ]
    return {
        "case_no": record.case_no,
        "stage": record.stage,
        "stage_label": label,
        "stage_hint": hint,
        "lead_unit": record.lead_unit,
        "lead_unit_name": _unit_name(jurisdiction, record.lead_unit),
        "received_at": record.received_at,
        "deadlines": deadlines,
        "transfers": transfers(state, jurisdiction),
        "outcome": record.outcome,
        "outcome_label": OUTCOME_LABELS.get(record.outcome, record.outcome) if record.outcome else None,
        "closed_at": record.closed_at,
        "can_rate": record.stage == "closed" and rating is None and matter is None,  # a joined one: rate the matter
        "matter": matter,
        "rating": None
        if rating is None
        else {"rating": rating.rating, "label": RATING_LABELS[rating.rating], "rated_at": rating.rated_at},
        "documents": [{"seq": d.seq, "kind": d.kind, "title": d.title, "issued_at": d.issued_at} for d in docs],
    }


def _matter_view(session: Session, case_no: str, jurisdiction: Jurisdiction) -> dict:
    """Where the matter a complaint was joined to stands (有案必接): its number, stage and unit, no party's data."""
    matter = get_case(session=session, case_no=case_no)
    if matter is None:
        return {"case_no": case_no, "stage": "", "stage_label": "", "lead_unit_name": "", "outcome_label": None}
    return {
        "case_no": case_no,
        "stage": matter.stage,
        "stage_label": public_stage(matter.stage)[0],
        "lead_unit_name": _unit_name(jurisdiction, matter.lead_unit),
        "outcome_label": OUTCOME_LABELS.get(matter.outcome, matter.outcome) if matter.outcome else None,
    }


def public_document(*, session: Session, record: CaseRecord, seq: int) -> Document | None:
    """Document `seq` of the case if it is one addressed to the complainant."""
    for doc in case_children(session=session, model=Document, case_no=record.case_no):
        if doc.seq == seq and doc.kind in PUBLIC_DOCUMENTS:
            return doc
    return None


class PublicDeadline(BaseModel):
    kind: str
    label: str
    unit: str
    unit_name: str
    due_at: datetime
    status: str
    status_label: str


class PublicTransfer(BaseModel):
    at: datetime
    from_unit: str | None
    from_unit_name: str
    to_unit: str | None
    to_unit_name: str
    reason: str | None


class PublicProgress(BaseModel):
    """A case as its complainant sees it."""

    case_no: str
    stage: str
    stage_label: str = Field(description="the stage in plain words")
    stage_hint: str
    lead_unit: str
    lead_unit_name: str
    received_at: datetime
    deadlines: list[PublicDeadline] = Field(description="the deadlines that bind the government")
    transfers: list[PublicTransfer]
    outcome: str | None
    outcome_label: str | None
    closed_at: datetime | None
    can_rate: bool
    rating: dict | None
    documents: list[dict]
    matter: dict | None = Field(
        default=None,
        description="the case this complaint was joined to (有案必接): {case_no, stage, stage_label, lead_unit_name, "
        "outcome_label}; the complaint is handled there",
    )

"""What staff see of the complainants' door: a case's messages to its complainant (sent or not, so that
someone phones when no SMS went out), the satisfaction rates by unit, and the office's inbox of
unsatisfied ratings with the call-back (回访) recorded.

JSON: GET /api/cases/{case_no}/messages, GET /api/satisfaction, GET /api/satisfaction/unsatisfied.
Pages: /cases/{case_no}/messages, /satisfaction (the inbox section and its form for the office only).
"""

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from api.case_service import CaseNotFound
from api.case_views import load_visible_case
from api.deps import CurrentUser, JurisdictionDep, SessionDep, require_roles
from api.web.errors import WebRoute
from api.web.pages import render, unit_namer
from api.web_auth import CheckedForm, WebUser
from db.accounts import User
from db.outbox import KIND_LABELS, NO_MOBILE, PENDING, STATUS_LABELS, case_messages
from db.satisfaction import (
    BASICALLY,
    RATING_LABELS,
    SATISFIED,
    UNSATISFIED,
    close_follow_up,
    satisfaction_by_unit,
    unsatisfied_inbox,
)
from domain.errors import Forbidden
from domain.formatting import clock_time as _cst
from domain.jurisdiction import Jurisdiction
from domain.roles import Role

OFFICE_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# What the pages of this module show, besides the labels every page has (api/web/pages.py).
LABELS = {"RATING_LABELS": RATING_LABELS, "KIND_LABELS": KIND_LABELS, "STATUS_LABELS": STATUS_LABELS}


def sms_configured(request: Request) -> bool:
    """Whether this process sends SMS (api/app.py starts the sender when a provider is configured)."""
    return getattr(request.app.state, "sms_sender", None) is not None


def message_rows(messages, *, sms: bool) -> list[dict]:
    """Messages with what staff should do about each, in Chinese."""
    rows = []
    for m in messages:
        if m.status == PENDING:
            state = "待发送" if sms else "未发送：未配置短信服务，请电话告知投诉人"
        elif m.status == NO_MOBILE:
            state = "未发送：投诉人没有留手机号码，请电话或书面告知"
        elif m.status == "failed":
            state = f"发送失败（{m.last_error or ''}），请电话告知投诉人"
        else:
            state = f"已发送 {_cst(m.sent_at)}（回执号 {m.provider_message_id}）"
        rows.append(
            {
                "kind": m.kind,
                "kind_label": KIND_LABELS.get(m.kind, m.kind),
                "text": m.text,
                "status": m.status,
                "status_text": state,
                "created_at": m.created_at,
                "sent_at": m.sent_at,
                "provider_message_id": m.provider_message_id,
                "attempts": m.attempts,
            }
        )
    return rows


pages = APIRouter(route_class=WebRoute, include_in_schema=False)
router = APIRouter(tags=["complainants"])
OfficeUser = require_roles(Role.SUPERVISOR, Role.ADMIN)


def _visible(session, case_no: str, user: User):
    try:
        return load_visible_case(session=session, case_no=case_no, user=user)
    except CaseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no case {case_no}") from None


@router.get("/api/cases/{case_no}/messages", summary="A case's messages to its complainant (the outbox)")
def get_case_messages(case_no: str, request: Request, session: SessionDep, user: CurrentUser) -> dict:
    """Every message to the complainant with its status: `pending` (unsent; without an SMS provider it stays
    so, and staff phone instead), `sent`, `failed`, `no_mobile`."""
    _visible(session, case_no, user)
    rows = message_rows(case_messages(session=session, case_no=case_no), sms=sms_configured(request))
    return {"case_no": case_no, "sms_configured": sms_configured(request), "items": rows}


def satisfaction_rows(session, jurisdiction: Jurisdiction) -> list[dict]:
    """satisfaction_by_unit() with unit names, most ratings first."""
    name = unit_namer(jurisdiction)
    rows = [
        {"unit": unit, "unit_name": name(unit), **figures} for unit, figures in satisfaction_by_unit(session).items()
    ]
    return sorted(rows, key=lambda r: (-r["total"], r["unit_name"]))


@router.get("/api/satisfaction", summary="Complainants' satisfaction by unit (满意度)")
def get_satisfaction(session: SessionDep, user: CurrentUser, jurisdiction: JurisdictionDep) -> dict:
    """Per lead unit: ratings, how many of each kind, and the rate (satisfied or basically satisfied)."""
    rows = satisfaction_rows(session, jurisdiction)
    total = sum(r["total"] for r in rows)
    good = sum(r[SATISFIED] + r[BASICALLY] for r in rows)
    return {"total": total, "rate": round(good / total, 4) if total else 0.0, "by_unit": rows}


def _inbox_item(row, name) -> dict:
    return {
        "id": row.id,
        "case_no": row.case_no,
        "unit": row.unit,
        "unit_name": name(row.unit),
        "comment": row.comment,
        "rated_at": row.rated_at,
        "follow_up": row.follow_up,
        "follow_up_by": row.follow_up_by,
        "follow_up_at": row.follow_up_at,
        "follow_up_note": row.follow_up_note,
    }


@router.get("/api/satisfaction/unsatisfied", summary="The office's inbox of unsatisfied ratings")
def get_unsatisfied(
    session: SessionDep, jurisdiction: JurisdictionDep, user: User = Depends(OfficeUser), include_done: bool = False
) -> dict:
    """Unsatisfied ratings still to be followed up (with include_done, those followed up too)."""
    name = unit_namer(jurisdiction)
    items = [_inbox_item(r, name) for r in unsatisfied_inbox(session=session, include_done=include_done)]
    return {"items": items}


@pages.get("/cases/{case_no}/messages")
def case_messages_page(case_no: str, request: Request, session: SessionDep, user: WebUser) -> Response:
    """A case's messages to its complainant and what became of each."""
    record = load_visible_case(session=session, case_no=case_no, user=user)
    rows = message_rows(case_messages(session=session, case_no=case_no), sms=sms_configured(request))
    return render(
        request,
        "public_outbox.html",
        **LABELS,
        case_no=record.case_no,
        complainant=record.complainant_name,
        messages=rows,
        sms=sms_configured(request),
    )


@pages.get("/satisfaction")
def satisfaction_page(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    """Satisfaction by unit; for the office, the unsatisfied ratings to call back."""
    office = user.role in OFFICE_ROLES
    name = unit_namer(jurisdiction)
    inbox = [_inbox_item(r, name) for r in unsatisfied_inbox(session=session)] if office else []
    return render(
        request,
        "public_satisfaction.html",
        **LABELS,
        rows=satisfaction_rows(session, jurisdiction),
        inbox=inbox,
        office=office,
        UNSATISFIED=UNSATISFIED,
        SATISFIED=SATISFIED,
        BASICALLY=BASICALLY,
    )


@pages.post("/satisfaction/{rating_id}/follow-up")
def satisfaction_follow_up(
    rating_id: int, request: Request, session: SessionDep, user: WebUser, form: CheckedForm
) -> Response:
    """The office records its call-back on an unsatisfied rating."""
    if user.role not in OFFICE_ROLES:
        raise Forbidden("only the office of the leading group follows up ratings")
    note = str(form.get("note") or "").strip()[:2000]
    if note and close_follow_up(session=session, rating_id=rating_id, by=user.username, note=note):
        session.commit()
    return RedirectResponse("/satisfaction", status_code=303)

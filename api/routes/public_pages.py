"""The complainants' pages (no login, zh-CN, for a phone's screen): /progress to follow a case and rate
its handling, /complaint to file one online and take the 受理回执 at once.

The case number and the phone travel only in POSTed forms, never in URLs; each form carries a token
bound to a cookie (api/public_forms.py). The pages share their rules and throttles with the JSON routes
(api/routes/public.py).
"""

import re
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import JurisdictionDep, SessionDep, SettingsDep, TemporalDep
from api.public_door import NOT_FOUND, find_case, progress_view, public_document
from api.public_forms import (
    HONEYPOT_FIELD,
    MIN_FILL_SECONDS,
    TOKEN_FIELD,
    FormRejected,
    check_form,
    form_token,
    put_cookie,
    used_tokens,
)
from api.routes.public import (
    check_complaint_allowed,
    check_lookup_allowed,
    complaint_body,
    file_complaint,
    note_lookup_failed,
)
from db.cases import get_case
from db.satisfaction import RATING_LABELS, RATINGS, AlreadyRated, rate_case
from documents.pdf import PdfUnavailable, pdf_available, render_pdf
from domain.calendar import CHINA_TZ
from domain.errors import DomainError
from domain.formatting import clock_time

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_ROWS = 30
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
FORM_PROBLEMS = {
    "forged": "页面已过期，请重新填写后提交。",
    "expired": "页面打开时间过长已过期，请重新提交。",
    "reused": "这份投诉已经提交过了。如需再反映其他问题，请重新打开投诉页面。",
    "too_fast": "提交太快了，请核对填写的内容后再点一次“提交投诉”。",
    "honeypot": "提交未成功，请重新填写。",
}


def _cst(value: datetime | None, fmt: str = "%Y年%m月%d日 %H:%M") -> str:
    return clock_time(value, fmt)


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(cst=_cst, cst_date=lambda v: _cst(v, "%Y年%m月%d日"))
_env.globals.update(
    TOKEN_FIELD=TOKEN_FIELD, HONEYPOT_FIELD=HONEYPOT_FIELD, RATING_LABELS=RATING_LABELS, RATINGS=RATINGS
)

router = APIRouter(include_in_schema=False)


def page(
    request: Request, template: str, *, purpose: str | None = None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A public page; with `purpose`, its forms carry a fresh token of that purpose."""
    jurisdiction = request.app.state.jurisdiction
    tokens = {p: form_token(request, p) for p in (purpose or "").split() if p}
    html = _env.get_template(template).render(county=jurisdiction.name, tokens=tokens, **context)
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    put_cookie(request, response)
    return response


def _text(form, name: str) -> str:
    return str(form.get(name) or "").strip()


# ---- follow a case ------------------------------------------------------------------------------------------


def _lookup_page(request: Request, *, status: int = 200, error: str | None = None) -> HTMLResponse:
    return page(request, "public_progress.html", purpose="progress", status=status, error=error, view=None, notice=None)


def _view_page(
    request: Request,
    session,
    record,
    jurisdiction,
    *,
    notice: str | None = None,
    phone: str,
    rating_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = progress_view(session=session, record=record, jurisdiction=jurisdiction)
    return page(
        request,
        "public_progress.html",
        purpose="progress rate document",
        status=status,
        view=view,
        phone=phone,
        notice=notice,
        error=None,
        rating_error=rating_error,
        pdf_ok=pdf_available(),
    )


@router.get("/progress")
def progress_form(request: Request) -> Response:
    """The look-up form: case number and phone."""
    return _lookup_page(request)


async def _checked(request: Request, purpose: str):
    form = await request.form()
    try:
        check_form(request, form, purpose)
    except FormRejected:
        return form, _lookup_page(request, status=403, error=FORM_PROBLEMS["forged"])
    return form, None


def _find(request: Request, session, form) -> tuple[Any, Response | None]:
    """The case of the posted number and phone, or the page to answer with (404 alike, or 429)."""
    case_no, phone = _text(form, "case_no")[:32], _text(form, "phone")[:40]
    try:
        check_lookup_allowed(request, case_no)
    except HTTPException as exc:
        wait = int(exc.headers["Retry-After"])
        response = _lookup_page(
            request, status=429, error=f"查询失败次数过多，请{(wait + 59) // 60}分钟后再试。如有疑问请拨打12333。"
        )
        response.headers["Retry-After"] = str(wait)
        return None, response
    record = find_case(session=session, case_no=case_no, phone=phone) if case_no and phone else None
    if record is None:
        note_lookup_failed(request, case_no)
        return None, _lookup_page(request, status=404, error=NOT_FOUND)
    return record, None


@router.post("/progress")
async def progress_lookup(request: Request, session: SessionDep, jurisdiction: JurisdictionDep) -> Response:
    """The case of the posted number and phone; the same page for a wrong pair and an unknown case."""
    form, refused = await _checked(request, "progress")
    if refused:
        return refused
    record, refused = _find(request, session, form)
    return refused or _view_page(request, session, record, jurisdiction, phone=_text(form, "phone"))


@router.post("/progress/rating")
async def progress_rate(request: Request, session: SessionDep, jurisdiction: JurisdictionDep) -> Response:
    """Rate a closed case once (满意 / 基本满意 / 不满意, with a comment)."""
    form, refused = await _checked(request, "rate")
    if refused:
        return refused
    record, refused = _find(request, session, form)
    if refused:
        return refused
    phone, rating, comment = _text(form, "phone"), _text(form, "rating"), _text(form, "comment")[:1000]
    if record.stage != "closed":
        return _view_page(
            request, session, record, jurisdiction, phone=phone, status=409, rating_error="案件办结后才能评价。"
        )
    if rating not in RATINGS:
        return _view_page(
            request,
            session,
            record,
            jurisdiction,
            phone=phone,
            status=422,
            rating_error="请选择“满意”“基本满意”或“不满意”。",
        )
    try:
        rate_case(session=session, case_no=record.case_no, unit=record.lead_unit, rating=rating, comment=comment)
        session.commit()
    except AlreadyRated:
        session.rollback()
        return _view_page(
            request,
            session,
            record,
            jurisdiction,
            phone=phone,
            status=409,
            rating_error="该案件已经评价过了，每个案件只能评价一次。",
        )
    notice = "感谢您的评价。" + ("我们会有专人与您联系，了解您不满意的原因。" if rating == "unsatisfied" else "")
    return _view_page(request, session, record, jurisdiction, phone=phone, notice=notice)


@router.post("/progress/document")
async def progress_document(request: Request, session: SessionDep) -> Response:
    """A document addressed to the complainant (受理回执, 处理结果告知书): PDF, or printable HTML."""
    form, refused = await _checked(request, "document")
    if refused:
        return refused
    record, refused = _find(request, session, form)
    if refused:
        return refused
    seq = _text(form, "seq")
    doc = public_document(session=session, record=record, seq=int(seq)) if seq.isdigit() else None
    if doc is None:
        return _lookup_page(request, status=404, error="没有这份文书。")
    if _text(form, "format") == "pdf":
        try:
            pdf = render_pdf(doc.html)
        except PdfUnavailable:
            pass
        else:
            name = quote(f"{doc.case_no}-{doc.title}.pdf", safe="")
            return Response(
                pdf,
                media_type="application/pdf",
                headers={
                    **HEADERS,
                    "Content-Disposition": f'attachment; filename="{doc.case_no}-{doc.seq}.pdf"; '
                    f"filename*=UTF-8''{name}",
                },
            )
    return HTMLResponse(
        doc.html,
        headers={
            **HEADERS,
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        },
    )


# ---- file a complaint -------------------------------------------------------------------------------------------


def _rows(form) -> int:
    try:
        return min(max(int(form.get("rows") or 3), 1), MAX_ROWS)
    except ValueError:
        return 3


def complaint_form_body(form, rows: int) -> tuple[dict, dict[int, int]]:
    """A CaseCreate body from the public form (and the form row of each worker in it)."""
    name = _text(form, "name")
    workers, row_of = [], {}
    for row in range(rows):
        worker_name, amount = _text(form, f"worker.{row}.name"), _text(form, f"worker.{row}.amount")
        if not worker_name and not amount:
            continue
        if row == 0 and not worker_name:
            worker_name = name  # the first row is the complainant's own, unless another name is given
        row_of[len(workers)] = row
        workers.append({"name": worker_name, "amount_owed": amount.replace(",", "").replace("，", "")})
    place = _text(form, "place")
    description = _text(form, "description")
    if place:
        description = f"工地或项目：{place}\n{description}".strip()
    ended = _text(form, "arrears_ended")
    return {
        "complainant": {"name": name, **({"phone": _text(form, "phone")} if _text(form, "phone") else {})},
        "workers": workers,
        "employer": {"name": _text(form, "employer")},
        "description": description,
        **({"arrears_ended_at": ended} if ended else {}),
    }, row_of


def arrears_end_error(parsed) -> str | None:
    """The public form's own check of the end of the arrears (the case service refuses a future date too)."""
    ended = parsed.arrears_ended_at
    if ended is not None and ended > datetime.now(CHINA_TZ).date():
        return "日期不能晚于今天；工资仍在拖欠的，不用填写。"
    return None


def _message(error: dict) -> str:
    kind, ctx, loc = error["type"], error.get("ctx") or {}, [str(p) for p in error.get("loc") or ()]
    if loc == ["workers"] and kind == "too_short":
        return "请至少填写一名被欠薪人的被欠金额。"
    if kind in ("missing", "string_too_short"):
        return "这一项必须填写。"
    if kind == "string_too_long":
        return f"不能超过{ctx.get('max_length')}个字。"
    if kind.startswith("decimal") or kind in ("greater_than", "float_parsing"):
        return "请填写被欠的金额（元），如 12000。"
    if "phone" in loc:
        return "手机号码应为11位数字，如 13800138000。"
    if kind.startswith("date"):
        return "请填写正确的日期，如 2025-12-31。"
    return "填写有误，请核对。"


def _field_key(loc: list[str], row_of: dict[int, int]) -> str:
    if loc[:1] == ["complainant"]:
        return loc[-1] if loc[-1] in ("name", "phone") else "name"
    if loc[:1] == ["employer"]:
        return "employer"
    if loc[:1] == ["workers"] and len(loc) >= 3:
        row = row_of.get(int(loc[1]), loc[1]) if loc[1].isdigit() else loc[1]
        return f"worker.{row}.{'amount' if loc[2] == 'amount_owed' else 'name'}"
    if loc[:1] == ["workers"]:
        return "worker.0.amount"
    if loc[:1] == ["arrears_ended_at"]:
        return "arrears_ended"
    return "description" if loc[:1] == ["description"] else "general"


def _complaint_page(
    request: Request,
    *,
    values: dict,
    rows: int,
    errors: dict | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "public_complaint.html",
        purpose="complaint",
        status=status,
        values=values,
        rows=rows,
        errors=errors or {},
        problem=problem,
    )


@router.get("/complaint")
def complaint_form(request: Request) -> Response:
    """The online complaint form (网上投诉)."""
    return _complaint_page(request, values={"key": uuid.uuid4().hex}, rows=3)


@router.post("/complaint")
async def complaint_submit(
    request: Request, session: SessionDep, client: TemporalDep, settings: SettingsDep, jurisdiction: JurisdictionDep
) -> Response:
    """Register the complaint; then show the case number and the receipt at once."""
    form = await request.form()
    rows = _rows(form)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str) and k not in (TOKEN_FIELD, HONEYPOT_FIELD)}
    if form.get("op") == "add_row":
        return _complaint_page(request, values=values, rows=min(rows + 1, MAX_ROWS))
    try:
        token = check_form(
            request,
            form,
            "complaint",
            min_fill=getattr(request.app.state, "complaint_min_fill_seconds", MIN_FILL_SECONDS),
        )
    except FormRejected as exc:
        return _complaint_page(
            request,
            values=values,
            rows=rows,
            problem=FORM_PROBLEMS[exc.reason],
            status=422 if exc.reason == "too_fast" else 403,
        )
    try:
        check_complaint_allowed(request)
    except HTTPException as exc:
        response = _complaint_page(
            request,
            values=values,
            rows=rows,
            status=429,
            problem="从您的网络提交的投诉过多，请稍后再试，或拨打12333电话投诉。",
        )
        response.headers["Retry-After"] = exc.headers["Retry-After"]
        return response
    body, row_of = complaint_form_body(form, rows)
    errors: dict[str, str] = {}
    try:
        parsed = complaint_body(body)
        if (problem := arrears_end_error(parsed)) is not None:
            errors["arrears_ended"] = problem
    except ValidationError as exc:
        for error in exc.errors():
            errors.setdefault(_field_key([str(p) for p in error["loc"]], row_of), _message(error))
    except DomainError as exc:
        errors["phone" if "phone" in (exc.field or "") else "general"] = "请填写手机号码，用于查询进度和接收短信。"
    if not errors and not used_tokens(request).take(token):
        return _complaint_page(request, values=values, rows=rows, problem=FORM_PROBLEMS["reused"], status=409)
    if errors:
        return _complaint_page(request, values=values, rows=rows, errors=errors, status=422)
    session.commit()
    try:
        case_no = await file_complaint(
            request=request,
            body=parsed,
            jurisdiction=jurisdiction,
            client=client,
            task_queue=settings.task_queue,
            idempotency_key=values.get("key") or None,
        )
    except DomainError as exc:
        return _complaint_page(request, values=values, rows=rows, status=422, problem=f"提交未成功：{exc.message}")
    session.expire_all()
    record = get_case(session=session, case_no=case_no)
    return _view_page(
        request,
        session,
        record,
        jurisdiction,
        phone=parsed.complainant.phone,
        notice=f"投诉已受理，案件编号 {case_no}。请记下案件编号，凭它和手机号码查询办理进度。",
    )


def amount_total(values: dict, rows: int) -> str:
    """The sum of the amounts typed so far (shown under the rows)."""
    total = Decimal(0)
    for row in range(rows):
        text = re.sub(r"[,，\s]", "", values.get(f"worker.{row}.amount", ""))
        try:
            total += Decimal(text) if text else 0
        except InvalidOperation:
            continue
    return f"{total:,.2f}"


_env.globals.update(amount_total=amount_total)

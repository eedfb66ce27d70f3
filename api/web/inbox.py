"""The inbox: the cases the user may see, overdue first, then by nearest deadline; filters and export."""

from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.case_service import visible_units
from api.case_views import summary_of
from api.deps import JurisdictionDep, SessionDep
from api.params import parse_number
from api.routes.office import export_case_list
from api.web.errors import WebRoute
from api.web.pages import PAGE_SIZE, calendar, clean, days_view, render
from api.web_auth import CheckedForm, WebUser
from db import reports
from db.accounts import User
from db.case_list import list_cases
from domain.jurisdiction import Jurisdiction
from domain.labels import DEADLINE_LABELS
from domain.model import Stage
from domain.roles import Role

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@dataclass
class InboxFilter:
    stage: str | None = None
    unit: str | None = None
    township: str | None = None
    overdue: bool = False
    q: str | None = None
    page: int = 1


def _inbox_filter(source, jurisdiction: Jurisdiction, *, with_query: bool) -> InboxFilter:
    """Filters from query parameters or the posted filter form; unknown values are ignored."""
    stage = clean(source.get("stage"))
    unit = clean(source.get("unit"))
    township = clean(source.get("township"))
    page = parse_number(source.get("page")) or 1
    return InboxFilter(
        stage=stage if stage in {s.value for s in Stage} else None,
        unit=unit if unit in jurisdiction.units else None,
        township=township if township in {t.code for t in jurisdiction.townships()} else None,
        overdue=source.get("overdue") in ("1", "on", "true"),
        # The search text may be a person's name: it comes only from the POSTed form, never the URL.
        q=(clean(source.get("q")) or None) if with_query else None,
        page=page,
    )


def _inbox_rows(session, user: User, flt: InboxFilter, cap: int) -> tuple[list, int, bool]:
    """One page of the user's cases: overdue ones first, then by nearest deadline (db.case_list.list_cases order);
    (rows, total, capped): the total counts up to `cap` cases (Settings.count_cap_for), capped when more match."""
    scope = dict(
        session=session,
        visible_units=visible_units(user),
        registered_by=user.username if user.role == Role.CLERK else None,
        stage=flt.stage,
        unit=flt.unit,
        township=flt.township,
        q=flt.q and flt.q[:100],
        count_cap=cap,
    )
    offset = (flt.page - 1) * PAGE_SIZE
    late, late_total, late_capped = list_cases(**scope, overdue=True, limit=PAGE_SIZE, offset=offset)
    if flt.overdue or late_capped:  # past the cap the pages never reach the cases that are not overdue
        return late, late_total, late_capped
    rest, rest_total, rest_capped = list_cases(
        **scope, overdue=False, limit=PAGE_SIZE - len(late), offset=max(0, offset - late_total)
    )
    total = late_total + rest_total
    return late + rest, min(total, cap), rest_capped or total > cap


def _inbox(request: Request, session, user: User, jurisdiction: Jurisdiction, flt: InboxFilter) -> HTMLResponse:
    cap = request.app.state.settings.count_cap_for(flt.q)
    flt.page = min(flt.page, max(1, -(-cap // PAGE_SIZE)))  # the pages of the counted cases at most
    rows, total, capped = _inbox_rows(session, user, flt, cap)
    cal = calendar(request, session)
    now = datetime.now(timezone.utc)
    awaited = reports.next_unresolved_deadlines(session=session, case_nos=[r.case_no for r in rows])
    items = []
    for record in rows:
        deadline = awaited.get(record.case_no)
        items.append(
            {
                "case": summary_of(record),
                "deadline": days_view(deadline.due_at, cal, now) if deadline else None,
                "deadline_label": DEADLINE_LABELS.get(deadline.kind, deadline.kind) if deadline else None,
            }
        )
    pages = max(1, -(-total // PAGE_SIZE))
    units = [u for u in jurisdiction.units.values() if u.kind != "township"]
    return render(
        request,
        "inbox.html",
        items=items,
        total=total,
        total_capped=capped,
        flt=flt,
        pages=pages,
        page_size=PAGE_SIZE,
        stages=list(Stage),
        units=units,
        townships=jurisdiction.townships(),
    )


@router.get("/")
def inbox(request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep) -> Response:
    """My cases: those the user may see, nearest deadline first, with filters and paging."""
    return _inbox(
        request, session, user, jurisdiction, _inbox_filter(request.query_params, jurisdiction, with_query=False)
    )


@router.post("/cases/export.xlsx")
def inbox_export(
    request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep, form: CheckedForm
) -> Response:
    """The inbox's cases with the posted filters (all pages) as an .xlsx download."""
    flt = _inbox_filter(form, jurisdiction, with_query=True)
    return export_case_list(
        session=session,
        user=user,
        jurisdiction=jurisdiction,
        stage=flt.stage,
        unit=flt.unit,
        township=flt.township,
        overdue=True if flt.overdue else None,
        q=flt.q and flt.q[:100],
    )


@router.post("/")
def inbox_search(
    request: Request, session: SessionDep, user: WebUser, jurisdiction: JurisdictionDep, form: CheckedForm
) -> Response:
    """The inbox filtered by the posted filter form (so the search text stays out of URLs)."""
    return _inbox(request, session, user, jurisdiction, _inbox_filter(form, jurisdiction, with_query=True))

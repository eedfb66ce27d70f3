"""The list of employers in serious default on wages (失信联合惩戒对象名单, 人社部令45号)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SessionDep
from api.web.errors import WebRoute
from api.web.pages import render
from api.web_auth import WebUser
from db.blacklist import list_blacklist

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/blacklist")
def blacklist_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Employers listed, newest first, with their case and listing period."""
    rows, _ = list_blacklist(session=session)
    return render(request, "blacklist.html", entries=rows)

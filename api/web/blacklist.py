"""The list of employers in serious default on wages (失信联合惩戒对象名单, 人社部令45号)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SessionDep
from api.web.errors import WebRoute
from api.web.pages import render
from api.web_auth import WebUser
from db.blacklist import list_blacklist
from domain.identity import mask_id
from domain.listing import PERSON_ROLES

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/blacklist")
def blacklist_page(request: Request, session: SessionDep, user: WebUser) -> Response:
    """Employers listed, newest first, with their case and listing period."""
    rows, _ = list_blacklist(session=session)
    persons = {  # 人社部令45号 arts. 5, 9: listed with the employer; ID numbers masked on the page
        e.id: [(PERSON_ROLES.get(p["role"], p["role"]), p["name"], mask_id(p["id_number"])) for p in e.persons]
        for e in rows
    }
    return render(request, "blacklist.html", entries=rows, persons=persons)

"""The UI's own files (no CDN) and the empty worker roster."""

from functools import cache

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from api.routes.office import xlsx_response
from api.spreadsheets import roster_template
from api.web.errors import WebRoute
from api.web.pages import STATIC, PageNotFound

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/static/roster-template.xlsx")
def roster_template_file() -> Response:
    """The empty worker roster to fill in and import on the intake form (no login needed: it holds no data)."""
    return xlsx_response(_roster_template(), name="农民工花名册模板.xlsx", ascii_name="roster-template.xlsx")


@cache
def _roster_template() -> bytes:
    return roster_template()


_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png"}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The UI's own CSS, script and images (no CDN)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in _STATIC_TYPES or not path.is_file():
        raise PageNotFound("没有这个文件。")
    return FileResponse(path, media_type=_STATIC_TYPES[path.suffix], headers={"Cache-Control": "max-age=3600"})

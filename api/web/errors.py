"""The web's refusals as pages for people: a login redirect, or a 403/404 page in Chinese."""

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from api.case_service import CaseNotFound
from api.web.pages import (
    PageForbidden,
    PageNotFound,
    error_page,
    login_page,
    unit_namer,
)
from api.web.texts import FORM_EXPIRED
from api.web_auth import CsrfFailed, LoginRequired, PasswordChangeRequired, login_redirect_url
from domain.errors import Forbidden


class WebRoute(APIRoute):
    """A route whose refusals are pages for people; a page module may say some refusals its own way
    (override `refusal`)."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                response = self.refusal(request, exc)
                if response is None:
                    raise
                return response

        return route

    def refusal(self, request: Request, exc: Exception) -> Response | None:
        """The page for a refusal, or None for an exception that is not one."""
        if isinstance(exc, PasswordChangeRequired):  # before LoginRequired, of which it is one
            return RedirectResponse("/password", status_code=303)
        if isinstance(exc, LoginRequired):
            if request.method == "GET" and request.url.path == "/" and not exc.expired:
                return login_page(request, next_path="/")  # the front door is the login page itself
            return RedirectResponse(login_redirect_url(exc.next_path, exc.expired), status_code=303)
        if isinstance(exc, CsrfFailed):
            return error_page(request, 403, *FORM_EXPIRED)
        if isinstance(exc, PageForbidden):
            return error_page(request, 403, "无权访问", str(exc))
        if isinstance(exc, Forbidden):
            user = getattr(request.state, "web_user", None)
            unit = unit_namer(request.app.state.jurisdiction)(user.unit) if user else ""
            return error_page(request, 403, "无权查看此案件", f"此案件不由您所在单位（{unit}）承办或协办，您无权查看。")
        if isinstance(exc, CaseNotFound):
            return error_page(request, 404, "未找到案件", f"没有编号为 {exc} 的案件。")
        if isinstance(exc, PageNotFound):
            return error_page(request, 404, "未找到", str(exc))
        return None

"""The case workers' web UI: server-rendered pages in zh-CN on the same case service as the JSON API.

Pages read the database projection (db/) and change cases only through api.case_service, with the same
unit scoping as the API. Every form works without JavaScript; the action forms on a case page come from
the action registry (domain.actions). A module per page; `pages` holds the frame they share, `forms`
the form generator, `errors` the error pages and `texts` what the UI says.
"""

from fastapi import APIRouter

from api.web import blacklist, case, dashboard, inbox, intake, login, projects, static, users

router = APIRouter(include_in_schema=False)
# intake before case: /cases/new must not be taken for /cases/{case_no}
for page in (login, inbox, intake, case, projects, blacklist, dashboard, static, users):
    router.include_router(page.router)

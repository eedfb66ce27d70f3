"""Who may do what: every route of the app against every role and unit, and against bad tokens.

The tables below are the contract the service keeps (docs/contract.md, "HTTP API"): 401 without a valid token, 403 where the role
or unit may not do or see that, success otherwise. Routes are discovered from the app, so a new /api or
/codec route fails `test_every_route_is_classified` until someone adds its row here.
"""

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
import pytest
from sqlmodel import Session

from api.actions import PUBLIC_ACTIONS
from api.app import create_app
from api.security import create_access_token
from api.web_auth import SESSION_COOKIE
from core.config import Settings
from db.accounts import get_user_by_username
from db.types import utcnow
from tests.api.conftest import ADMIN_PASSWORD
from tests.api.util import PHONE, PROJECT, complaint, row_counts

PUBLIC = "public"  # no log-in needed
CASE_WORKERS = frozenset({"caseworker", "unit_head"})
REGISTRARS = frozenset({"clerk", "caseworker", "unit_head", "supervisor", "admin"})  # register complaints, projects
OFFICE = frozenset({"supervisor", "admin"})


@dataclass(frozen=True)
class Who:
    name: str
    role: str = ""
    unit: str = ""
    sees_case: bool = False  # the test case: registered by clerk1, led by hrss
    token: str = "valid"  # valid, none, forged, expired, garbage, disabled, revoked (logged out)


def anyone(_who: Who) -> bool:
    return True


def roles(*allowed: str):
    return lambda who: who.role in allowed


def sees_case(who: Who) -> bool:
    return who.sees_case


def acts_on_case(who: Who) -> bool:  # `accept`: the responsible unit's case workers, the office, or admin
    return who.sees_case and who.role in {"caseworker", "unit_head", "supervisor", "admin"}


def keeps_deposit(who: Who) -> bool:  # the test project is a transport project; hrss co-handles wage matters
    return who.role in OFFICE or (who.role in CASE_WORKERS and who.unit in {"transport", "hrss"})


def lifts_blacklisting(who: Who) -> bool:  # 人社部令45号: the labour inspection's head, or the office
    return who.role in OFFICE or (who.role == "unit_head" and who.unit == "hrss")


def records_removal_application(who: Who) -> bool:  # 人社部令45号 arts. 12-14: labour inspection, or the office
    return who.role in OFFICE or (who.role in CASE_WORKERS and who.unit == "hrss")


@dataclass(frozen=True)
class Rule:
    allowed: object  # PUBLIC, or a predicate of the logged-in person
    ok: frozenset[int] = frozenset({200})  # what an allowed person gets


API_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): Rule(PUBLIC),
    ("GET", "/openapi.json"): Rule(PUBLIC),
    ("GET", "/docs"): Rule(PUBLIC),
    ("GET", "/docs/oauth2-redirect"): Rule(PUBLIC),
    ("GET", "/redoc"): Rule(PUBLIC),
    ("POST", "/api/auth/token"): Rule(PUBLIC),
    ("POST", "/api/auth/logout"): Rule(anyone, ok=frozenset({204})),  # with a token of its own: see fresh_token
    ("POST", "/api/users/me/password"): Rule(anyone, ok=frozenset({422})),  # 422: not the current password
    ("POST", "/api/users"): Rule(roles("admin"), ok=frozenset({201})),
    ("GET", "/api/users"): Rule(roles("admin")),
    ("GET", "/api/users/me"): Rule(anyone),
    # no such user (so nobody's account changes here; tests/api/test_user_admin.py changes real ones)
    ("PATCH", "/api/users/{user_id}"): Rule(roles("admin"), ok=frozenset({404})),
    ("POST", "/api/users/{user_id}/password"): Rule(roles("admin"), ok=frozenset({404})),
    ("POST", "/api/projects"): Rule(roles(*REGISTRARS), ok=frozenset({201})),
    ("GET", "/api/projects"): Rule(anyone),
    ("GET", "/api/projects/{project_id}"): Rule(anyone),
    ("POST", "/api/projects/{project_id}/deposit"): Rule(keeps_deposit, ok=frozenset({201})),
    ("GET", "/api/projects/{project_id}/deposit"): Rule(anyone),
    ("GET", "/api/projects/{project_id}/deposit/requirement"): Rule(anyone),
    ("POST", "/api/cases"): Rule(roles(*REGISTRARS), ok=frozenset({201})),
    ("GET", "/api/cases"): Rule(anyone),
    ("GET", "/api/cases/{case_no}"): Rule(sees_case),
    # taken with `accept`; 409 once the case is accepted
    ("POST", "/api/cases/{case_no}/actions/{action}"): Rule(acts_on_case, ok=frozenset({200, 409})),
    ("POST", "/api/cases/{case_no}/actions/accept"): Rule(acts_on_case, ok=frozenset({200, 409})),
    ("GET", "/api/cases/{case_no}/documents/{seq}"): Rule(sees_case),
    ("GET", "/api/cases/{case_no}/documents/{seq}.pdf"): Rule(sees_case, ok=frozenset({200, 503})),  # 503: no renderer
    ("GET", "/api/stats"): Rule(anyone),
    ("GET", "/api/stats/monthly.xlsx"): Rule(anyone),
    ("GET", "/api/cases/export.xlsx"): Rule(anyone),  # each sees only their cases in it
    ("POST", "/api/rosters/parse"): Rule(roles(*REGISTRARS), ok=frozenset({422})),  # 422: not a workbook
    ("GET", "/api/blacklist"): Rule(anyone),
    ("POST", "/api/blacklist/{entry_id}/removal"): Rule(lifts_blacklisting, ok=frozenset({404})),  # no entry 1 yet
    ("POST", "/api/blacklist/{entry_id}/removal_application"): Rule(records_removal_application, ok=frozenset({404})),
    ("GET", "/api/audit/personal-data-views"): Rule(roles(*OFFICE)),
    ("POST", "/api/public/progress"): Rule(PUBLIC),  # the complainant's phone: see tests/api/test_public.py
    ("POST", "/api/public/complaints"): Rule(PUBLIC, ok=frozenset({422})),  # 422: without a phone
    ("POST", "/api/public/ratings"): Rule(PUBLIC, ok=frozenset({409})),  # 409: not closed yet
    ("GET", "/api/cases/{case_no}/messages"): Rule(sees_case),
    ("GET", "/api/satisfaction"): Rule(anyone),
    ("GET", "/api/satisfaction/unsatisfied"): Rule(roles(*OFFICE)),
    ("POST", "/codec/decode"): Rule(roles(*OFFICE)),
    ("GET", "/api/calendar"): Rule(anyone),
    ("GET", "/api/calendar/{year}"): Rule(anyone),
    ("PUT", "/api/calendar/{year}"): Rule(roles("admin"), ok=frozenset({422})),  # 422: no schedule sent
    # Early warning: bodies are empty ({}), so an allowed person gets 422; no warning or report 1 yet (404).
    ("GET", "/api/warnings"): Rule(anyone),
    ("GET", "/api/warnings/{warning_id}"): Rule(anyone, ok=frozenset({404})),
    ("POST", "/api/warnings/{warning_id}/actions/{action}"): Rule(anyone, ok=frozenset({422})),  # `accept`: no such
    ("GET", "/api/employers/{credit_code}"): Rule(anyone),
    ("GET", "/api/projects/{project_id}/monitoring"): Rule(anyone),
    ("PUT", "/api/projects/{project_id}/roster"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("POST", "/api/projects/{project_id}/roster/import"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("POST", "/api/projects/{project_id}/payrolls"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("POST", "/api/projects/{project_id}/payrolls/import"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("POST", "/api/signals"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("POST", "/api/signals/import"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("GET", "/api/reports"): Rule(anyone),
    ("GET", "/api/reports/{report_id}"): Rule(anyone, ok=frozenset({404})),
    ("POST", "/api/reports"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
    ("POST", "/api/reports/{report_id}/instalments/{seq}/payment"): Rule(roles(*REGISTRARS), ok=frozenset({422})),
}

# The other actions' routes are made from the registry by the same function as accept's (api.routes.cases).
LIKE_ACCEPT = {("POST", f"/api/cases/{{case_no}}/actions/{name}") for name in PUBLIC_ACTIONS if name != "accept"}

# The web UI's pages (cookie session): without a valid session every page sends the browser to /login.
# A page missing here is still checked for that; one without path parameters is taken to be for anyone.
WEB_PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/static/{name}"),
    ("GET", "/static/roster-template.xlsx"),
    # the complainants' pages (tests/api/test_public.py, tests/web/test_public_browser.py)
    ("GET", "/progress"),
    ("POST", "/progress"),
    ("POST", "/progress/rating"),
    ("POST", "/progress/document"),
    ("GET", "/complaint"),
    ("POST", "/complaint"),
}
WEB_PAGES: dict[str, Rule] = {
    "/": Rule(anyone),
    "/dashboard": Rule(anyone),
    "/projects": Rule(anyone),
    "/projects/{project_id}": Rule(anyone),
    "/blacklist": Rule(anyone),
    "/logout": Rule(anyone),
    "/cases/new": Rule(roles(*REGISTRARS)),
    "/projects/new": Rule(roles(*REGISTRARS)),
    "/cases/{case_no}": Rule(sees_case),
    "/cases/{case_no}/documents/{seq}": Rule(sees_case),
    "/cases/{case_no}/documents/{seq}.pdf": Rule(sees_case, ok=frozenset({200, 503})),
    "/cases/{case_no}/messages": Rule(sees_case),
    "/satisfaction": Rule(anyone),
    "/calendar": Rule(anyone),
    "/users": Rule(roles("admin")),
    "/password": Rule(anyone),
}

PEOPLE = [
    Who("clerk1", "clerk", "petition", sees_case=True),  # registered it
    Who("clerk2", "clerk", "housing"),
    Who("hrss1", "caseworker", "hrss", sees_case=True),
    Who("transport1", "caseworker", "transport"),
    Who("hrss_head", "unit_head", "hrss", sees_case=True),
    Who("water_head", "unit_head", "water"),
    Who("office1", "supervisor", "hrss", sees_case=True),
    Who("leader1", "leader", "finance", sees_case=True),
    Who("police1", "liaison", "police"),
    Who("admin", "admin", "hrss", sees_case=True),
]
NOBODY = [
    Who("anonymous", token="none"),
    Who("forged", token="forged"),
    Who("expired", token="expired"),
    Who("garbage", token="garbage"),
    Who("disabled1", "caseworker", "hrss", token="disabled"),
    Who("revoked1", "caseworker", "hrss", token="revoked"),
]


def expected(rule: Rule, who: Who) -> frozenset[int]:
    """The statuses the contract allows for this person on a route with this rule."""
    if rule.allowed == PUBLIC:
        return rule.ok
    if who.token != "valid":
        return frozenset({401})
    return rule.ok if rule.allowed(who) else frozenset({403})


def route_keys(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD aside."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.13x nests included routers

        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = app.routes
    return {
        (method, route.path)
        for route in routes
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD"
    }


def is_web(path: str) -> bool:
    return not path.startswith(("/api/", "/codec/", "/healthz", "/docs", "/redoc", "/openapi.json"))


def test_every_route_is_classified():
    app = create_app(Settings(secret_key="x" * 40))
    routes = route_keys(app)
    unclassified = sorted(r for r in routes if not is_web(r[1]) and r not in API_RULES and r not in LIKE_ACCEPT)
    assert unclassified == [], f"add these routes to API_RULES in {__file__}: {unclassified}"
    gone = sorted(set(API_RULES) - routes)
    assert gone == [], f"API_RULES names routes the app no longer has: {gone}"


@dataclass
class Context:
    case_no: str
    project_id: int
    created: itertools.count = field(default_factory=itertools.count)


def fill(path: str, ctx: Context) -> str:
    return path.format(
        case_no=ctx.case_no,
        project_id=ctx.project_id,
        seq=1,
        action="accept",
        name="x.css",
        entry_id=1,
        year=2027,
        warning_id=1,
        report_id=1,
        credit_code="91350100M000100Y43",
        user_id=999999,
    )


def body_for(method: str, path: str, ctx: Context) -> dict:
    """Request arguments that succeed for someone allowed (so a refusal can only be about access)."""
    if method == "PATCH":
        return {"json": {}}
    if method != "POST":
        return {}
    if path == "/api/auth/token":
        return {"data": {"username": "clerk1", "password": "password-123"}}
    if path == "/api/users":
        return {
            "json": {
                "username": f"new{next(ctx.created)}",
                "password": "password-123",
                "role": "clerk",
                "unit": "petition",
            }
        }
    if path == "/api/projects":
        return {"json": PROJECT}
    if path == "/api/cases":
        return {"json": complaint()}
    if path == "/api/public/progress":
        return {"json": {"case_no": ctx.case_no, "phone": PHONE}}
    if path == "/api/public/complaints":  # refused for its content once let in: nothing registered
        return {"json": complaint(complainant={"name": "王秀英"})}
    if path == "/api/public/ratings":
        return {"json": {"case_no": ctx.case_no, "phone": PHONE, "rating": "satisfied"}}
    if path == "/api/rosters/parse":  # not a workbook: refused with 422 once access is granted
        return {"files": {"file": ("roster.xlsx", b"not a workbook", "application/octet-stream")}}
    if path.startswith("/codec/"):
        return {"json": {"payloads": []}}
    if path.endswith("/deposit"):
        return {"json": {"amount": "1000.00", "bank": "代县农村商业银行"}}
    if path == "/api/users/me/password":
        return {"json": {"current_password": "not-the-password", "new_password": "password-456"}}
    if path.startswith("/api/users/") and path.endswith("/password"):
        return {"json": {"password": "temporary-123"}}
    if path.endswith("/removal"):
        return {"json": {"reason": "已足额支付", "corrected": True, "written_promise": True}}
    if path.endswith("/removal_application"):
        return {"json": {"written_promise": True}}
    return {"json": {}}


def token_for(who: Who, api, settings: Settings) -> str | None:
    if who.token in ("valid", "disabled", "revoked"):
        return api.tokens[who.name]
    if who.token == "forged":
        return create_access_token("admin", "admin", "hrss", settings.model_copy(update={"secret_key": "y" * 40}))
    if who.token == "expired":
        return jwt.encode(
            {"sub": "admin", "role": "admin", "unit": "hrss", "exp": utcnow() - timedelta(minutes=1)},
            settings.secret_key,
            algorithm="HS256",
        )
    if who.token == "garbage":
        return "eyJhbGciOiJIUzI1NiJ9.garbage.garbage"
    return None


async def setup_people(api) -> Context:
    for who in PEOPLE + NOBODY:
        if who.role and who.name != "admin":
            await api.user(who.name, who.role, who.unit)
    await api.as_admin()
    with Session(api.app.state.engine) as session:
        user = get_user_by_username(session=session, username="disabled1")
        user.active = False
        session.add(user)
        session.commit()
    revoked = {"Authorization": f"Bearer {api.tokens['revoked1']}"}
    assert (await api.http.post("/api/auth/logout", headers=revoked)).status_code == 204
    clerk = {"Authorization": f"Bearer {api.tokens['clerk1']}"}
    r = await api.http.post("/api/projects", headers=clerk, json=PROJECT)
    assert r.status_code == 201, r.text
    project_id = r.json()["id"]
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    assert r.status_code == 201 and r.json()["lead_unit"] == "hrss", r.text
    assert [d["seq"] for d in r.json()["documents"]][:1] == [1]
    return Context(case_no=r.json()["case_no"], project_id=project_id)


async def test_every_api_route_against_every_role_unit_and_bad_token(api):
    ctx = await setup_people(api)
    settings = api.app.state.settings
    routes = sorted(r for r in route_keys(api.app) if not is_web(r[1]) and r not in LIKE_ACCEPT)
    cells = [(route, who) for route in routes for who in PEOPLE + NOBODY]
    # refusals first: none of them may write anything
    cells.sort(key=lambda cell: expected(API_RULES[cell[0]], cell[1]) & {401, 403} == set())
    before = row_counts(api.app.state.engine)
    checked_refusals = False
    wrong = []
    for (method, path), who in cells:
        rule = API_RULES[(method, path)]
        allowed = expected(rule, who)
        if not checked_refusals and not allowed & {401, 403}:
            assert row_counts(api.app.state.engine) == before, "a refused request wrote to the database"
            checked_refusals = True
        token = token_for(who, api, settings)
        if path == "/api/auth/logout" and who.token == "valid":  # logging out ends the token: use a spare one
            token = await api.token(who.name, ADMIN_PASSWORD if who.name == "admin" else "password-123")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = await api.http.request(method, fill(path, ctx), headers=headers, **body_for(method, path, ctx))
        if r.status_code not in allowed:
            wrong.append(
                f"{method} {path} as {who.name} ({who.role or who.token}): {r.status_code}, expected "
                f"{sorted(allowed)}: {r.text[:120]}"
            )
        elif r.status_code in (401, 403):
            assert r.json()["detail"], (method, path, who)
        if (method, path) == ("GET", "/api/cases") and r.status_code == 200:
            listed = ctx.case_no in [c["case_no"] for c in r.json()["items"]]
            if listed != who.sees_case:
                wrong.append(f"GET /api/cases as {who.name}: case listed={listed}, sees_case={who.sees_case}")
    assert checked_refusals
    assert wrong == [], "\n".join(wrong)
    print(f"access table: {len(cells)} requests over {len(routes)} routes")


def web_headers(who: Who, api, settings: Settings) -> dict:
    token = token_for(who, api, settings)
    return {"Cookie": f"{SESSION_COOKIE}={token}"} if token else {}


async def test_every_web_page_needs_a_session_and_follows_the_same_rules(api):
    ctx = await setup_people(api)
    settings = api.app.state.settings
    web = sorted(r for r in route_keys(api.app) if is_web(r[1]) and r not in WEB_PUBLIC)
    if not web:
        pytest.skip("the web UI has no pages yet")
    wrong, unclassified = [], []
    before = row_counts(api.app.state.engine)
    for method, path in web:
        url = fill(path, ctx) if path in WEB_PAGES else path.replace("{", "").replace("}", "")
        for who in NOBODY:
            data = {"csrf_token": "x"} if method == "POST" else None
            r = await api.http.request(method, url, headers=web_headers(who, api, settings), data=data)
            if (method, path) == ("GET", "/") and r.status_code == 200:  # the front door is the login form
                if 'name="password"' not in r.text or 'class="who"' in r.text:
                    wrong.append(f"GET / as {who.name}: {r.status_code}, expected the login form only")
                continue
            if r.status_code not in (302, 303, 307) or not r.headers["location"].startswith("/login"):
                wrong.append(f"{method} {path} as {who.name}: {r.status_code} {r.headers.get('location')}")
    assert row_counts(api.app.state.engine) == before, "a request without a session wrote to the database"
    for method, path in web:
        if method != "GET":
            continue
        rule = WEB_PAGES.get(path)
        if rule is None:
            if "{" in path:  # a new page about one record: only the redirect above is checked
                unclassified.append(path)
                continue
            rule = Rule(anyone)  # a new overview page: every logged-in user
        for who in PEOPLE:
            r = await api.http.get(fill(path, ctx), headers=web_headers(who, api, settings))
            allowed = expected(rule, who)
            if r.status_code not in allowed:
                wrong.append(f"GET {path} as {who.name} ({who.role}): {r.status_code}, expected {sorted(allowed)}")
    assert wrong == [], "\n".join(wrong)
    if unclassified:
        print(f"web pages checked only without a session (add them to WEB_PAGES): {unclassified}")


async def test_whoever_registers_a_complaint_sees_its_number_and_receipt_even_when_it_goes_elsewhere(api):
    """A water-bureau caseworker takes a complaint that hrss leads: the intake still ends on the case."""
    from tests.api.web_client import WebClient

    await api.user("water1", "caseworker", "water")
    await api.user("water2", "caseworker", "water")
    async with WebClient(api.app) as web:
        assert (await web.login("water1", "password-123")).status_code == 303
        assert (await web.get("/cases/new")).status_code == 200
        r = await web.post(
            "/cases/new",
            {
                "channel": "walk_in",
                "complainant.name": "王秀英",
                "employer.name": "山西某劳务有限公司",
                "workers.0.name": "王秀英",
                "workers.0.amount_owed": "12000",
                "worker_rows": "1",
            },
        )
        assert r.status_code == 303, r.text[:300]
        case_no = r.headers["location"].removeprefix("/cases/")
        page = await web.get(r.headers["location"])
        assert page.status_code == 200 and case_no in page.text and "无权查看" not in page.text
        assert "已受理，案件编号" in page.text
        receipt = await web.get(f"/cases/{case_no}/documents/1")
        assert receipt.status_code == 200 and case_no in receipt.text
    # the case went to hrss; its registrant sees it, a colleague of the same unit does not
    record = await api.http.get(f"/api/cases/{case_no}", headers={"Authorization": f"Bearer {api.tokens['water1']}"})
    assert record.status_code == 200 and record.json()["lead_unit"] == "hrss"
    other = await api.http.get(f"/api/cases/{case_no}", headers={"Authorization": f"Bearer {api.tokens['water2']}"})
    assert other.status_code == 403

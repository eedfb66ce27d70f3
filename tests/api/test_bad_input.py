"""Malformed, oversized and hostile requests: each gets a 4xx with a message and nothing is written;
hostile text that is valid input is stored as typed and escaped wherever it is shown."""

import json
from dataclasses import dataclass, field

from api.web_auth import SESSION_COOKIE
from tests.api.util import CREDIT_CODE, PROJECT, complaint, row_counts

BIG = 3 * 1024 * 1024  # over the 2 MiB limit of api.limits


@dataclass
class Bad:
    label: str
    method: str
    path: str  # {no} is the test case's number
    who: str = "clerk"  # clerk, hrss, admin, none
    json: object = None
    content: bytes | None = None
    headers: dict = field(default_factory=dict)
    data: dict | None = None
    status: tuple[int, ...] = (422,)
    fields: tuple[str, ...] = ()  # for 422s: fields the errors must name (prefixes)


def case(label: str, status=(422,), fields=(), **change) -> Bad:
    return Bad(label, "POST", "/api/cases", json=complaint(**change), status=status, fields=fields)


def raw(label: str, path: str, content: bytes, status=(422,), content_type="application/json", **kw) -> Bad:
    return Bad(label, "POST", path, content=content, headers={"Content-Type": content_type}, status=status, **kw)


WORKER = {"name": "李建国", "amount_owed": "100"}
PERSON = {"name": "王秀英"}
NOTE = "/api/cases/{no}/actions/note"

BAD_INPUTS = [
    # ---- broken bodies and encodings
    raw("broken JSON", "/api/cases", b'{"channel": "hotline", "workers": [', fields=("body",)),
    raw("JSON array", "/api/cases", b"[1, 2, 3]", fields=("body",)),
    raw("JSON null", "/api/cases", b"null", fields=("body",)),
    raw("JSON string", "/api/cases", b'"complaint"', fields=("body",)),
    raw("empty body", "/api/cases", b"", fields=("body",)),
    raw("invalid UTF-8", "/api/cases", b'{"channel": "\xff\xfe\xfa"}', status=(400,)),
    raw("GBK-encoded Chinese", "/api/cases", '{"description": "拖欠工资"}'.encode("gbk"), status=(400,)),
    raw("UTF-16 body", "/api/cases", json.dumps(complaint()).encode("utf-16"), status=(400,)),
    raw("text/plain body", "/api/cases", json.dumps(complaint()).encode(), content_type="text/plain"),
    raw("form body for JSON route", "/api/cases", b"channel=hotline", content_type="application/x-www-form-urlencoded"),
    raw("nested 50000 deep", "/api/cases", b"[" * 50000 + b"]" * 50000, status=(400,)),
    raw(
        "NUL escaped in a name",
        "/api/cases",
        json.dumps(complaint(complainant={"name": "王\u0000秀英"})).encode(),
        status=(400,),
    ),
    raw(
        "escape character in description",
        "/api/cases",
        json.dumps(complaint(description="\u001b[31mred")).encode(),
        status=(400,),
    ),
    raw(
        "lone surrogate in a name",
        "/api/cases",
        json.dumps(complaint(), ensure_ascii=False).replace("王秀英", "\\ud800", 1).encode(),
        fields=("body.complainant.name",),
    ),
    # ---- oversized
    raw("3 MiB body", "/api/cases", json.dumps(complaint(description="欠" * BIG)).encode(), status=(413,)),
    case("description of 5001 characters", fields=("body.description",), description="拖" * 5001),
    case("name of 101 characters", fields=("body.complainant.name",), complainant={"name": "王" * 101}),
    case("5001 workers", fields=("body.workers",), workers=[WORKER] * 5001),
    # ---- missing fields and wrong types
    case("no workers", fields=("body.workers",), workers=[]),
    case(
        "two workers with one ID number",
        fields=("body.workers",),
        workers=[
            {"name": "王秀英", "id_number": "140923198506123018", "amount_owed": "100"},
            {"name": "王秀英", "id_number": "140923198506123018", "amount_owed": "200"},
        ],
    ),
    case("name only spaces", fields=("body.complainant.name",), complainant={"name": "   "}),
    case("complainant null", fields=("body.complainant",), complainant=None),
    case("channel a number", fields=("body.channel",), channel=5),
    case("unknown channel", fields=("body.channel",), channel="pigeon"),
    case("workers a string", fields=("body.workers",), workers="many"),
    case("amount a word", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": "lots"}]),
    case(
        "bank account with letters",
        fields=("body.workers.0.bank_account",),
        workers=[{**WORKER, "bank": "中国农业银行代县支行", "bank_account": "6228-ABC"}],
    ),
    case("amount a boolean", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": True}]),
    case("amount negative", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": -5}]),
    case("amount zero", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": 0}]),
    case(
        "amount with 3 decimals", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": "1.005"}]
    ),
    case("amount of 10^20", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": 10**20}]),
    raw(
        "amount NaN",
        "/api/cases",
        json.dumps(complaint()).replace('"12000.00"', "NaN").encode(),
        fields=("body.workers.0.amount_owed",),
    ),
    raw(
        "amount Infinity",
        "/api/cases",
        json.dumps(complaint()).replace('"12000.00"', "Infinity").encode(),
        fields=("body.workers.0.amount_owed",),
    ),
    case(
        "amount with underscores", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": "1_000"}]
    ),
    case(
        "amount in Arabic-Indic digits",
        fields=("body.workers.0.amount_owed",),
        workers=[{**WORKER, "amount_owed": "\u0661\u0660\u0660"}],
    ),
    case("amount with an exponent", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": "1e2"}]),
    case("amount in hexadecimal", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": "0x10"}]),
    case(
        "amount with inner spaces", fields=("body.workers.0.amount_owed",), workers=[{**WORKER, "amount_owed": "1 000"}]
    ),
    case("claimed amount with an exponent", fields=("body.amount_claimed",), amount_claimed="1E3"),
    Bad(
        "contract amount with underscores",
        "POST",
        "/api/projects",
        json={**PROJECT, "contract_amount": "1_000"},
        fields=("body.contract_amount",),
    ),
    Bad(
        "deposit in Arabic-Indic digits",
        "POST",
        "/api/projects/1/deposit",
        who="admin",
        json={"amount": "\u0661\u0660\u0660", "bank": "代县农村商业银行"},
        fields=("body.amount",),
        status=(404, 422),
    ),
    # ---- names: printable, at least one visible character, no control or invisible characters
    case("name only zero-width spaces", fields=("body.complainant.name",), complainant={"name": "\u200b\u200b"}),
    case("name only a byte order mark", fields=("body.complainant.name",), complainant={"name": "\ufeff"}),
    case("name with U+0085", fields=("body.complainant.name",), complainant={"name": "王\u0085秀英"}),
    case("name with DEL", fields=("body.workers.0.name",), workers=[{**WORKER, "name": "李\u007f建国"}]),
    case(
        "name with a right-to-left override",
        fields=("body.employer.name",),
        employer={"name": "山西\u202e司公限有务劳"},
    ),
    case("name with a line separator", fields=("body.employer.name",), employer={"name": "山西\u2028某公司"}),
    case("employer name a BOM and spaces", fields=("body.employer.name",), employer={"name": "\ufeff  "}),
    case("new project name zero-width", fields=("body.project.name",), project={**PROJECT, "name": "\u200b"}),
    Bad(
        "project name only zero-width joiners",
        "POST",
        "/api/projects",
        json={**PROJECT, "name": "\u200d\u200d"},
        fields=("body.name",),
    ),
    Bad(
        "construction unit with C1 control",
        "POST",
        "/api/projects",
        json={**PROJECT, "construction_unit": {"name": "代县\u009b公司"}},
        fields=("body.construction_unit.name",),
    ),
    Bad(
        "transfer reason only zero-width",
        "POST",
        "/api/cases/{no}/actions/transfer",
        who="hrss",
        json={"to_unit": "housing", "reason": "\u200b"},
        fields=("body.reason",),
    ),
    case("received_at a word", fields=("body.received_at",), received_at="yesterday"),
    case("received_at in year 1", fields=("body.received_at",), received_at="0001-01-01T00:00:00"),
    case("received_at in year 1 with offset", fields=("body.received_at",), received_at="0001-01-01T00:00:00+08:00"),
    case("received_at in 1900", fields=("body.received_at",), received_at="1900-01-01T00:00:00+08:00"),
    case("received_at in the future", fields=("body.received_at",), received_at="2099-01-01T00:00:00+08:00"),
    case("group_incident a word", fields=("body.group_incident",), group_incident="perhaps"),
    case("unknown field case_no", fields=("body.case_no",), case_no="DX-2026-000001"),
    case("unknown field in complainant", fields=("body.complainant.role",), complainant={**PERSON, "role": "admin"}),
    case("project_id a word", fields=("body.project_id",), project_id="abc"),
    case("project_id of 10^30", fields=("body.project_id",), project_id=10**30),
    case("project_id negative", fields=("body.project_id",), project_id=-1),
    case("project_id and project", fields=("body",), project_id=1, project=PROJECT),
    # ---- identity numbers (GB 11643, GB 32100) and phones
    case(
        "ID with a wrong check digit",
        fields=("body.complainant.id_number",),
        complainant={**PERSON, "id_number": "140923198506123011"},
    ),
    case("15-digit ID", fields=("body.complainant.id_number",), complainant={**PERSON, "id_number": "140923850612301"}),
    case(
        "ID born on 30 February",
        fields=("body.complainant.id_number",),
        complainant={**PERSON, "id_number": "140923198502303011"},
    ),
    case(
        "worker ID with letters",
        fields=("body.workers.0.id_number",),
        workers=[{**WORKER, "id_number": "ABCDEFGHIJKLMNOPQR"}],
    ),
    case("phone too short", fields=("body.complainant.phone",), complainant={**PERSON, "phone": "123"}),
    case("phone with markup", fields=("body.complainant.phone",), complainant={**PERSON, "phone": "<script>"}),
    case("landline without area code", fields=("body.complainant.phone",), complainant={**PERSON, "phone": "5221234"}),
    case(
        "credit code with a wrong check char",
        fields=("body.employer.credit_code",),
        employer={"name": "某公司", "credit_code": CREDIT_CODE[:-1] + "4"},
    ),
    case(
        "credit code with the letter O",
        fields=("body.employer.credit_code",),
        employer={"name": "某公司", "credit_code": "91350100M00O100Y43"},
    ),
    Bad(
        "Idempotency-Key of 201 characters",
        "POST",
        "/api/cases",
        json=complaint(),
        headers={"Idempotency-Key": "k" * 201},
    ),
    # ---- projects, users, log-in
    Bad("project type unknown", "POST", "/api/projects", json={**PROJECT, "type": "spaceport"}, fields=("body.type",)),
    Bad(
        "project township unknown",
        "POST",
        "/api/projects",
        json={**PROJECT, "township": "atlantis"},
        fields=("body.township",),
    ),
    Bad(
        "project without construction unit",
        "POST",
        "/api/projects",
        json={k: v for k, v in PROJECT.items() if k != "construction_unit"},
        fields=("body.construction_unit",),
    ),
    Bad(
        "project credit code check",
        "POST",
        "/api/projects",
        json={**PROJECT, "construction_unit": {"name": "某公司", "credit_code": "91350100M000100Y44"}},
        fields=("body.construction_unit.credit_code",),
    ),
    Bad(
        "project has_permit a word",
        "POST",
        "/api/projects",
        json={**PROJECT, "has_permit": "maybe"},
        fields=("body.has_permit",),
    ),
    Bad(
        "user role unknown",
        "POST",
        "/api/users",
        who="admin",
        json={"username": "newbie", "password": "password-123", "role": "root", "unit": "hrss"},
        fields=("body.role",),
    ),
    Bad(
        "username with a space",
        "POST",
        "/api/users",
        who="admin",
        json={"username": "new user", "password": "password-123", "role": "clerk", "unit": "hrss"},
        fields=("body.username",),
    ),
    Bad(
        "password too short",
        "POST",
        "/api/users",
        who="admin",
        json={"username": "newbie", "password": "123", "role": "clerk", "unit": "hrss"},
        fields=("body.password",),
    ),
    Bad(
        "unit unknown",
        "POST",
        "/api/users",
        who="admin",
        json={"username": "newbie", "password": "password-123", "role": "clerk", "unit": "mars"},
        fields=("body.unit",),
    ),
    Bad(
        "username taken",
        "POST",
        "/api/users",
        who="admin",
        json={"username": "admin", "password": "password-123", "role": "clerk", "unit": "hrss"},
        status=(409,),
    ),
    Bad("log-in as JSON", "POST", "/api/auth/token", who="none", json={"username": "admin", "password": "x"}),
    Bad("log-in without password", "POST", "/api/auth/token", who="none", data={"username": "admin"}),
    Bad(
        "log-in with NUL",
        "POST",
        "/api/auth/token",
        who="none",
        data={"username": "ad\x00min", "password": "x"},
        status=(400,),
    ),
    Bad(
        "Basic authorization",
        "GET",
        "/api/users/me",
        who="none",
        headers={"Authorization": "Basic YWRtaW46YWRtaW4="},
        status=(401,),
    ),
    Bad(
        "Bearer of 10000 characters",
        "GET",
        "/api/users/me",
        who="none",
        headers={"Authorization": "Bearer " + "x" * 10000},
        status=(401,),
    ),
    # ---- case actions
    Bad("unknown action", "POST", "/api/cases/{no}/actions/fly", who="hrss", json={}, status=(404,)),
    Bad("note without text", "POST", NOTE, who="hrss", json={}, fields=("body.text",)),
    Bad("note of 5001 characters", "POST", NOTE, who="hrss", json={"text": "记" * 5001}, fields=("body.text",)),
    Bad("note body a list", "POST", NOTE, who="hrss", json=["text"]),
    Bad(
        "note with unknown field",
        "POST",
        NOTE,
        who="hrss",
        json={"text": "x", "actor": "admin"},
        fields=("body.actor",),
    ),
    Bad(
        "findings substantiated a sentence",
        "POST",
        "/api/cases/{no}/actions/findings",
        who="hrss",
        json={"substantiated": "yes please"},
        fields=("body.substantiated",),
    ),
    Bad(
        "transfer to an unknown unit",
        "POST",
        "/api/cases/{no}/actions/transfer",
        who="hrss",
        json={"to_unit": "mars", "reason": "x"},
        fields=("body.to_unit",),
    ),
    Bad(
        "extension of a million days",
        "POST",
        "/api/cases/{no}/actions/extend_investigation",
        who="hrss",
        json={"working_days": 10**6, "reason": "x"},
        fields=("body.working_days",),
    ),
    Bad(
        "due date a word",
        "POST",
        "/api/cases/{no}/actions/order_payment",
        who="hrss",
        json={"due_at": "tomorrow"},
        fields=("body.due_at",),
    ),
    Bad(
        "action on a path-traversal case",
        "POST",
        "/api/cases/..%2F..%2Fetc%2Fpasswd/actions/note",
        who="hrss",
        json={"text": "x"},
        status=(404,),
    ),
    raw("action with broken JSON", NOTE, b'{"text": ', who="hrss", fields=("body",)),
    # ---- query strings and paths
    Bad("limit 0", "GET", "/api/cases?limit=0", fields=("query.limit",)),
    Bad("limit a word", "GET", "/api/cases?limit=abc", fields=("query.limit",)),
    Bad("limit 10^20", "GET", "/api/cases?limit=100000000000000000000", fields=("query.limit",)),
    Bad("offset negative", "GET", "/api/cases?offset=-1", fields=("query.offset",)),
    Bad("offset 10^20", "GET", "/api/cases?offset=100000000000000000000"),
    Bad("overdue maybe", "GET", "/api/cases?overdue=maybe", fields=("query.overdue",)),
    Bad("search of 101 characters", "GET", "/api/cases?q=" + "x" * 101, fields=("query.q",)),
    Bad("NUL in a search", "GET", "/api/cases?q=a%00b", status=(400,)),
    Bad("NUL in a case number", "GET", "/api/cases/DX%00", status=(400,)),
    Bad("case number of 5000 characters", "GET", "/api/cases/" + "A" * 5000, status=(404,)),
    Bad("project id a word", "GET", "/api/projects/abc", fields=("path.project_id",)),
    Bad("project id 10^30", "GET", "/api/projects/" + "9" * 30),
    Bad("project offset 2^63", "GET", "/api/projects?offset=9223372036854775808"),
    Bad("document seq a word", "GET", "/api/cases/{no}/documents/abc", fields=("path.seq",)),
    Bad("document seq 10^30", "GET", "/api/cases/{no}/documents/" + "9" * 30, status=(404, 422)),
    # digits other than ASCII 0-9 (str.isdigit() takes them, int() does not) and numbers of 5000 digits
    Bad("project id a superscript", "GET", "/api/projects/²", fields=("path.project_id",)),
    Bad("project id of 5000 digits", "GET", "/api/projects/" + "9" * 5000, fields=("path.project_id",)),
    Bad("project id 2^31", "GET", "/api/projects/2147483648", status=(404, 422)),
    Bad("project id in Arabic-Indic digits", "GET", "/api/projects/\u0661", fields=("path.project_id",)),
    Bad(
        "deposit of project 5000 digits", "GET", "/api/projects/" + "9" * 5000 + "/deposit", fields=("path.project_id",)
    ),
    Bad("project page a superscript", "GET", "/api/projects?offset=²", fields=("query.offset",)),
    Bad("document seq a superscript", "GET", "/api/cases/{no}/documents/²", fields=("path.seq",)),
    Bad("document pdf seq a superscript", "GET", "/api/cases/{no}/documents/².pdf", status=(404, 422)),
    Bad("document seq of 5000 digits", "GET", "/api/cases/{no}/documents/" + "9" * 5000, status=(404, 422)),
    Bad("document seq 2^63", "GET", "/api/cases/{no}/documents/9223372036854775808", status=(404, 422)),
    # ---- the codec endpoint
    Bad(
        "codec payloads a string",
        "POST",
        "/codec/decode",
        who="admin",
        json={"payloads": "x"},
        fields=("body.payloads",),
    ),
    Bad("codec data not base64", "POST", "/codec/decode", who="admin", json={"payloads": [{"data": "%%%"}]}),
]


async def test_bad_inputs_get_a_4xx_with_a_message_and_write_nothing(api):
    people = {
        "clerk": await api.user("clerk1", "clerk", "petition"),
        "hrss": await api.user("hrss1", "caseworker", "hrss"),
        "admin": await api.as_admin(),
        "none": {},
    }
    r = await api.http.post("/api/cases", headers=people["clerk"], json=complaint())
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    before = row_counts(api.app.state.engine)
    wrong = []
    for bad in BAD_INPUTS:
        kwargs = {k: v for k, v in (("json", bad.json), ("content", bad.content), ("data", bad.data)) if v is not None}
        r = await api.http.request(
            bad.method, bad.path.replace("{no}", no), headers=people[bad.who] | bad.headers, **kwargs
        )
        problem = None
        try:
            body = r.json()
        except ValueError:
            body = {}
        if r.status_code not in bad.status:
            problem = f"status {r.status_code}, expected {bad.status}"
        elif not isinstance(body.get("detail"), str) or not body["detail"]:
            problem = "no message in `detail`"
        elif bad.fields:
            named = [e.get("field", "") for e in body.get("errors", [])]
            missing = [f for f in bad.fields if not any(n.startswith(f) for n in named)]
            if missing:
                problem = f"errors do not name {missing}: {named}"
        if not problem and "range the database" in body.get("detail", ""):
            problem = "a message about the database instead of the field"
        if problem:
            wrong.append(f"{bad.label}: {problem}: {r.text[:200]}")
    assert wrong == [], "\n".join(wrong)
    assert row_counts(api.app.state.engine) == before
    print(f"bad inputs tried: {len(BAD_INPUTS)}")


HOSTILE_EMPLOYER = '<script>alert("x")</script>山西某劳务有限公司'
HOSTILE_NAME = "<b onmouseover=alert(1)>王秀英</b>"
HOSTILE_TEXT = "'); DROP TABLE cases; -- <img src=x onerror=alert(1)>"


async def test_html_and_sql_in_text_are_stored_as_typed_and_escaped_where_shown(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post(
        "/api/cases",
        headers=clerk,
        json=complaint(
            employer={"name": HOSTILE_EMPLOYER}, complainant={"name": HOSTILE_NAME}, description=HOSTILE_TEXT
        ),
    )
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    assert (await api.act(hrss, no, "note", {"text": HOSTILE_TEXT})).status_code == 200

    detail = (await api.http.get(f"/api/cases/{no}", headers=hrss)).json()  # JSON carries the text as typed
    assert (detail["employer"]["name"], detail["complainant"]["name"]) == (HOSTILE_EMPLOYER, HOSTILE_NAME)
    assert detail["description"] == HOSTILE_TEXT and detail["timeline"][-1]["summary"] == HOSTILE_TEXT

    receipt = await api.http.get(detail["documents"][0]["url"], headers=hrss)  # 受理回执 names both parties
    assert receipt.status_code == 200 and "text/html" in receipt.headers["content-type"]
    assert "&lt;script&gt;" in receipt.text and "<script>" not in receipt.text
    assert "&lt;b onmouseover" in receipt.text and "<b onmouseover" not in receipt.text
    assert "default-src 'none'" in receipt.headers["content-security-policy"]

    cookie = {"Cookie": f"{SESSION_COOKIE}={api.tokens['hrss1']}"}  # the web UI takes the same session token
    for page in (f"/cases/{no}", "/"):
        r = await api.http.get(page, headers=cookie)
        if r.status_code == 404:
            continue  # the web UI is not there
        assert r.status_code == 200, page
        for raw_html in ("<script>alert", "<b onmouseover", "<img src=x"):
            assert raw_html not in r.text, (page, raw_html)
        assert "&lt;script&gt;" in r.text or "&lt;b onmouseover" in r.text, page

    # SQL in a search is text to look for, and wildcards are characters
    admin = await api.as_admin()
    for q, found in [
        ("'; DROP TABLE cases; --", 0),
        ("' OR '1'='1", 0),
        ("%", 0),
        ("_", 0),
        ("<script>", 1),
        ("DROP", 0),
    ]:
        r = await api.http.get("/api/cases", params={"q": q}, headers=admin)
        assert r.status_code == 200 and r.json()["total"] == found, (q, r.text)
    assert (await api.http.get("/api/cases", headers=admin)).json()["total"] == 1  # the table is still there


WEB_NUMBERS = ["²", "\u0661", "１", "9" * 5000, "9223372036854775808", "0", "-1", "1e3", " 1"]


async def test_numbers_in_web_paths_are_ascii_digits_of_bounded_length(api):
    """/cases/{no}/documents/², /².pdf, /projects/², /projects?page=² and 5000-digit numbers: a page, not a 500."""
    from tests.api.web_client import WebClient

    await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post("/api/cases", headers={"Authorization": f"Bearer {api.tokens['hrss1']}"}, json=complaint())
    no = r.json()["case_no"]
    wrong = []
    async with WebClient(api.app) as web:
        assert (await web.login("hrss1", "password-123")).status_code == 303
        for number in WEB_NUMBERS:
            for url, ok in (
                (f"/cases/{no}/documents/{number}", (404,)),
                (f"/cases/{no}/documents/{number}.pdf", (404,)),
                (f"/projects/{number}", (404,)),
                (f"/projects?page={number}", (200,)),
                (f"/?page={number}", (200,)),
            ):
                r = await web.get(url)
                if r.status_code not in ok:
                    wrong.append(f"{url[:60]}: {r.status_code}, expected {ok}")
        assert (await web.get(f"/cases/{no}/documents/1")).status_code == 200  # a real number still works
    assert wrong == [], "\n".join(wrong)

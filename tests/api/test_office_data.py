"""Office data and printable documents: roster import (.xlsx), case-list and monthly-report export (.xlsx),
and documents as PDF, through the API and the web UI, on SQLite and PostgreSQL."""

import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO
from urllib.parse import unquote

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from api.roster_sheets import MAX_ROSTER_ROWS
from api.spreadsheets import XLSX_MEDIA_TYPE
from api.web_auth import CSRF_FIELD, SESSION_COOKIE, csrf_token_for
from db.audit import list_views
from db.cases import CaseDeadline, CaseEscalation, CasePayment, CaseRecord
from db.engine import create_all, make_engine
from db.monthly_report import monthly_report
from documents.pdf import pdf_available
from domain.calendar import CHINA_TZ
from tests.api.util import ID_NUMBER, ID_NUMBER_2, PHONE, complaint

HOUSING_PROJECT = {
    "name": "滨河小区3号楼",
    "type": "housing_municipal",
    "township": "shangguan",
    "has_permit": True,
    "land": "state",
    "government_invested": False,
    "construction_unit": {"name": "代县某房地产开发有限公司", "credit_code": None},
    "general_contractor": {"name": "山西某建筑工程有限公司", "credit_code": None},
}
BAD_CHECK_DIGIT = ID_NUMBER[:-1] + ("9" if ID_NUMBER[-1] != "9" else "8")


def xlsx(rows: list[list]) -> bytes:
    """A workbook whose first sheet holds `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "花名册.xlsx") -> dict:
    return {"files": {"file": (name, data, XLSX_MEDIA_TYPE)}}


def sheet_rows(data: bytes, title: str) -> list[tuple]:
    return list(load_workbook(BytesIO(data), data_only=True)[title].iter_rows(values_only=True))


def this_month() -> str:
    return datetime.now(CHINA_TZ).strftime("%Y-%m")


# ---- roster -------------------------------------------------------------------------------------------


async def test_a_good_roster_becomes_the_workers_of_a_complaint(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    data = xlsx(
        [
            ["代县某小区项目农民工工资花名册"],  # a title row above the header is common
            ["序号", "姓名", "身份证号码", "欠薪金额（元）", "备注"],
            [1, "王秀英", ID_NUMBER, 12000, "木工"],
            [2, "李建国", ID_NUMBER_2.lower(), "24,000.50元", None],
            [None, None, None, None, None],
            [3, "赵大勇", None, 8000.5, None],
        ]
    )
    r = await api.http.post("/api/rosters/parse", headers=clerk, **upload(data))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == [] and body["total"] == 3 and body["amount_total"] == "44001.00"
    no_bank = {"bank": None, "bank_account": None}
    assert body["workers"] == [
        {"row": 3, "name": "王秀英", "id_number": ID_NUMBER, "amount_owed": "12000.00", **no_bank},
        {"row": 4, "name": "李建国", "id_number": ID_NUMBER_2, "amount_owed": "24000.50", **no_bank},
        {"row": 6, "name": "赵大勇", "id_number": None, "amount_owed": "8000.50", **no_bank},
    ]
    workers = [{k: v for k, v in w.items() if k != "row"} for w in body["workers"]]
    r = await api.http.post("/api/cases", headers=clerk, json=complaint(workers=workers))
    assert r.status_code == 201, r.text
    assert r.json()["workers_count"] == 3 and r.json()["amount_claimed"] == "44001.00"

    english = xlsx([["name", "id_number", "amount_owed"], ["Zhang San", None, "100"]])
    r = await api.http.post("/api/rosters/parse", headers=clerk, **upload(english, "roster.xlsx"))
    assert r.status_code == 200 and r.json()["workers"][0]["amount_owed"] == "100.00", r.text


async def test_a_roster_carries_each_workers_bank_and_account_into_the_complaint(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    data = xlsx(
        [
            ["姓名", "身份证号", "欠薪金额", "开户银行", "银行账号"],
            ["王秀英", ID_NUMBER, 12000, "中国农业银行代县支行", "6228480012345678901"],
            ["李建国", ID_NUMBER_2, 100, None, 6228480012345678901],  # typed into a number cell: digits lost
        ]
    )
    r = await api.http.post("/api/rosters/parse", headers=clerk, **upload(data))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["workers"][0]["bank"] == "中国农业银行代县支行"
    assert body["workers"][0]["bank_account"] == "6228480012345678901"
    assert [(e["row"], e["column"], e["field"]) for e in body["errors"]] == [(3, "E", "bank_account")]
    workers = [{k: v for k, v in body["workers"][0].items() if k != "row"}]
    r = await api.http.post("/api/cases", headers=clerk, json=complaint(workers=workers))
    assert r.status_code == 201, r.text


async def test_bad_rows_are_reported_by_row_and_column(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    data = xlsx(
        [
            ["姓名", "欠薪金额", "身份证号"],  # columns in any order
            ["王秀英", 12000, ID_NUMBER],
            ["", 500, None],  # row 3: no name
            ["李建国", "一万", BAD_CHECK_DIGIT],  # row 4: amount and ID number
            ["张三", 100.555, float(ID_NUMBER)],  # row 5: fen fractions; ID typed into a number cell
            ["李四", -5, None],  # row 6
            ["王五", 300, ID_NUMBER],
        ]
    )  # row 7: the same worker as row 2
    r = await api.http.post("/api/rosters/parse", headers=clerk, **upload(data))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [w["row"] for w in body["workers"]] == [2] and body["total"] == 6
    found = {(e["row"], e["column"], e["field"]) for e in body["errors"]}
    assert found == {
        (3, "A", "name"),
        (4, "B", "amount_owed"),
        (4, "C", "id_number"),
        (5, "B", "amount_owed"),
        (5, "C", "id_number"),
        (6, "B", "amount_owed"),
        (7, "C", "id_number"),
    }
    messages = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert "check character" in messages[(4, "id_number")]
    assert "stored as a number" in messages[(5, "id_number")]
    assert "row 2" in messages[(7, "id_number")]
    assert "decimal places" in messages[(5, "amount_owed")]


async def test_a_roster_that_is_not_xlsx_too_large_or_too_long_is_refused(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    police = await api.user("police1", "liaison", "police")

    async def parse(data: bytes, who=clerk):
        return await api.http.post("/api/rosters/parse", headers=who, **upload(data))

    r = await parse("姓名,欠薪金额\n王秀英,12000\n".encode())
    assert r.status_code == 422 and "not an .xlsx" in r.json()["detail"]
    r = await parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    assert r.status_code == 422 and ".xls" in r.json()["detail"]
    r = await parse(xlsx([["编号", "金额"], [1, 2]]))
    assert r.status_code == 422 and "header" in r.json()["detail"]
    r = await parse(xlsx([["姓名", "欠薪金额"]] + [[f"工人{i}", 100] for i in range(MAX_ROSTER_ROWS + 1)]))
    assert r.status_code == 422 and "5000" in r.json()["detail"]
    r = await parse(xlsx([["姓名", "欠薪金额"]] + [[f"工人{i}", 100] for i in range(MAX_ROSTER_ROWS)]))
    assert r.status_code == 200 and len(r.json()["workers"]) == MAX_ROSTER_ROWS
    r = await parse(b"PK\x03\x04" + bytes(2 * 1024 * 1024 + 10))
    assert r.status_code == 413
    r = await parse(xlsx([["姓名", "欠薪金额"], ["王秀英", 1]]), who=police)
    assert r.status_code == 403


# ---- case list ----------------------------------------------------------------------------------------


async def two_cases(api) -> tuple[str, str]:
    """One case led by hrss (no project) and one led by housing (a housing project), both by clerk1."""
    clerk = await api.user("clerk1", "clerk", "petition")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    assert r.status_code == 201 and r.json()["lead_unit"] == "hrss", r.text
    hrss_case = r.json()["case_no"]
    r = await api.http.post(
        "/api/cases",
        headers=clerk,
        json=complaint(project=HOUSING_PROJECT, employer={"name": "山西某建筑劳务有限公司", "credit_code": None}),
    )
    assert r.status_code == 201 and r.json()["lead_unit"] == "housing", r.text
    return hrss_case, r.json()["case_no"]


def exported(data: bytes) -> dict[str, dict]:
    rows = sheet_rows(data, "案件清单")
    header = rows[2]
    return {row[0]: dict(zip(header, row)) for row in rows[3:]}


async def test_the_case_list_exports_with_the_lists_filters_visibility_and_masking(api):
    hrss_case, housing_case = await two_cases(api)
    housing = await api.user("housing1", "caseworker", "housing")
    leader = await api.user("leader1", "leader", "finance")
    water = await api.user("water1", "caseworker", "water")

    r = await api.http.get("/api/cases/export.xlsx", headers=leader)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX_MEDIA_TYPE, r.text
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    assert unquote(r.headers["content-disposition"].split("''")[1]).startswith("案件清单-")
    rows = exported(r.content)
    assert set(rows) == {hrss_case, housing_case}
    housing_row = rows[housing_case]
    assert housing_row["承办单位"] == "县住房和城乡建设管理局" and housing_row["阶段"] == "待签收"
    assert housing_row["乡镇"] == "上馆镇" and housing_row["工程项目"] == HOUSING_PROJECT["name"]
    assert housing_row["投诉金额（元）"] == 36000 and housing_row["涉及人数"] == 2
    assert housing_row["投诉人电话"] == PHONE[:3] + "****" + PHONE[-4:]  # a leader sees it masked
    assert isinstance(housing_row["收到时间"], datetime)

    r = await api.http.get("/api/cases/export.xlsx", headers=housing)
    rows = exported(r.content)
    assert set(rows) == {housing_case}  # the unit sees its own cases only
    assert rows[housing_case]["投诉人电话"] == PHONE  # a caseworker sees it, and the view is audited
    with Session(api.app.state.engine) as session:
        views, _ = list_views(session=session, username="housing1")
    assert [(v.case_no, v.via) for v in views] == [(housing_case, "case_export")]

    r = await api.http.get("/api/cases/export.xlsx", headers=water)
    assert r.status_code == 200 and exported(r.content) == {}
    r = await api.http.get("/api/cases/export.xlsx?unit=housing&stage=referred", headers=leader)
    assert set(exported(r.content)) == {housing_case}
    assert "阶段：待签收" in sheet_rows(r.content, "案件清单")[1][0]
    r = await api.http.get("/api/cases/export.xlsx", params={"q": "建筑劳务"}, headers=leader)
    assert set(exported(r.content)) == {housing_case}
    r = await api.http.get("/api/cases/export.xlsx?overdue=true", headers=leader)
    assert exported(r.content) == {}


# ---- monthly report ------------------------------------------------------------------------------------


async def test_the_monthly_report_counts_the_month_by_unit_and_township(api):
    hrss_case, housing_case = await two_cases(api)
    hrss = await api.user("hrss1", "caseworker", "hrss")
    for action, body in [
        ("accept", {}),
        ("findings", {"substantiated": True, "liable_party": "employer", "amount_owed": 36000, "facts": "属实"}),
        (
            "order_payment",
            {"amount": "36000.00", "due_at": (datetime.now(timezone.utc) + timedelta(days=7)).isoformat()},
        ),
        ("record_payment", {"amount": "36000.00", "payer": "employer"}),
    ]:
        r = await api.act(hrss, hrss_case, action, body)
        assert r.status_code == 200, r.text
    assert r.json()["stage"] == "closed"
    anyone = await api.user("water1", "caseworker", "water")

    r = await api.http.get(f"/api/stats/monthly.xlsx?month={this_month()}", headers=anyone)
    assert r.status_code == 200 and r.headers["content-type"] == XLSX_MEDIA_TYPE, r.text
    summary = {row[0]: row[1] for row in sheet_rows(r.content, "汇总")[4:] if row[0]}
    assert summary["本月受理（件）"] == 2 and summary["本月办结（件）"] == 1
    assert summary["结案率"] == 0.5 and summary["结案率目标"] == 0.95
    assert summary["本月投诉金额（元）"] == 72000 and summary["本月追回金额（元）"] == 36000
    assert summary["截至导出时：案件总数（件）"] == 2

    by_unit = {row[0]: row for row in sheet_rows(r.content, "按单位")[1:]}
    assert by_unit["县人力资源和社会保障局"][1:7] == (1, 1, 1, 1, 1.0, "达标")
    assert by_unit["县住房和城乡建设管理局"][1:7] == (1, 0, 1, 0, 0.0, "未达标")
    assert by_unit["合计"][1:3] == (2, 1) and by_unit["合计"][10] == 36000
    by_township = {row[0]: row for row in sheet_rows(r.content, "按乡镇")[1:]}
    assert by_township["上馆镇"][1] == 1 and by_township["未涉及工程项目"][2] == 1
    trend = sheet_rows(r.content, "近12个月")
    assert len(trend) == 13 and trend[-1][:2] == (this_month(), 2)

    r = await api.http.get("/api/stats/monthly.xlsx?month=2025-01", headers=anyone)
    summary = {row[0]: row[1] for row in sheet_rows(r.content, "汇总")[4:] if row[0]}
    assert summary["本月受理（件）"] == 0 and summary["结案率"] == "—"
    for bad in ("2026-13", "0000-01", "2026-1"):
        r = await api.http.get(f"/api/stats/monthly.xlsx?month={bad}", headers=anyone)
        assert r.status_code == 422, bad


def test_monthly_figures_follow_china_time_the_year_and_the_clocks(sqlite_url):
    """Month boundaries in China time, year-to-date closure, missed deadlines and escalations of the month."""
    engine = make_engine(sqlite_url)
    create_all(engine)

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(timezone.utc)

    def case(no: str, unit: str, received: str, closed: str | None = None, township: str | None = None):
        return CaseRecord(
            case_no=no,
            stage="closed" if closed else "investigating",
            lead_unit=unit,
            township=township,
            channel="hotline",
            received_at=at(received),
            registered_at=at(received),
            registered_by="clerk1",
            complainant_name="甲",
            employer_name="乙",
            state_json="{}",
            amount_claimed=Decimal("1000.00"),
            closed_at=at(closed) if closed else None,
        )

    with Session(engine) as session:
        session.add_all(
            [
                case("A", "hrss", "2026-11-01T00:10:00+08:00", closed="2026-11-20T10:00:00+08:00"),  # Oct 31 16:10 UTC
                case("B", "hrss", "2026-10-31T23:59:00+08:00", closed="2026-11-02T09:00:00+08:00"),  # October's
                case("C", "housing", "2026-11-30T23:30:00+08:00", township="shangguan"),
                case("D", "housing", "2026-12-01T00:30:00+08:00", township="shangguan"),  # December's
                case("E", "hrss", "2025-12-15T09:00:00+08:00", closed="2026-11-05T09:00:00+08:00"),  # last year's
                case("F", "hrss", "2026-03-01T09:00:00+08:00", closed="2026-12-01T08:00:00+08:00"),  # closed after Nov
                CasePayment(
                    case_no="E",
                    seq=1,
                    at=at("2026-11-05T09:00:00+08:00"),
                    amount=Decimal("700.00"),
                    payer="employer",
                    actor="hrss1",
                ),
                CasePayment(
                    case_no="A",
                    seq=1,
                    at=at("2026-12-01T07:00:00+08:00"),
                    amount=Decimal("50.00"),
                    payer="employer",
                    actor="hrss1",
                ),  # Nov 30 23:00 UTC, but December in China
                CaseDeadline(
                    case_no="C",
                    seq=1,
                    kind="acknowledge",
                    unit="housing",
                    start_at=at("2026-11-01T00:00:00+08:00"),
                    due_at=at("2026-11-10T23:59:00+08:00"),
                    status="missed",
                ),
                CaseDeadline(
                    case_no="C",
                    seq=2,
                    kind="investigate",
                    unit="housing",
                    start_at=at("2026-11-01T00:00:00+08:00"),
                    due_at=at("2026-11-12T23:59:00+08:00"),
                    status="missed",
                ),
                CaseDeadline(
                    case_no="F",
                    seq=1,
                    kind="acknowledge",
                    unit="hrss",
                    start_at=at("2026-03-01T00:00:00+08:00"),
                    due_at=at("2026-03-06T23:59:00+08:00"),
                    status="missed",
                ),  # March: not November's
                CaseEscalation(
                    case_no="C",
                    seq=1,
                    at=at("2026-11-11T09:00:00+08:00"),
                    level="office",
                    reason="逾期",
                    deadline_kind="acknowledge",
                    unit="housing",
                ),
                CaseEscalation(
                    case_no="C",
                    seq=2,
                    at=at("2026-11-13T09:00:00+08:00"),
                    level="leader",
                    reason="逾期",
                    deadline_kind="investigate",
                    unit="housing",
                ),
            ]
        )
        session.commit()
        report = monthly_report(session=session, month="2026-11")
    engine.dispose()

    county = report.county
    assert (county.received, county.closed) == (2, 3)  # A, C received; A, B, E closed
    assert (county.ytd_received, county.ytd_closed) == (4, 2)  # A, B, C, F this year; A, B closed by Nov 30
    assert county.closure_rate == 0.5
    assert (county.overdue, county.escalated) == (1, 1)  # C, once however many clocks and escalations
    assert county.claimed == Decimal("2000.00") and county.recovered == Decimal("700.00")
    assert (report.by_unit["hrss"].received, report.by_unit["hrss"].closed) == (1, 3)
    assert report.by_unit["housing"].overdue == 1 and report.by_township["shangguan"].received == 1
    assert report.by_township["-"].ytd_received == 3
    assert report.start.isoformat() == "2026-11-01T00:00:00+08:00" and report.end.month == 12


# ---- documents as PDF ------------------------------------------------------------------------------------


async def test_documents_download_as_pdf_named_after_the_case_and_title(api):
    if not pdf_available():
        pytest.skip("WeasyPrint or Pango is not installed")
    clerk = await api.user("clerk1", "clerk", "petition")
    water = await api.user("water1", "caseworker", "water")
    r = await api.http.post("/api/cases", headers=clerk, json=complaint())
    case = r.json()
    receipt = case["documents"][0]
    r = await api.http.get(receipt["url"] + ".pdf", headers=clerk)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
    assert r.content.startswith(b"%PDF-") and r.content.rstrip().endswith(b"%%EOF")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f'filename="{case["case_no"]}-1.pdf"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{case['case_no']}-受理回执.pdf"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True).stdout
        assert "受理回执" in text.decode() and case["case_no"] in text.decode()
    assert (await api.http.get(receipt["url"] + ".pdf", headers=water)).status_code == 403
    assert (await api.http.get(f"/api/cases/{case['case_no']}/documents/99.pdf", headers=clerk)).status_code == 404


# ---- the same through the web UI -------------------------------------------------------------------------


async def web_session(api, username: str, role: str, unit: str) -> tuple[dict, str]:
    """Cookie headers of a logged-in web session, and its CSRF token."""
    await api.user(username, role, unit)
    token = api.tokens[username]
    return {"Cookie": f"{SESSION_COOKIE}={token}"}, csrf_token_for(token, api.app.state.settings)


async def test_the_web_ui_imports_a_roster_into_the_intake_form(api):
    cookie, csrf = await web_session(api, "clerk1", "clerk", "petition")
    data = xlsx([["姓名", "身份证号", "欠薪金额"], ["王秀英", ID_NUMBER, 12000], ["李建国", BAD_CHECK_DIGIT, 500]])
    form = {
        CSRF_FIELD: csrf,
        "op": "import_roster",
        "worker_rows": "3",
        "complainant.name": "王秀英",
        "workers.0.name": "被替换的人",
    }
    r = await api.http.post(
        "/cases/new", headers=cookie, data=form, files={"roster": ("花名册.xlsx", data, XLSX_MEDIA_TYPE)}
    )
    assert r.status_code == 200, r.text
    page = r.text
    assert 'value="王秀英"' in page and 'value="李建国"' in page and "被替换的人" not in page
    assert f'value="{BAD_CHECK_DIGIT}"' in page and "身份证号码校验位不正确" in page  # at its cell, in Chinese
    assert "读入 2 人，其中 1 人无误" in page and "第 3 行" in page
    assert 'name="workers.2.name"' not in page  # exactly the roster's rows

    r = await api.http.post(
        "/cases/new", headers=cookie, data={**form}, files={"roster": ("a.xlsx", b"not a workbook", XLSX_MEDIA_TYPE)}
    )
    assert r.status_code == 422 and "不是 .xlsx" in r.text and 'value="被替换的人"' in r.text

    r = await api.http.get("/static/roster-template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX_MEDIA_TYPE
    assert sheet_rows(r.content, "花名册")[0][:4] == ("序号", "姓名", "身份证号", "欠薪金额（元）")


async def test_the_web_ui_exports_the_inbox_and_the_monthly_report_and_pdfs(api):
    hrss_case, housing_case = await two_cases(api)
    cookie, csrf = await web_session(api, "housing1", "caseworker", "housing")
    r = await api.http.post("/cases/export.xlsx", headers=cookie, data={CSRF_FIELD: csrf, "q": "建筑劳务"})
    assert r.status_code == 200 and set(exported(r.content)) == {housing_case}, r.text[:300]
    r = await api.http.post("/cases/export.xlsx", headers=cookie, data={CSRF_FIELD: "forged"})
    assert r.status_code == 403

    page = (await api.http.get("/", headers=cookie)).text
    assert 'formaction="/cases/export.xlsx"' in page
    page = (await api.http.get("/dashboard", headers=cookie)).text
    assert 'action="/dashboard/monthly.xlsx"' in page and f'value="{this_month()}"' in page
    r = await api.http.get(f"/dashboard/monthly.xlsx?month={this_month()}", headers=cookie)
    assert r.status_code == 200 and sheet_rows(r.content, "汇总")[0][0].endswith(f"{int(this_month()[5:])}月）")
    r = await api.http.get("/dashboard/monthly.xlsx?month=11-2026", headers=cookie)
    assert r.status_code == 422 and "月份" in r.text

    page = (await api.http.get(f"/cases/{housing_case}", headers=cookie)).text
    links = re.findall(rf'href="(/cases/{housing_case}/documents/\d+\.pdf)"', page)
    if not pdf_available():
        assert links == []
        return
    assert links and "下载PDF" in page
    r = await api.http.get(links[0], headers=cookie)
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    r = await api.http.get(f"/cases/{hrss_case}/documents/1.pdf", headers=cookie)
    assert r.status_code == 403 and "%PDF" not in r.text

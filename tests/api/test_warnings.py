"""Early warning through the API on drill durations, against a real dev server and worker (SQLite and
PostgreSQL): a period without a payroll warns by itself and then becomes a case; a payroll in time
warns of nothing; three signals warn; a missed instalment warns; findings, refusals and visibility."""

import asyncio
import dataclasses

import pytest_asyncio

from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
from domain.identity import credit_code_check_char
from domain.rules import PeriodUnit
from tests.api.conftest import serving
from tests.api.util import ID_NUMBER, ID_NUMBER_2, PROJECT, row_counts

# Drill clocks: a period falls due every 8 s; its payroll may come 2 s late; a warning has 4 s.
DRILL = {"payroll_cycle": 8, "payroll_grace": 2, "warning_response": 4}


def drill_jurisdiction():
    base = load_jurisdiction(DEFAULT_JURISDICTION)
    rules = dict(base.deadlines)
    for name, seconds in DRILL.items():
        rules[name] = dataclasses.replace(
            rules[name], unit=PeriodUnit.DURATION, amount=0, duration_seconds=float(seconds)
        )
    return dataclasses.replace(base, deadlines=rules)


@pytest_asyncio.fixture
async def drill(db_url, dev_server):
    async with serving(db_url, dev_server, drill_jurisdiction(), queue="warn") as api:
        yield api


def credit_code(seed: int) -> str:
    first17 = f"91140923MA{seed:07d}"
    return first17 + credit_code_check_char(first17)


async def until(fetch, predicate, what: str, seconds: float = 40.0):
    """The first answer of `fetch` that satisfies `predicate`; the workflows run on real drill clocks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await fetch()
        if predicate(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"never {what}: last answer {value}")
        await asyncio.sleep(0.3)


async def new_project(api, who, **over) -> int:
    r = await api.http.post("/api/projects", headers=who, json={**PROJECT, **over})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def warnings_of(api, who, **params) -> list[dict]:
    r = await api.http.get("/api/warnings", headers=who, params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_missing_payroll_warns_then_becomes_a_case_and_a_paid_project_gets_none(drill):
    api = drill
    clerk = await api.user("clerk1", "clerk", "petition")
    office = await api.user("office1", "supervisor", "hrss")
    township = await api.user("ymg1", "caseworker", "yanmenguan")
    unpaid = await new_project(api, clerk, name="未报送工资表的项目", special_account_no="6228480000000000011")
    paid = await new_project(api, clerk, name="按期发放工资的项目", special_account_no="6228480000000000012")
    r = await api.http.post(
        f"/api/projects/{paid}/payrolls",
        headers=clerk,
        json={
            "period": 1,
            "total": "12000.00",
            "paid_from": "6228480000000000012",
            "workers": [{"name": "王秀英", "id_number": ID_NUMBER, "amount": "12000.00"}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["period"] == "1" and r.json()["findings"] == [] and r.json()["warning_id"] is None

    items = await until(
        lambda: warnings_of(api, township, status="open"),
        lambda items: any(w["project_id"] == unpaid for w in items),
        "warned about period 1",
    )
    warning = next(w for w in items if w["project_id"] == unpaid)
    assert warning["kind"] == "payroll_missing" and warning["period"] == "1"
    assert {"id", "kind", "project_id", "credit_code", "level", "opened_at", "status"} <= set(warning)
    assert warning["township"] == "yanmenguan" and warning["unit"] == "transport"

    escalated = await until(
        lambda: api.http.get(f"/api/warnings/{warning['id']}", headers=office),
        lambda r: r.json()["status"] == "escalated",
        "escalated the warning",
    )
    case_no = escalated.json()["case_no"]
    case = (await api.http.get(f"/api/cases/{case_no}", headers=office)).json()
    assert case["channel"] == "township_warning"
    assert case["lead_unit"] == "transport"  # routed by the usual rules: a transport project with a permit
    assert f"预警 #{warning['id']}" in case["description"]
    linked = await warnings_of(api, office, case_no=case_no)
    assert [w["id"] for w in linked] == [warning["id"]]
    # The paid project's first period passed its grace long ago: nothing about it.
    assert [w for w in await warnings_of(api, office, project_id=paid) if w["period"] == "1"] == []
    # The monitor's projection moves on to period 2 once its workflow has checked period 1: wait for it.
    monitoring = (
        await until(
            lambda: api.http.get(f"/api/projects/{paid}/monitoring", headers=office),
            lambda r: r.json()["next_period"] >= 2,
            "the paid project's monitor moved on to period 2",
        )
    ).json()
    assert monitoring["payrolls"][0]["period"] == "1"
    # The dashboard's counts by township (db.monitoring.warning_counts_by_township).
    from sqlmodel import Session

    from db.monitoring import warning_counts_by_township

    with Session(api.app.state.engine) as session:
        counts = warning_counts_by_township(session=session)
    assert set(counts) == {"yanmenguan"} and counts["yanmenguan"]["escalated"] >= 1


async def test_three_signals_open_a_signals_warning(drill):
    api = drill
    clerk = await api.user("clerk1", "clerk", "yanmenguan")
    code = credit_code(1)
    kinds = ["utility_arrears", "tax_abnormal", "account_frozen"]
    answers = []
    for kind in kinds:
        r = await api.http.post(
            "/api/signals",
            headers=clerk,
            json={
                "credit_code": code,
                "kind": kind,
                "detail": "县供电公司反映欠缴电费三个月",
                "employer_name": "山西某劳务有限公司",
            },
        )
        assert r.status_code == 201, r.text
        answers.append(r.json())
    assert [a["score"] for a in answers] == [1, 2, 3]
    assert answers[1]["warning_id"] is None and answers[2]["warning_id"] is not None
    office = await api.user("office1", "supervisor", "hrss")
    items = await warnings_of(api, office, status="open")
    assert [(w["kind"], w["credit_code"]) for w in items] == [("signals", code)]
    # A fourth report adds to the open warning instead of opening another.
    r = await api.http.post("/api/signals", headers=clerk, json={"credit_code": code, "kind": "litigation"})
    assert r.json()["warning_id"] == answers[2]["warning_id"]
    employer = (await api.http.get(f"/api/employers/{code}", headers=office)).json()
    assert len(employer["signals"]) == 4 and employer["warnings"][0]["kind"] == "signals"
    assert (await api.http.get("/api/employers/91140923MA00000010", headers=office)).status_code == 422
    bad = await api.http.post("/api/signals", headers=clerk, json={"credit_code": "", "kind": "litigation"})
    assert bad.status_code == 422 and "credit_code" in bad.text


async def test_a_resolved_warning_does_not_become_a_case(drill):
    api = drill
    clerk = await api.user("clerk1", "clerk", "yanmenguan")
    township = await api.user("ymg1", "caseworker", "yanmenguan")
    other = await api.user("ekou1", "caseworker", "ekou")
    code = credit_code(2)
    for kind in ("rent_arrears", "tax_abnormal", "litigation"):
        assert (
            await api.http.post("/api/signals", headers=clerk, json={"credit_code": code, "kind": kind})
        ).status_code == 201
    warning = (await warnings_of(api, await api.user("office1", "supervisor", "hrss")))[0]
    # Without a project the signals warning goes to the default unit (hrss); a township sees only its own.
    assert (await api.http.get(f"/api/warnings/{warning['id']}", headers=other)).status_code == 403
    hrss = await api.user("hrss1", "caseworker", "hrss")
    r = await api.http.post(
        f"/api/warnings/{warning['id']}/actions/contact",
        headers=hrss,
        json={"text": "电话联系企业负责人，承诺本周内缴清电费"},
    )
    assert r.status_code == 200, r.text
    r = await api.http.post(
        f"/api/warnings/{warning['id']}/actions/resolve", headers=hrss, json={"text": "企业已缴清欠费，经营恢复正常"}
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved"
    assert [a["kind"] for a in r.json()["actions"]] == ["contact", "resolve"]
    again = await api.http.post(f"/api/warnings/{warning['id']}/actions/note", headers=hrss, json={"text": "x"})
    assert again.status_code == 409
    await asyncio.sleep(DRILL["warning_response"] + 2)
    after = (await api.http.get(f"/api/warnings/{warning['id']}", headers=hrss)).json()
    assert after["status"] == "resolved" and after["case_no"] is None
    # Resolving settles the reports before it: the next report alone does not warn, three new ones do.
    r = await api.http.post("/api/signals", headers=clerk, json={"credit_code": code, "kind": "account_frozen"})
    assert r.json()["score"] == 1 and r.json()["warning_id"] is None
    for kind in ("utility_arrears", "tax_abnormal"):
        r = await api.http.post("/api/signals", headers=clerk, json={"credit_code": code, "kind": kind})
    assert r.json()["score"] == 3 and r.json()["warning_id"] not in (None, warning["id"])
    assert township  # the township user exists for the visibility check above


async def test_payroll_findings_against_the_roster(drill):
    api = drill
    clerk = await api.user("clerk1", "clerk", "petition")
    project = await new_project(api, clerk, special_account_no="6228480000000000099")
    r = await api.http.put(
        f"/api/projects/{project}/roster",
        headers=clerk,
        json={
            "workers": [
                {"name": "王秀英", "id_number": ID_NUMBER, "trade": "钢筋工", "agreed_wage": "6000.00"},
                {"name": "李建国", "id_number": ID_NUMBER_2, "trade": "木工", "agreed_wage": "7000.00"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    r = await api.http.post(
        f"/api/projects/{project}/payrolls",
        headers=clerk,
        json={
            "period": "1",
            "total": "3000.00",
            "paid_from": "6222020000000000001",
            "workers": [{"name": "王秀英", "id_number": ID_NUMBER, "amount": "3000.00"}],
        },
    )
    assert r.status_code == 201, r.text
    kinds = sorted(f["kind"] for f in r.json()["findings"])
    assert kinds == ["missing_worker", "not_special_account", "underpaid"]
    assert (await api.http.get(f"/api/warnings/{r.json()['warning_id']}", headers=clerk)).status_code == 403
    industry = await api.user("transport1", "caseworker", "transport")  # the project's industry unit
    warning = (await api.http.get(f"/api/warnings/{r.json()['warning_id']}", headers=industry)).json()
    assert warning["kind"] == "payroll_findings" and warning["level"] == "orange"
    assert warning["amount"] == "10000.00"  # 3000 short for 王秀英 and 7000 for 李建国
    before = row_counts(api.app.state.engine)
    twice = await api.http.post(
        f"/api/projects/{project}/payrolls", headers=clerk, json={"period": "1", "total": "3000.00", "workers": []}
    )
    assert twice.status_code == 409
    bad = await api.http.post(
        f"/api/projects/{project}/payrolls", headers=clerk, json={"period": "2026-11", "total": "100.00"}
    )
    assert bad.status_code == 422 and "period" in bad.text
    assert row_counts(api.app.state.engine) == before


async def test_a_missed_instalment_opens_a_warning(drill):
    api = drill
    clerk = await api.user("clerk1", "clerk", "petition")
    union = await api.user("union1", "caseworker", "union")
    project = await new_project(api, clerk)
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc)
    r = await api.http.post(
        "/api/reports",
        headers=clerk,
        json={
            "credit_code": credit_code(3),
            "employer_name": "山西某劳务有限公司",
            "project_id": project,
            "amount": "30000.00",
            "workers": 5,
            "reason": "工程款未到位，资金周转困难",
            "signed_for_workers": "县总工会及农民工代表王秀英",
            "instalments": [
                # seconds ahead enough for the filing and the first payment on a loaded machine (with 2 s
                # the filing itself once arrived after the first date: 422)
                {"due_at": (now + timedelta(seconds=8)).isoformat(), "amount": "10000.00"},
                {"due_at": (now + timedelta(seconds=9)).isoformat(), "amount": "20000.00"},
            ],
        },
    )
    assert r.status_code == 201, r.text
    report = r.json()
    paid = await api.http.post(
        f"/api/reports/{report['id']}/instalments/1/payment", headers=clerk, json={"amount": "10000.00"}
    )
    assert paid.status_code == 200 and paid.json()["instalments"][0]["status"] == "paid"
    seen = await until(
        lambda: api.http.get(f"/api/reports/{report['id']}", headers=union),
        lambda r: r.status_code == 200 and r.json()["warnings"],
        "warned about instalment 2",
    )
    body = seen.json()
    assert [(w["kind"], w["level"]) for w in body["warnings"]] == [("instalment_missed", "red")]
    assert [i["status"] for i in body["instalments"]] == ["paid", "missed"]
    assert body["warnings"][0]["amount"] == "20000.00"


def workbook(rows: list[list]) -> bytes:
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_roster_payroll_and_signals_come_from_excel(drill):
    api = drill
    clerk = await api.user("clerk1", "clerk", "petition")
    project = await new_project(api, clerk, special_account_no="6228480000000000055")
    roster = workbook(
        [
            ["实名制花名册"],
            ["姓名", "身份证号", "工种", "工资卡号", "约定工资（元）"],
            ["王秀英", ID_NUMBER, "钢筋工", "6228480000000001", 6000],
            ["李建国", ID_NUMBER_2, "木工", "6228480000000002", "7,000.00"],
        ]
    )
    r = await api.http.post(
        f"/api/projects/{project}/roster/import", headers=clerk, files={"file": ("花名册.xlsx", roster, XLSX)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["workers"] == 2
    bank = workbook([["户名", "证件号码", "实发金额"], ["王秀英", ID_NUMBER, 6000], ["李建国", ID_NUMBER_2, 7000]])
    r = await api.http.post(
        f"/api/projects/{project}/payrolls/import",
        headers=clerk,
        data={"period": "1"},
        files={"file": ("代发明细.xlsx", bank, XLSX)},
    )
    assert r.status_code == 201, r.text
    assert r.json()["total"] == "13000.00" and r.json()["workers"] == 2 and r.json()["findings"] == []

    before = row_counts(api.app.state.engine)
    bad = workbook(
        [
            ["统一社会信用代码", "类型", "情况说明"],
            [credit_code(7), "欠缴水电费", "欠电费"],
            [credit_code(7), "天气不好", ""],
        ]
    )
    r = await api.http.post("/api/signals/import", headers=clerk, files={"file": ("异常.xlsx", bad, XLSX)})
    assert r.status_code == 422
    assert [(e["row"], e["field"]) for e in r.json()["detail"]["errors"]] == [(3, "kind")]
    assert row_counts(api.app.state.engine) == before
    good = workbook(
        [
            ["统一社会信用代码", "类型", "情况说明"],
            [credit_code(7), "欠缴水电费", "欠电费"],
            [credit_code(7), "涉诉", ""],
            [credit_code(7), "账户冻结", "银行冻结基本户"],
        ]
    )
    r = await api.http.post("/api/signals/import", headers=clerk, files={"file": ("异常.xlsx", good, XLSX)})
    assert r.status_code == 201, r.text
    assert r.json()["total"] == 3 and len(r.json()["warnings_opened"]) == 1

"""The web UI in a real browser: a complaint's whole life, field errors, unit scoping, forms without JS."""

import re
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from openpyxl import Workbook
from sqlmodel import Session

from db.case_list import list_cases
from db.cases import get_case
from domain.calendar import CHINA_TZ
from tests.web.conftest import shoot

pytestmark = pytest.mark.browser

ID_NUMBER = "110101199003076632"


def case_count(web) -> int:
    with Session(web.engine) as session:
        return list_cases(session=session, visible_units=None, limit=1)[1]


def kpis(page, web) -> dict[str, str]:
    page.goto(f"{web.url}/dashboard")
    return {name: page.inner_text(f"#kpi-{name}").strip() for name in ("total", "closed", "rate")}


def submit(page, target: str) -> None:
    """Send a form by clicking `target` and wait for the page the server answers with.

    Without this, a read right after the click may see the old page, or none while the new one loads."""
    with page.expect_navigation():
        page.locator(target).click()


def fill_complaint(page, *, received_at: str = "", id_number: str = ID_NUMBER) -> None:
    """Fill the intake form: two workers of a housing project in 上馆镇 (so 住建局 leads)."""
    page.select_option("[name=channel]", "hotline")
    if received_at:
        page.fill("[name=received_at]", received_at)
    page.fill("[name='complainant.name']", "张三")
    page.fill("[name='complainant.phone']", "13800138000")
    page.fill("[name='complainant.id_number']", id_number)
    page.fill("[name='workers.0.name']", "张三")
    page.fill("[name='workers.0.id_number']", ID_NUMBER)
    page.fill("[name='workers.0.amount_owed']", "12000")
    page.fill("[name='workers.1.name']", "李四")
    page.fill("[name='workers.1.amount_owed']", "24000.00")
    page.fill("[name='employer.name']", "山西某劳务有限公司")
    page.check("input[name=project_mode][value=new]")
    page.fill("[name='project.name']", "滨河小区3号楼")
    page.select_option("[name='project.type']", "housing_municipal")
    page.select_option("[name='project.township']", "shangguan")
    page.select_option("[name='project.has_permit']", "true")
    page.select_option("[name='project.land']", "state")
    page.select_option("[name='project.government_invested']", "false")
    page.fill("[name='project.construction_unit.name']", "代县某房地产开发有限公司")
    page.fill("[name='project.general_contractor.name']", "山西某建筑工程有限公司")
    page.fill("[name=description]", "2025年4月至12月工资未结清")


def act(page, action: str, fields: dict[str, str] | None = None) -> None:
    """Open an action's form on the case page, fill it and send it."""
    form = page.locator(f"#act-{action}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    for name, value in (fields or {}).items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_a_complaint_from_the_intake_form_to_closure(login, web, screenshots):
    office = login("office1")
    before = kpis(office, web)

    clerk = login("clerk1")
    clerk.click("text=受理登记")
    fill_complaint(clerk)
    clerk.click("button.big")
    clerk.wait_for_url(re.compile(r"/cases/[A-Z]+-\d{4}-\d{6}$"))
    case_no = clerk.url.rsplit("/", 1)[1]
    assert "已受理" in clerk.inner_text(".flash") and "县住房和城乡建设管理局" in clerk.inner_text(".flash")
    assert clerk.locator(".flow .current").inner_text().endswith("待签收")
    assert clerk.locator(".docs a", has_text="受理回执").count() == 1
    # A clerk sees ID numbers masked (case_service rules); the caseworker of the lead unit sees them whole.
    assert "110101********6632" in clerk.inner_text(".parties") and ID_NUMBER not in clerk.content()
    # The clerk may not accept for 住建局: no form, the action is named as someone else's.
    assert clerk.locator("#act-accept").count() == 0 and "签收受理" in clerk.inner_text(".actions")

    housing = login("housing1")
    row = housing.locator(f"tr[data-case='{case_no}']")
    assert "签收受理" in row.inner_text() and "剩" in row.inner_text()
    row.locator("a.case-no").click()
    assert ID_NUMBER in housing.inner_text(".parties")
    forms = [f.get_attribute("id") for f in housing.locator(".actions details").all()]
    assert forms[0] == "act-accept" and {"act-transfer", "act-close", "act-note"} <= set(forms)
    assert "act-findings" not in forms and housing.locator("#act-accept[open]").count() == 1
    act(housing, "accept")
    assert housing.inner_text(".flash") == "已签收受理。"
    assert housing.locator(".flow .current").inner_text().endswith("立案调查")
    assert [s.inner_text() for s in housing.locator(".flow .done .lbl").all()] == ["受理", "待签收"]
    shoot(housing, screenshots, "case-detail")

    act(
        housing,
        "findings",
        {
            "substantiated": "true",
            "liable_party": "general_contractor",
            "amount_owed": "36000",
            "facts": "经核查，拖欠属实",
        },
    )
    assert housing.inner_text("#amt-owed") == "36,000.00"
    # The order is labour inspection's (执法机关), whatever unit leads: 住建局 gets no form for it.
    assert housing.locator("#act-order_payment").count() == 0 and "责令限期支付" in housing.inner_text(".actions")
    assert "执法机关 县人力资源和社会保障局" in housing.inner_text("body")
    inspector = login("hrss1")
    inspector.goto(housing.url)
    act(inspector, "order_payment")
    assert inspector.locator(".flow .current").inner_text().endswith("责令限期支付")
    housing.reload()
    assert housing.locator(".flow .current").inner_text().endswith("责令限期支付")
    assert housing.locator(".docs a", has_text="限期改正指令书").count() == 1

    # A refused action shows its message at the field, and nothing changes.
    act(housing, "record_payment", {"amount": "50000", "payer": "general_contractor"})
    error = housing.locator("#act-record_payment .field[data-field=amount] .field-error")
    assert re.fullmatch(r"金额 50000(\.00)? 元超过尚欠的 36000(\.00)? 元", error.inner_text())
    assert housing.inner_text("#amt-recovered") == "0.00"
    assert housing.locator("#act-record_payment [name=amount]").input_value() == "50000"

    act(housing, "record_payment", {"amount": "36000", "payer": "general_contractor", "reference": "ZZ-0001"})
    assert housing.locator(".flow .current").inner_text().endswith("已结案")
    assert housing.inner_text("#amt-recovered") == "36,000.00" and housing.inner_text("#amt-outstanding") == "0.00"
    assert housing.locator(".actions details").count() == 0
    notice = housing.locator(".docs a", has_text="处理结果告知书")
    response = housing.request.get(web.url + notice.get_attribute("href"))
    assert response.status == 200 and case_no in response.text()

    after = kpis(office, web)
    assert int(after["total"]) == int(before["total"]) + 1
    assert int(after["closed"]) == int(before["closed"]) + 1
    with Session(web.engine) as session:
        assert get_case(session=session, case_no=case_no).stage == "closed"
    expected_rate = int(after["closed"]) / int(after["total"]) * 100
    assert after["rate"] == f"{expected_rate:.1f}%"

    # 水利局 neither leads nor co-handles the case: 403, and none of its data on the page.
    water = login("water1")
    response = water.goto(f"{web.url}/cases/{case_no}")
    assert response.status == 403 and "无权查看" in water.inner_text("h1")
    assert "张三" not in water.content()
    assert water.request.get(f"{web.url}/cases/{case_no}/documents/1").status == 403


def test_bad_fields_are_shown_next_to_them_and_nothing_is_registered(login, web, screenshots):
    clerk = login("clerk1")
    before = case_count(web)
    clerk.goto(f"{web.url}/cases/new")
    tomorrow = (datetime.now(CHINA_TZ) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    fill_complaint(clerk, received_at=tomorrow, id_number="1101011990030766")
    submit(clerk, "button.big")
    assert "身份证号码应为18位" in clerk.inner_text("#err-complainant-id_number")
    assert "不能晚于当前时间" in clerk.inner_text("#err-received_at")  # every error in the same round
    assert clerk.locator(".field-error").count() == 2
    assert clerk.locator("[name='complainant.id_number']").get_attribute("aria-invalid") == "true"
    assert clerk.locator("[name='employer.name']").input_value() == "山西某劳务有限公司"  # what was typed stays
    shoot(clerk, screenshots, "intake-error")

    clerk.fill("[name='complainant.id_number']", ID_NUMBER)
    submit(clerk, "button.big")
    assert "不能晚于当前时间" in clerk.inner_text("#err-received_at")
    assert clerk.locator(".field-error").count() == 1
    assert case_count(web) == before


def test_forms_work_without_javascript(login, web):
    clerk = login("clerk1", javascript=False)
    clerk.goto(f"{web.url}/cases/new")
    assert clerk.locator("tr.worker-row").count() == 3
    clerk.fill("[name='workers.2.name']", "王五")
    submit(clerk, "#add-row")
    assert clerk.locator("tr.worker-row").count() == 4
    assert clerk.locator("[name='workers.2.name']").input_value() == "王五"
    assert clerk.locator("[name='workers.3.name']").input_value() == ""


def test_a_roster_is_imported_and_a_document_downloads_as_pdf_without_javascript(login, web, tmp_path):
    clerk = login("clerk1", javascript=False)
    roster = tmp_path / "花名册.xlsx"
    workbook = Workbook()
    for row in (["姓名", "身份证号", "欠薪金额"], ["张三", ID_NUMBER, 12000], ["李四", None, "一万元"]):
        workbook.active.append(row)
    workbook.save(roster)
    clerk.goto(f"{web.url}/cases/new")
    clerk.set_input_files("#f-roster", str(roster))
    submit(clerk, "#import-roster")
    assert clerk.locator("tr.worker-row").count() == 2
    assert clerk.locator("[name='workers.0.id_number']").input_value() == ID_NUMBER
    assert "读入 2 人，其中 1 人无误" in clerk.inner_text("#roster-report")
    assert "请填写金额" in clerk.inner_text("#err-workers-1-amount_owed")

    fill_complaint(clerk)  # corrects the second row, and registers
    clerk.click("button.big")
    clerk.wait_for_url(re.compile(r"/cases/[A-Z]+-\d{4}-\d{6}$"))
    if clerk.locator("a.pdf").count() == 0:
        pytest.skip("no PDF renderer (WeasyPrint, Pango) on this machine")
    with clerk.expect_download() as download:
        clerk.locator("a.pdf").first.click()
    assert download.value.suggested_filename.endswith("-受理回执.pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")


def test_a_post_without_the_session_csrf_token_is_refused(login, web):
    clerk = login("clerk1")
    before = case_count(web)
    response = clerk.request.post(f"{web.url}/cases/new", form={"csrf_token": "forged", "channel": "hotline"})
    assert response.status == 403 and "页面已过期" in response.text()
    assert case_count(web) == before


def test_login_redirects_back_and_logout_ends_the_session(browser, web):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{web.url}/dashboard")
    assert page.url == f"{web.url}/login?next=/dashboard"
    cookie = next(c for c in context.cookies() if c["name"] == "wagecase_login_csrf")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.fill("#username", "hrss1")
    page.fill("#password", "wrong-password")
    submit(page, "button[type=submit]")
    assert "用户名或密码不正确" in page.inner_text(".error-box")
    page.fill("#password", "password-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{web.url}/dashboard")
    assert "承办人 · 县人力资源和社会保障局" in page.inner_text(".who")
    session = next(c for c in context.cookies() if c["name"] == "wagecase_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    page.click(".btn-logout")
    page.wait_for_url(f"{web.url}/login")
    page.goto(f"{web.url}/")  # logged out: the front door is the login form, no case data
    assert page.locator("#password").count() == 1 and page.locator(".who").count() == 0
    context.close()


def _complaint(employer: str, amount: str, days_ago: int, township: str, project_type: str) -> dict:
    received = datetime.now(CHINA_TZ) - timedelta(days=days_ago)
    return {
        "channel": "walk_in",
        "received_at": received.isoformat(),
        "complainant": {"name": "赵六", "phone": "13900139000"},
        "workers": [{"name": "赵六", "amount_owed": amount}],
        "employer": {"name": employer},
        "project": {
            "name": f"{employer}承建项目",
            "type": project_type,
            "township": township,
            "has_permit": True,
            "land": "state",
            "government_invested": False,
            "construction_unit": {"name": "某建设单位"},
            "general_contractor": {"name": employer},
        },
        "description": "工资未结清",
    }


def seed_for_screenshots(web) -> None:
    """More cases over the past months and several units, some paid, so the screenshots look lived-in."""
    clerk = {"Authorization": f"Bearer {web.api_token('clerk1')}"}
    office = {"Authorization": f"Bearer {web.api_token('office1')}"}
    seeds = [
        ("代县某公路工程有限公司", "128000", 200, "nieying", "transport", True),
        ("代县某水利建设有限公司", "56000", 150, "tanshang", "water", True),
        ("代县某农业开发有限公司", "23500", 95, "huyu", "rural_housing", True),
        ("山西某建设集团有限公司", "310000", 60, "shangguan", "housing_municipal", False),
        ("代县某旅游开发有限公司", "74200", 40, "yanmenguan", "tourism", True),
        ("代县某选矿有限公司", "98000", 20, "ekou", "mine_processing", False),
    ]
    for employer, amount, days_ago, township, kind, pay in seeds:
        r = httpx.post(
            f"{web.url}/api/cases",
            headers=clerk,
            timeout=30,
            json=_complaint(employer, amount, days_ago, township, kind),
        )
        assert r.status_code == 201, r.text
        if not pay:
            continue
        no = r.json()["case_no"]
        for action, body in [
            ("accept", {}),
            ("findings", {"substantiated": True, "liable_party": "general_contractor", "amount_owed": amount}),
            ("order_payment", {}),
            ("record_payment", {"amount": amount, "payer": "general_contractor"}),
        ]:
            key = {"Idempotency-Key": uuid.uuid4().hex}  # money-moving actions need one
            r = httpx.post(f"{web.url}/api/cases/{no}/actions/{action}", headers=office | key, json=body, timeout=30)
            assert r.status_code == 200, r.text


def test_the_inbox_lists_nearest_deadlines_first_and_filters(login, web, screenshots):
    token = web.api_token("clerk1")
    seeds = [
        ("代县某矿业有限公司", "86000", 30, "ekou", "housing_municipal"),  # received 30 days ago: overdue
        ("忻州某路桥工程有限公司", "45500", 2, "yangmingbao", "housing_municipal"),
        ("代县某建材有限公司", "18800", 0, "zaolin", "housing_municipal"),
    ]
    numbers = []
    for employer, amount, days_ago, township, kind in seeds:
        r = httpx.post(
            f"{web.url}/api/cases",
            headers={"Authorization": f"Bearer {token}"},
            json=_complaint(employer, amount, days_ago, township, kind),
            timeout=30,
        )
        assert r.status_code == 201, r.text
        numbers.append(r.json()["case_no"])
    late = numbers[0]
    deadline = time.monotonic() + 15  # the missed acknowledge clock fires on its own
    while True:
        with Session(web.engine) as session:
            if get_case(session=session, case_no=late).overdue:
                break
        assert time.monotonic() < deadline, "the overdue case was never marked overdue"
        time.sleep(0.2)

    if screenshots is not None:
        seed_for_screenshots(web)

    housing = login("housing1")
    rows = housing.locator("table.cases tbody tr[data-case]")
    overdue = [r.get_attribute("data-overdue") == "1" for r in rows.all()]
    assert overdue == sorted(overdue, reverse=True) and overdue[0]  # overdue cases first
    dues = [r.get_attribute("data-due") for r in rows.all() if r.get_attribute("data-overdue") == "0"]
    open_dues = [datetime.fromisoformat(d) for d in dues if d]
    assert open_dues == sorted(open_dues) and all(dues[: len(open_dues)])  # then nearest deadline, none last
    late_row = housing.locator(f"tr[data-case='{late}']")
    assert "逾期" in late_row.inner_text() and "已督办" in late_row.inner_text()
    assert re.search(r"签收受理\s+已逾期 \d+ 个工作日", late_row.locator("td.deadline").inner_text())
    shoot(housing, screenshots, "inbox")

    housing.check("input[name=overdue]")
    submit(housing, "text=查询")
    shown = [r.get_attribute("data-case") for r in rows.all()]
    assert late in shown and not set(numbers[1:]) & set(shown)
    assert all(r.get_attribute("data-overdue") == "1" for r in rows.all())
    housing.uncheck("input[name=overdue]")
    housing.fill("#f-q", "路桥")
    submit(housing, "text=查询")
    assert [r.get_attribute("data-case") for r in rows.all()] == [numbers[1]]
    assert "路桥" not in housing.url  # search text never goes into the URL

    office = login("office1")
    office.goto(f"{web.url}/dashboard")
    assert int(office.inner_text("#kpi-overdue")) >= 1
    assert office.locator("svg.hbar").count() == 2 and office.locator("svg.vbar rect.recovered").count() >= 12
    shoot(office, screenshots, "dashboard", full_page=True)


def test_a_project_with_its_deposit_ledger_and_the_blacklist(login, web):
    caseworker = login("housing1")
    caseworker.goto(f"{web.url}/projects/new")
    caseworker.fill("[name=name]", "雁门关旅游公路")
    caseworker.select_option("[name=type]", "transport")
    caseworker.select_option("[name=has_permit]", "true")
    caseworker.select_option("[name=land]", "state")
    caseworker.select_option("[name=government_invested]", "true")
    caseworker.fill("[name='construction_unit.name']", "代县交通建设投资有限公司")
    caseworker.fill("[name='general_contractor.name']", "山西某路桥有限公司")
    caseworker.fill("[name='general_contractor.credit_code']", "123")
    submit(caseworker, "button.big")
    assert "统一社会信用代码应为18位" in caseworker.inner_text("#err-general_contractor-credit_code")
    caseworker.fill("[name='general_contractor.credit_code']", "")
    caseworker.click("button.big")
    caseworker.wait_for_url(re.compile(r"/projects/\d+$"))
    project_id = int(caseworker.url.rsplit("/", 1)[1])
    assert "暂无工资保证金记录" in caseworker.inner_text("main")

    deposits = pytest.importorskip("db.deposits", reason="the deposit ledger is not there yet")
    with Session(web.engine) as session:
        deposits.record_entry(
            session=session,
            project_id=project_id,
            kind="deposit",
            amount=Decimal("200000.00"),
            bank="人行代县支行代理银行",
            actor="housing1",
            reference="CK-001",
        )
        deposits.record_entry(
            session=session,
            project_id=project_id,
            kind="refund",
            amount=Decimal("50000.00"),
            bank=None,
            actor="housing1",
        )
        session.commit()
    caseworker.reload()
    assert caseworker.inner_text("#deposit-balance") == "150,000.00"
    assert [r.inner_text().split("\t")[1] for r in caseworker.locator("table.list tbody tr").all()] == ["存储", "退还"]

    blacklist = pytest.importorskip("db.blacklist", reason="the blacklist is not there yet")
    caseworker.goto(f"{web.url}/blacklist")
    assert "名单中暂无单位" in caseworker.inner_text("main")
    listed = datetime.now(CHINA_TZ) - timedelta(days=10)
    with Session(web.engine) as session:
        session.add(
            blacklist.BlacklistEntry(
                case_no="XX-2026-000099",
                employer_name="代县某劳务有限公司",
                reason="拒不支付劳动报酬",
                listed_at=listed,
                expires_at=listed + timedelta(days=365 * 3),
            )
        )
        session.commit()
    caseworker.reload()
    row = caseworker.locator("table.list tbody tr").first
    assert "代县某劳务有限公司" in row.inner_text() and "名单中" in row.inner_text()


def test_the_blacklist_actions_are_taken_from_their_forms(login, web):
    """propose_blacklist and blacklist_objection on the case page; the decision waits for the notice period."""
    hrss = {"Authorization": f"Bearer {web.api_token('hrss1')}"}
    clerk = {"Authorization": f"Bearer {web.api_token('clerk1')}"}
    body = {
        "channel": "hotline",
        "complainant": {"name": "王秀英"},
        "group_incident": True,
        "workers": [{"name": "王秀英", "amount_owed": "12000"}, {"name": "李建国", "amount_owed": "24000"}],
        "employer": {"name": "代县某劳务有限公司"},
    }
    r = httpx.post(f"{web.url}/api/cases", headers=clerk, json=body, timeout=30)
    assert r.status_code == 201, r.text
    case_no = r.json()["case_no"]
    for action, params in (
        ("accept", {}),
        ("findings", {"substantiated": True, "liable_party": "employer", "amount_owed": "36000"}),
        ("order_payment", {"due_at": (datetime.now(CHINA_TZ) + timedelta(seconds=8)).isoformat()}),
    ):
        r = httpx.post(f"{web.url}/api/cases/{case_no}/actions/{action}", headers=hrss, json=params, timeout=30)
        assert r.status_code == 200, r.text
    for _ in range(400):  # the order runs out unpaid and the case goes down the ladder by itself
        pending = httpx.get(f"{web.url}/api/cases/{case_no}", headers=hrss, timeout=30).json()["pending_actions"]
        if "propose_blacklist" in pending:
            break
        time.sleep(0.1)

    page = login("hrss1")
    page.goto(f"{web.url}/cases/{case_no}")
    assert page.locator("#act-propose_blacklist summary").inner_text() == "拟列入失信联合惩戒名单"
    assert "符合列入情形" in page.inner_text("#enforcement")  # found at the lapse (人社部令45号 art. 5)
    # the legal representative and the responsible persons, one a line (人社部令45号 arts. 5, 9)
    act(page, "propose_blacklist", {"persons": "直接责任人员 李某 110101199003071233"})
    assert "法定代表人或主要负责人" in page.inner_text("#act-propose_blacklist")  # refused, nothing changed
    act(
        page,
        "propose_blacklist",
        {"persons": "法定代表人 王某 11010519491231002x\n直接责任人员，李某，110101199003071233"},
    )
    assert page.inner_text(".flash") == "已拟列入失信联合惩戒名单。"
    assert "法定代表人 王某" in page.inner_text("#blacklist-persons")
    assert page.locator(".docs a").count() >= 4 and page.locator("#act-blacklist_decision").count() == 0
    act(page, "blacklist_objection", {"text": "资金周转困难，请求暂缓列入"})
    assert page.inner_text(".flash") == "已登记当事人陈述申辩。"
    assert "当事人陈述申辩：资金周转困难，请求暂缓列入" in page.inner_text("main")

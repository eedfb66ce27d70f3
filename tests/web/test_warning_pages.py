"""The early-warning pages in Chromium: three reports about an employer recorded on the warnings page
open a warning; labour inspection contacts the employer and resolves it; a township user does not see
it; the employer's page and a project's monitoring page show what was recorded."""

import re

import httpx
import pytest

from tests.web.conftest import shoot

pytestmark = pytest.mark.browser

CREDIT_CODE = "91350100M000100Y43"


def submit(page, target: str) -> None:
    with page.expect_navigation():
        page.locator(target).click()


def record_signal(page, web, kind: str, detail: str) -> None:
    page.goto(f"{web.url}/warnings")
    page.fill("#f-credit_code", CREDIT_CODE)
    page.fill("#f-employer_name", "山西某劳务有限公司")
    page.select_option("#f-kind", kind)
    page.fill("#f-detail", detail)
    submit(page, "#signal-form button[type=submit]")


def test_signals_open_a_warning_that_is_worked_and_resolved_in_the_browser(login, web, screenshots):
    clerk = login("clerk1")
    record_signal(clerk, web, "utility_arrears", "县供电公司反映欠缴电费三个月")
    assert "评分 1" in clerk.inner_text(".flash")
    record_signal(clerk, web, "rent_arrears", "厂房出租方反映拖欠租金")
    record_signal(clerk, web, "litigation", "县法院受理两起买卖合同纠纷")
    flash = clerk.inner_text(".flash")
    assert "评分 3" in flash and "已发出预警" in flash
    assert clerk.url.endswith(f"/employers/{CREDIT_CODE}")
    assert clerk.inner_text("#employer-score").strip() == "3"
    assert clerk.locator("#signals tbody tr").count() == 3

    inspector = login("hrss1")  # labour inspection sees every warning
    inspector.goto(f"{web.url}/warnings?status=open")
    row = inspector.locator("#warnings tbody tr").first
    assert "企业经营异常" in row.inner_text() and "黄色预警" in row.inner_text()
    shoot(inspector, screenshots, "warnings")
    with inspector.expect_navigation():
        row.locator("a").first.click()
    assert re.search(r"/warnings/\d+$", inspector.url)
    inspector.select_option("#f-action", "contact")
    inspector.fill("#f-text", "电话联系企业负责人，承诺本周缴清电费和租金")
    submit(inspector, "#warning-act button[type=submit]")
    assert "已记录：联系企业" in inspector.inner_text(".flash")
    inspector.select_option("#f-action", "resolve")
    inspector.fill("#f-text", "企业已缴清欠费，诉讼已和解，经营恢复正常")
    submit(inspector, "#warning-act button[type=submit]")
    assert inspector.inner_text("#warning-status").strip() == "已化解"
    assert inspector.locator("#warning-actions li").count() == 2
    assert inspector.locator("#warning-act").count() == 0  # nothing more to do on a resolved warning

    warning_url = inspector.url
    water = login("water1")  # an industry unit the warning is not addressed to
    water.goto(warning_url)
    assert "无权访问" in water.inner_text("h1")


def test_a_projects_monitoring_page_shows_its_payroll_and_the_permit_gate(login, web):
    token = web.api_token("office1")
    headers = {"Authorization": f"Bearer {token}"}
    project = {"name": "滨河小区3号楼", "type": "housing_municipal", "township": "shangguan", "has_permit": True,
               "land": "state", "government_invested": False, "contract_amount": "2000000.00",
               "construction_unit": {"name": "代县某房地产开发有限公司"},
               "general_contractor": {"name": "山西某建筑工程有限公司"},
               "special_account_bank": "中国农业银行代县支行", "special_account_no": "6228480000000000777"}
    r = httpx.post(f"{web.url}/api/projects", json=project, headers=headers)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    month = r.json()["works_started_at"][:7]
    r = httpx.post(f"{web.url}/api/projects/{pid}/payrolls", headers=headers, json={
        "period": month, "total": "8000.00", "workers": [{"name": "张三", "amount": "8000.00"}]})
    assert r.status_code == 201, r.text
    page = login("office1")
    page.goto(f"{web.url}/projects/{pid}/monitoring")
    assert "6228480000000000777" in page.inner_text("main")
    assert month in page.inner_text("main") and "8,000.00" in page.inner_text("main")
    gate = page.inner_text("#permit-gate")
    assert "20000.00" in gate and "不得核发施工许可证" in gate  # 1% of the contract amount, nothing lodged

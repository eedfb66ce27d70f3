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


def xlsx(path, rows) -> str:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def test_a_projects_monitoring_page_takes_the_roster_and_the_bank_record(login, web, tmp_path):
    token = web.api_token("office1")
    headers = {"Authorization": f"Bearer {token}"}
    project = {
        "name": "滨河小区3号楼",
        "type": "housing_municipal",
        "township": "shangguan",
        "has_permit": True,
        "land": "state",
        "government_invested": False,
        "contract_amount": "2000000.00",
        "construction_unit": {"name": "代县某房地产开发有限公司"},
        "general_contractor": {"name": "山西某建筑工程有限公司"},
        "special_account_bank": "中国农业银行代县支行",
        "special_account_no": "6228480000000000777",
    }
    r = httpx.post(f"{web.url}/api/projects", json=project, headers=headers)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    month = r.json()["works_started_at"][:7]
    page = login("office1")
    page.goto(f"{web.url}/projects/{pid}/monitoring")
    assert "6228480000000000777" in page.inner_text("main")
    gate = page.inner_text("#permit-gate")
    assert "20000.00" in gate and "不得核发施工许可证" in gate  # 1% of the contract amount, nothing lodged

    page.set_input_files(
        "#f-roster-file",
        xlsx(
            tmp_path / "花名册.xlsx",
            [
                ["姓名", "身份证号", "工种", "约定工资"],
                ["王秀英", "140923198506123018", "钢筋工", 6000],
                ["李建国", "11010519491231002X", "木工", 7000],
            ],
        ),
    )
    submit(page, "#roster-upload button[type=submit]")
    assert "已导入花名册 2 人" in page.inner_text(".flash")
    page.fill("#f-period", month)
    page.set_input_files(
        "#f-payroll-file",
        xlsx(tmp_path / "代发.xlsx", [["户名", "证件号码", "实发金额"], ["王秀英", "140923198506123018", 6000]]),
    )
    submit(page, "#payroll-upload button[type=submit]")
    flash = page.inner_text(".flash")
    assert f"已登记第{month}期工资 6,000.00 元（1人）" in flash and "已发出预警" in flash
    main = page.inner_text("main")
    assert "花名册人员未发放" in main and "李建国" in main  # the finding, on the page
    page.fill("#f-period", month)
    page.set_input_files("#f-payroll-file", xlsx(tmp_path / "代发2.xlsx", [["户名", "实发金额"], ["王秀英", 6000]]))
    submit(page, "#payroll-upload button[type=submit]")
    assert "未登记" in page.inner_text(".flash")  # the period has its payroll already

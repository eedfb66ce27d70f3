"""The complainants' door in Chromium at a phone's width: file online, follow the case, rate it; what
staff then see (the outbox, the satisfaction by unit); the same page for a wrong phone and an unknown
case, and 429 at the sixth failure."""

import httpx
import pytest

from api.public_door import PublicThrottles
from tests.web.conftest import shoot

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 360, "height": 740}
MOBILE = "13512345678"


@pytest.fixture
def phone(browser, web):
    """A page in a phone-sized browser without any login."""
    web.app.state.complaint_min_fill_seconds = 0  # the minimum fill time is tested in tests/api/test_public.py
    web.app.state.public_throttles = PublicThrottles()
    context = browser.new_context(
        viewport=PHONE_VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def post(page, button: str) -> int:
    """Click a submit button and wait for the server's page; its status."""
    with page.expect_navigation() as navigation:
        page.locator(button).click()
    return navigation.value.status


def look_up(page, web, case_no: str, phone: str) -> int:
    page.goto(f"{web.url}/progress")
    page.fill("#case_no", case_no)
    page.fill("#phone", phone)
    return post(page, "button[type=submit]")


def api_act(web, username: str, case_no: str, action: str, body: dict) -> None:
    token = web.api_token(username)
    r = httpx.post(
        f"{web.url}/api/cases/{case_no}/actions/{action}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text


def test_a_worker_files_online_follows_the_case_and_rates_it(phone, web, login, screenshots):
    page = phone
    page.goto(f"{web.url}/complaint")
    assert page.locator("html").get_attribute("lang") == "zh-CN" and fits_the_screen(page)
    page.fill("#f-name", "赵小红")
    page.fill("#f-phone", MOBILE)
    page.fill("#f-employer", "代县某建筑劳务有限公司")
    page.fill("#f-place", "上馆镇滨河小区3号楼")
    page.fill("[name='worker.0.amount']", "8600")
    page.fill("[name='worker.1.name']", "钱大勇")
    page.fill("[name='worker.1.amount']", "9100")
    page.fill("#f-description", "2025年10月至12月工资未结清")
    shoot(page, screenshots, "public-complaint", full_page=True)
    assert post(page, "#submit") == 200
    case_no = page.inner_text("#case-no").strip()
    assert case_no in page.inner_text(".pub-notice")
    assert "已转交承办单位" in page.inner_text("#stage") and "人力资源和社会保障" in page.inner_text("#lead-unit")
    assert "承办单位签收" in page.inner_text("#deadlines")
    assert page.locator("form.pub-doc", has_text="受理回执").count() == 1  # the receipt, at once
    assert fits_the_screen(page)
    with page.expect_navigation():
        page.locator("form.pub-doc", has_text="受理回执").locator("button[value=html]").click()
    assert "受理回执" in page.content() and case_no in page.content()

    assert look_up(page, web, case_no, MOBILE) == 200
    assert page.inner_text("#case-no").strip() == case_no and "期限" in page.inner_text("#deadlines")
    api_act(web, "hrss1", case_no, "transfer", {"to_unit": "housing", "reason": "系住建领域工程项目"})
    assert look_up(page, web, case_no, MOBILE) == 200
    assert "住房和城乡建设" in page.inner_text("#lead-unit")
    assert "系住建领域工程项目" in page.inner_text("#transfers")
    shoot(page, screenshots, "public-progress", full_page=True)

    api_act(web, "housing1", case_no, "close", {"outcome": "mediated"})
    assert look_up(page, web, case_no, MOBILE) == 200
    assert "已办结" in page.inner_text("#stage") and "调解结案" in page.inner_text("#outcome")
    page.check("input[name=rating][value=unsatisfied]")
    page.fill("#comment", "办得太慢")
    assert post(page, "#rate button[type=submit]") == 200
    assert "感谢您的评价" in page.inner_text(".pub-notice") and "不满意" in page.inner_text("#rated")

    office = login("office1")
    office.goto(f"{web.url}/satisfaction")
    row = office.locator("#satisfaction tr[data-unit=housing]")
    assert row.locator("td").nth(1).inner_text() == "1" and row.locator("td").nth(4).inner_text() == "1"
    assert case_no in office.inner_text("#unsatisfied") and "办得太慢" in office.inner_text("#unsatisfied")
    office.goto(f"{web.url}/cases/{case_no}/messages")
    rows = office.locator("#outbox tbody tr")
    assert [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())] == [
        "受理告知",
        "转办告知",
        "办结告知",
    ]
    assert "未配置短信服务" in office.inner_text("#outbox")


def test_a_wrong_phone_shows_the_unknown_case_page_and_the_sixth_try_answers_429(phone, web):
    r = httpx.post(
        f"{web.url}/api/public/complaints",
        timeout=30,
        json={
            "complainant": {"name": "孙二", "phone": MOBILE},
            "employer": {"name": "某公司"},
            "workers": [{"name": "孙二", "amount_owed": "3000"}],
        },
    )
    assert r.status_code == 201, r.text
    case_no = r.json()["case_no"]
    page = phone
    assert look_up(page, web, case_no, "13900000000") == 404
    wrong = page.inner_text("main")
    assert look_up(page, web, case_no[:-1] + ("9" if case_no[-1] != "9" else "8"), MOBILE) == 404
    assert page.inner_text("main") == wrong and case_no not in wrong
    for _ in range(3):
        assert look_up(page, web, case_no, "13900000000") == 404
    assert look_up(page, web, case_no, "13900000000") == 429
    assert "次数过多" in page.inner_text("#lookup-error") and fits_the_screen(page)

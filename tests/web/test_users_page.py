"""The admin's users page in Chromium: add a user, refuse a liaison outside the liaison units, reset a
password; the user logs in with the temporary password and must set a new one before anything else."""

from tests.web.conftest import ADMIN_PASSWORD, VIEWPORT, shoot


def _open(browser, web, username: str, password: str):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{web.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page


def test_admin_creates_a_user_resets_the_password_and_the_user_sets_a_new_one(browser, web, screenshots):
    admin_ctx, admin = _open(browser, web, "admin", ADMIN_PASSWORD)
    try:
        admin.goto(f"{web.url}/users")
        form = admin.locator("#new-user")
        # a liaison in the housing bureau is refused, with every error of the form in one round
        form.locator("[name=full_name]").fill("王芳")
        form.locator("[name=role]").select_option("liaison")
        form.locator("[name=unit]").select_option("housing")
        form.locator("button[type=submit]").click()
        assert "联络员只能属于公安、法院、检察院或人民银行" in admin.locator("#new-user").inner_text()
        assert admin.locator("#new-user .field-error").count() >= 3  # username, password and unit at once
        assert admin.locator("#user-wangf").count() == 0

        form = admin.locator("#new-user")
        form.locator("[name=username]").fill("wangf")
        form.locator("[name=password]").fill("first-password")
        form.locator("[name=role]").select_option("caseworker")
        form.locator("[name=unit]").select_option("housing")
        form.locator("button[type=submit]").click()
        admin.wait_for_url(f"{web.url}/users")
        row = admin.locator("#user-wangf")
        assert "正常" in row.inner_text()
        assert row.locator("[name=full_name]").input_value() == "王芳"

        user_ctx, user_page = _open(browser, web, "wangf", "first-password")
        assert user_page.url == f"{web.url}/"
        assert "王芳" in user_page.locator(".who-name").inner_text()

        row.locator("form.user-reset [name=password]").fill("temporary-pw")
        row.locator("form.user-reset button").click()
        admin.wait_for_url(f"{web.url}/users")
        assert "下次登录时须设置新密码" in admin.locator(".flash").inner_text()
        assert "待设新密码" in admin.locator("#user-wangf").inner_text()
        shoot(admin, screenshots, "users")

        user_page.goto(f"{web.url}/projects")  # the reset ended the user's session
        assert "/login" in user_page.url
        user_ctx.close()

        user_ctx, user_page = _open(browser, web, "wangf", "temporary-pw")
        assert user_page.url == f"{web.url}/password"
        for other in ("/cases/new", "/warnings", "/satisfaction", "/"):  # nothing opens before a new password
            user_page.goto(f"{web.url}{other}")
            assert user_page.url == f"{web.url}/password", other
        user_page.fill("#f-current_password", "temporary-pw")
        user_page.fill("#f-new_password", "my-own-secret")
        user_page.fill("#f-new_password2", "my-own-secret-typo")
        user_page.click("main button[type=submit]")
        assert "两次输入的新密码不一致" in user_page.inner_text("main")
        user_page.fill("#f-current_password", "temporary-pw")
        user_page.fill("#f-new_password", "my-own-secret")
        user_page.fill("#f-new_password2", "my-own-secret")
        user_page.click("main button[type=submit]")
        user_page.wait_for_url(f"{web.url}/")
        assert "新密码已设置" in user_page.locator(".flash").inner_text()
        user_page.goto(f"{web.url}/cases/new")
        assert user_page.url == f"{web.url}/cases/new"
        user_ctx.close()

        # deactivated: the password no longer opens a session
        admin.goto(f"{web.url}/users")
        admin.locator("#user-wangf button:has-text('停用')").click()
        admin.wait_for_url(f"{web.url}/users")
        assert "已停用" in admin.locator("#user-wangf").inner_text()
        user_ctx, user_page = _open(browser, web, "wangf", "my-own-secret")
        assert "用户名或密码不正确" in user_page.inner_text("main")
        user_ctx.close()
    finally:
        admin_ctx.close()


def test_the_users_page_is_for_the_admin_only(login, web):
    page = login("clerk1")
    response = page.goto(f"{web.url}/users")
    assert response.status == 403
    assert "只有系统管理员" in page.inner_text("main")

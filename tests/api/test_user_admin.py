"""The admin's user management through the API: liaisons only in their units, changes, deactivation and a
password reset that the user must replace before doing anything else."""

from tests.api.test_accounts import ADMIN_PASSWORD, add_user, app, client, fields, jurisdiction, login, settings  # noqa: F401


async def test_a_liaison_only_in_police_court_procuratorate_or_the_bank(client):  # noqa: F811
    admin = await login(client, "admin", ADMIN_PASSWORD)
    body = {"username": "liaison1", "password": "long-enough", "role": "liaison", "unit": "housing"}
    response = await client.post("/api/users", json=body, headers=admin)
    assert response.status_code == 422
    assert fields(response) == ["body.unit"]
    assert (await client.get("/api/users", headers=admin)).json()[-1]["username"] == "admin"  # nothing written
    for unit in ("police", "court", "procuratorate", "pboc"):
        response = await client.post("/api/users", json=body | {"username": f"l-{unit}", "unit": unit}, headers=admin)
        assert response.status_code == 201, response.text


async def test_full_name_is_kept_and_role_unit_change_respects_the_rule(client):  # noqa: F811
    admin = await login(client, "admin", ADMIN_PASSWORD)
    body = {"username": "zhang", "password": "long-enough", "role": "caseworker", "unit": "housing"}
    created = await client.post("/api/users", json=body | {"full_name": "张伟"}, headers=admin)
    assert created.json()["full_name"] == "张伟"
    user_id = created.json()["id"]
    refused = await client.patch(f"/api/users/{user_id}", json={"role": "liaison"}, headers=admin)
    assert refused.status_code == 422 and fields(refused) == ["body.unit"]
    moved = await client.patch(f"/api/users/{user_id}", json={"role": "liaison", "unit": "police"}, headers=admin)
    assert (moved.json()["role"], moved.json()["unit"], moved.json()["full_name"]) == ("liaison", "police", "张伟")
    bad_unit = await client.patch(f"/api/users/{user_id}", json={"unit": "mars"}, headers=admin)
    assert bad_unit.status_code == 422
    assert (await client.patch("/api/users/9999", json={"active": False}, headers=admin)).status_code == 404


async def test_deactivation_ends_the_users_sessions(client):  # noqa: F811
    admin = await login(client, "admin", ADMIN_PASSWORD)
    clerk = await add_user(client, admin, "clerk1", "clerk", unit="petition")
    me = await client.get("/api/users/me", headers=clerk)
    assert me.status_code == 200
    response = await client.patch(f"/api/users/{me.json()['id']}", json={"active": False}, headers=admin)
    assert response.json()["active"] is False
    assert (await client.get("/api/users/me", headers=clerk)).status_code == 401


async def test_reset_password_ends_sessions_and_must_be_changed_first(client):  # noqa: F811
    admin = await login(client, "admin", ADMIN_PASSWORD)
    clerk = await add_user(client, admin, "clerk1", "clerk", unit="petition")
    user_id = (await client.get("/api/users/me", headers=clerk)).json()["id"]
    reset = await client.post(f"/api/users/{user_id}/password", json={"password": "temporary-1"}, headers=admin)
    assert reset.json()["must_change_password"] is True
    assert (await client.get("/api/users/me", headers=clerk)).status_code == 401  # the old session ended
    fresh = await login(client, "clerk1", "temporary-1")
    assert (await client.get("/api/cases", headers=fresh)).status_code == 403  # only the password change
    change = {"current_password": "temporary-1", "new_password": "my-own-password"}
    assert (await client.post("/api/users/me/password", json=change, headers=fresh)).status_code == 204
    again = await login(client, "clerk1", "my-own-password")
    me = await client.get("/api/users/me", headers=again)
    assert me.json()["must_change_password"] is False
    assert (await client.get("/api/cases", headers=again)).status_code == 200

"""A registration and an action read their user once, with the token's session (api/deps.py check_token):
the case is read again after the workflow wrote it (api/deps.py expire_reads), the user is not."""

import re

from tests.api.test_cases import PROJECT, complaint
from tests.statements import captured_statements

USERS = re.compile(r"\bFROM users\b|\bJOIN users\b")


def on_users(seen: list[tuple[str, object]]) -> list[str]:
    return [statement for statement, _ in seen if USERS.search(statement)]


async def test_registration_and_action_read_the_user_once(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    housing = await api.user("housing1", "caseworker", "housing")
    project = (await api.http.post("/api/projects", headers=clerk, json=PROJECT)).json()
    engine = api.app.state.engine

    with captured_statements(engine) as seen:
        r = await api.http.post("/api/cases", headers=clerk, json=complaint(project_id=project["id"]))
    assert r.status_code == 201, r.text
    assert r.json()["registered_by"] == "clerk1"
    assert len(on_users(seen)) == 1, on_users(seen)

    with captured_statements(engine) as seen:
        r = await api.act(housing, r.json()["case_no"], "accept")
    assert r.status_code == 200 and r.json()["stage"] == "investigating", r.text
    assert len(on_users(seen)) == 1, on_users(seen)

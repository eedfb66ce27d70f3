"""A registration and an action read their user once, with the token's session (api/deps.py check_token):
the case is read again after the workflow wrote it (api/deps.py expire_reads), the user is not."""

import re
from contextlib import contextmanager

from sqlalchemy import event

from tests.api.test_cases import PROJECT, complaint

USERS = re.compile(r"\bFROM users\b|\bJOIN users\b")


@contextmanager
def statements_on_users(engine):
    seen: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if USERS.search(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)


async def test_registration_and_action_read_the_user_once(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    housing = await api.user("housing1", "caseworker", "housing")
    project = (await api.http.post("/api/projects", headers=clerk, json=PROJECT)).json()
    engine = api.app.state.engine

    with statements_on_users(engine) as seen:
        r = await api.http.post("/api/cases", headers=clerk, json=complaint(project_id=project["id"]))
    assert r.status_code == 201, r.text
    assert r.json()["registered_by"] == "clerk1"
    assert len(seen) == 1, seen

    with statements_on_users(engine) as seen:
        r = await api.act(housing, r.json()["case_no"], "accept")
    assert r.status_code == 200 and r.json()["stage"] == "investigating", r.text
    assert len(seen) == 1, seen

"""Faults: the worker killed mid-load, the dev server restarted, the database gone during activities.
After each: no case lost, every clock still fires, nothing duplicated."""

import asyncio
import socket
import threading
from collections import Counter

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session

from db.engine import make_engine
from tests.conftest import empty_pg_schema
from tests.e2e.harness import Service, admin_headers, complaint, drill_jurisdiction, free_port, wait_for

pytestmark = pytest.mark.e2e
CASES = 24


@pytest.fixture
def service(tmp_path, request):
    extra = getattr(request, "param", {})
    jurisdiction = drill_jurisdiction(tmp_path, acknowledge="PT10S", escalation_step="PT3S")
    svc = Service(
        tmp_path,
        {
            "WAGECASE_DATABASE_URL": extra.get("db", f"sqlite:///{tmp_path / 'w.db'}"),
            "WAGECASE_JURISDICTION": str(jurisdiction),
        },
    )
    yield svc
    svc.stop_all()


async def file_complaints(base: str, headers: dict, count: int, concurrency: int = 8) -> list[httpx.Response]:
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:

        async def one(n):
            async with sem:
                return await http.post(
                    "/api/cases", headers={**headers, "Idempotency-Key": f"fault-{n}"}, json=complaint(n)
                )

        return await asyncio.gather(*(one(n) for n in range(count)))


def counts(url: str) -> dict:
    """Rows per case that must never be duplicated."""
    engine = make_engine(url)
    with Session(engine) as s:
        docs = s.exec(text("SELECT case_no, kind, count(*) FROM documents GROUP BY case_no, kind")).all()
        escalations = s.exec(
            text("SELECT case_no, level, count(*) FROM case_escalations GROUP BY case_no, level")
        ).all()
        cases = s.exec(text("SELECT count(*) FROM cases")).one()[0]
    engine.dispose()
    return {
        "cases": cases,
        "docs": Counter({(c, k): n for c, k, n in docs}),
        "escalations": Counter({(c, lvl): n for c, lvl, n in escalations}),
    }


def assert_no_duplicates(snapshot: dict) -> None:
    assert all(n == 1 for (_, kind), n in snapshot["docs"].items() if kind in ("receipt", "referral")), snapshot["docs"]
    assert all(n == 1 for n in snapshot["escalations"].values()), snapshot["escalations"]


def all_escalated(http, headers, expected: int) -> bool:
    r = http.get("/api/cases", params={"overdue": "true", "limit": 200}, headers=headers).json()
    return r["total"] == expected


def test_worker_killed_mid_load(service):
    service.start_temporal()
    service.migrate()
    service.start_worker()
    service.start_api()
    with httpx.Client(base_url=service.base, timeout=60) as http:
        headers = admin_headers(http)

        async def scenario():
            load = asyncio.create_task(file_complaints(service.base, headers, CASES))
            await asyncio.sleep(1.0)
            service.kill("worker")  # kill -9, mid-load
            await asyncio.sleep(1.0)
            service.start_worker()
            return await load

        responses = asyncio.run(scenario())
        assert [r.status_code for r in responses] == [201] * CASES, [r.text for r in responses if r.status_code != 201]
        assert len({r.json()["case_no"] for r in responses}) == CASES
        wait_for(lambda: all_escalated(http, headers, CASES), 90, "every acknowledge clock to escalate")
        snap = counts(service.env["WAGECASE_DATABASE_URL"])
        assert snap["cases"] == CASES
        assert_no_duplicates(snap)
        # a second pass of the same keys changes nothing
        again = asyncio.run(file_complaints(service.base, headers, CASES))
        assert {r.json()["case_no"] for r in again} == {r.json()["case_no"] for r in responses}
        assert counts(service.env["WAGECASE_DATABASE_URL"])["cases"] == CASES


def test_dev_server_restarted_on_the_same_file(service):
    service.start_temporal()
    service.migrate()
    service.start_worker()
    service.start_api()
    with httpx.Client(base_url=service.base, timeout=60) as http:
        headers = admin_headers(http)
        responses = asyncio.run(file_complaints(service.base, headers, CASES))
        assert all(r.status_code == 201 for r in responses)
        service.kill("temporal", sig=15)  # stop the server while every case waits on its clock
        service.start_temporal()
        wait_for(lambda: all_escalated(http, headers, CASES), 90, "every clock to fire after the restart")
        snap = counts(service.env["WAGECASE_DATABASE_URL"])
        assert snap["cases"] == CASES
        assert_no_duplicates(snap)
        # the restarted server still takes new complaints and actions
        r = http.post("/api/cases", headers=headers, json=complaint(999))
        assert r.status_code == 201
        assert http.post(f"/api/cases/{r.json()['case_no']}/actions/accept", headers=headers).status_code == 200


class Proxy:
    """A loopback TCP proxy in front of PostgreSQL that can be cut and restored."""

    def __init__(self, target_port: int = 5432):
        self.port = free_port()
        self.target = ("127.0.0.1", target_port)
        self.open = threading.Event()
        self.conns: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        self.open.clear()
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.conns.clear()

    def restore(self):
        self.open.set()


@pytest.mark.postgres
def test_database_unavailable_during_activities(tmp_path, pg_url, pg_admin, pg_schema):
    empty_pg_schema(pg_admin[0], pg_schema)  # the migrations start from an empty schema
    proxy = Proxy()
    proxy.restore()
    jurisdiction = drill_jurisdiction(tmp_path, acknowledge="PT8S", escalation_step="PT3S")
    svc = Service(tmp_path, {"WAGECASE_DATABASE_URL": pg_url, "WAGECASE_JURISDICTION": str(jurisdiction)})
    worker_url = pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        svc.start_temporal()
        svc.migrate()
        svc.start_worker({"WAGECASE_DATABASE_URL": worker_url})
        svc.start_api()
        with httpx.Client(base_url=svc.base, timeout=120) as http:
            headers = admin_headers(http)
            first = asyncio.run(file_complaints(svc.base, headers, 5))
            assert all(r.status_code == 201 for r in first)
            proxy.cut()  # the worker's database disappears while the clocks run and new cases arrive

            async def during_outage():
                pending = asyncio.create_task(file_complaints(svc.base, headers, 5 + 5))
                await asyncio.sleep(12)  # past every acknowledge clock
                assert not pending.done(), "cases cannot be projected without the database"
                proxy.restore()
                return await pending

            responses = asyncio.run(during_outage())
            assert [r.status_code for r in responses] == [201] * 10
            wait_for(lambda: all_escalated(http, headers, 10), 60, "escalations written after the outage")
            snap = counts(pg_url)
            assert snap["cases"] == 10
            assert_no_duplicates(snap)
    finally:
        svc.stop_all()
        proxy.listener.close()

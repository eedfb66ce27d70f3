"""SQLite under concurrent writers: a transaction that reads and then writes neither fails nor loses updates."""

import threading

from sqlalchemy import text

from db.cases import next_case_no
from db.engine import create_all, make_engine, session_scope

THREADS = 8
ROUNDS = 40


def run_in_threads(work) -> list[str]:
    """Run `work` in THREADS threads at once; the errors they raised."""
    errors: list[str] = []

    def guarded() -> None:
        try:
            work()
        except Exception as err:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(err))

    threads = [threading.Thread(target=guarded) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_read_then_write_transactions_serialize(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")

    def increment() -> None:
        for _ in range(ROUNDS):
            with session_scope(engine) as session:
                n = session.execute(text("SELECT n FROM counter")).scalar_one()
                session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    assert run_in_threads(increment) == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar_one() == THREADS * ROUNDS


def test_case_numbers_are_unique_under_concurrent_intake(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    create_all(engine)
    numbers: list[str] = []

    def allocate() -> None:
        for _ in range(ROUNDS):
            with session_scope(engine) as session:
                numbers.append(next_case_no(session=session, prefix="DX", year=2026))

    assert run_in_threads(allocate) == []
    assert len(set(numbers)) == THREADS * ROUNDS
    assert max(numbers) == f"DX-2026-{THREADS * ROUNDS:06d}"

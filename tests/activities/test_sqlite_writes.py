"""SQLite under concurrent writers: a transaction that reads and then writes neither fails nor loses updates."""

import threading
import time

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


def test_a_second_writer_waits_in_the_process_without_holding_a_connection(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    order: list[str] = []
    first_in = threading.Event()
    release_first = threading.Event()

    def first() -> None:
        with session_scope(engine) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            order.append("first")
            first_in.set()
            release_first.wait(10)

    def second() -> None:
        with session_scope(engine) as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
            order.append("second")

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.3)  # time for the second writer to reach SQLite, if it were not queued in the process
    waiting_connections = engine.pool.checkedout()  # type: ignore[attr-defined]
    release_first.set()
    a.join(10)
    b.join(10)
    assert waiting_connections == 1  # only the first writer's: the second waited for the queue, not for SQLite
    assert order == ["first", "second"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]

"""The deposit ledger: derived balance, never overdrawn under concurrent drawdowns, never drawn twice."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlmodel import select
from temporalio.testing import ActivityEnvironment

from activities.deposits import DepositActivities
from db.accounts import OrgInfo, ProjectCreate, create_project
from db.deposits import (
    DepositEntry,
    deposit_balance,
    deposit_ledger,
    draw,
    drawdown_key,
    ledger_entries,
    record_entry,
)
from db.engine import create_all, make_engine, session_scope
from domain.errors import InvalidInput, NotAllowedNow
from domain.messages import DrawDepositInput


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    create_all(engine)
    yield engine
    engine.dispose()


def new_project(engine, name="滨河小区3号楼") -> int:
    data = ProjectCreate(
        name=name,
        type="housing_municipal",
        township="shangguan",
        has_permit=True,
        land="state",
        government_invested=False,
        construction_unit=OrgInfo(name="代县某房地产开发有限公司"),
        general_contractor=OrgInfo(name="山西某建筑工程有限公司"),
    )
    with session_scope(engine) as session:
        return create_project(session=session, data=data, created_by="t", commit=False).id


def deposit(engine, project_id, amount, kind="deposit", key=None, bank="中国农业银行代县支行"):
    with session_scope(engine) as session:
        return record_entry(
            session=session, project_id=project_id, kind=kind, amount=Decimal(amount), bank=bank, actor="t", key=key
        )


def balance(engine, project_id) -> Decimal:
    with session_scope(engine) as session:
        return deposit_balance(session=session, project_id=project_id)


def test_balance_is_the_signed_sum_of_the_ledger(engine):
    p = new_project(engine)
    assert balance(engine, p) == 0
    deposit(engine, p, "50000.00")
    deposit(engine, p, "1000.50", kind="replenish")
    with session_scope(engine) as session:
        result = draw(session=session, project_id=p, case_no="DX-1", order_ref="order-3", wanted=Decimal("20000"))
    assert result.drawn == Decimal("20000") and result.balance == Decimal("31000.50")
    deposit(engine, p, "1000.50", kind="refund")
    assert balance(engine, p) == Decimal("30000.00")
    with session_scope(engine) as session:
        ledger = ledger_entries(session=session, project_id=p)
        book = deposit_ledger(session=session, project_id=p)
    assert book["balance"] == Decimal("30000.00") and [e["kind"] for e in book["ledger"]] == [e.kind for e in ledger]
    assert [(e.seq, e.kind, e.amount, e.case_no) for e in ledger] == [
        (1, "deposit", Decimal("50000.00"), None),
        (2, "replenish", Decimal("1000.50"), None),
        (3, "drawdown", Decimal("20000.00"), "DX-1"),
        (4, "refund", Decimal("1000.50"), None),
    ]


def test_refused_entries_change_nothing(engine):
    p = new_project(engine)
    with pytest.raises(NotAllowedNow):
        deposit(engine, p, "10", kind="replenish")  # no deposit yet
    deposit(engine, p, "100")
    with pytest.raises(NotAllowedNow):
        deposit(engine, p, "100.01", kind="refund")
    with pytest.raises(InvalidInput):
        deposit(engine, p, "5", kind="drawdown")
    with pytest.raises(InvalidInput):
        deposit(engine, p, "0")
    assert balance(engine, p) == Decimal("100.00")


def test_idempotency_key_records_once(engine):
    p = new_project(engine)
    first = deposit(engine, p, "300", key="k-1")
    again = deposit(engine, p, "300", key="k-1")
    assert again.id == first.id and balance(engine, p) == Decimal("300.00")
    with pytest.raises(NotAllowedNow):
        deposit(engine, p, "400", key="k-1")


def test_drawdown_takes_at_most_the_balance_and_nothing_without_a_deposit(engine):
    p = new_project(engine)
    with session_scope(engine) as session:
        assert deposit_ledger(session=session, project_id=p) is None
        none = draw(session=session, project_id=p, case_no="DX-1", order_ref="o1", wanted=Decimal("100"))
    assert none.drawn == 0 and none.entry_id is None and none.bank is None
    deposit(engine, p, "8000")
    with session_scope(engine) as session:
        short = draw(session=session, project_id=p, case_no="DX-2", order_ref="o1", wanted=Decimal("36000"))
    assert short.drawn == Decimal("8000.00") and short.balance == 0 and short.bank == "中国农业银行代县支行"
    with session_scope(engine) as session:
        empty = draw(session=session, project_id=p, case_no="DX-3", order_ref="o1", wanted=Decimal("1"))
    assert empty.drawn == 0 and balance(engine, p) == 0


def test_repeated_activity_calls_draw_once(engine):
    """A retry, or a re-run after the worker died once the first attempt had committed, draws nothing more."""
    p = new_project(engine)
    deposit(engine, p, "50000")
    activities = DepositActivities(engine)
    env = ActivityEnvironment()
    call = DrawDepositInput(project_id=p, case_no="DX-2026-000007", order_ref="order-4", amount=Decimal("30000"))
    results = [env.run(activities.draw_deposit, call) for _ in range(3)]
    assert {r.drawn for r in results} == {Decimal("30000.00")} and len({r.entry_id for r in results}) == 1
    assert balance(engine, p) == Decimal("20000.00")
    # a new order of the same case is a new drawdown
    other = env.run(activities.draw_deposit, DrawDepositInput(p, "DX-2026-000007", "order-9", Decimal("30000")))
    assert other.drawn == Decimal("20000.00") and balance(engine, p) == 0
    with session_scope(engine) as session:
        keys = session.exec(select(DepositEntry.idempotency_key).where(DepositEntry.kind == "drawdown")).all()
    assert sorted(keys) == [drawdown_key("DX-2026-000007", "order-4"), drawdown_key("DX-2026-000007", "order-9")]


@pytest.mark.parametrize("threads", [8])
def test_concurrent_drawdowns_of_one_project_never_overdraw(engine, threads):
    """Eight cases of one project draw at once, and each also retries: the total never exceeds the deposit."""
    p = new_project(engine)
    deposit(engine, p, "25000")
    start = threading.Barrier(threads)

    def case(i: int):
        start.wait()
        drawn = []
        for _ in range(2):  # the second call is the activity's retry
            with session_scope(engine) as session:
                drawn.append(
                    draw(session=session, project_id=p, case_no=f"DX-{i}", order_ref="o1", wanted=Decimal("4000")).drawn
                )
        return drawn

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(case, range(threads)))
    assert all(first == retry for first, retry in results)
    total = sum(first for first, _ in results)
    assert total == Decimal("25000.00")  # 6 × 4000 + 1000, then nothing
    assert sorted(first for first, _ in results) == [0, 1000, 4000, 4000, 4000, 4000, 4000, 4000]
    assert balance(engine, p) == 0
    with session_scope(engine) as session:
        ledger = ledger_entries(session=session, project_id=p)
    assert [e.seq for e in ledger] == list(range(1, len(ledger) + 1)) and len(ledger) == 8


def test_concurrent_first_deposits_open_one_account(engine):
    p = new_project(engine)
    start = threading.Barrier(4)

    def pay(i):
        start.wait()
        return deposit(engine, p, "1000", key=f"first-{i}").seq

    with ThreadPoolExecutor(4) as pool:
        seqs = sorted(pool.map(pay, range(4)))
    assert seqs == [1, 2, 3, 4] and balance(engine, p) == Decimal("4000.00")


def test_a_listing_decided_in_a_case_is_written_once(engine):
    from db.blacklist import list_blacklist, project_blacklist
    from domain.model import Actor
    from tests.domain.test_enforcement import HEAD, T0, do, enforce, ordered_case

    state = ordered_case(n_workers=12, amount="60000")
    with session_scope(engine) as session:
        assert project_blacklist(session=session, state=state) is None  # nothing decided yet
    enforce(state)
    do(state, "propose_blacklist", Actor("w", "caseworker", "hrss"))
    state.deadlines[-2].resolved_at = T0  # the objection period is over
    do(state, "blacklist_decision", HEAD, listed=True)
    for _ in range(2):  # the projection is rewritten on every change: the entry stays one
        with session_scope(engine) as session:
            project_blacklist(session=session, state=state)
    with session_scope(engine) as session:
        rows, total = list_blacklist(session=session, now=T0)
    assert total == 1 and rows[0].case_no == state.case_no and rows[0].employer_name == "某劳务公司"
    assert rows[0].expires_at.year == rows[0].listed_at.year + 3 and "第1项" in rows[0].reason
    assert rows[0].status_at(T0) == "listed"


def test_on_procedure_3_the_entry_names_the_persons_and_learns_the_correction_later(engine):
    """人社部令45号 arts. 5, 9, 13: the persons with the employer; the payment that paid everything."""
    from datetime import timedelta

    from db.blacklist import list_blacklist, project_blacklist
    from domain.model import SYSTEM, Actor
    from tests.domain.test_enforcement import HEAD, T0, do
    from tests.domain.test_listing import LAPSE, LEGAL_REP, lapsed_case

    state = lapsed_case()
    state.intake.case_no = "DX-2026-000777"
    do(state, "blacklist_grounds", SYSTEM, LAPSE)
    do(state, "propose_blacklist", Actor("w", "caseworker", "hrss"), LAPSE, persons=[LEGAL_REP])
    state.open_deadline("blacklist_notice").resolved_at = LAPSE  # the objection period is over
    do(state, "blacklist_decision", HEAD, LAPSE, listed=True)
    with session_scope(engine) as session:
        project_blacklist(session=session, state=state)
    paid = LAPSE + timedelta(days=30)
    do(state, "record_payment", Actor("w", "caseworker", state.lead_unit), paid, amount="60000", payer="employer")
    with session_scope(engine) as session:
        project_blacklist(session=session, state=state)  # the case closed paid in full
    with session_scope(engine) as session:
        rows, _ = list_blacklist(session=session, now=T0)
        [entry] = [r for r in rows if r.case_no == "DX-2026-000777"]
        assert entry.procedure == 3 and entry.corrected_at == paid
        assert entry.persons == [{"name": "王某", "id_number": "11010519491231002X", "role": "legal_representative"}]

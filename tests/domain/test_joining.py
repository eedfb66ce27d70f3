"""One matter (有案必接): what joining a complaint does to its matter and to itself (domain/joining.py)."""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from domain import lifecycle
from domain.errors import InvalidInput, NotAllowedNow
from domain.joining import (
    JOINED,
    JoinInput,
    check_join,
    join_complaint,
    join_into,
    join_key,
    join_refused,
    merge_claims,
)
from domain.model import Actor, CaseState, DeadlineStatus, Stage, WorkerClaim
from tests.domain.test_enforcement import T0, do, sample_intake, times

LATER = T0 + timedelta(days=3)


def referred(case_no: str, roster: list[WorkerClaim], amount: str | None = None) -> CaseState:
    intake = sample_intake(case_no, 1, "1")
    claimed = Decimal(amount) if amount else sum((w.amount_owed for w in roster), Decimal("0"))
    state = CaseState(intake=dataclasses.replace(intake, workers=list(roster), amount_claimed=claimed))
    lifecycle.open_case(state)
    lifecycle.refer(state, T0, times("acknowledge"))
    return state


ZHANG = WorkerClaim("张三", "110101199003076632", Decimal("12000"))
LI = WorkerClaim("李四", "110101199003077213", Decimal("24000"))
WANG = WorkerClaim("王五", "110101199003071234", Decimal("8000"))


def test_the_key_names_the_complaint():
    assert join_key("DX-2026-000002") == "join:DX-2026-000002"


def test_a_worker_already_in_the_matter_is_counted_once_with_the_larger_claim():
    merged = merge_claims(
        [ZHANG, LI],
        [
            WorkerClaim("张三", ZHANG.id_number, Decimal("15000")),
            WorkerClaim("李四", LI.id_number, Decimal("20000")),
            WANG,
        ],
    )
    assert [(w.name, w.amount_owed) for w in merged.workers] == [
        ("张三", Decimal("15000")),
        ("李四", Decimal("24000")),  # the matter's larger claim stays
        ("王五", Decimal("8000")),
    ]
    assert (merged.added, merged.raised, merged.increase) == (1, 1, Decimal("11000"))


def test_workers_without_an_id_number_cannot_be_matched_and_are_added():
    merged = merge_claims([WorkerClaim("赵六", None, Decimal("100"))], [WorkerClaim("赵六", None, Decimal("100"))])
    assert len(merged.workers) == 2 and merged.increase == Decimal("100")


def test_the_matter_takes_the_complaint_once():
    matter = referred("DX-2026-000001", [ZHANG, LI])
    complaint = JoinInput("DX-2026-000002", LATER, [dataclasses.replace(ZHANG), WANG], Decimal("20000"))
    version = matter.version
    assert join_complaint(matter, complaint, LATER) is True
    assert matter.related_cases == ["DX-2026-000002"]
    assert len(matter.intake.workers) == 3  # 张三 is not counted twice
    assert matter.intake.amount_claimed == Decimal("44000")  # 36000 + 王五's 8000
    assert matter.version == version + 1
    event = matter.timeline[-1]
    assert event.kind == "complaint_joined" and event.data["case_no"] == "DX-2026-000002"
    assert "DX-2026-000002" in event.summary
    # again (a retried update): nothing changes
    assert join_complaint(matter, complaint, LATER) is False
    assert matter.related_cases == ["DX-2026-000002"] and matter.intake.amount_claimed == Decimal("44000")
    assert matter.version == version + 1


def test_after_findings_the_amount_owed_grows_with_the_joined_claims():
    matter = referred("DX-2026-000001", [ZHANG, LI])
    lead = Actor("w", "caseworker", matter.lead_unit)
    do(matter, "accept", lead)
    do(matter, "findings", lead, substantiated=True, liable_party="employer", amount_owed="30000")
    join_complaint(matter, JoinInput("DX-2026-000002", LATER, [WANG], Decimal("8000")), LATER)
    assert matter.amount_owed == Decimal("38000") and matter.outstanding == Decimal("38000")


def test_a_complaint_without_amounts_per_worker_adds_what_it_claims():
    matter = referred("DX-2026-000001", [ZHANG])
    join_complaint(matter, JoinInput("DX-2026-000002", LATER, [WorkerClaim("某", None)], Decimal("5000")), LATER)
    assert matter.intake.amount_claimed == Decimal("17000")


def test_a_closed_case_is_no_matter():
    matter = referred("DX-2026-000001", [ZHANG])
    do(matter, "close", Actor("w", "caseworker", matter.lead_unit), outcome="withdrawn")
    with pytest.raises(NotAllowedNow) as err:
        join_complaint(matter, JoinInput("DX-2026-000002", LATER, [LI]), LATER)
    assert err.value.code == "not_a_matter"
    assert matter.related_cases == [] and len(matter.intake.workers) == 1  # nothing changed
    with pytest.raises(NotAllowedNow):
        check_join(referred("DX-2026-000001", [ZHANG]), "DX-2026-000001")  # not itself


def test_the_joined_complaint_closes_as_joined_with_its_receipt():
    case = referred("DX-2026-000002", [WANG])
    docs = join_into(case, "DX-2026-000001", LATER)
    assert docs == []  # no result notice: the matter answers the complainant
    assert case.stage is Stage.CLOSED and case.outcome == JOINED and case.closed_at == LATER
    assert case.joined_to == "DX-2026-000001" and case.related_cases == ["DX-2026-000001"]
    assert [d.kind for d in case.documents][0] == "receipt"
    assert all(d.status is not DeadlineStatus.OPEN for d in case.deadlines)
    assert [e.kind for e in case.timeline][-2:] == ["joined_to_matter", "closed"]
    with pytest.raises(NotAllowedNow):
        check_join(case, "DX-2026-000003")  # a joined complaint is no matter for another


def test_a_refused_join_leaves_the_complaint_alone():
    case = referred("DX-2026-000002", [WANG])
    case.related_cases = ["DX-2026-000001"]
    join_refused(case, "DX-2026-000001", "", LATER)
    assert case.related_cases == [] and case.stage is Stage.REFERRED and case.joined_to is None
    assert case.timeline[-1].kind == "join_refused"


def test_a_matter_that_grows_past_the_criteria_becomes_a_major_case():
    matter = referred("DX-2026-000001", [ZHANG])
    assert not matter.major
    limit = matter.intake.policy.major_case_amount
    join_complaint(matter, JoinInput("DX-2026-000002", LATER, [WorkerClaim("某", None, limit)], limit), LATER)
    assert matter.major and matter.timeline[-1].kind == "major_case"


def test_nobody_closes_a_case_as_joined_by_hand():
    case = referred("DX-2026-000001", [ZHANG])
    with pytest.raises(InvalidInput) as err:
        do(case, "close", Actor("w", "caseworker", case.lead_unit), outcome=JOINED)
    assert err.value.code == "outcome_reserved" and err.value.field == "outcome"
    assert case.stage is Stage.REFERRED

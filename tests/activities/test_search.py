"""Case search through the bigram index finds exactly the cases a substring match over every case finds."""

import itertools
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from db import case_list
from db.case_list import list_cases
from db.cases import project_case
from db.engine import session_scope
from db.search import CaseSearchGram, grams_of, query_grams, rarest
from domain.lifecycle import pending_actions
from domain.model import CaseState, Organisation, Person, ProjectInfo
from domain.routing import ProjectFacts
from tests.workflows.conftest import make_intake

EMPLOYERS = ["代县恒泰劳务有限公司", "山西鑫源建设集团", "Hengtai Labour Co.", "晋北100%劳务_分公司", "恒泰"]
PROJECTS = [None, "滨河小区3号楼", "雁门关景区道路", "DX-2026 配套工程"]
COMPLAINANTS = ["张三", "李四", "王建军", "Zhang San"]
CREDIT = [None, "91140923MA0K7Y2X1Q"]
QUERIES = [
    "恒泰",
    "恒",
    "泰劳务",
    "代县恒泰劳务有限公司",
    "hengtai",
    "HENGTAI LAB",
    "100%",
    "_",
    "%",
    "劳务_",
    "小区3",
    "dx-2026",
    "DX-2026-0000",
    "000003",
    "0003",
    "三",
    "王建军",
    "zhang s",
    "91140923ma0k7y2x1q",
    "没有这个",
    "ng",
    "a",
    "2026",
    "恒泰恒泰",
    "  恒泰  ",
    "总包",
    "晋阳总包",
    "建设单位",
    "设单",
    "分包",
]


def states() -> list[CaseState]:
    """Cases with every combination of the names above, numbered DX-2026-000001 onwards."""
    out = []
    for n, (employer, project, person, credit) in enumerate(
        itertools.product(EMPLOYERS, PROJECTS, COMPLAINANTS, CREDIT), start=1
    ):
        intake = make_intake()
        facts = ProjectFacts("housing_municipal", "shangguan", True, "state", False)
        sub = Organisation("某分包公司") if n % 3 == 0 else None
        contractor = Organisation("晋阳总包" if n % 2 else "总包")
        info = ProjectInfo(n, project, facts, Organisation("建设单位"), contractor, sub) if project else None
        intake = replace(
            intake,
            case_no=f"DX-2026-{n:06d}",
            employer=Organisation(employer, credit),
            complainant=Person(person, "13800138000", None),
            project=info,
        )
        out.append(CaseState(intake=intake, lead_unit="housing"))
    return out


def expected(cases: list[CaseState], q: str) -> set[str]:
    """The substring rule, case-insensitively over number, employer, project, complainant and the project's
    other parties; or the credit code."""
    t = q.strip().lower()
    found = set()
    for s in cases:
        names = [
            s.case_no,
            s.intake.employer.name,
            s.intake.project.name if s.intake.project else None,
            s.intake.complainant.name,
        ]
        project = s.intake.project
        if project is not None:
            names += [
                o.name for o in (project.construction_unit, project.general_contractor, project.subcontractor) if o
            ]
        if any(name and t in name.lower() for name in names) or s.intake.employer.credit_code == q.strip().upper():
            found.add(s.case_no)
    return found


def test_bigrams():
    assert grams_of(["恒泰劳务", None, "Ab"]) == {"恒泰", "泰劳", "劳务", "ab"}
    assert query_grams("恒") == [] and query_grams("恒泰") == ["恒泰"]
    assert query_grams("泰劳务") == ["劳务", "泰劳"]  # from the end
    assert query_grams("DX-2026-000123") == ["23", "12", "01", "00", "-0", "6-", "26", "02", "20", "-2", "x-", "dx"]
    assert rarest({"23": 40, "12": 2001, "01": 3, "00": 2001}) == ["01", "23"]
    assert rarest({"劳务": 2001, "泰劳": 2001, "恒泰": 2001}) == ["劳务", "泰劳"]


@pytest.mark.parametrize("common_past", [2_000, 0])
def test_search_finds_what_a_substring_match_finds(engine, monkeypatch, common_past):
    # common_past=0: every bigram counts as common, so the search probes each case's bigrams (EXISTS)
    monkeypatch.setattr(case_list, "GRAM_COUNT_CAP", common_past)
    cases = states()
    with session_scope(engine) as session:
        for s in cases:
            project_case(session=session, state=s, pending=pending_actions(s))
    with Session(engine) as session:
        for q in QUERIES:
            rows, total, _ = list_cases(session=session, visible_units=None, q=q, limit=200)
            want = expected(cases, q)
            assert {r.case_no for r in rows} == want, q
            assert total == len(want), q
            scoped = list_cases(session=session, visible_units=["housing"], q=q, limit=200, count_cap=3)
            assert {r.case_no for r in scoped.rows} == want, q  # every case is housing's
            assert (scoped.total, scoped.capped) == (min(len(want), 3), len(want) > 3), q
        assert any(expected(cases, q) for q in QUERIES) and not expected(cases, "没有这个")


def test_changed_names_are_reindexed_and_repeated_writes_add_nothing(engine):
    s = states()[0]
    with session_scope(engine) as session:
        project_case(session=session, state=s, pending=[])
    with session_scope(engine) as session:
        project_case(session=session, state=s, pending=[])  # the same state again
    with Session(engine) as session:
        before = session.exec(select(CaseSearchGram.gram).where(CaseSearchGram.case_no == s.case_no)).all()
    assert sorted(before) == sorted(
        grams_of([s.case_no, s.intake.employer.name, s.intake.employer.credit_code, s.intake.complainant.name])
    )
    s.intake.employer = Organisation("忻州市新名称建筑公司", None)
    s.version += 1
    with session_scope(engine) as session:
        project_case(session=session, state=s, pending=[])
    with Session(engine) as session:
        assert [r.case_no for r in list_cases(session=session, visible_units=None, q="新名称")[0]] == [s.case_no]
        assert list_cases(session=session, visible_units=None, q="恒泰")[1] == 0

"""The search attributes the workflows keep current for the Temporal Web UI: one definition each.

Cases (docs/contract.md, "Temporal") and projects under payroll monitoring (workflows/project_monitor.py);
`Township` is shared. Never personal data: search attributes are not encrypted. `make run` registers them
from its own copy of `TYPES` (scripts/run.py is standard library only; a test keeps the two equal).
"""

from typing import TYPE_CHECKING, Any

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

if TYPE_CHECKING:
    from domain.model import CaseState

CASE_NO = SearchAttributeKey.for_keyword("CaseNo")
CASE_STAGE = SearchAttributeKey.for_keyword("CaseStage")
LEAD_UNIT = SearchAttributeKey.for_keyword("LeadUnit")
TOWNSHIP = SearchAttributeKey.for_keyword("Township")
AMOUNT_OWED = SearchAttributeKey.for_float("AmountOwed")
WORKERS_AFFECTED = SearchAttributeKey.for_int("WorkersAffected")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
ESCALATED = SearchAttributeKey.for_bool("Escalated")
MAJOR_CASE = SearchAttributeKey.for_bool("MajorCase")

MONITOR_PROJECT = SearchAttributeKey.for_keyword("MonitorProject")
NEXT_PAYROLL_DUE = SearchAttributeKey.for_datetime("NextPayrollDue")
PERIODS_MISSED = SearchAttributeKey.for_int("PeriodsMissed")  # the dev server allows three Int attributes
OPEN_WARNINGS = SearchAttributeKey.for_int("OpenWarnings")

ALL: list[SearchAttributeKey[Any]] = [
    CASE_NO,
    CASE_STAGE,
    LEAD_UNIT,
    TOWNSHIP,
    AMOUNT_OWED,
    WORKERS_AFFECTED,
    NEXT_DEADLINE,
    OVERDUE,
    ESCALATED,
    MAJOR_CASE,
    MONITOR_PROJECT,
    NEXT_PAYROLL_DUE,
    PERIODS_MISSED,
    OPEN_WARNINGS,
]

_CLI_TYPES = {"KEYWORD": "Keyword", "DOUBLE": "Double", "INT": "Int", "DATETIME": "Datetime", "BOOL": "Bool"}
# name → the type as `temporal server start-dev --search-attribute Name=Type` spells it
TYPES = {key.name: _CLI_TYPES[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")] for key in ALL}


def case_attributes(state: "CaseState") -> list[SearchAttributeUpdate[Any]]:
    """The contract's search attributes for a case (no personal data)."""
    facts = state.intake.project.facts if state.intake.project else None
    owed = state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed
    pairs: list[SearchAttributeUpdate[Any]] = [
        CASE_NO.value_set(state.case_no),
        CASE_STAGE.value_set(state.stage.value),
        LEAD_UNIT.value_set(state.lead_unit or "-"),
        TOWNSHIP.value_set((facts.township if facts and facts.township else "-")),
        AMOUNT_OWED.value_set(float(owed - state.amount_recovered)),
        WORKERS_AFFECTED.value_set(len(state.intake.workers)),
        OVERDUE.value_set(state.overdue()),
        ESCALATED.value_set(bool(state.escalations)),
        MAJOR_CASE.value_set(state.major),
    ]
    nxt = state.next_deadline()
    if nxt is not None:
        pairs.append(NEXT_DEADLINE.value_set(nxt))
    return pairs

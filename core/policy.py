"""The part of the jurisdiction configuration that a new case carries in its workflow input."""

from domain.jurisdiction import Jurisdiction
from domain.model import CasePolicy


def case_policy(jurisdiction: Jurisdiction) -> CasePolicy:
    """Snapshot of the rules that shape a case, recorded in its history so that it replays the same."""
    cal = jurisdiction.calendar
    return CasePolicy(
        deadlines=dict(jurisdiction.deadlines),
        routing=jurisdiction.routing,
        office_unit=jurisdiction.office_unit,
        escalation_levels=list(jurisdiction.escalation.levels),
        calendar_unknown_year=str(cal.unknown_year),
        calendar_extra_holidays=[d.isoformat() for d in cal.extra_holidays],
        calendar_extra_workdays=[d.isoformat() for d in cal.extra_workdays],
        major_case_workers=jurisdiction.thresholds.major_case_workers,
        major_case_amount=jurisdiction.thresholds.major_case_amount,
    )

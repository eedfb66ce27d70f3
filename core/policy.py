"""The part of the jurisdiction configuration that a new case carries in its workflow input."""

from domain.jurisdiction import Jurisdiction
from domain.model import CasePolicy, CrimeThreshold


def case_policy(jurisdiction: Jurisdiction) -> CasePolicy:
    """Snapshot of the rules that shape a case, recorded in its history so that it replays the same."""
    cal = jurisdiction.calendar
    t = jurisdiction.thresholds
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
        crime=CrimeThreshold(
            amount_per_worker=t.crime_amount_per_worker,
            months_unpaid=t.crime_months_unpaid,
            amount_total=t.crime_amount_total,
            workers_total=t.crime_workers_total,
        ),
        blacklist_years=t.blacklist_period_years,
        unit_names={code: unit.name for code, unit in jurisdiction.units.items()},
        authorities=dict(jurisdiction.authorities) or None,
    )

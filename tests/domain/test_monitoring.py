"""Early-warning rules: pay periods, a payroll against the roster, the signal score, the permit gate."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.calendar import build_calendar
from domain import monitoring as m
from domain.calendar import CHINA_TZ
from domain.errors import InvalidInput
from domain.jurisdiction import JurisdictionError
from domain.rules import DeadlineRule, PeriodUnit

CAL = build_calendar()
MONTHLY = DeadlineRule("payroll_cycle", PeriodUnit.MONTHS, amount=1, basis="x")
QUARTERLY = DeadlineRule("payroll_cycle", PeriodUnit.MONTHS, amount=3, basis="x")
DRILL = DeadlineRule("payroll_cycle", PeriodUnit.DURATION, duration_seconds=30, basis="x")
STARTED = datetime(2026, 11, 16, 9, 0, tzinfo=CHINA_TZ)


def china(instant: datetime) -> datetime:
    return instant.astimezone(CHINA_TZ)


def test_add_months_keeps_the_day_or_takes_the_months_last():
    add_months = m.add_months
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_monthly_periods_are_the_months_worked_paid_on_payday_of_the_next():
    first = m.period(MONTHLY, STARTED, 1, 15, CAL)
    assert first.label == "2026-11"
    assert china(first.due_at) == datetime(2026, 12, 15, 23, 59, 59, tzinfo=CHINA_TZ)
    second = m.period(MONTHLY, STARTED, 2, 15, CAL)
    assert second.label == "2026-12" and china(second.due_at).date() == date(2027, 1, 15)


def test_a_payday_beyond_the_months_end_falls_on_its_last_day_and_no_payday_means_month_end():
    jan = m.period(MONTHLY, datetime(2027, 1, 3, tzinfo=CHINA_TZ), 1, 31, CAL)
    assert china(jan.due_at).date() == date(2027, 2, 28)
    no_payday = m.period(MONTHLY, STARTED, 1, None, CAL)
    assert china(no_payday.due_at).date() == date(2026, 12, 31)


def test_a_longer_cycle_is_labelled_by_its_first_month():
    second = m.period(QUARTERLY, STARTED, 2, 10, CAL)
    assert second.label == "2027-02" and china(second.due_at).date() == date(2027, 5, 10)
    assert m.period_index(QUARTERLY, STARTED, "2027-02") == 2
    with pytest.raises(InvalidInput, match="does not start a pay period"):
        m.period_index(QUARTERLY, STARTED, "2027-01")


def test_drill_periods_fall_due_every_cycle_from_the_start():
    start = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    assert [m.period(DRILL, start, k, None, CAL).due_at for k in (1, 2, 3)] == [
        start + timedelta(seconds=30),
        start + timedelta(seconds=60),
        start + timedelta(seconds=90),
    ]
    assert m.period(DRILL, start, 2, None, CAL).label == "2"


def test_period_labels_are_checked():
    assert m.period_index(MONTHLY, STARTED, "2026-11") == 1
    assert m.period_index(MONTHLY, STARTED, "2027-01") == 3
    assert m.period_index(DRILL, STARTED, 4) == 4 and m.period_index(DRILL, STARTED, " 4 ") == 4
    for bad in ("2026-10", "2026-13", "11/2026"):
        with pytest.raises(InvalidInput):
            m.period_index(MONTHLY, STARTED, bad)
    with pytest.raises(InvalidInput, match="beyond the calendar"):  # paid in the year 10000
        m.period(MONTHLY, STARTED, m.period_index(MONTHLY, STARTED, "9999-12"), 15, CAL)
    assert m.period_index(DRILL, STARTED, 0) == 1  # the first period, for callers counting from 0
    for bad in ("-1", "2026-11", "x", "1.5", "999999999999"):
        with pytest.raises(InvalidInput):
            m.period_index(DRILL, STARTED, bad)


def test_monitoring_starts_with_the_first_period_due_after_registration():
    registered = datetime(2027, 3, 20, tzinfo=CHINA_TZ)
    first = m.first_period_due_after(MONTHLY, STARTED, registered, 15, CAL)
    assert m.period(MONTHLY, STARTED, first, 15, CAL).label == "2027-03"  # February's fell due on 03-15
    assert m.first_period_due_after(DRILL, STARTED, STARTED, None, CAL) == 1
    late = STARTED + timedelta(seconds=95)
    assert m.first_period_due_after(DRILL, STARTED, late, None, CAL) == 4


ROSTER = [
    m.RosterEntry("王秀英", "140923198506123018", Decimal("6000")),
    m.RosterEntry("李建国", "11010519491231002X", Decimal("7000")),
]


def findings(lines, total, paid_from="ACC-1"):
    return m.payroll_findings(
        roster=ROSTER,
        lines=lines,
        total=Decimal(total),
        paid_from=paid_from,
        special_account="ACC-1",
        underpaid_percent=Decimal(70),
    )


def test_a_full_payroll_through_the_special_account_has_no_findings():
    lines = [
        m.PaidLine("王秀英", "140923198506123018", Decimal("6000")),
        m.PaidLine("李建国", "11010519491231002X", Decimal("4900")),
    ]  # exactly 70% of 7000
    assert findings(lines, "10900") == []


def test_findings_name_the_missing_the_underpaid_the_unknown_and_the_wrong_account():
    lines = [m.PaidLine("王秀英", "140923198506123018", Decimal("4199.99")), m.PaidLine("张三", None, Decimal("5000"))]
    got = findings(lines, "9000", paid_from="ACC-2")
    kinds = sorted(f.kind for f in got)
    assert kinds == ["missing_worker", "not_on_roster", "not_special_account", "total_mismatch", "underpaid"]
    assert m.findings_level(got) is m.WarningLevel.ORANGE
    assert m.findings_level([f for f in got if f.kind == "underpaid"]) is m.WarningLevel.YELLOW


def test_without_a_roster_only_the_account_and_the_total_are_checked():
    got = m.payroll_findings(
        roster=[],
        lines=[m.PaidLine("张三", None, Decimal("100"))],
        total=Decimal("100"),
        paid_from=None,
        special_account=None,
        underpaid_percent=Decimal(70),
    )
    assert got == []


def test_signal_score_counts_weights_in_the_window_only():
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    start = now - timedelta(days=90)
    signals = [
        m.ObservedSignal("utility_arrears", now - timedelta(days=1)),
        m.ObservedSignal("account_frozen", now - timedelta(days=30)),
        m.ObservedSignal("litigation", now - timedelta(days=91)),
    ]
    weights = {"utility_arrears": 1, "account_frozen": 2, "litigation": 1}
    assert m.signal_score(signals, now=now, window_start=start, weights=weights) == 3
    assert m.signals_level(3, 3) is m.WarningLevel.YELLOW
    assert m.signals_level(5, 3) is m.WarningLevel.ORANGE
    assert m.signals_level(6, 3) is m.WarningLevel.RED


def test_missing_periods_in_a_row_raise_the_level():
    assert [m.missing_level(n) for n in (1, 2, 3, 7)] == [
        m.WarningLevel.YELLOW,
        m.WarningLevel.ORANGE,
        m.WarningLevel.RED,
        m.WarningLevel.RED,
    ]


def test_the_permit_gate_needs_the_ratio_of_the_contract_amount():
    required = m.deposit_required(Decimal("1250000.50"), Decimal(1))
    assert required == Decimal("12500.01")
    assert m.deposit_shortfall(required, Decimal("10000")) == Decimal("2500.01")
    assert m.deposit_shortfall(required, Decimal("12500.01")) == 0
    assert m.deposit_required(None, Decimal(1)) is None and m.deposit_shortfall(None, Decimal(0)) == 0


def test_the_jurisdiction_file_carries_the_monitoring_figures_and_rules():
    from core.jurisdiction import DEFAULT_JURISDICTION, load_jurisdiction
    from domain.jurisdiction import jurisdiction_from_dict

    j = load_jurisdiction(DEFAULT_JURISDICTION)
    assert j.rule("payroll_cycle").unit is PeriodUnit.MONTHS
    for name in m.MONITORING_RULES:
        assert j.rule(name).basis
    assert j.monitoring.signal_score == 3 and set(j.monitoring.signal_weights) == {k.value for k in m.SignalKind}
    import yaml

    raw = yaml.safe_load(DEFAULT_JURISDICTION.read_text(encoding="utf-8"))
    raw["monitoring"]["signal_weights"]["gossip"] = 1
    with pytest.raises(JurisdictionError, match="monitoring.signal_weights.gossip"):
        jurisdiction_from_dict(raw, source="test.yaml")

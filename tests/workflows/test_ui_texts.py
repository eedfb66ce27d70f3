"""What supervisors read in the Temporal Web UI: the case's current details and its timer's summary."""

from datetime import timedelta

from domain import lifecycle
from tests.domain.test_lifecycle import T0, do, new_case
from workflows.case import details_markdown, wake_summary

# T0 is 2026-03-02 09:00 UTC; the test clocks fall due 7 days later, at 17:00 China time.
DUE = "2026-03-09 17:00（北京时间）"


def test_a_referred_case_waits_for_its_unit_to_sign_until_a_china_time():
    state = new_case()
    details = details_markdown(state)
    assert details.startswith(f"**{state.case_no}** · 待签收 · 承办单位 县人力资源和社会保障局")
    assert f"- 等待 县人力资源和社会保障局「签收受理」，期限 {DUE}" in details
    assert "涉及农民工 2 人，应付 20,000.00 元，已追回 0.00 元" in details
    assert (
        wake_summary(state, lifecycle.next_wake(state)) == f"等待至 {DUE}：县人力资源和社会保障局「签收受理」期限届满"
    )


def test_a_missed_deadline_shows_its_escalation_and_the_next_level():
    state = new_case()
    clock = state.deadlines[0]
    lifecycle.on_time(state, clock.due_at)
    details = details_markdown(state)
    assert f"- **已逾期**：县人力资源和社会保障局「签收受理」，期限 {DUE}，已督办至单位负责人" in details
    assert f"- 已督办 1 次，最近一次 {DUE} 升级至单位负责人" in details
    wake = lifecycle.next_wake(state)
    assert wake == clock.escalate_at[0]
    assert (
        wake_summary(state, wake)
        == "等待至 2026-03-11 17:00（北京时间）：县人力资源和社会保障局「签收受理」逾期未办，升级督办至领导小组办公室"
    )


def test_a_closed_case_says_how_it_ended():
    state = new_case()
    do(state, "accept")
    do(state, "findings", substantiated=True, liable_party="employer", amount_owed="20000")
    do(state, "order_payment")
    do(state, "record_payment", amount="20000", payer="employer", now=T0 + timedelta(hours=1))
    details = details_markdown(state)
    assert "· 已结案 ·" in details and "- 已结案：已足额支付，结案时间 2026-03-02 18:00（北京时间）" in details
    assert "等待" not in details and "已追回 20,000.00 元" in details


def test_a_case_registered_before_names_were_carried_shows_the_codes():
    from dataclasses import replace

    state = new_case()
    state.intake = replace(state.intake, policy=replace(state.intake.policy, unit_names={}))
    details = details_markdown(state)
    assert "承办单位 hrss" in details and "县人力资源和社会保障局" not in details
    assert wake_summary(state, lifecycle.next_wake(state)) == f"等待至 {DUE}：hrss「签收受理」期限届满"


def test_a_complaint_out_of_limitation_says_it_waits_for_labour_inspection():
    from datetime import date

    from tests.domain.test_intake_statutory import new_case as new_statutory_case

    state, _ = new_statutory_case(arrears_ended_at=date(2023, 6, 30))
    assert "- 超过查处时效（劳动保障监察条例第20条），待劳动保障监察机构决定是否受理" in details_markdown(state)
    assert "查处时效" not in details_markdown(new_case())

"""Procedure 3 at intake on the time-skipping server: petition clocks, the limitation, late entries."""

from dataclasses import replace
from datetime import timedelta

from domain.calendar import CHINA_TZ
from domain.messages import ActionInput
from domain.model import Channel, Stage
from domain.procedure import STATUTORY_PROCEDURE
from domain.routing import ProjectFacts
from tests.workflows.conftest import make_intake, start_case
from workflows.case import CaseWorkflow

HOUSING = ProjectFacts("housing_municipal", "shangguan", True, "state", False)


async def act(handle, action, actor, **params):
    return await handle.execute_update(CaseWorkflow.act, ActionInput(action, actor, params))


async def state(handle):
    return await handle.query(CaseWorkflow.state)


async def registered(env, intake):
    handle = await start_case(env, intake)
    await handle.execute_update(CaseWorkflow.registered)
    return handle, await state(handle)


async def fresh(env, **changes):
    """A complaint received and registered at the test server's time (which earlier tests moved on)."""
    now = await env.get_current_time()
    project = changes.pop("project", None)
    return replace(make_intake(project=project, received_at=now), registered_at=now, **changes)


def statuses(s) -> dict[str, str]:
    return {d.kind: d.status.value for d in s.deadlines}


async def test_petition_clocks_run_end_escalate_and_close(env, projection, actors):
    handle, s = await registered(env, await fresh(env, channel=Channel.PETITION))
    assert s.procedure == STATUTORY_PROCEDURE
    assert [d.kind for d in s.deadlines] == ["acknowledge", "petition_register", "referral_objection"]
    told, window = s.open_deadline("petition_register"), s.open_deadline("referral_objection")
    assert (told.due_at - told.start_at) >= timedelta(days=15) and window.due_at < told.due_at

    # the objection window ends by itself: nobody is overdue for not objecting
    await env.sleep(window.due_at - await env.get_current_time() + timedelta(minutes=1))
    s = await state(handle)
    assert statuses(s)["referral_objection"] == "met"
    assert any(e.kind == "period_ended" and e.data["deadline"] == "referral_objection" for e in s.timeline)
    assert all(e.deadline_kind != "referral_objection" for e in s.escalations)

    # the petitioner not told within 15 days: missed and escalated like any clock
    await env.sleep(told.due_at - await env.get_current_time() + timedelta(minutes=1))
    s = await state(handle)
    assert statuses(s)["petition_register"] == "missed"
    assert any(e.deadline_kind == "petition_register" for e in s.escalations)

    await act(handle, "accept", actors["hrss"])
    s = await state(handle)
    handle_clock = s.open_deadline("petition_handle")
    assert handle_clock is not None and handle_clock.due_at - handle_clock.start_at >= timedelta(days=60)
    assert s.open_deadline("petition_register") is None  # told (late), no longer escalating
    await act(handle, "close", actors["hrss"], outcome="mediated")
    final = projection.states[s.case_no]
    assert statuses(final)["petition_handle"] == "met" and statuses(final)["investigate"] == "cancelled"


async def test_object_referral_goes_back_to_the_office_within_five_working_days(env, projection, actors):
    handle, s = await registered(env, await fresh(env, project=HOUSING, channel=Channel.PETITION))
    assert s.lead_unit == "housing" and s.open_deadline("referral_objection").unit == "housing"
    await act(handle, "object_referral", actors["housing"], reason="该项目由乡镇负责")
    s = await state(handle)
    assert s.lead_unit == "hrss" and s.stage is Stage.REFERRED
    assert s.open_deadline("acknowledge").unit == "hrss" and s.open_deadline("referral_objection") is None
    assert projection.documents[s.case_no] == ["receipt", "referral", "referral"]
    await act(handle, "transfer", actors["supervisor"], to_unit="shangguan", reason="集体土地上的建设项目")
    s = await state(handle)
    assert s.open_deadline("referral_objection").unit == "shangguan"
    assert s.open_deadline("petition_register").unit == "shangguan"
    await act(handle, "close", actors["supervisor"], outcome="withdrawn")


async def test_out_of_limitation_is_registered_flagged_and_not_accepted(env, projection, actors):
    now = await env.get_current_time()
    ended = (now.astimezone(CHINA_TZ) - timedelta(days=3 * 365)).date()
    handle, s = await registered(env, await fresh(env, project=HOUSING, arrears_ended_at=ended))
    assert s.limitation_pending and s.escalations == []  # nothing counted from the end of the arrears
    assert all(d.start_at >= s.intake.received_at for d in s.deadlines)
    assert projection.documents[s.case_no] == ["receipt", "referral"]  # 有案必接
    await act(handle, "limitation_decision", actors["hrss"], proceed=False, reason="欠薪行为终了已逾2年")
    outcome = await handle.result()
    assert outcome.outcome == "out_of_limitation"
    assert projection.documents[s.case_no] == ["receipt", "referral", "non_acceptance"]
    assert projection.states[s.case_no].escalations == []


async def test_a_late_entry_is_not_escalated_for_the_years_before_it_was_entered(env, projection, actors):
    now = await env.get_current_time()
    intake = make_intake(received_at=now - timedelta(days=3 * 365))
    handle, s = await registered(env, replace(intake, registered_at=now, late_entry_reason="原纸质台账补录"))
    assert s.escalations == [] and not s.overdue()
    assert s.open_deadline("acknowledge").due_at > now
    assert [e.kind for e in s.timeline][:3] == ["received", "registered", "late_entry"]
    await act(handle, "close", actors["hrss"], outcome="withdrawn")

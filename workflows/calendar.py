"""Tells every open case whose clocks a newly loaded year's schedule may move: one small workflow per
load, started by the API (PUT /api/calendar/{year}), so the fan-out survives restarts of the API and the
worker and is visible in the Temporal Web UI. Each case then counts its own clocks again (an activity)
and records the result; this workflow only sends the signal."""

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.recompute import CalendarChange

PAGE = 200  # cases signalled per page; the run continues as new after each full page


@dataclass
class CalendarFanOut:
    year: int
    version: int
    source: str = ""
    after: str = ""  # the last case number signalled by the previous run
    signalled: int = 0


def fan_out_id(year: int, version: int, token: str) -> str:
    """The fan-out's workflow id: year and version for people, a token so that a database restored (its ids
    counted again) never collides with a run already in Temporal."""
    return f"calendar-{year}-v{version}-{token}"


@workflow.defn(name="CalendarChangeWorkflow")
class CalendarChangeWorkflow:
    @workflow.run
    async def run(self, input: CalendarFanOut) -> int:
        case_nos: list[str] = await workflow.execute_activity(
            "cases_counting_year",
            args=[input.year, input.after, PAGE],
            result_type=list[str],
            start_to_close_timeout=timedelta(seconds=60),
            summary=f"查找{input.year}年期限未届满的在办案件",
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        change = CalendarChange(input.year, input.version, input.source)
        signalled = input.signalled
        for case_no in case_nos:
            try:
                await workflow.get_external_workflow_handle(case_no).signal("calendar_changed", change)
                signalled += 1
            except Exception:  # the case closed meanwhile (its workflow completed): nothing to move
                workflow.logger.info("case %s no longer running; not signalled", case_no)
        workflow.set_current_details(f"{input.year}年节假日安排（第{input.version}版）：已通知 {signalled} 件在办案件")
        if len(case_nos) == PAGE:
            workflow.continue_as_new(CalendarFanOut(input.year, input.version, input.source, case_nos[-1], signalled))
        return signalled

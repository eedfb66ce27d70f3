"""Early-warning workflows: a project's pay periods, a warning's response clock, an employer's instalments.

- ProjectMonitorWorkflow (one per monitored project, id `<prefix>-P<project id>`) sleeps until the grace
  after a pay period runs out, asks an activity whether the period's payroll is there (a warning opens
  when it is not), and plans the next period. Between periods it is a parked timer and nothing else; it
  continues as new every few periods, so no run's history grows past ~100 events.
- WarningWorkflow (one per warning, `<prefix>-W<id>`) waits `warning_response` and, if the warning is
  still open then, has it registered as a case (channel township_warning) by an activity.
- EmployerReportWorkflow (one per employer's report, `<prefix>-R<id>`) runs one clock per instalment.

Every instant is computed by an activity (from the jurisdiction's rules and calendar) and recorded in
the history; the database holds the facts (payrolls, warnings) and the projection (docs/monitoring.md).
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows.search_attributes import MONITOR_PROJECT, NEXT_PAYROLL_DUE, OPEN_WARNINGS, PERIODS_MISSED, TOWNSHIP

with workflow.unsafe.imports_passed_through():
    from domain.monitor_messages import (
        InstalmentCheck,
        MonitorInput,
        MonitorStepInput,
        MonitorStepResult,
        OpenedWarning,
        ReportInput,
        WarningInput,
    )


RUN_EVENT_LIMIT = 100  # one period adds ~8 events: a run covers about a dozen periods

_LOCAL: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        maximum_interval=timedelta(seconds=60),
        non_retryable_error_types=["invalid"],
    ),
)
_ESCALATE: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=60),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=2)),
)


def monitor_id(prefix: str, project_id: int) -> str:
    return f"{prefix}-P{project_id}"


def warning_workflow_id(prefix: str, warning_id: int) -> str:
    return f"{prefix}-W{warning_id}"


def report_workflow_id(prefix: str, report_id: int) -> str:
    return f"{prefix}-R{report_id}"


def _prefix() -> str:
    return workflow.info().workflow_id.rsplit("-", 1)[0]


async def _start_warning_clocks(opened: list[OpenedWarning]) -> None:
    """Each new warning gets its own response clock, which outlives this run (ABANDON)."""
    for w in opened:
        try:
            await workflow.start_child_workflow(
                WarningWorkflow.run,
                WarningInput(w.id, w.response_due_at),
                id=warning_workflow_id(_prefix(), w.id),
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"预警 #{w.id} 处置期限",
            )
        except WorkflowAlreadyStartedError:  # the API or an earlier run started it: its clock runs
            pass


def _sleep_for(instant) -> timedelta:
    return max(instant - workflow.now(), timedelta(0))


@workflow.defn(name="ProjectMonitor")
class ProjectMonitorWorkflow:
    @workflow.run
    async def run(self, input: MonitorInput) -> None:
        step = MonitorStepInput(
            project_id=input.project_id, next_period=input.next_period, deposit_checked=input.deposit_checked
        )
        while True:
            result: MonitorStepResult = await workflow.execute_local_activity(
                "monitor_step", step, result_type=MonitorStepResult, summary="核对工资发放、规划下一期", **_LOCAL
            )
            await _start_warning_clocks(result.opened)
            if not result.monitoring:
                return
            pairs: list[SearchAttributeUpdate[Any]] = [
                MONITOR_PROJECT.value_set(str(input.project_id)),
                TOWNSHIP.value_set(result.township),
                PERIODS_MISSED.value_set(result.periods_missed),
                OPEN_WARNINGS.value_set(result.open_warnings),
            ]
            if result.next_due_at is not None:
                pairs.append(NEXT_PAYROLL_DUE.value_set(result.next_due_at))
            workflow.upsert_search_attributes(pairs)
            deposit_checked = result.deposit_check_at is None
            if workflow.info().get_current_history_length() >= RUN_EVENT_LIMIT:
                workflow.continue_as_new(MonitorInput(input.project_id, result.next_period, deposit_checked))
            assert result.next_check_at is not None  # monitoring goes on: the step planned the next check
            wake = result.next_check_at
            if result.deposit_check_at is not None and result.deposit_check_at < wake:
                wake = result.deposit_check_at
            await workflow.sleep(_sleep_for(wake), summary=f"第{result.next_period}期工资发放宽限期")
            now = workflow.now()
            due = now >= result.next_check_at
            step = MonitorStepInput(
                project_id=input.project_id,
                next_period=result.next_period + 1 if due else result.next_period,
                check_period=result.next_period if due else None,
                check_deposit=result.deposit_check_at is not None and now >= result.deposit_check_at,
                deposit_checked=deposit_checked,
            )


@workflow.defn(name="EarlyWarning")
class WarningWorkflow:
    @workflow.run
    async def run(self, input: WarningInput) -> str | None:
        """The case number when the warning was still open at its response deadline, else None."""
        await workflow.sleep(_sleep_for(input.response_due_at), summary="预警处置期限")
        return await workflow.execute_activity(
            "escalate_warning",
            input.warning_id,
            result_type=str | None,  # type: ignore[arg-type]  # the SDK's stubs take a class, not a union
            summary="逾期未化解：转立案",
            **_ESCALATE,
        )


@workflow.defn(name="EmployerReport")
class EmployerReportWorkflow:
    @workflow.run
    async def run(self, input: ReportInput) -> None:
        for index in range(input.next_index, len(input.instalments)):
            seq, due_at = input.instalments[index]
            await workflow.sleep(_sleep_for(due_at), summary=f"第{seq}期还款期限")
            opened: list[OpenedWarning] = await workflow.execute_local_activity(
                "check_instalment",
                InstalmentCheck(input.report_id, seq),
                result_type=list[OpenedWarning],
                summary=f"核对第{seq}期还款",
                **_LOCAL,
            )
            await _start_warning_clocks(opened)
            if workflow.info().get_current_history_length() >= RUN_EVENT_LIMIT:
                workflow.continue_as_new(ReportInput(input.report_id, input.instalments, index + 1))

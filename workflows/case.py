"""The case workflow: one execution per complaint, from intake to closure.

The workflow owns the case state. Every change goes through the pure rules in domain.lifecycle;
deadline instants come from an activity (so a calendar update never changes a replay); the database
is a projection written by idempotent local activities before an action's update returns.
"""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributePair
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import lifecycle
    from domain.calendar import CHINA_TZ
    from domain.errors import DomainError
    from domain.lifecycle import (
        DEADLINE_LABELS,
        LEVEL_LABELS,
        OUTCOME_LABELS,
        STAGE_LABELS,
        ClockTimes,
        DocumentRequest,
    )
    from domain.messages import (
        ActionInput,
        ActionResult,
        CaseInput,
        CaseOutcome,
        ComputeClocksInput,
        DrawDepositInput,
        DrawDepositResult,
        IssueDocumentsInput,
    )
    from domain.model import SYSTEM, Actor, CaseState, DeadlineStatus, Stage, document_url
    from domain.ui_text import md_escape

TASK_QUEUE = "wagecase"
# Patches (README, "Changing workflow code"): changes that cases recorded before them must not see.
ONE_WRITE_PER_STEP = "one-local-activity-per-step"
CONTINUE_AS_NEW_AT_LIMIT = "continue-as-new-at-event-limit"

# A run continues as new once its history reaches this many events, at a quiet point between steps; one
# step adds at most a few dozen, so no run of a case passes 150 events (issue 6). A case that runs long
# (many notes, a slow court) becomes a chain of short runs under the same workflow id.
RUN_EVENT_LIMIT = 100

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

# Database writes are short; a retry after a crash must not wait long (PERFORMANCE-NOTES).
_LOCAL = dict(start_to_close_timeout=timedelta(seconds=10),
              retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200),
                                       maximum_interval=timedelta(seconds=30),
                                       non_retryable_error_types=["calendar", "invalid"]))
# Money moves in a regular activity: its result is recorded by the server once, and the ledger's
# idempotency key makes any retry return what the first attempt drew.
_LEDGER = dict(start_to_close_timeout=timedelta(seconds=15),
               retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=500),
                                        maximum_interval=timedelta(seconds=30),
                                        non_retryable_error_types=["invalid"]))
# Steps the case takes by itself at one wake-up, at most (a guard: each step moves the case on).
_MAX_STEPS = 5


def search_attributes(state: CaseState) -> list[SearchAttributePair]:
    """The contract's search attributes for a case (no personal data)."""
    facts = state.intake.project.facts if state.intake.project else None
    owed = state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed
    pairs = [
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


def china_time(at: datetime) -> str:
    """An instant as supervisors read it: 2026-12-01 23:59（北京时间）."""
    return f"{at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}（北京时间）"


def details_markdown(state: CaseState) -> str:
    """What the case waits for and until when, in Chinese, for supervisors in the Temporal Web UI."""
    co = f"（协办 {'、'.join(state.co_units)}）" if state.co_units else ""
    lines = [f"**{state.case_no}** · {STAGE_LABELS[state.stage]} · 承办单位 {state.lead_unit}{co}"]
    if state.stage is Stage.CLOSED:
        outcome = OUTCOME_LABELS.get(state.outcome or "", state.outcome or "")
        when = f"，结案时间 {china_time(state.closed_at)}" if state.closed_at else ""
        lines.append(f"- 已结案：{outcome or '—'}{when}")
    levels = lifecycle.escalation_levels(state)
    waiting = [d for d in state.deadlines if d.resolved_at is None]
    for d in waiting:
        label = DEADLINE_LABELS.get(d.kind, d.kind)
        if d.status is DeadlineStatus.MISSED:
            level = levels[d.level - 1] if 0 < d.level <= len(levels) else ""
            reached = f"，已督办至{LEVEL_LABELS.get(level, level)}" if level else ""
            lines.append(f"- **已逾期**：{d.unit}「{label}」，期限 {china_time(d.due_at)}{reached}")
        else:
            lines.append(f"- 等待 {d.unit}「{label}」，期限 {china_time(d.due_at)}")
    if not waiting and state.stage is not Stage.CLOSED:
        lines.append("- 当前没有计时中的法定期限")
    if state.escalations:
        last = state.escalations[-1]
        lines.append(f"- 已督办 {len(state.escalations)} 次，最近一次 {china_time(last.at)} 升级至"
                     f"{LEVEL_LABELS.get(last.level, last.level)}")
    owed = state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed
    lines.append(f"- 涉及农民工 {len(state.intake.workers)} 人，应付 {owed:,.2f} 元，"
                 f"已追回 {state.amount_recovered:,.2f} 元")
    if state.deposit_drawn:
        lines.append(f"- 已动用工资保证金 {state.deposit_drawn:,.2f} 元")
    if state.liaison_units:
        lines.append(f"- 已移送：{'、'.join(state.liaison_units)}")
    if state.major:
        lines.append("- 重大欠薪案件")
    if state.leader:
        dispatch = f"，下次调度 {china_time(state.next_dispatch_at)}" if state.next_dispatch_at else ""
        lines.append(f"- 包案领导：{md_escape(state.leader)}{dispatch}")
    return "\n".join(lines)


def wake_summary(state: CaseState, wake: datetime) -> str:
    """The label of the timer the case waits on: until when, and which deadline (or escalation) it is."""
    until = f"等待至 {china_time(wake)}"
    levels = lifecycle.escalation_levels(state)
    for d in state.deadlines:
        if d.resolved_at is not None:
            continue
        label = DEADLINE_LABELS.get(d.kind, d.kind)
        if d.status is DeadlineStatus.OPEN and d.due_at == wake:
            return f"{until}：{d.unit}「{label}」期限届满"
        if d.status is DeadlineStatus.MISSED and wake in d.escalate_at:
            index = d.escalate_at.index(wake) + 1  # escalate_at[0] is when the second level is reached
            level = levels[index] if index < len(levels) else ""
            return f"{until}：{d.unit}「{label}」逾期未办，升级督办至{LEVEL_LABELS.get(level, level or '上一级')}"
    if state.next_dispatch_at == wake:
        return f"{until}：包案领导定期调度"
    return until


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._state = input.carried or CaseState(intake=input.intake)
        self._ready = input.carried is not None
        self._lock = asyncio.Lock()
        self._changed = False
        self._published: dict[str, object] = {}

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if not self._ready:
            async with self._lock:
                requests = lifecycle.open_case(self._state)
                times = await self._compute(requests)
                docs = lifecycle.refer(self._state, workflow.now(), times)
                self._state.version += 1
                await self._commit(docs)
            self._ready = True
        else:
            self._publish()
        while self._state.stage is not Stage.CLOSED:
            if self._run_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(CaseInput(intake=self._state.intake, carried=self._state))
            await self._wait_for_change_or_clock()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(self._state.case_no, self._state.outcome or "", self._state.amount_recovered)

    @staticmethod
    def _run_is_long() -> bool:
        info = workflow.info()
        if info.is_continue_as_new_suggested():
            return True
        # patched() is asked only past the limit: shorter cases recorded before the limit replay unchanged.
        return info.get_current_history_length() >= RUN_EVENT_LIMIT and workflow.patched(CONTINUE_AS_NEW_AT_LIMIT)

    async def _wait_for_change_or_clock(self) -> None:
        wake = lifecycle.next_wake(self._state)
        self._changed = False
        if wake is not None:
            seconds = (wake - workflow.now()).total_seconds()
            if seconds > 0:
                try:
                    await workflow.wait_condition(lambda: self._changed, timeout=timedelta(seconds=seconds),
                                                  timeout_summary=wake_summary(self._state, wake))
                    return
                except asyncio.TimeoutError:
                    pass
            async with self._lock:
                version = self._state.version
                docs = lifecycle.on_time(self._state, workflow.now())
                docs += await self._take_due_steps()
                if docs or self._state.version != version:
                    await self._commit(docs)
        else:
            await workflow.wait_condition(lambda: self._changed)

    @workflow.update
    async def registered(self) -> ActionResult:
        """Returns once the case is routed and its projection written (used with update-with-start)."""
        await workflow.wait_condition(lambda: self._ready)
        return self._result()

    @workflow.update
    async def act(self, input: ActionInput) -> ActionResult:
        """Carry out a case worker's action; the projection is written before this returns."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            now = workflow.now()
            self._check(input)  # again: another action may have won the lock first
            docs = await self._apply(input.action, input.params, input.actor, now)
            await self._commit(docs)
            self._changed = True
            return self._result()

    @act.validator
    def _validate_act(self, input: ActionInput) -> None:
        if not self._ready:
            raise ApplicationError("the case is still being registered; try again in a moment", type="conflict")
        self._check(input)

    @workflow.query
    def state(self) -> CaseState:
        return self._state

    def _check(self, input: ActionInput) -> None:
        try:
            lifecycle.check(self._state, input.action, input.params, input.actor, workflow.now())
        except DomainError as err:
            raise ApplicationError(err.message, {"field": err.field}, type=err.kind, non_retryable=True) from None

    async def _apply(self, action: str, params: dict, actor: Actor, now) -> list[DocumentRequest]:
        times = await self._compute(lifecycle.clocks_for(self._state, action, params, now))
        return lifecycle.apply(self._state, action, params, actor, workflow.now(), times)

    async def _take_due_steps(self) -> list[DocumentRequest]:
        """Take the steps a clock running out calls for: an unpaid order moves down the ladder by itself."""
        docs: list[DocumentRequest] = []
        for _ in range(_MAX_STEPS):
            now = workflow.now()
            step = lifecycle.due_step(self._state, now)
            if step is None:
                break
            params: dict = {}
            if step == "enforce" and self._state.intake.project is not None:
                params = await self._draw_deposit()
            lifecycle.check(self._state, step, params, SYSTEM, now)
            docs += await self._apply(step, params, SYSTEM, now)
        return docs

    async def _draw_deposit(self) -> dict:
        state = self._state
        order = state.open_deadline("order_payment")
        drawn: DrawDepositResult = await workflow.execute_activity(
            "draw_deposit",
            DrawDepositInput(state.intake.project.id, state.case_no, f"order-{order.seq}", state.outstanding),
            result_type=DrawDepositResult, summary="动用工资保证金", **_LEDGER,
        )
        params = {"drawn": str(drawn.drawn), "bank": drawn.bank}
        if drawn.entry_id is not None:
            params["reference"] = f"保证金台账#{drawn.entry_id}"
        return params

    def _result(self) -> ActionResult:
        return ActionResult(self._state.case_no, self._state.version, self._state.stage.value)

    async def _compute(self, requests) -> dict[str, ClockTimes]:
        if not requests:
            return {}
        levels = len(lifecycle.escalation_levels(self._state))
        return await workflow.execute_local_activity(
            "compute_clocks",
            ComputeClocksInput(self._state.case_no, self._state.intake.policy, requests, levels),
            result_type=dict[str, ClockTimes],
            summary="计算法定期限",
            **_LOCAL,
        )

    async def _commit(self, docs: list[DocumentRequest]) -> None:
        """Issue the documents and write the projection in one local activity; publish to the Web UI."""
        if workflow.patched(ONE_WRITE_PER_STEP):
            for ref in self._state.documents:
                ref.url = ref.url or document_url(self._state.case_no, ref.seq)
            await workflow.execute_local_activity("record_step", IssueDocumentsInput(self._state, docs),
                                                  summary="出具文书并更新案件台账", **_LOCAL)
        else:  # cases recorded before ONE_WRITE_PER_STEP: documents, then the projection
            if docs:
                issued = await workflow.execute_local_activity(
                    "issue_documents", IssueDocumentsInput(self._state, docs), result_type=list,
                    summary="出具文书", **_LOCAL,
                )
                urls = {d["seq"]: d["url"] for d in issued}
                for ref in self._state.documents:
                    ref.url = urls.get(ref.seq, ref.url)
            await workflow.execute_local_activity("project_case", self._state, summary="更新案件台账", **_LOCAL)
        self._publish()

    def _publish(self) -> None:
        pairs = search_attributes(self._state)
        changed = [p for p in pairs if self._published.get(p.key.name) != p.value]
        if self._state.next_deadline() is None and self._published.get(NEXT_DEADLINE.name) is not None:
            changed.append(NEXT_DEADLINE.value_unset())
        if changed:
            workflow.upsert_search_attributes(changed)
            for p in pairs:
                self._published[p.key.name] = p.value
            if self._state.next_deadline() is None:
                self._published[NEXT_DEADLINE.name] = None
        workflow.set_current_details(details_markdown(self._state))

"""The case workflow: one execution per complaint, from intake to closure.

The workflow owns the case state. Every change goes through the pure rules in domain.lifecycle;
deadline instants come from an activity (so a calendar update never changes a replay); the database
is a projection written by idempotent local activities before an action's update returns.
"""

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.case_texts import details_markdown, wake_summary
from workflows.search_attributes import NEXT_DEADLINE, case_attributes

with workflow.unsafe.imports_passed_through():
    from domain import joining, lifecycle, procedure, recompute
    from domain.errors import DomainError
    from domain.joining import JoinInput, JoinMatterInput, JoinResult
    from domain.lifecycle import (
        ClockRequest,
        ClockTimes,
        DocumentRequest,
    )
    from domain.messages import (
        ActionInput,
        ActionResult,
        CaseInput,
        CaseOutcome,
        ClockRules,
        ComputeClocksInput,
        DrawDepositInput,
        DrawDepositResult,
        IssueDocumentsInput,
    )
    from domain.model import (
        SYSTEM,
        Actor,
        AppliedAction,
        CasePolicy,
        CaseState,
        Escalation,
        Event,
        Stage,
    )
    from domain.recompute import CalendarChange, RecomputeClocksInput, RecomputedClock
    from domain.routing import RoutingConfig

# Patches (README, "Changing workflow code"): changes that cases recorded before them must not see.
ONE_WRITE_PER_STEP = "one-local-activity-per-step"
CONTINUE_AS_NEW_AT_LIMIT = "continue-as-new-at-event-limit"
REFUSED_STEP_ESCALATES = "refused-step-escalates"
LEAN_STEPS = "record-step-without-roster"  # record_step gets the roster and policy once per run
CARRY_STATE_ONCE = "continue-as-new-carries-the-state-once"
# A new case follows the lawful ladder (an unpaid order waits for the handling decision); a case started
# before keeps drawing the deposit when its order runs out (CaseState.procedure, docs/deadlines.md).
LAWFUL_LADDER = "lawful-ladder"
STATUTORY_PROCEDURE = "statutory-procedure"  # new cases follow domain.procedure.STATUTORY_PROCEDURE
# A complaint whose intake names an open matter (有案必接) is joined to it (domain/joining.py). Asked only
# for such an intake: the cases recorded before it have none. No procedure level: any case, of any
# procedure, can be a matter (the update join_complaint is new, so no recorded case ever received it).
ONE_MATTER = "one-matter"
# A case started with its first clocks in its input (CaseInput.opening) asks this patch once, at
# registration; with it the case takes every patch above without asking (CaseState.opened_by_service):
# no history recorded before them holds this marker, so theirs would only repeat it (each marker also
# upserts TemporalChangeVersion: two events and a visibility write per patch per run).
CASE_OPENING = "case-opening"
_OLDER_PATCHES = frozenset(
    {
        ONE_WRITE_PER_STEP,
        CONTINUE_AS_NEW_AT_LIMIT,
        REFUSED_STEP_ESCALATES,
        LEAN_STEPS,
        CARRY_STATE_ONCE,
        LAWFUL_LADDER,
        STATUTORY_PROCEDURE,
        ONE_MATTER,
    }
)

# What a state sent without its intake's policy carries in its place (record_step restores the real one).
_NO_POLICY = CasePolicy(
    deadlines={}, routing=RoutingConfig({}, (), False, False, "", ""), office_unit="", escalation_levels=[]
)

# A run continues as new once its history reaches this many events, at a quiet point between steps; one
# step adds at most a few dozen, so no run of a case passes 150 events. A case that runs long
# (many notes, a slow court) becomes a chain of short runs under the same workflow id.
RUN_EVENT_LIMIT = 100


# Database writes are short; a retry after a crash must not wait long (docs/temporal.md).
_LOCAL: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=10),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(milliseconds=200),
        maximum_interval=timedelta(seconds=30),
        non_retryable_error_types=["calendar", "invalid"],
    ),
)
# Money moves in a regular activity: its result is recorded by the server once, and the ledger's
# idempotency key makes any retry return what the first attempt drew.
_LEDGER: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=15),
    retry_policy=RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        maximum_interval=timedelta(seconds=30),
        non_retryable_error_types=["invalid"],
    ),
)
# Joining asks another case's workflow (activities/joining.py); when it cannot be reached in this time the
# complaint proceeds alone rather than keep its registration waiting.
_JOIN: dict[str, Any] = dict(
    start_to_close_timeout=timedelta(seconds=10),
    schedule_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5)),
)
# Steps the case takes by itself at one wake-up, at most (a guard: each step moves the case on).
_MAX_STEPS = 5


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        if input.carried is not None:
            self._state = input.carried
        else:
            assert input.intake is not None, "a new case starts with its intake"
            self._state = CaseState(intake=input.intake)
        self._ready = input.carried is not None
        self._lock = asyncio.Lock()
        self._changed = False
        self._published: dict[str, object] = {}
        self._calendar_changes: list[CalendarChange] = []
        # The projection holds the roster and policy once a run has written it (a carried run's first did).
        self._intake_projected = input.carried is not None
        # The benchmark's fill: no documents rendered (domain.messages.CaseInput). Every other case has False,
        # so what it does, and what recorded histories replay, is unchanged.
        self._skip_documents = input.skip_documents and input.sealed
        # A new case's first clocks as the service counted them (domain.messages.CaseOpening), taken behind
        # the patch CASE_OPENING; its start's search attributes are then already those of the registered case.
        self._opening = input.opening if input.sealed else None

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if not self._ready:
            async with self._lock:
                if self._opening is not None and workflow.patched(CASE_OPENING):
                    self._state.opened_by_service = True
                    self._published = {p.key.name: p.value for p in workflow.info().typed_search_attributes}
                if self._patched(LAWFUL_LADDER):
                    self._state.procedure = procedure.LAWFUL_LADDER
                if self._patched(STATUTORY_PROCEDURE):
                    self._state.procedure = procedure.STATUTORY_PROCEDURE
                # 有案必接: the matter the registry found (asked only then: no case recorded before had one)
                matter = self._state.intake.matter if self._state.intake.matter and self._patched(ONE_MATTER) else None
                if matter is not None:
                    self._state.related_cases = [matter]
                requests = lifecycle.open_case(self._state)
                times = self._opened(requests) or await self._compute(requests)
                docs = lifecycle.refer(self._state, workflow.now(), times)
                self._state.version += 1
                await self._commit(docs)
                if matter is not None:  # registered (the 受理回执 issued), then joined: one matter
                    await self._join_matter(matter)
            self._ready = True
        else:
            self._publish()
        while self._state.stage is not Stage.CLOSED:
            if self._calendar_changes:
                await self._recompute_for_calendar()
            if self._run_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._calendar_changes:  # one that came in meanwhile is handled first
                    intake = None if self._patched(CARRY_STATE_ONCE) else self._state.intake
                    workflow.continue_as_new(
                        CaseInput(intake=intake, carried=self._state, skip_documents=self._skip_documents)
                    )
                continue
            await self._wait_for_change_or_clock()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseOutcome(self._state.case_no, self._state.outcome or "", self._state.amount_recovered)

    def _patched(self, patch: str) -> bool:
        """workflow.patched; a case opened by the service takes the patches older than CASE_OPENING unasked."""
        if self._state.opened_by_service and patch in _OLDER_PATCHES:
            return True
        return workflow.patched(patch)

    def _run_is_long(self) -> bool:
        info = workflow.info()
        if info.is_continue_as_new_suggested():
            return True
        # patched() is asked only past the limit: shorter cases recorded before the limit replay unchanged.
        return info.get_current_history_length() >= RUN_EVENT_LIMIT and self._patched(CONTINUE_AS_NEW_AT_LIMIT)

    async def _wait_for_change_or_clock(self) -> None:
        wake = self._next_wake()
        self._changed = False
        if wake is not None:
            seconds = (wake - workflow.now()).total_seconds()
            if seconds > 0:
                try:
                    await workflow.wait_condition(
                        lambda: self._changed,
                        timeout=timedelta(seconds=seconds),
                        timeout_summary=wake_summary(self._state, wake),
                    )
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
        """Carry out a case worker's action; the projection is written before this returns.

        An action sent with a key is applied once for the life of the case: the same key again returns the
        first result and changes nothing (the keys travel in the state across continue-as-new)."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            done = self._applied(input)  # again: the same key may have won the lock first
            if done is not None:
                return ActionResult(self._state.case_no, done.version, done.stage)
            now = workflow.now()
            self._check(input)  # again: another action may have won the lock first
            docs = await self._apply(input.action, input.params, input.actor, now)
            if input.key:
                self._state.remember_applied(
                    AppliedAction(
                        input.actor.username,
                        input.key,
                        input.digest or "",
                        input.action,
                        self._state.version,
                        self._state.stage.value,
                    )
                )
            await self._commit(docs)
            self._changed = True
            return self._result()

    @workflow.update
    async def join_complaint(self, input: JoinInput) -> JoinResult:
        """Take a complaint about the same employer or project as this case's (有案必接, domain/joining.py);
        once per complaint (the update id and the state's related_cases). A closed case refuses."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            try:
                joined = joining.join_complaint(self._state, input, workflow.now())
            except DomainError as err:
                return JoinResult(self._state.case_no, False, self._state.version, err.text("zh"))
            if joined:
                self._intake_projected = False  # the roster grew: this write sends it
                await self._commit([])
                self._changed = True
            return JoinResult(self._state.case_no, True, self._state.version)

    @join_complaint.validator
    def _validate_join(self, input: JoinInput) -> None:
        if not input.sealed:
            raise ApplicationError(
                "only the wagecase service may join a complaint", type="forbidden", non_retryable=True
            )

    async def _join_matter(self, matter: str) -> None:
        """Join this new complaint to its matter, or (the matter refused or is unreachable) let it go alone."""
        intake = self._state.intake
        complaint = JoinInput(
            intake.case_no, intake.received_at, list(intake.workers), intake.amount_claimed, intake.channel.value
        )
        try:
            result: JoinResult = await workflow.execute_activity(
                "join_matter",
                JoinMatterInput(matter, complaint),
                result_type=JoinResult,
                summary="并入同一欠薪事项",
                **_JOIN,
            )
        except ActivityError:
            result = JoinResult(matter, False, reason="未能联系该案")
        now = workflow.now()
        if result.joined:
            docs = joining.join_into(self._state, matter, now)
        else:
            docs = []
            joining.join_refused(self._state, matter, result.reason, now)
        await self._commit(docs)

    @act.validator
    def _validate_act(self, input: ActionInput) -> None:
        # Validators run for new updates only, never in replay: histories recorded before encryption (whose
        # updates were not sealed) replay unchanged.
        if not input.sealed:
            raise ApplicationError(
                "only the wagecase service may change a case: this update was not sealed with the service's key",
                type="forbidden",
                non_retryable=True,
            )
        if not self._ready:
            raise ApplicationError("the case is still being registered; try again in a moment", type="conflict")
        if self._applied(input) is not None:
            return  # a retry: the handler returns the first result
        self._check(input)

    def _applied(self, input: ActionInput) -> AppliedAction | None:
        """The earlier application of this keyed action; refuses the same key with another body."""
        if not input.key:
            return None
        done = self._state.applied_action(input.actor.username, input.key)
        if done is not None and done.digest != (input.digest or ""):
            raise ApplicationError(
                f"Idempotency-Key {input.key!r} was already used on case {self._state.case_no} "
                f"for another request ({done.action}); use a new key for a new request",
                type="conflict",
                non_retryable=True,
            )
        return done

    @workflow.signal(dynamic=True)
    def _any_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """The case takes no signals: whatever arrives (the Temporal CLI, the Web UI) is dropped and logged.
        A signal handler added later must drop an input whose `sealed` is False (signals have no validator)."""
        workflow.logger.warning(
            "case %s: dropped the signal %r; a case changes only through the service", self._state.case_no, name
        )

    @workflow.query
    def state(self) -> CaseState:
        """The case state without the intake's roster (`intake.workers` is empty: the roster of a large
        complaint is most of the state; the database projection and the workflow input hold it)."""
        return self._without_roster()

    def _without_roster(self, policy: CasePolicy | None = None) -> CaseState:
        intake = self._state.intake
        lean = dataclasses.replace(intake, workers=[], policy=policy or intake.policy)
        return dataclasses.replace(self._state, intake=lean)

    def _check(self, input: ActionInput) -> None:
        try:
            lifecycle.check(self._state, input.action, input.params, input.actor, workflow.now())
        except DomainError as err:
            details = {"field": err.field, "code": err.code, "params": err.params}  # said in any language by code
            raise ApplicationError(err.message, details, type=err.kind, non_retryable=True) from None

    async def _apply(self, action: str, params: dict, actor: Actor, now) -> list[DocumentRequest]:
        times = await self._compute(lifecycle.clocks_for(self._state, action, params, now))
        return lifecycle.apply(self._state, action, params, actor, workflow.now(), times)

    async def _take_due_steps(self) -> list[DocumentRequest]:
        """Take the steps a clock running out calls for: an unpaid order moves down the ladder by itself.

        A step the rules refuse is recorded on the case and escalated to the office, once; the case goes
        on without it (a person takes over) instead of failing its workflow task for ever."""
        docs: list[DocumentRequest] = []
        for _ in range(_MAX_STEPS):
            now = workflow.now()
            step = self._due_step(now)
            if step is None:
                break
            params: dict = {}
            if step == "enforce" and self._state.intake.project is not None:
                params = await self._draw_deposit()
            try:
                lifecycle.check(self._state, step, params, SYSTEM, now)
            except DomainError as err:
                # Asked only when a step is refused: every case recorded before it never got this far.
                if not self._patched(REFUSED_STEP_ESCALATES):
                    raise
                self._refuse_step(step, params, err, now)
                continue
            docs += await self._apply(step, params, SYSTEM, now)
        return docs

    def _step_mark(self, step: str) -> str:
        """What a refused step is remembered by: the order it enforces, or the dispatch that fell due."""
        if step in ("enforce", "order_lapsed"):
            clock = lifecycle.enforced_clock(self._state)
            return f"{step}:{clock.seq if clock else '-'}"
        due = self._state.next_dispatch_at
        return f"{step}:{due.isoformat() if due else '-'}"

    def _due_step(self, now: datetime) -> str | None:
        """The first of lifecycle.due_steps not refused before (each is refused once, not at every wake)."""
        refused = self._state.refused_steps
        return next(
            (step for step in lifecycle.due_steps(self._state, now) if self._step_mark(step) not in refused), None
        )

    def _next_wake(self) -> datetime | None:
        """lifecycle.next_wake, less a refused dispatch (its instant has passed: waking for it would spin)."""
        state = self._state
        if state.refused_steps and self._step_mark("major_dispatch") in state.refused_steps:
            state = dataclasses.replace(state, next_dispatch_at=None)
        return lifecycle.next_wake(state)

    def _refuse_step(self, step: str, params: dict, err: DomainError, now: datetime) -> None:
        """Record a refused step on the timeline and escalate it to the office, to be taken up by a person."""
        state = self._state
        state.refused_steps.append(self._step_mark(step))
        levels = lifecycle.escalation_levels(state)
        level = "office" if "office" in levels else (levels[-1] if levels else "office")
        label = {
            "enforce": "责令支付期满后的强制执行",
            "order_lapsed": "指令书逾期未履行",
            "major_dispatch": "包案领导定期调度",
            "blacklist_grounds": "认定失信名单列入情形",
            "decision_final": "复议、诉讼期限届满后开始申请法院强制执行期限",
        }.get(step, step)
        reason = f"案件自动办理「{label}」被规则拒绝，需人工处理：{err.message}"
        due_clock = lifecycle.enforced_clock(state) if step in ("enforce", "order_lapsed") else None
        clock = due_clock.kind if due_clock else ("order_payment" if step == "enforce" else step)  # its cause
        state.escalations.append(Escalation(len(state.escalations) + 1, now, level, reason, clock, state.lead_unit))
        state.timeline.append(
            Event(
                len(state.timeline) + 1,
                now,
                "step_refused",
                "system",
                reason,
                {"step": step, "code": err.kind, "params": params},
            )
        )
        state.version += 1
        workflow.logger.warning(
            "case %s: the step %s was refused (%s); escalated to %s", state.case_no, step, err.message, level
        )

    async def _draw_deposit(self) -> dict:
        state = self._state
        order = lifecycle.enforced_clock(state)  # the order's clock, or on the lawful ladder the decision's
        project = state.intake.project
        assert project is not None and order is not None  # due_step asks for a drawdown only then
        what = "decision" if order.kind == "decision_payment" else "order"
        drawn: DrawDepositResult = await workflow.execute_activity(
            "draw_deposit",
            DrawDepositInput(project.id, state.case_no, f"{what}-{order.seq}", state.outstanding),
            result_type=DrawDepositResult,
            summary="动用工资保证金",
            **_LEDGER,
        )
        params = {"drawn": str(drawn.drawn), "bank": drawn.bank}
        if drawn.entry_id is not None:
            params["reference"] = f"保证金台账#{drawn.entry_id}"
        return params

    def _result(self) -> ActionResult:
        return ActionResult(self._state.case_no, self._state.version, self._state.stage.value)

    def _opened(self, requests: list[ClockRequest]) -> dict[str, ClockTimes] | None:
        """The instants the service counted for these clocks before the case started, if it counted these."""
        opening = self._opening
        if opening is None or not self._state.opened_by_service or opening.requests != requests:
            return None
        return opening.times

    async def _compute(self, requests) -> dict[str, ClockTimes]:
        if not requests:
            return {}
        levels = len(lifecycle.escalation_levels(self._state))
        # only the rules these clocks need, not the whole policy (a local activity: nothing in the history
        # depends on its input)
        rules = ClockRules.for_requests(self._state.intake.policy, requests)
        return await workflow.execute_local_activity(
            "compute_clocks",
            ComputeClocksInput(self._state.case_no, None, requests, levels, rules=rules),
            result_type=dict[str, ClockTimes],
            summary="计算法定期限",
            **_LOCAL,
        )

    async def _commit(self, docs: list[DocumentRequest]) -> None:
        """Issue the documents and write the projection in one local activity; publish to the Web UI."""
        if self._skip_documents:
            docs = []
        if self._patched(ONE_WRITE_PER_STEP):
            written = None
            if self._intake_projected and self._patched(LEAN_STEPS):
                lean = IssueDocumentsInput(self._without_roster(_NO_POLICY), docs, intake_omitted=True)
                written = await workflow.execute_local_activity(
                    "record_step", lean, summary="出具文书并更新案件台账", **_LOCAL
                )
            if written is not True:  # the run's first projection, or the stored one is gone: send everything
                await workflow.execute_local_activity(
                    "record_step", IssueDocumentsInput(self._state, docs), summary="出具文书并更新案件台账", **_LOCAL
                )
                self._intake_projected = True
        else:  # cases recorded before ONE_WRITE_PER_STEP: documents, then the projection
            if docs:
                issued = await workflow.execute_local_activity(
                    "issue_documents",
                    IssueDocumentsInput(self._state, docs),
                    result_type=list,
                    summary="出具文书",
                    **_LOCAL,
                )
                urls = {d["seq"]: d["url"] for d in issued}
                for ref in self._state.documents:
                    ref.url = urls.get(ref.seq, ref.url)
            await workflow.execute_local_activity("project_case", self._state, summary="更新案件台账", **_LOCAL)
        self._publish()

    # ---- a year's official holiday schedule was loaded (sent by workflows.calendar) -----------------
    # Cases recorded before this signal existed never received it, so they replay unchanged.

    @workflow.signal(name="calendar_changed")
    def calendar_changed(self, change: CalendarChange) -> None:
        if not change.sealed:  # signals have no validator: only the service's own (sealed) change counts
            workflow.logger.warning(
                "case %s: dropped a calendar_changed signal not sealed with the service key", self._state.case_no
            )
            return
        self._calendar_changes.append(change)
        self._changed = True  # wakes a case parked on a timer: the main loop re-arms it on the new instants

    async def _recompute_for_calendar(self) -> None:
        """Count the running clocks that touch the changed years again (an activity) and apply the result."""
        changes, self._calendar_changes = self._calendar_changes, []
        async with self._lock:
            now = workflow.now()
            clocks = recompute.clocks_to_recompute(self._state, {c.year for c in changes}, now)
            if not clocks:
                return
            levels = len(lifecycle.escalation_levels(self._state))
            results = await workflow.execute_local_activity(
                "recompute_clocks",
                RecomputeClocksInput(
                    self._state.case_no, self._state.intake.policy, clocks, levels, sorted({c.year for c in changes})
                ),
                result_type=list[RecomputedClock],
                summary="按新载入的节假日安排重新计算期限",
                **_LOCAL,
            )
            if recompute.apply_recomputed(self._state, changes[-1], results, workflow.now()):
                await self._commit([])

    def _publish(self) -> None:
        pairs = case_attributes(self._state)
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

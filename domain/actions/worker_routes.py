"""The workers' own routes alongside the administrative case: labour arbitration (绿色通道), the payment
order (支付令) and legal aid (法律援助); labour inspection co-handles them (docs/domain.md)."""

from datetime import datetime
from typing import Annotated, Literal

from annotated_types import MaxLen

from domain.actions.base import (
    CASE_WORKERS,
    INVOLVED,
    OPEN_STAGES,
    Action,
    ClockRequest,
    command,
)
from domain.actions.effects import event, open_clock, resolve
from domain.errors import InvalidInput, NotAllowedNow
from domain.labels import DEADLINE_LABELS
from domain.model import CaseState, Stage

# The events recorded on each route, in order.
WORKER_ROUTES = {
    "arbitration": ("applied", "accepted", "rejected", "awarded"),  # 劳动人事争议仲裁 green channel
    "payment_order": ("applied", "served", "objected", "effective"),  # 支付令
    "legal_aid": ("requested", "granted"),  # 法律援助 (司法局)
}
# The clock an event opens, and the clock it ends (the rule's name is the clock's kind).
ROUTE_OPENS = {
    ("arbitration", "applied"): "arbitration_accept",
    ("arbitration", "accepted"): "arbitration_award",
    ("payment_order", "served"): "payment_order_objection",
}
ROUTE_ENDS = {
    ("arbitration", "accepted"): "arbitration_accept",
    ("arbitration", "rejected"): "arbitration_accept",
    ("arbitration", "awarded"): "arbitration_award",
    ("payment_order", "objected"): "payment_order_objection",
    ("payment_order", "effective"): "payment_order_objection",
}
ROUTE_LABELS = {
    ("arbitration", "applied"): "农民工申请劳动仲裁（绿色通道）",
    ("arbitration", "accepted"): "仲裁委员会受理仲裁申请",
    ("arbitration", "rejected"): "仲裁委员会不予受理",
    ("arbitration", "awarded"): "作出仲裁裁决",
    ("payment_order", "applied"): "农民工向人民法院申请支付令",
    ("payment_order", "served"): "支付令已送达债务人",
    ("payment_order", "objected"): "债务人提出书面异议，支付令失效",
    ("payment_order", "effective"): "支付令生效，可申请强制执行",
    ("legal_aid", "requested"): "农民工申请法律援助",
    ("legal_aid", "granted"): "司法局指派法律援助",
}


@command
class WorkerRoute:
    """A step on the workers' own routes. arbitration: applied, accepted, rejected, awarded; payment_order:
    applied, served, objected, effective; legal_aid: requested, granted. `final_award` is 一裁终局
    (劳动争议调解仲裁法 art. 47), `advance_execution` 先予执行 (art. 44)."""

    route: Literal["arbitration", "payment_order", "legal_aid"]
    event: Literal[
        "applied", "accepted", "rejected", "awarded", "served", "objected", "effective", "requested", "granted"
    ]
    final_award: bool = False
    advance_execution: bool = False
    note: Annotated[str, MaxLen(2000)] = ""

    def __post_init__(self):
        if self.event not in WORKER_ROUTES[self.route]:
            raise InvalidInput(
                code="route_event", field="event", route=self.route, events=", ".join(WORKER_ROUTES[self.route])
            )


def _check(state: CaseState, cmd: WorkerRoute, now: datetime) -> None:
    key = (cmd.route, cmd.event)
    ends = ROUTE_ENDS.get(key)
    if ends is not None and state.open_deadline(ends) is None:
        raise NotAllowedNow(code="route_clock_not_running", field="event", clock=DEADLINE_LABELS[ends])
    opens = ROUTE_OPENS.get(key)
    if opens is not None and state.open_deadline(opens) is not None:
        raise NotAllowedNow(code="route_clock_running", field="event", clock=DEADLINE_LABELS[opens])


def _clocks(state: CaseState, cmd: WorkerRoute, now: datetime) -> list[ClockRequest]:
    rule = ROUTE_OPENS.get((cmd.route, cmd.event))
    return [ClockRequest(rule, rule, now)] if rule else []


def _apply(state: CaseState, cmd: WorkerRoute, actor, now, times):
    key = (cmd.route, cmd.event)
    if key in ROUTE_ENDS:
        resolve(state, ROUTE_ENDS[key], now)
    if key in ROUTE_OPENS:
        # 人社局 houses the arbitration court; the payment order's objection period is the debtor's own
        open_clock(state, ROUTE_OPENS[key], state.intake.policy.routing.co_handler, now, times[ROUTE_OPENS[key]])
    extras = []
    if cmd.final_award:
        extras.append("一裁终局")
    if cmd.advance_execution:
        extras.append("裁决先予执行")
    summary = ROUTE_LABELS[key] + (f"（{'、'.join(extras)}）" if extras else "") + (f"：{cmd.note}" if cmd.note else "")
    event(
        state,
        now,
        f"{cmd.route}_{cmd.event}",
        actor.username,
        summary,
        route=cmd.route,
        event=cmd.event,
        final_award=cmd.final_award,
        advance_execution=cmd.advance_execution,
    )
    return []


WORKER_ROUTE = Action(
    name="worker_route",
    command=WorkerRoute,
    stages=OPEN_STAGES - {Stage.INTAKE},
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply,
    check=_check,
    clocks=_clocks,
    label="登记仲裁、支付令或法律援助",
    secondary=True,
    hint="农民工自行申请劳动仲裁（绿色通道）、支付令或法律援助的，登记各环节并计算法定期限。",
    field_labels={
        "route": "途径",
        "event": "环节",
        "final_award": "一裁终局",
        "advance_execution": "先予执行",
        "note": "说明",
    },
)

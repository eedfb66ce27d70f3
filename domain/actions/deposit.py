"""The wage-guarantee deposit (工资保证金) after it was drawn: the bank's payout, the contractor's top-up."""

from domain.actions.base import (
    AFTER_ORDER,
    CASE_WORKERS,
    INVOLVED,
    Action,
    Reference,
    clock_awaited,
    command,
)
from domain.actions.effects import event, maybe_close, resolve
from domain.model import CaseState


@command
class ConfirmDepositPayout:
    """The bank paid the workers from the deposit; `reference` is its payment voucher number."""

    reference: Reference | None = None


@command
class DepositReplenished:
    """The general contractor topped the deposit back up (record the money on the project's deposit too)."""

    reference: Reference | None = None


def _apply_payout(state: CaseState, cmd: ConfirmDepositPayout, actor, now, times):
    resolve(state, "deposit_payout", now)
    ref = cmd.reference or ""
    event(
        state,
        now,
        "deposit_paid_out",
        actor.username,
        f"{state.deposit_bank or '银行'}已从工资保证金中将 {state.deposit_drawn} 元支付至农民工工资账户"
        + (f"（凭证 {ref}）" if ref else ""),
    )
    return maybe_close(state, actor, now)


def _apply_replenished(state: CaseState, cmd: DepositReplenished, actor, now, times):
    resolve(state, "deposit_replenish", now)
    ref = cmd.reference or ""
    event(
        state,
        now,
        "deposit_replenished",
        actor.username,
        "施工总承包单位已补足工资保证金" + (f"（{ref}）" if ref else ""),
    )
    return maybe_close(state, actor, now)


CONFIRM_DEPOSIT_PAYOUT = Action(
    name="confirm_deposit_payout",
    command=ConfirmDepositPayout,
    stages=AFTER_ORDER,
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply_payout,
    awaited=clock_awaited("deposit_payout"),
    not_awaited="deposit_payout_not_awaited",
    moves_money=True,
    label="确认保证金已支付",
    hint="银行已从工资保证金中向农民工支付后登记。",
    field_labels={"reference": "银行支付凭证号"},
)

DEPOSIT_REPLENISHED = Action(
    name="deposit_replenished",
    command=DepositReplenished,
    stages=AFTER_ORDER,
    roles=CASE_WORKERS,
    scope=INVOLVED,
    apply=_apply_replenished,
    awaited=clock_awaited("deposit_replenish"),
    not_awaited="replenish_not_awaited",
    label="登记保证金已补足",
    hint="施工总承包单位已补足工资保证金后登记（同时在项目保证金台账登记存入）。",
    field_labels={"reference": "补足凭证号"},
)

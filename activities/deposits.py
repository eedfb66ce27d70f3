"""Activities on the wage guarantee deposit ledger (db/deposits.py holds the money rules)."""

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.deposits import draw
from db.engine import session_scope
from domain.errors import DomainError
from domain.messages import DrawDepositInput, DrawDepositResult


def draw_deposit(engine: Engine, input: DrawDepositInput) -> DrawDepositResult:
    """Draw min(balance, amount) for the order once; a retry returns what the first attempt drew."""
    try:
        with session_scope(engine) as session:
            result = draw(
                session=session,
                project_id=input.project_id,
                case_no=input.case_no,
                order_ref=input.order_ref,
                wanted=input.amount,
            )
    except DomainError as err:
        raise ApplicationError(err.message, type=err.kind, non_retryable=True) from None
    return DrawDepositResult(result.drawn, result.balance, result.bank, result.entry_id)


class DepositActivities:
    """The deposit activities bound to this worker's database engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn(name="draw_deposit")
    def draw_deposit(self, input: DrawDepositInput) -> DrawDepositResult:
        return draw_deposit(self.engine, input)

    def all(self) -> list:
        return [self.draw_deposit]

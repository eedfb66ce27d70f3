"""The wage guarantee deposit (工资保证金) of each project: an append-only ledger whose sum is the balance.

Money rules, and how they hold:
- The balance is never stored: it is the signed sum of the project's ledger entries (deposit and replenish
  add, drawdown and refund subtract), so it cannot drift from the entries that justify it.
- Never overdrawn: every write first locks the project's row in `deposit_accounts` (an UPDATE, which
  takes the row lock on PostgreSQL and the database write lock on SQLite), then reads the balance and
  writes in the same transaction. Two cases of one project drawing at once queue on that lock.
- Never paid twice: every write may carry an idempotency key (UNIQUE). A drawdown's key is
  `drawdown:{case_no}:{order_ref}`: a retried activity, or one re-run after its worker was killed,
  finds the entry its first attempt committed and returns it instead of drawing again.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from db.types import Money, UTCDateTime, utcnow
from domain.errors import InvalidInput, NotAllowedNow


class DepositKind(StrEnum):
    DEPOSIT = "deposit"  # 存储
    DRAWDOWN = "drawdown"  # 动用（支付农民工工资）
    REPLENISH = "replenish"  # 补足
    REFUND = "refund"  # 退还（工程完工且无拖欠）


CREDITS = (DepositKind.DEPOSIT, DepositKind.REPLENISH)


class DepositAccount(SQLModel, table=True):
    """One row per project that holds a deposit: the lock every ledger write takes, and the bank."""

    __tablename__ = "deposit_accounts"
    project_id: int = Field(primary_key=True, foreign_key="projects.id")
    bank: str = Field(max_length=100)
    entries: int = 0  # ledger entries written; the next entry's seq is entries + 1
    opened_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class DepositEntry(SQLModel, table=True):
    """One movement of a project's deposit; amounts are positive, the kind gives the sign."""

    __tablename__ = "deposit_ledger"
    __table_args__ = (UniqueConstraint("project_id", "seq", name="uq_deposit_ledger_project_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(index=True, foreign_key="projects.id")
    seq: int
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    kind: str = Field(max_length=16)
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    bank: str = Field(max_length=100)
    case_no: str | None = Field(default=None, max_length=32, index=True)
    order_ref: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=100)  # bank voucher number
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    actor: str = Field(max_length=64)

    @property
    def signed(self) -> Decimal:
        """The entry's effect on the balance."""
        return self.amount if self.kind in CREDITS else -self.amount


@dataclass
class Drawdown:
    """What a drawdown actually took (0 when the project has no deposit or no balance)."""

    drawn: Decimal
    balance: Decimal
    bank: str | None
    entry_id: int | None


def _lock(session: Session, project_id: int) -> DepositAccount | None:
    """Lock the project's account row until the transaction ends; None if the project holds no deposit."""
    # A no-op UPDATE: the row lock on PostgreSQL, and on SQLite it opens the write transaction now, so
    # the balance read below is the latest (SQLite has one writer at a time).
    result = session.execute(
        update(DepositAccount).where(DepositAccount.project_id == project_id).values(entries=DepositAccount.entries)
    )
    if result.rowcount == 0:
        return None
    return session.exec(
        select(DepositAccount)
        .where(DepositAccount.project_id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _open(session: Session, project_id: int, bank: str) -> DepositAccount:
    """The project's locked account, created on its first deposit."""
    for _ in range(3):
        account = _lock(session, project_id)
        if account is not None:
            return account
        try:
            with session.begin_nested():
                session.add(DepositAccount(project_id=project_id, bank=bank))
        except IntegrityError:
            continue  # another request opened it first; lock theirs
    raise RuntimeError(f"could not open the deposit account of project {project_id}")


def _by_key(session: Session, key: str | None) -> DepositEntry | None:
    if not key:
        return None
    return session.exec(select(DepositEntry).where(DepositEntry.idempotency_key == key)).first()


def _balance(session: Session, project_id: int) -> Decimal:
    entries = session.exec(select(DepositEntry).where(DepositEntry.project_id == project_id)).all()
    return sum((e.signed for e in entries), Decimal("0.00"))


def _append(session: Session, account: DepositAccount, **values) -> DepositEntry:
    account.entries += 1
    entry = DepositEntry(project_id=account.project_id, seq=account.entries, **values)
    session.add(account)
    session.add(entry)
    session.flush()
    return entry


def record_entry(
    *,
    session: Session,
    project_id: int,
    kind: DepositKind | str,
    amount: Decimal,
    bank: str | None,
    actor: str,
    reference: str | None = None,
    case_no: str | None = None,
    key: str | None = None,
) -> DepositEntry:
    """Record a deposit, replenishment or refund; the same key returns the entry it recorded before."""
    kind = DepositKind(kind)
    if kind is DepositKind.DRAWDOWN:
        raise InvalidInput("drawdowns are made by the case that orders them, not by hand", field="kind")
    if amount <= 0:
        raise InvalidInput("amount must be greater than 0", field="amount")
    if kind is DepositKind.DEPOSIT:
        if not bank:
            raise InvalidInput("bank is required for a deposit", field="bank")
        account = _open(session, project_id, bank)
    else:
        account = _lock(session, project_id)
        if account is None:
            raise NotAllowedNow(f"project {project_id} holds no wage guarantee deposit")
    known = _by_key(session, key)
    if known is not None:
        if (known.project_id, known.kind, known.amount) != (project_id, kind.value, amount):
            raise NotAllowedNow("this Idempotency-Key was already used for a different deposit entry")
        return known
    if kind is DepositKind.REFUND:
        balance = _balance(session, project_id)
        if amount > balance:
            raise NotAllowedNow(f"a refund of {amount} exceeds the balance of {balance}")
    if kind is DepositKind.DEPOSIT and bank != account.bank:
        account.bank = bank  # the deposit moved to another bank
    return _append(
        session,
        account,
        kind=kind.value,
        amount=amount,
        bank=bank or account.bank,
        actor=actor,
        reference=reference,
        case_no=case_no,
        idempotency_key=key,
    )


def drawdown_key(case_no: str, order_ref: str) -> str:
    """The idempotency key of the drawdown for one order to pay of one case."""
    return f"drawdown:{case_no}:{order_ref}"


def draw(
    *, session: Session, project_id: int, case_no: str, order_ref: str, wanted: Decimal, actor: str = "system"
) -> Drawdown:
    """Draw min(balance, wanted) for a case's unpaid order, at most once per (case, order)."""
    if wanted <= 0:
        raise InvalidInput("a drawdown must be for more than 0", field="wanted")
    account = _lock(session, project_id)
    if account is None:
        return Drawdown(Decimal("0.00"), Decimal("0.00"), None, None)
    key = drawdown_key(case_no, order_ref)
    known = _by_key(session, key)
    if known is not None:
        return Drawdown(known.amount, _balance(session, project_id), known.bank, known.id)
    balance = _balance(session, project_id)
    drawn = min(balance, wanted)
    if drawn <= 0:
        return Drawdown(Decimal("0.00"), balance, account.bank, None)
    entry = _append(
        session,
        account,
        kind=DepositKind.DRAWDOWN.value,
        amount=drawn,
        bank=account.bank,
        actor=actor,
        case_no=case_no,
        order_ref=order_ref,
        idempotency_key=key,
    )
    return Drawdown(drawn, balance - drawn, account.bank, entry.id)


def get_account(*, session: Session, project_id: int) -> DepositAccount | None:
    """The project's deposit account, or None if it never held a deposit."""
    return session.get(DepositAccount, project_id)


def deposit_balance(*, session: Session, project_id: int) -> Decimal:
    """The project's current balance: the signed sum of its ledger."""
    return _balance(session, project_id)


def ledger_entries(*, session: Session, project_id: int) -> list[DepositEntry]:
    """The project's ledger entries, oldest first."""
    return list(
        session.exec(select(DepositEntry).where(DepositEntry.project_id == project_id).order_by(DepositEntry.seq))
    )


def deposit_ledger(*, session: Session, project_id: int) -> dict | None:
    """{balance, ledger: [{seq, at, kind, amount, case_no, bank, reference}]}, or None without a deposit."""
    if get_account(session=session, project_id=project_id) is None:
        return None
    entries = ledger_entries(session=session, project_id=project_id)
    return {
        "balance": sum((e.signed for e in entries), Decimal("0.00")),
        "ledger": [
            {
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "amount": e.amount,
                "case_no": e.case_no,
                "bank": e.bank,
                "reference": e.reference,
            }
            for e in entries
        ],
    }

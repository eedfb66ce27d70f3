"""Pure rules of the enforcement ladder: crime threshold, who pays, deposit ratio, blacklist criteria.

The case lifecycle (domain.lifecycle) uses these to decide where an unpaid order goes next; the API uses
`deposit_requirement` and `liable_party_for` to advise case workers. No I/O, no clock.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from domain.errors import InvalidInput
from domain.jurisdiction import Thresholds
from domain.model import CrimeThreshold, Organisation, Party, ProjectInfo, WorkerClaim

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
MAX_AMOUNT = Decimal("1000000000000")  # what a NUMERIC(14, 2) amount column holds

# Project types whose "project" is an enterprise rather than a construction site (no contractor chain).
ENTERPRISE_TYPES = frozenset({"mine_processing", "mine", "other"})


# ---- crime threshold (法释〔2013〕3号 arts. 3-4) ----------------------------------------------------


@dataclass(frozen=True)
class CrimeAssessment:
    """Whether what is still unpaid reaches the crime threshold, and why (zh-CN)."""

    met: bool
    reason: str


def unpaid_shares(workers: list[WorkerClaim], outstanding: Decimal) -> list[Decimal]:
    """What is still unpaid spread over the workers in proportion to their claims (fen, summing exactly)."""
    if not workers:
        return []
    claims = [max(w.amount_owed, Decimal("0")) for w in workers]
    total = sum(claims)
    if total <= 0:
        claims, total = [Decimal("1")] * len(workers), Decimal(len(workers))
    shares = [(outstanding * c / total).quantize(CENT, ROUND_HALF_UP) for c in claims]
    shares[-1] += outstanding - sum(shares)  # rounding remainder to the last worker
    return shares


def assess_crime(
    *, workers: list[WorkerClaim], outstanding: Decimal, months_unpaid: int | None, threshold: CrimeThreshold
) -> CrimeAssessment:
    """Apply 法释〔2013〕3号 art. 3 to what is still unpaid after the order's deadline passed (art. 4)."""
    shares = unpaid_shares(workers, outstanding)
    unpaid_workers = sum(1 for s in shares if s > 0)
    # art. 3(1): one worker unpaid for 3 months or more, in an amount at the province's figure
    if months_unpaid is not None and months_unpaid >= threshold.months_unpaid:
        top = max(shares, default=Decimal("0"))
        if top >= threshold.amount_per_worker:
            return CrimeAssessment(
                True,
                f"拖欠劳动者劳动报酬{months_unpaid}个月，单人未付{top}元，"
                f"达到{threshold.amount_per_worker}元的追诉标准（法释〔2013〕3号第3条）",
            )
    # art. 3(2): ten or more workers and the total at the province's figure
    if unpaid_workers >= threshold.workers_total and outstanding >= threshold.amount_total:
        return CrimeAssessment(
            True,
            f"拖欠{unpaid_workers}名劳动者劳动报酬共计{outstanding}元，达到"
            f"{threshold.workers_total}人、{threshold.amount_total}元的追诉标准"
            "（法释〔2013〕3号第3条）",
        )
    months = f"{months_unpaid}个月" if months_unpaid is not None else "拖欠月数未认定"
    return CrimeAssessment(
        False,
        f"未付{outstanding}元、{unpaid_workers}人、{months}，未达到拒不支付劳动报酬罪的"
        "追诉标准（法释〔2013〕3号第3条）",
    )


# ---- who pays (保障农民工工资支付条例) ----------------------------------------------------------------


@dataclass(frozen=True)
class LiabilitySuggestion:
    party: Party
    reason: str


def _same(a: Organisation | None, b: Organisation | None) -> bool:
    if a is None or b is None:
        return False
    if a.credit_code and b.credit_code:
        return a.credit_code == b.credit_code
    return a.name.strip() == b.name.strip()


def liable_party_for(project: ProjectInfo | None, employer: Organisation) -> LiabilitySuggestion:
    """The party an order to pay should be addressed to, under the liability rules (docs/domain.md, "Who pays")."""
    if project is None or project.facts.type in ENTERPRISE_TYPES:
        return LiabilitySuggestion(Party.EMPLOYER, "用人单位对招用的农民工支付工资负责（谁用工谁负责）")
    if _same(employer, project.construction_unit):
        return LiabilitySuggestion(Party.CONSTRUCTION_UNIT, "建设单位直接招用农民工，由建设单位支付")
    if _same(employer, project.general_contractor):
        return LiabilitySuggestion(Party.GENERAL_CONTRACTOR, "施工总承包单位直接招用农民工，由其支付")
    # 保障农民工工资支付条例 art. 30: the general contractor pays first (先行清偿) and recovers later.
    return LiabilitySuggestion(
        Party.GENERAL_CONTRACTOR,
        "分包单位（或劳务单位）拖欠农民工工资的，由施工总承包单位先行清偿，再依法追偿（保障农民工工资支付条例第30条）",
    )


# ---- wage guarantee deposit ratio (工程建设领域农民工工资保证金规定 arts. 11-12) ---------------------------


@dataclass(frozen=True)
class DepositRequirement:
    """The deposit a contractor must hold for a project: percent range of the contract amount and yuan."""

    adjustment: str  # standard | reduced | exempt | increased
    ratio_min: Decimal  # percent of the contract amount
    ratio_max: Decimal
    amount_min: Decimal | None  # yuan, when the contract amount is known
    amount_max: Decimal | None
    explanation: str


def deposit_requirement(
    *,
    contract_amount: Decimal | None,
    years_without_arrears: int,
    arrears_in_last_two_years: bool,
    thresholds: Thresholds,
) -> DepositRequirement:
    """The deposit ratio rule: 1-3%; at least halved after 2 clean years; exempt after 3; raised after arrears."""
    if years_without_arrears < 0:
        raise InvalidInput(code="years_negative", field="years_without_arrears")
    if contract_amount is not None and (not contract_amount.is_finite() or not 0 <= contract_amount < MAX_AMOUNT):
        raise InvalidInput(code="contract_amount_range", field="contract_amount", limit=MAX_AMOUNT)
    if arrears_in_last_two_years and years_without_arrears >= 2:
        raise InvalidInput(code="arrears_contradiction", field="arrears_in_last_two_years")
    low, high = thresholds.deposit_ratio_min, thresholds.deposit_ratio_max
    base = f"工资保证金按工程施工合同额的{low}%至{high}%存储"
    if arrears_in_last_two_years:
        factor = 1 + thresholds.deposit_increase_percent / HUNDRED
        adjustment = "increased"
        text = f"{base}；近2年内发生拖欠农民工工资的，存储比例上浮{thresholds.deposit_increase_percent}%以上"
    elif years_without_arrears >= thresholds.deposit_exempt_after_years:
        factor = Decimal("0")
        adjustment = "exempt"
        text = (
            f"连续{thresholds.deposit_exempt_after_years}年未发生拖欠农民工工资的，可免予存储"
            "（须落实实名制管理并开立农民工工资专用账户）"
        )
    elif years_without_arrears >= thresholds.deposit_reduce_after_years:
        factor = 1 - thresholds.deposit_reduce_percent / HUNDRED
        adjustment = "reduced"
        text = (
            f"{base}；连续{thresholds.deposit_reduce_after_years}年未发生拖欠的，存储比例下浮"
            f"{thresholds.deposit_reduce_percent}%以上"
        )
    else:
        factor = Decimal("1")
        adjustment = "standard"
        text = base
    ratio_min, ratio_max = low * factor, high * factor
    amount_min = amount_max = None
    if contract_amount is not None:
        amount_min = (contract_amount * ratio_min / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        amount_max = (contract_amount * ratio_max / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return DepositRequirement(
        adjustment,
        ratio_min,
        ratio_max,
        amount_min,
        amount_max,
        text + "（工程建设领域农民工工资保证金规定第11条、第12条）",
    )


# ---- blacklist criteria (人社部令45号 art. 5) --------------------------------------------------------


def blacklist_criteria(*, order_missed: bool, crime: CrimeAssessment, group_incident: bool) -> str | None:
    """Why the employer may be listed as a dishonest employer, or None when the criteria are not met."""
    if not order_missed:
        return None
    if crime.met:
        return "经责令限期支付逾期仍未支付，且数额达到拒不支付劳动报酬罪的追诉标准（人社部令第45号第5条第1项）"
    if group_incident:
        return "拖欠农民工工资引发群体性事件（人社部令第45号第5条第2项）"
    return None

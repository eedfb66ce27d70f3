"""Amounts, dates and times as Chinese official documents write them.

- `yuan(Decimal("12000.5"))` → "¥12,000.50": the figure, with thousands separators.
- `amount_in_capitals(Decimal("12000"))` → "壹万贰仟元整": the amount in capitals (大写金额), written as
  《正确填写票据和结算凭证的基本规定》 requires: 壹贰叁…, 拾佰仟万亿, "整" after 元 or 角 and never after 分,
  one 零 for a run of zeros inside the figure, and 零 after 元 when 角 is zero but 分 is not.
- `chinese_date(...)` → "2026年12月2日"; `china_time(...)` → "2026年12月2日9时05分", in China time.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from domain.calendar import CHINA_TZ

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")  # within a group of four digits, most significant first
_GROUPS = ("", "万", "亿")  # groups of four digits, least significant first
LIMIT = Decimal("1000000000000")  # 一万亿: beyond any wage claim; larger amounts are refused


def _cents(amount: Decimal | int | str) -> int:
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount of money: {amount!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"an amount of money must be a finite number ≥ 0, not {amount!r}")
    if value >= LIMIT:
        raise ValueError(f"{amount} is beyond what the capitals are written for (under 1,000,000,000,000)")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has fractions of a cent (分)")
    return int(cents)


def _integer_in_capitals(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    out: list[str] = []
    zero_pending = False  # zeros seen since the last digit written, inside the figure
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero_pending = zero_pending or bool(out)
            continue
        for place, digit in zip(_PLACES, f"{group:04d}"):
            if digit == "0":
                zero_pending = zero_pending or bool(out)
                continue
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_DIGITS[int(digit)] + place)
        out.append(_GROUPS[index])
    return "".join(out)


def amount_in_capitals(amount: Decimal | int | str) -> str:
    """The amount in yuan written in capitals, e.g. Decimal("10000.50") → "壹万元伍角整"."""
    cents = _cents(amount)
    yuan_part, fraction = divmod(cents, 100)
    jiao, fen = divmod(fraction, 10)
    text = _integer_in_capitals(yuan_part) + "元" if yuan_part else ""
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"  # 角 is zero, 分 is not: "壹佰元零伍分"
    return text + (_DIGITS[fen] + "分" if fen else "整")


def yuan(amount: Decimal | int | str) -> str:
    """The amount as a figure in yuan: "¥12,000.00"."""
    return f"¥{Decimal(_cents(amount)) / 100:,.2f}"


def yuan_with_capitals(amount: Decimal | int | str) -> str:
    """The figure followed by the capitals: "¥12,000.00（大写：人民币壹万贰仟元整）"."""
    return f"{yuan(amount)}（大写：人民币{amount_in_capitals(amount)}）"


def _china_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value} has no time zone; give an aware datetime")
        return value.astimezone(CHINA_TZ).date()
    return value


def chinese_date(value: date | datetime) -> str:
    """The day in China: "2026年12月2日" (an aware datetime is converted to China time first)."""
    day = _china_day(value)
    return f"{day.year}年{day.month}月{day.day}日"


def clock_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in China time as screens and lists show it ("2026-12-02 09:05"); "—" for none."""
    return "—" if value is None else value.astimezone(CHINA_TZ).strftime(fmt)


def china_time(value: datetime) -> str:
    """The instant in China time: "2026年12月2日9时05分"."""
    local = value.astimezone(CHINA_TZ) if value.tzinfo else None
    if local is None:
        raise ValueError(f"{value} has no time zone; give an aware datetime")
    return f"{chinese_date(local)}{local.hour}时{local.minute:02d}分"

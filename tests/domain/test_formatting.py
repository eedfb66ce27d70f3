"""Amounts in capitals (大写), figures in yuan, and dates and times in China time."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from domain.formatting import (
    amount_in_capitals,
    china_time,
    chinese_date,
    yuan,
    yuan_with_capitals,
)


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.55", "伍角伍分"),
        ("1", "壹元整"),
        ("10", "壹拾元整"),  # 壹拾, never 拾 alone
        ("15", "壹拾伍元整"),
        ("100", "壹佰元整"),
        ("101", "壹佰零壹元整"),
        ("110", "壹佰壹拾元整"),
        ("100.05", "壹佰元零伍分"),  # 角 zero, 分 not: 零 after 元
        ("100.50", "壹佰元伍角整"),
        ("1005", "壹仟零伍元整"),  # one 零 for a run of zeros
        ("1050", "壹仟零伍拾元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),  # the rules' own examples (their second permitted form)
        ("10000", "壹万元整"),
        ("10000.5", "壹万元伍角整"),
        ("12000", "壹万贰仟元整"),
        ("36000", "叁万陆仟元整"),
        ("100500", "壹拾万零伍佰元整"),
        ("107000.53", "壹拾万零柒仟元伍角叁分"),
        ("1000001", "壹佰万零壹元整"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("325000000", "叁亿贰仟伍佰万元整"),
        ("100000000", "壹亿元整"),
        ("100010000", "壹亿零壹万元整"),
        ("100000001", "壹亿零壹元整"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_capitals(amount, capitals):
    assert amount_in_capitals(Decimal(amount)) == capitals


def test_amount_in_capitals_takes_ints_and_strings():
    assert amount_in_capitals(20000) == "贰万元整"
    assert amount_in_capitals("9000.00") == "玖仟元整"


@pytest.mark.parametrize(
    "bad",
    [
        Decimal("-1"),
        Decimal("0.005"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("1000000000000"),
        "12,000",
        "abc",
        None,
    ],
)
def test_amount_in_capitals_refuses_what_is_not_an_amount(bad):
    with pytest.raises(ValueError):
        amount_in_capitals(bad)


def test_yuan_has_thousands_separators_and_cents():
    assert yuan(Decimal("36000")) == "¥36,000.00"
    assert yuan(Decimal("1234567.8")) == "¥1,234,567.80"
    assert yuan(Decimal("0.05")) == "¥0.05"
    assert yuan_with_capitals(Decimal("20000")) == "¥20,000.00（大写：人民币贰万元整）"


def test_dates_and_times_are_written_in_china_time():
    late_utc = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)  # 00:30 on 2 December in China
    assert chinese_date(late_utc) == "2026年12月2日"
    assert chinese_date(date(2026, 3, 9)) == "2026年3月9日"
    assert china_time(late_utc) == "2026年12月2日0时30分"
    assert china_time(datetime(2026, 3, 9, 9, 5, tzinfo=timezone.utc)) == "2026年3月9日17时05分"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        chinese_date(datetime(2026, 3, 9, 9, 0))
    with pytest.raises(ValueError, match="time zone"):
        china_time(datetime(2026, 3, 9, 9, 0))

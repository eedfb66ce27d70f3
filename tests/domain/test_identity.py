"""Resident ID numbers (GB 11643), unified social credit codes (GB 32100) and phone numbers."""

from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.identity import (
    CODE_CHARS,
    birth_date_of,
    check_credit_code,
    check_phone,
    check_resident_id,
    credit_code_check_char,
    resident_id_check_char,
)

TODAY = date(2026, 3, 1)


def id_check(first17: str) -> str:
    """The check character computed from the standard's definition: weights 2^(17-i) mod 11, ISO 7064 MOD 11-2."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def code_check(first17: str) -> str:
    """The check character from GB 32100's definition: weights 3^i mod 31, check = 31 - sum mod 31."""
    total = sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CODE_CHARS[(31 - total % 31) % 31]


# ---- resident ID numbers --------------------------------------------------------------------------


def test_the_standards_sample_number_is_valid():
    assert check_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"
    assert check_resident_id(" 11010519491231002x ", today=TODAY) == "11010519491231002X"
    assert birth_date_of("11010519491231002X") == date(1949, 12, 31)


@pytest.mark.parametrize(
    "first17", ["14092319850612301", "14092320000229001", "11010119900307663", "51012219700101123", "64010219991231999"]
)
def test_numbers_built_by_the_algorithm_are_valid_and_every_other_check_char_is_not(first17):
    expected = id_check(first17)
    assert resident_id_check_char(first17) == expected
    assert check_resident_id(first17 + expected, today=TODAY) == first17 + expected
    for wrong in set("0123456789X") - {expected}:
        with pytest.raises(InvalidInput, match="check character"):
            check_resident_id(first17 + wrong, today=TODAY)


def test_one_mistyped_digit_is_always_caught():
    number = "140923198506123011"[:17]
    number += id_check(number)
    for position in range(17):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            if birth_date_of(typo) is None or not "1900" <= typo[6:10] <= "2026" or typo[0] == "0":
                continue  # refused earlier, for its date or address code
            with pytest.raises(InvalidInput):
                check_resident_id(typo, today=TODAY)


def test_full_width_digits_from_a_chinese_input_method_are_accepted():
    assert check_resident_id("１１０１０５１９４９１２３１００２Ｘ", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(
    "value, reason",
    [
        ("11010519491231002", "17 digits and a final digit or X"),
        ("1101051949123100212", "17 digits"),
        ("11010519491231002Y", "17 digits"),
        ("110105194912310", "15-digit"),
        ("01010519491231002X", "cannot start with 0"),
        ("110105194902300000", "not a date"),  # 30 February
        ("110105189912310000", "before 1900"),
        ("110101202603020000", "in the future"),
        ("٣١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "17 digits"),  # Arabic-Indic digits are not ID digits
    ],
)
def test_malformed_numbers_say_why(value, reason):
    with pytest.raises(InvalidInput, match=reason):
        check_resident_id(value, today=TODAY)


def test_a_valid_check_char_with_a_future_birth_date_is_still_refused():
    first17 = "14092320270101001"
    with pytest.raises(InvalidInput, match="future"):
        check_resident_id(first17 + id_check(first17), today=TODAY)
    assert check_resident_id(first17 + id_check(first17), today=date(2027, 1, 1))


# ---- unified social credit codes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example in GB 32100-2015
        "914403001922038216",
    ],
)  # a published code (Huawei Technologies Co., Ltd.)
def test_published_codes_are_valid(code):
    assert check_credit_code(code) == code
    assert check_credit_code(code.lower()) == code
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    "first17", ["91140923MA0K1234X", "12140923012345678", "52140923MJY123456", "Y1140923MA0LLLLLL", "93140923000000000"]
)
def test_codes_built_by_the_algorithm_are_valid_and_other_check_chars_are_not(first17):
    expected = code_check(first17)
    assert check_credit_code(first17 + expected) == first17 + expected
    for wrong in CODE_CHARS.replace(expected, "")[:12]:
        with pytest.raises(InvalidInput, match="check character"):
            check_credit_code(first17 + wrong)


def test_check_char_31_is_written_0():
    # find a prefix whose weighted sum is a multiple of 31 and check that its code ends in 0
    prefix = next(
        f"9114092300000{n:04d}"
        for n in range(10000)
        if sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(f"9114092300000{n:04d}")) % 31 == 0
    )
    assert credit_code_check_char(prefix) == "0"
    assert check_credit_code(prefix + "0") == prefix + "0"


@pytest.mark.parametrize(
    "value, reason",
    [
        ("91350100M000100Y4", "18 characters; got 17"),
        ("91350100M000100Y433", "18 characters; got 19"),
        ("91350100M00O100Y43", "found 'O'"),
        ("91350100M000I00Y43", "found 'I'"),
        ("9135010-M000100Y43", "found '-'"),
        ("91350100M000100Y44", "check character"),
    ],
)
def test_malformed_codes_say_why(value, reason):
    with pytest.raises(InvalidInput, match=reason):
        check_credit_code(value)


# ---- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, normal",
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("008619912345678", "19912345678"),
        ("１３８００１３８０００", "13800138000"),
        ("0350-5221234", "0350-5221234"),
        ("(0350)5221234", "0350-5221234"),
        ("03505221234", "0350-5221234"),
        ("010-62345678", "010-62345678"),
        ("02087654321", "020-87654321"),
    ],
)
def test_mobiles_and_landlines_are_normalised(value, normal):
    assert check_phone(value) == normal


@pytest.mark.parametrize(
    "value",
    [
        "12800138000",
        "1380013800",
        "138001380001",
        "5221234",
        "0350-0221234",
        "350-5221234",
        "13800l38000",
        "+1 415 555 0100",
        "",
        "<script>",
    ],
)
def test_other_phone_numbers_are_refused_with_both_forms_named(value):
    with pytest.raises(InvalidInput, match="mobile number .* landline"):
        check_phone(value)


def test_masking_keeps_region_and_last_four_only():
    from domain.identity import mask_id, mask_phone

    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_id(None) is None and mask_phone("") == ""

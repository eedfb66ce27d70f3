"""Identity numbers checked at the edge: resident ID numbers, unified social credit codes, phone numbers.

Pure functions: each returns the normalised value or raises InvalidInput saying why the value is wrong.
"""

import re
import unicodedata
from datetime import date

from domain.errors import InvalidInput

# GB 11643-1999 公民身份号码: 6-digit address code, birth date YYYYMMDD, 3-digit sequence, check character.
# The weights are 2^(17-i) mod 11; the remainder of the weighted sum mod 11 indexes ID_CHECK_CHARS.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900

# GB 32100-2015 统一社会信用代码: 18 characters from CODE_CHARS (no I, O, S, V, Z); the weights are
# 3^i mod 31 and the check character is the one worth 31 - (sum mod 31), where 31 means 0.
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_CODE_SHAPE = re.compile(f"[{CODE_CHARS}]{{18}}")
_MOBILE = re.compile(r"1[3-9]\d{9}")  # mainland mobile numbers (MIIT numbering plan)
# Landlines: area code 010 or 02x (3 digits) or 0xxx (4 digits), then a local number of 7 or 8 digits that
# does not start with 0 or 1.
_LANDLINE = re.compile(r"(0[12]\d|0[3-9]\d{2})([2-9]\d{6,7})")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


def _ascii(value: str) -> str:
    # Chinese input methods often produce full-width digits and letters (１１０…Ｘ); NFKC folds them to ASCII.
    return unicodedata.normalize("NFKC", value).strip()


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a resident ID number."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise InvalidInput(code="id_first17_digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def birth_date_of(id_number: str) -> date | None:
    """The birth date encoded in characters 7–14 of an 18-digit ID number, or None if it is no date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def check_resident_id(value: str, *, today: date) -> str:
    """The 18-character resident ID number (upper-case X), or InvalidInput saying what is wrong with it."""
    number = _ascii(value).upper()
    if len(number) == 15 and number.isdigit():
        raise InvalidInput(code="id_15_digits")
    if not _ID_SHAPE.fullmatch(number) or not number.isascii():
        raise InvalidInput(code="id_length", length=len(number))
    if number[0] == "0":
        raise InvalidInput(code="id_starts_with_0")
    born = birth_date_of(number)
    if born is None:
        raise InvalidInput(code="id_birth_not_a_date", digits=number[6:14])
    if born > today:
        raise InvalidInput(code="id_birth_in_future", born=born.isoformat())
    if born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidInput(code="id_birth_too_early", born=born.isoformat(), year=EARLIEST_BIRTH_YEAR)
    if resident_id_check_char(number[:17]) != number[17]:
        raise InvalidInput(code="id_check_char")
    return number


def looks_like_credit_code(value: str) -> bool:
    """True for 18 characters of the credit-code alphabet (any case), whether or not the check holds."""
    return bool(_CODE_SHAPE.fullmatch(value.strip().upper()))


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a unified social credit code."""
    if len(first17) != 17 or any(char not in CODE_CHARS for char in first17):
        raise InvalidInput(code="credit_code_chars", chars=CODE_CHARS)
    total = sum(CODE_CHARS.index(char) * weight for char, weight in zip(first17, CODE_WEIGHTS))
    return CODE_CHARS[(31 - total % 31) % 31]


def check_credit_code(value: str) -> str:
    """The 18-character unified social credit code in capitals, or InvalidInput saying what is wrong."""
    code = _ascii(value).upper()
    if len(code) != 18:
        raise InvalidInput(code="credit_code_length", length=len(code))
    if not _CODE_SHAPE.fullmatch(code):
        wrong = sorted({char for char in code if char not in CODE_CHARS})
        raise InvalidInput(code="credit_code_letters", found=" ".join(repr(char) for char in wrong))
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidInput(code="credit_code_check_char")
    return code


def check_phone(value: str) -> str:
    """A mobile number as 11 digits, or a landline as 'area-local' (e.g. 0350-5221234); else InvalidInput."""
    raw = _ascii(value)
    digits = _PHONE_SEPARATORS.sub("", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if digits.isascii() and _MOBILE.fullmatch(digits):
        return digits
    landline = _LANDLINE.fullmatch(digits) if digits.isascii() else None
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    raise InvalidInput(code="phone_format")


def mask_id(value: str | None) -> str | None:
    """A resident ID number shown as 110101********1234."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    """A phone number shown as 138****8000."""
    if not value:
        return value
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"

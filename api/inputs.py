"""Input types shared by every request body: names, free text and amounts of money.

- A **name** (of a person, an organisation, a project) is printable text: after NFC normalisation and
  trimming it has at least one visible character and no control or invisible formatting characters
  (zero-width spaces, byte order marks, bidirectional overrides, U+0085, DEL …).
- **Text** (reasons, notes) may span lines and tabs, otherwise the same.
- An **amount** is yuan in plain decimal notation: a JSON number, or a string of ASCII digits with at
  most one decimal point ("12000", "12000.50"). Exponents ("1e2"), underscores ("1_000") and other
  scripts' digits are refused with the field and the reason. A web form may opt into the way people
  write amounts on paper ("12,000.50", "12,000.50元", "￥12000", full-width digits) by validating with
  `context=WEB_FORM`: those are normalised first, then checked the same way.

Pure (pydantic and the standard library): the database models (db.accounts) use these types too.
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

# ---- names and text ------------------------------------------------------------------------------------

# Invisible characters that change how text reads without showing: bidirectional embeddings, overrides and
# isolates (U+202A–U+202E, U+2066–U+2069) can make a name display as another; a byte order mark or
# line/paragraph separators have no business inside a field.
_SNEAKY = {"\ufeff", "\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
_TEXT_CONTROLS_ALLOWED = {"\t", "\n", "\r"}


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '(a control character)')}"


def _visible(ch: str) -> bool:
    # letters, digits, punctuation, symbols, and private-use characters (some systems encode rare
    # characters of personal names there)
    return unicodedata.category(ch)[0] in "LNPS" or unicodedata.category(ch) == "Co"


def check_name(value: str) -> str:
    """A name as typed (NFC-normalised); ValueError saying what is wrong."""
    value = unicodedata.normalize("NFC", value)
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc":
            raise ValueError(
                f"the name contains the control character {_describe(ch)}; type it again "
                "without it (名称中含有不可见的控制字符)"
            )
        if category in ("Cf", "Cs") or ch in _SNEAKY:
            raise ValueError(
                f"the name contains the invisible character {_describe(ch)}; type it again "
                "without it (名称中含有不可见字符)"
            )
    if not any(_visible(ch) for ch in value):
        raise ValueError("the name has no visible character (名称不能为空)")
    return value


def check_text(value: str) -> str:
    """Free text as typed (NFC-normalised; lines and tabs allowed); ValueError saying what is wrong."""
    value = unicodedata.normalize("NFC", value)
    for ch in value:
        category = unicodedata.category(ch)
        if (category == "Cc" and ch not in _TEXT_CONTROLS_ALLOWED) or category == "Cs" or ch in _SNEAKY:
            raise ValueError(
                f"the text contains the invisible character {_describe(ch)}; type it again "
                "without it (文字中含有不可见字符)"
            )
    if not any(_visible(ch) for ch in value):
        raise ValueError("the text has no visible character (内容不能为空)")
    return value


def name_type(max_length: int):
    """A name of at most `max_length` characters."""
    return Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length), AfterValidator(check_name)
    ]


Name = name_type(200)  # organisations and projects
PersonName = name_type(100)
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(check_text)
]

# ---- amounts -------------------------------------------------------------------------------------------

WEB_FORM = {"amounts": "as written on paper"}  # validation context of the web forms (see normalise_amount)
_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
AMOUNT_FORMAT = (
    "write the amount in yuan as plain decimal digits, such as 12000 or 12000.50 (no exponent, "
    "underscores, spaces or other digits; 金额请用阿拉伯数字填写，如 12000 或 12000.50)"
)


def normalise_amount(text: str) -> str:
    """An amount as people write it on paper, in plain decimal notation: full-width characters become ASCII
    (NFKC), a leading ¥/￥/RMB and a trailing 元 go, and thousands separators go where they group by three."""
    text = unicodedata.normalize("NFKC", text).strip()
    for prefix in ("¥", "RMB", "人民币"):
        text = text.removeprefix(prefix).strip()
    text = text.removesuffix("元").strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    return text


def parse_amount(value: Any, info: ValidationInfo) -> Any:
    """A Decimal from a JSON number or a plain decimal string; anything else goes on unchanged, for the
    Decimal type to refuse with its own message."""
    if isinstance(value, str):
        text = value.strip()
        if info.context and info.context.get("amounts") == WEB_FORM["amounts"]:
            text = normalise_amount(text)
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise PydanticCustomError("decimal_parsing", AMOUNT_FORMAT)  # the type pydantic gives a bad decimal
        try:
            return Decimal(text)
        except InvalidOperation:
            raise PydanticCustomError("decimal_parsing", AMOUNT_FORMAT) from None
    return value


PlainDecimal = Annotated[Decimal, BeforeValidator(parse_amount)]  # bounds of its own (e.g. a contract amount ≥ 0)
AmountIn = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    Field(gt=0, max_digits=14, decimal_places=2, description='yuan; a number or a decimal string such as "36000.00"'),
]

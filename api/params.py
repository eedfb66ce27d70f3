"""Numbers in paths and query strings: ASCII digits only, of bounded length.

`str.isdigit()` accepts superscripts and other scripts' digits that `int()` refuses or reads differently,
and `int()` of a few thousand digits is slow or refused; a database column holds 32 or 64 bits. Every
number a route takes from its URL goes through `parse_number` (web pages: None means "no such record"
or "use the default") or is typed `RecordId` / `Offset` (JSON routes: 422 with the field).
"""

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1  # the largest id or sequence number a row has (32-bit INTEGER)
MAX_DIGITS = len(str(MAX_ID))

MAX_OFFSET = MAX_ID  # how far into a list a page may start
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description=f"a positive whole number up to {MAX_ID}")]


def parse_number(text: str | None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The whole number `text` spells in ASCII digits 0-9, if it lies in [low, high]; None otherwise."""
    if text is None or not 0 < len(text) <= MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="how many rows to skip")]

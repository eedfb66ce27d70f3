"""Worker rosters (花名册) in, as .xlsx (openpyxl).

A roster is checked row by row with the API's own rules (api.schemas.WorkerIn), so a row that passes
here passes when the complaint is registered; the report names each bad cell by its row and column as
Excel shows them. Uploaded files are untrusted: size, zip expansion and row count are capped before
and while reading, and openpyxl parses XML through defusedxml. api/monitoring_sheets.py reads the
monitoring workbooks the same way.
"""

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from api.schemas import WorkerIn

MAX_ROSTER_BYTES = 2 * 1024 * 1024
MAX_ROSTER_ROWS = 5000  # as many workers as one complaint takes (api.schemas.CaseCreate)
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024  # a 2 MB .xlsx of 5000 rows unpacks to a few MB
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common
MAX_COLUMNS = 50

ROSTER_FIELDS = ("name", "id_number", "amount_owed", "bank", "bank_account")
ROSTER_HEADERS = {
    "name": "姓名",
    "id_number": "身份证号",
    "amount_owed": "欠薪金额",
    "bank": "开户银行",
    "bank_account": "银行账号",
}
# Header texts accepted for each field, compared without blanks, case and a "(元)" unit.
_HEADER_ALIASES = {
    "name": {"姓名", "农民工姓名", "工人姓名", "name"},
    "id_number": {"身份证号", "身份证号码", "公民身份号码", "id_number", "idnumber"},
    "amount_owed": {"欠薪金额", "拖欠金额", "拖欠工资", "欠薪数额", "amount_owed", "amountowed", "amount"},
    # the worker's own account, for a payout from the wage deposit (工资保证金支付通知书)
    "bank": {"开户银行", "开户行", "银行", "bank"},
    "bank_account": {"银行账号", "银行卡号", "工资卡号", "账号", "bank_account", "bankaccount"},
}


class RosterRejected(Exception):
    """The file as a whole cannot be read as a roster; `status` is 413 (too large) or 422."""

    def __init__(self, message: str, message_zh: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.status = status


@dataclass(frozen=True)
class RosterIssue:
    """What is wrong in one cell (or row) of the roster."""

    row: int  # the row number Excel shows
    column: str | None  # the column letter Excel shows, e.g. "B"
    field: str | None  # name | id_number | amount_owed
    message: str
    message_zh: str | None = None  # set for the checks made here; pydantic's are translated by the web UI
    error: dict | None = None  # the pydantic error, for translation


@dataclass(frozen=True)
class RosterRow:
    row: int
    values: dict[str, str]  # the cells as text, for refilling a form
    worker: WorkerIn | None  # None when the row has an issue


@dataclass
class Roster:
    sheet: str
    rows: list[RosterRow] = field(default_factory=list)
    issues: list[RosterIssue] = field(default_factory=list)

    @property
    def workers(self) -> list[tuple[int, WorkerIn]]:
        """The valid rows: (row number, worker)."""
        return [(r.row, r.worker) for r in self.rows if r.worker is not None]


def _check_container(data: bytes) -> None:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: Excel 97-2003, or an encrypted .xlsx
        raise RosterRejected(
            "this is an old .xls workbook or a password-protected one; save it as .xlsx "
            "(Excel Workbook) without a password",
            "文件是旧版 .xls 格式或设置了密码。请在 Excel 中“另存为”.xlsx 格式（不设密码）后再导入。",
        )
    not_xlsx = RosterRejected("the file is not an .xlsx workbook", "文件不是 .xlsx 格式的 Excel 工作簿。")
    if not data.startswith(b"PK\x03\x04"):
        raise not_xlsx
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise not_xlsx from None
    if not any(e.filename == "xl/workbook.xml" for e in entries):
        raise not_xlsx
    if sum(e.file_size for e in entries) > MAX_UNCOMPRESSED_BYTES:
        raise RosterRejected(
            "the workbook unpacks to more than 32 MB; keep only the roster in it",
            "工作簿解压后超过32MB，请只保留花名册内容。",
            status=413,
        )


def _header_key(value: Any) -> str:
    text = "".join(str(value).split()).lower()
    for unit in ("（元）", "(元)", "/元", "元"):
        text = text.removesuffix(unit)
    return text


def _header_columns(cells: Iterable[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        key = _header_key(cell)
        for name, aliases in _HEADER_ALIASES.items():
            if key in aliases and name not in found:
                found[name] = index
    return found


def _find_header(workbook) -> tuple[Worksheet, int, dict[str, int]]:
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True)
        for number, cells in enumerate(rows, start=1):
            columns = _header_columns(cells)
            if "name" in columns and "amount_owed" in columns:
                return sheet, number, columns
    raise RosterRejected(
        f"no header row found in the first {HEADER_SEARCH_ROWS} rows: it needs the columns 姓名 and 欠薪金额 "
        "(身份证号 optional), or name and amount_owed (id_number optional)",
        f"前{HEADER_SEARCH_ROWS}行中没有找到表头：须有“姓名”“欠薪金额”两列（“身份证号”可选）。请使用花名册模板。",
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date().isoformat()
    text = str(value).strip()
    return text or None


def _amount(value: Any) -> Decimal | str | None:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # A typed 12000.55 comes back as the nearest binary float; anything finer than a fen is real.
        rounded = round(value, 2)
        return Decimal(str(rounded)) if abs(value - rounded) < 1e-6 else Decimal(repr(value))
    text = _text(value)
    if text is None:
        return None
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "").removesuffix("元")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return text  # left for WorkerIn to refuse with its own message


def _row_values(cells: tuple, columns: dict[str, int]) -> dict[str, Any]:
    return {name: cells[index] if index < len(cells) else None for name, index in columns.items()}


def _check_row(
    number: int, raw: dict[str, Any], columns: dict[str, int], seen_ids: dict[str, int], issues: list[RosterIssue]
) -> RosterRow:
    letter = {name: get_column_letter(index + 1) for name, index in columns.items()}
    candidate: dict[str, Any] = {}
    values: dict[str, str] = {}
    own: list[RosterIssue] = []
    name = _text(raw.get("name"))
    if name is not None:
        candidate["name"] = name
    id_cell = raw.get("id_number")
    if isinstance(id_cell, float):
        # Excel keeps 15 significant digits: an ID number typed into a number cell has lost its last ones.
        own.append(
            RosterIssue(
                number,
                letter.get("id_number"),
                "id_number",
                "the ID number is stored as a number, which loses its last digits; format the "
                "column as text and type it again",
                "身份证号被存成了数字，后几位已丢失。请把该列设为“文本”格式后重新录入。",
            )
        )
        values["id_number"] = _text(id_cell) or ""
    else:
        id_number = _text(id_cell)
        if id_number is not None:
            candidate["id_number"] = id_number
    for key in ("bank", "bank_account"):
        cell = raw.get(key)
        if key == "bank_account" and isinstance(cell, float):  # a long number in a number cell lost digits too
            own.append(
                RosterIssue(
                    number,
                    letter.get(key),
                    key,
                    "the account number is stored as a number, which loses its last digits; format the "
                    "column as text and type it again",
                    "银行账号被存成了数字，后几位已丢失。请把该列设为“文本”格式后重新录入。",
                )
            )
            values[key] = _text(cell) or ""
        elif (text := _text(cell)) is not None:
            candidate[key] = text
            values[key] = text
    amount = _amount(raw.get("amount_owed"))
    if amount is not None:
        candidate["amount_owed"] = amount
    values.setdefault("name", name or "")
    values.setdefault("id_number", candidate.get("id_number", ""))
    if isinstance(amount, Decimal) and amount.is_finite() and amount == amount.quantize(Decimal("0.01")):
        values["amount_owed"] = f"{amount:.2f}"
    else:
        values["amount_owed"] = "" if amount is None else str(amount)

    worker = None
    try:
        worker = WorkerIn.model_validate(candidate)
    except ValidationError as exc:
        for error in exc.errors():
            where = str(error["loc"][0]) if error.get("loc") else None
            own.append(
                RosterIssue(
                    number,
                    letter.get(where) if where else None,
                    where,
                    error["msg"].removeprefix("Value error, "),
                    None,
                    {k: error.get(k) for k in ("type", "msg", "ctx", "loc")},
                )
            )
    if worker is not None and worker.id_number:
        values["id_number"] = worker.id_number
        first = seen_ids.get(worker.id_number)
        if first is not None:
            own.append(
                RosterIssue(
                    number,
                    letter.get("id_number"),
                    "id_number",
                    f"the same ID number is already on row {first}",
                    f"与第{first}行的身份证号重复。",
                )
            )
        else:
            seen_ids[worker.id_number] = number
    if own:
        issues.extend(own)
        worker = None
    return RosterRow(number, values, worker)


def parse_roster(data: bytes) -> Roster:
    """Read a roster (.xlsx) and check every row; raises RosterRejected when the file as a whole won't do."""
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterRejected(
            f"the file is larger than {MAX_ROSTER_BYTES // (1024 * 1024)} MB",
            "文件超过2MB。请只保留花名册内容，或分成几个文件。",
            status=413,
        )
    _check_container(data)
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook; all mean the same here
        raise RosterRejected(
            "the workbook is damaged or not an Excel workbook", "无法读取该工作簿，文件可能已损坏。"
        ) from None
    try:
        return _read_rows(workbook)
    except RosterRejected:
        raise
    except Exception:
        raise RosterRejected(
            "the workbook is damaged or not an Excel workbook", "无法读取该工作簿，文件可能已损坏。"
        ) from None
    finally:
        workbook.close()


def _read_rows(workbook) -> Roster:
    sheet, header_row, columns = _find_header(workbook)
    roster = Roster(sheet=sheet.title)
    seen_ids: dict[str, int] = {}
    rows = sheet.iter_rows(min_row=header_row + 1, max_col=MAX_COLUMNS, values_only=True)
    for number, cells in enumerate(rows, start=header_row + 1):
        raw = _row_values(cells, columns)
        if all(_text(v) is None for v in raw.values()):
            continue  # blank rows are no workers
        if len(roster.rows) == MAX_ROSTER_ROWS:
            raise RosterRejected(
                f"the roster has more than {MAX_ROSTER_ROWS} workers; one complaint takes at "
                "most that many, so split it",
                f"花名册超过{MAX_ROSTER_ROWS}人。一起投诉最多登记{MAX_ROSTER_ROWS}人，请分开登记。",
            )
        roster.rows.append(_check_row(number, raw, columns, seen_ids, roster.issues))
    return roster

"""Early-warning office data in (.xlsx): a project's real-name roster, the bank's 代发 record of a payroll,
reports about employers. Read like the complaint roster (api/roster_sheets.py: size and zip caps, a header
row within the first rows, Chinese or English headers); each row is checked with the API's own model,
and any bad cell refuses the whole file with its row and column.
"""

from collections.abc import Callable
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError

from api.roster_sheets import (
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_ROSTER_BYTES,
    MAX_ROSTER_ROWS,
    RosterRejected,
    _amount,
    _check_container,
    _header_key,
    _text,
)

SIGNAL_KIND_NAMES = {
    "欠缴水电费": "utility_arrears",
    "水电欠费": "utility_arrears",
    "税务异常": "tax_abnormal",
    "账户冻结": "account_frozen",
    "银行账户冻结": "account_frozen",
    "拖欠租金": "rent_arrears",
    "拖欠场地租金": "rent_arrears",
    "涉诉": "litigation",
    "诉讼": "litigation",
}

ROSTER_COLUMNS = {
    "name": {"姓名", "name"},
    "id_number": {"身份证号", "身份证号码", "公民身份号码", "id_number"},
    "trade": {"工种", "trade"},
    "bank_account": {"工资卡号", "银行卡号", "工资卡", "bank_account"},
    "agreed_wage": {"约定工资", "月工资", "工资标准", "agreed_wage"},
}
PAYROLL_COLUMNS = {
    "name": {"姓名", "户名", "收款人", "name"},
    "id_number": {"身份证号", "身份证号码", "证件号码", "id_number"},
    "amount": {"实发金额", "金额", "代发金额", "实发工资", "交易金额", "amount"},
}
SIGNAL_COLUMNS = {
    "credit_code": {"统一社会信用代码", "信用代码", "credit_code"},
    "kind": {"类型", "异常类型", "kind"},
    "observed_at": {"发现时间", "日期", "observed_at"},
    "detail": {"情况说明", "说明", "detail"},
    "employer_name": {"企业名称", "单位名称", "employer_name"},
}
MONEY_FIELDS = {"agreed_wage", "amount"}


class SheetRejected(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None, status: int = 422):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status


def _read(data: bytes, columns: dict[str, set[str]], required: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    if len(data) > MAX_ROSTER_BYTES:
        raise SheetRejected("the file is larger than 2 MB", status=413)
    try:
        _check_container(data)
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except RosterRejected as err:
        raise SheetRejected(f"{err.message_zh} ({err.message})", status=err.status) from None
    except Exception:
        raise SheetRejected("the workbook is damaged or not an Excel workbook（无法读取该工作簿）") from None
    try:
        for sheet in workbook.worksheets:
            head = sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True)
            for number, cells in enumerate(head, start=1):
                found = {}
                for index, cell in enumerate(cells):
                    key = _header_key(cell) if cell is not None else ""
                    for name, aliases in columns.items():
                        if key in {a.lower() for a in aliases} and name not in found:
                            found[name] = index
                if all(r in found for r in required):
                    return _rows(sheet, number, found)
        names = "、".join(sorted(next(iter(columns[r])) for r in required))
        raise SheetRejected(
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows; it needs {names}"
            f"（前{HEADER_SEARCH_ROWS}行中没有找到表头，须有{names}）"
        )
    finally:
        workbook.close()


def _rows(sheet, header_row: int, found: dict[str, int]) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for number, cells in enumerate(
        sheet.iter_rows(min_row=header_row + 1, max_col=MAX_COLUMNS, values_only=True), start=header_row + 1
    ):
        raw = {name: cells[i] if i < len(cells) else None for name, i in found.items()}
        if all(_text(v) is None for v in raw.values()):
            continue
        if len(out) == MAX_ROSTER_ROWS:
            raise SheetRejected(f"more than {MAX_ROSTER_ROWS} rows; split the file")
        out.append((number, raw))
    return out


def _checked(
    rows: list[tuple[int, dict[str, Any]]], model: type[BaseModel], convert: Callable[[dict], dict] = lambda r: r
) -> list[dict]:
    good, errors = [], []
    for number, raw in rows:
        values = {
            k: (_amount(v) if k in MONEY_FIELDS else v if isinstance(v, datetime) else _text(v)) for k, v in raw.items()
        }
        values = {k: v for k, v in convert(values).items() if v is not None}
        try:
            good.append(model.model_validate(values).model_dump(exclude_unset=True))
        except ValidationError as err:
            for e in err.errors():
                name = str(e["loc"][0]) if e["loc"] else ""
                errors.append({"row": number, "field": name, "message": e["msg"]})
    if errors:
        raise SheetRejected(f"{len(errors)} cells are wrong; nothing was stored", errors)
    if not good:
        raise SheetRejected("the sheet has a header but no rows（表中没有数据行）")
    return good


def parse_roster_sheet(data: bytes) -> list[dict]:
    from api.routes.warnings import RosterWorkerIn

    return _checked(_read(data, ROSTER_COLUMNS, ("name", "id_number")), RosterWorkerIn)


def parse_payroll_sheet(data: bytes) -> list[dict]:
    from api.routes.warnings import PaidWorkerIn

    return _checked(_read(data, PAYROLL_COLUMNS, ("name", "amount")), PaidWorkerIn)


def parse_signal_sheet(data: bytes) -> list[dict]:
    from api.routes.signals import SignalIn

    def convert(values: dict) -> dict:
        kind = values.get("kind")
        if kind in SIGNAL_KIND_NAMES:
            values["kind"] = SIGNAL_KIND_NAMES[kind]
        return values

    return _checked(_read(data, SIGNAL_COLUMNS, ("credit_code", "kind")), SignalIn, convert=convert)

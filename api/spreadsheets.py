"""Office data as .xlsx (openpyxl): worker rosters (花名册) in; case lists and monthly reports out.

A roster is checked row by row with the API's own rules (api.schemas.WorkerIn), so a row that passes
here passes when the complaint is registered; the report names each bad cell by its row and column as
Excel shows them. Uploaded files are untrusted: size, zip expansion and row count are capped before
and while reading, and openpyxl parses XML through defusedxml.
"""

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from api.schemas import WorkerIn
from domain.calendar import CHINA_TZ

MAX_ROSTER_BYTES = 2 * 1024 * 1024
MAX_ROSTER_ROWS = 5000  # as many workers as one complaint takes (api.schemas.CaseCreate)
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024  # a 2 MB .xlsx of 5000 rows unpacks to a few MB
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common
MAX_COLUMNS = 50
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
MONEY = "#,##0.00"
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE5F0")


# ---- roster in -------------------------------------------------------------------------------------


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


# ---- workbooks out ---------------------------------------------------------------------------------

# Text that Excel or LibreOffice would take for a formula (or a DDE command) when it starts a cell, in the
# file or once someone edits the cell: openpyxl itself stores a string starting with "=" as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write `value` into a cell; text always stays text (typed data is never a formula)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # a string cell, not <f>
        cell.quotePrefix = True  # and the spreadsheet keeps it text when the cell is edited
    return cell


def _display_width(value: Any, number_format: str) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, (Decimal, float)) and number_format in (MONEY, PERCENT):
        return len(f"{value:,.2f}")
    text = str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are two columns wide


def _write_table(
    sheet: Worksheet,
    headers: list[tuple[str, str | None]],
    rows: Iterable[list[Any]],
    *,
    first_row: int = 1,
    max_width: int = 50,
) -> None:
    """Headers (text, number format of the column) and rows from `first_row`, with sensible widths."""
    widths = [_display_width(text, "") for text, _ in headers]
    for col, (text, _) in enumerate(headers, start=1):
        cell = put(sheet, first_row, col, text)
        cell.font, cell.fill = _HEAD_FONT, _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    row_number = first_row
    for row_number, values in enumerate(rows, start=first_row + 1):
        for col, value in enumerate(values, start=1):
            fmt = headers[col - 1][1]
            cell = put(sheet, row_number, col, value)
            if fmt:
                cell.number_format = fmt
            widths[col - 1] = max(widths[col - 1], _display_width(value, fmt or ""))
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 6), max_width)
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)


def _local(value: datetime | None) -> datetime | None:
    """An instant as China time without an offset (Excel has no time zones)."""
    return value.astimezone(CHINA_TZ).replace(tzinfo=None) if value else None


def _saved(workbook: Workbook) -> bytes:
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def roster_template() -> bytes:
    """An empty roster with the Chinese headers, the ID column as text, and a sheet of instructions."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    _write_table(
        sheet,
        [
            ("序号", None),
            (ROSTER_HEADERS["name"], None),
            (ROSTER_HEADERS["id_number"], "@"),
            ("欠薪金额（元）", MONEY),
            (ROSTER_HEADERS["bank"], None),
            (ROSTER_HEADERS["bank_account"], "@"),
        ],
        [],
    )
    for row in range(2, 502):
        sheet.cell(row=row, column=3).number_format = "@"  # text: Excel would round an 18-digit number
        sheet.cell(row=row, column=4).number_format = MONEY
        sheet.cell(row=row, column=6).number_format = "@"  # an account number too
    widths = {"A": 6, "B": 14, "C": 24, "D": 16, "E": 20, "F": 26}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    notes = workbook.create_sheet("填写说明")
    for row, text in enumerate(
        [
            "农民工花名册填写说明",
            "1. 第一行为表头，请勿修改“姓名”“身份证号”“欠薪金额（元）”三列的名称；“序号”等其他列可有可无。",
            "2. 每行一名农民工；姓名和欠薪金额必填，身份证号为18位（最后一位可以是X），不清楚的可空着。",
            "3. 身份证号一列已设为文本格式，请勿改为数字，否则后几位会丢失。",
            "4. 欠薪金额以元为单位，最多两位小数，如 12000 或 12000.50。",
            f"5. 一个文件最多{MAX_ROSTER_ROWS}人，大小不超过2MB；导入后系统逐行检查，并列出有误的行和列。",
        ],
        start=1,
    ):
        put(notes, row, 1, text).font = _HEAD_FONT if row == 1 else Font()
    notes.column_dimensions["A"].width = 100
    return _saved(workbook)


CASE_LIST_HEADERS: list[tuple[str, str | None]] = [
    ("案件编号", None),
    ("阶段", None),
    ("承办单位", None),
    ("乡镇", None),
    ("投诉渠道", None),
    ("收到时间", DATETIME),
    ("用人单位", None),
    ("统一社会信用代码", None),
    ("工程项目", None),
    ("投诉人", None),
    ("投诉人电话", None),
    ("涉及人数", "0"),
    ("投诉金额（元）", MONEY),
    ("认定拖欠金额（元）", MONEY),
    ("已追回金额（元）", MONEY),
    ("下一办理期限", DATETIME),
    ("是否逾期", None),
    ("是否督办", None),
    ("重大案件", None),
    ("结案时间", DATETIME),
]


@dataclass(frozen=True)
class CaseListRow:
    """One exported case, with the labels already in Chinese and personal data masked as needed."""

    case_no: str
    stage: str
    lead_unit: str
    township: str
    channel: str
    received_at: datetime
    employer_name: str
    employer_credit_code: str | None
    project_name: str | None
    complainant_name: str
    complainant_phone: str | None
    workers_count: int
    amount_claimed: Decimal
    amount_owed: Decimal | None
    amount_recovered: Decimal
    next_deadline_at: datetime | None
    overdue: bool
    escalated: bool
    major: bool
    closed_at: datetime | None


def case_list_xlsx(rows: Iterable[CaseListRow], *, title: str, conditions: str, generated_at: datetime) -> bytes:
    """The case list as a workbook: a title, the filters used, then one row per case."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "案件清单"
    yes = {True: "是", False: "否"}
    data = [
        [
            r.case_no,
            r.stage,
            r.lead_unit,
            r.township,
            r.channel,
            _local(r.received_at),
            r.employer_name,
            r.employer_credit_code,
            r.project_name,
            r.complainant_name,
            r.complainant_phone,
            r.workers_count,
            r.amount_claimed,
            r.amount_owed,
            r.amount_recovered,
            _local(r.next_deadline_at),
            yes[r.overdue],
            yes[r.escalated],
            yes[r.major],
            _local(r.closed_at),
        ]
        for r in rows
    ]
    put(sheet, 1, 1, title).font = Font(bold=True, size=14)
    put(sheet, 2, 1, f"{conditions}　共 {len(data)} 件　导出时间：{_local(generated_at):%Y-%m-%d %H:%M}")
    _write_table(sheet, CASE_LIST_HEADERS, data, first_row=3, max_width=40)
    sheet.auto_filter.ref = f"A3:{get_column_letter(len(CASE_LIST_HEADERS))}{len(data) + 3}"
    return _saved(workbook)


MONTHLY_HEADERS: list[tuple[str, str | None]] = [
    ("本月受理（件）", "0"),
    ("本月办结（件）", "0"),
    ("本年累计受理（件）", "0"),
    ("本年累计办结（件）", "0"),
    ("结案率", PERCENT),
    ("是否达标", None),
    ("本月逾期（件）", "0"),
    ("本月督办（件）", "0"),
    ("本月投诉金额（元）", MONEY),
    ("本月追回金额（元）", MONEY),
]
MONTHLY_NOTES = [
    "口径说明：",
    "本月受理：本月收到的投诉（以收到投诉时间计，北京时间）；本月办结：本月结案的案件。",
    "结案率：本年1月1日至月末受理的案件中，截至月末已办结的比例；目标 {target}。",
    "本月逾期：本月有法定办理期限届满未办结的案件；本月督办：本月被督办的案件。",
    "本月投诉金额：本月受理案件的投诉金额；本月追回金额：本月实际支付给农民工的工资（含保证金、垫付等各种来源）。",
    "按单位统计以当前承办单位计，按乡镇统计以工程项目所在乡镇计。",
]


def _figure_row(figures, target: float) -> list[Any]:
    rate = figures.closure_rate
    verdict = "—" if rate is None else ("达标" if rate >= target else "未达标")
    return [
        figures.received,
        figures.closed,
        figures.ytd_received,
        figures.ytd_closed,
        rate,
        verdict,
        figures.overdue,
        figures.escalated,
        figures.claimed,
        figures.recovered,
    ]


def monthly_xlsx(
    report,
    *,
    county: str,
    target: float,
    name_of: Callable[[str], str],
    trend: list[dict],
    snapshot: dict,
    generated_at: datetime,
) -> bytes:
    """The monthly statistics report: summary, by unit, by township, and the last twelve months."""
    year, month = report.month[:4], int(report.month[5:])
    title = f"{county}根治拖欠农民工工资案件月度统计报表（{year}年{month}月）"
    workbook = Workbook()

    summary = workbook.active
    summary.title = "汇总"
    put(summary, 1, 1, title).font = Font(bold=True, size=14)
    put(
        summary,
        2,
        1,
        f"统计期间：{report.start:%Y-%m-%d} 至 {report.end:%Y-%m-%d}（不含）　"
        f"导出时间：{_local(generated_at):%Y-%m-%d %H:%M}",
    )
    _write_table(summary, [("项目", None), ("数值", None)], [], first_row=4)
    lines: list[tuple[str, Any, str | None]] = [
        ("本月受理（件）", report.county.received, "0"),
        ("本月办结（件）", report.county.closed, "0"),
        ("本年累计受理（件）", report.county.ytd_received, "0"),
        ("本年累计办结（件）", report.county.ytd_closed, "0"),
        ("结案率", report.county.closure_rate, PERCENT),
        ("结案率目标", target, PERCENT),
        ("本月逾期（件）", report.county.overdue, "0"),
        ("本月督办（件）", report.county.escalated, "0"),
        ("本月投诉金额（元）", report.county.claimed, MONEY),
        ("本月追回金额（元）", report.county.recovered, MONEY),
        ("截至导出时：案件总数（件）", snapshot["total"], "0"),
        ("截至导出时：已结案（件）", snapshot["closed"], "0"),
        ("截至导出时：结案率", snapshot["closure_rate"], PERCENT),
        ("截至导出时：逾期未办结（件）", snapshot["overdue"], "0"),
        ("截至导出时：曾被督办（件）", snapshot["escalated"], "0"),
    ]
    for row, (label, value, fmt) in enumerate(lines, start=5):
        put(summary, row, 1, label)
        cell = put(summary, row, 2, "—" if value is None else value)
        if fmt and value is not None:
            cell.number_format = fmt
    summary.column_dimensions["A"].width = 30
    summary.column_dimensions["B"].width = 18
    notes_at = len(lines) + 6
    for offset, text in enumerate(MONTHLY_NOTES):
        put(summary, notes_at + offset, 1, text.format(target=f"{target:.0%}"))

    for sheet_title, first_header, groups in (
        ("按单位", "承办单位", report.by_unit),
        ("按乡镇", "乡镇", report.by_township),
    ):
        sheet = workbook.create_sheet(sheet_title)
        ordered = sorted(groups.items(), key=lambda item: (-item[1].ytd_received, name_of(item[0])))
        rows = [[name_of(code), *_figure_row(figures, target)] for code, figures in ordered]
        rows.append(["合计", *_figure_row(report.county, target)])
        _write_table(sheet, [(first_header, None), *MONTHLY_HEADERS], rows)
        for cell in sheet[sheet.max_row]:
            cell.font = _HEAD_FONT

    months = workbook.create_sheet("近12个月")
    _write_table(
        months,
        [("月份", None), ("受理（件）", "0"), ("投诉金额（元）", MONEY), ("追回金额（元）", MONEY)],
        [[m["month"], m["cases"], m["claimed"], m["recovered"]] for m in trend],
    )
    return _saved(workbook)

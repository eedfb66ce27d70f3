"""Office data out as .xlsx (openpyxl): the roster template, case lists and monthly reports. Every text cell
is written as text (`put`), never as a formula. Rosters coming in are read by api/roster_sheets.py.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from api.roster_sheets import MAX_ROSTER_ROWS, ROSTER_HEADERS
from domain.calendar import CHINA_TZ

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MONEY = "#,##0.00"
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"
_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDE5F0")


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

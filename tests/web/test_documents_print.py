"""Chromium prints each document on one A4 page too (a clerk prints from the browser as often as from the PDF)."""

import shutil
import subprocess

import pytest

from documents import render_document
from documents.context import document_context
from tests.activities.document_cases import JURISDICTION, every_document

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which("pdfinfo"), reason="poppler-utils (pdfinfo) is not installed"),
]


def pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "pts (A4)" in info, info  # Skia rounds A4 to whole CSS pixels: 594.96 x 841.92
    return int(info.split("Pages:")[1].split()[0])


def test_every_form_prints_on_one_a4_page_in_chromium(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    seen, counts = set(), {}
    try:
        for item in every_document():
            key = (item.state.case_no, item.request.kind)
            if key in seen:
                continue
            seen.add(key)
            page.set_content(
                render_document(item.request.kind, document_context(item.state, item.request, JURISDICTION, item.now))
            )
            counts[key] = pages(page.pdf(prefer_css_page_size=True, print_background=True))
    finally:
        context.close()
    annexed = {key for key in counts if key[1] == "deposit_payout"}  # twelve workers: the list is an annex
    assert {key: n for key, n in counts.items() if key not in annexed and n != 1} == {}
    assert all(counts[key] == 2 for key in annexed)

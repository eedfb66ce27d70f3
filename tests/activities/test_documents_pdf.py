"""Every kind of document renders to an A4 PDF with its Chinese text in Noto CJK (WeasyPrint + Pango)."""

import shutil
import subprocess

import pytest

from documents import DOCUMENT_KINDS, render_document
from documents.pdf import pdf_available, render_pdf
from tests.activities.test_documents import context_for

pytestmark = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint or Debian's Pango is not installed")
POPPLER = shutil.which("pdfinfo") and shutil.which("pdftotext") and shutil.which("pdffonts")


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    """Each kind's sample document as PDF (rendered once for the module: about half a second each)."""
    return {kind: render_pdf(render_document(kind, context_for(kind))) for kind in DOCUMENT_KINDS}


def poppler(tool: str, pdf: bytes) -> str:
    return subprocess.run(
        [tool, "-", "-"] if tool == "pdftotext" else [tool, "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_every_kind_is_a_pdf(pdfs):
    for kind, pdf in pdfs.items():
        assert pdf.startswith(b"%PDF-1."), kind
        assert pdf.rstrip().endswith(b"%%EOF"), kind
        assert len(pdf) > 10_000, kind  # embedded font subsets; an empty page is ~1 KB
    assert len(set(pdfs.values())) == len(pdfs)


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfinfo, pdftotext, pdffonts) is not installed")
@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_one_a4_page_with_the_chinese_text_in_noto_cjk(pdfs, kind):
    pdf = pdfs[kind]
    info = poppler("pdfinfo", pdf)
    pages = int(info.split("Pages:")[1].split()[0])
    assert pages == 1, f"{kind}: {pages} pages"  # each form fits one A4 page
    assert "595.276 x 841.89 pts (A4)" in info
    text = "".join(poppler("pdftotext", pdf).split())
    context = context_for(kind)
    for expected in (DOCUMENT_KINDS[kind], context["issuer"], context["case_no"], "（印章）"):
        assert "".join(expected.split()) in text, f"{kind}: {expected!r} missing from the PDF text"
    fonts = poppler("pdffonts", pdf)
    assert "Noto-Serif-CJK-SC" in fonts or "NotoSerifCJKsc" in fonts, fonts
    embedded = [line.split()[-5] for line in fonts.splitlines()[2:]]
    assert embedded and set(embedded) == {"yes"}, fonts  # fonts travel with the file


def test_nothing_is_fetched_while_rendering(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("不应出现")
    html = (
        f'<html lang="zh-CN"><head><link rel="stylesheet" href="file://{secret}"></head><body>'
        f'<p>正文</p><iframe src="file://{secret}"></iframe><img src="file://{secret}"></body></html>'
    )
    pdf = render_pdf(html)
    if POPPLER:
        text = poppler("pdftotext", pdf)
        assert "正文" in text and "不应出现" not in text

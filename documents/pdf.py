"""PDF copies of the official documents, made from their stored HTML with WeasyPrint (Pango underneath).

WeasyPrint is imported on first use: a machine without Debian's Pango still serves every document as
HTML, and only the PDF download says it is unavailable.

Fonts: the templates ask first for the official faces (仿宋, 黑体, 方正小标宋), which a Linux server rarely
has, then for Noto Serif/Sans CJK SC (Debian's fonts-noto-cjk). Fontconfig resolves those names, and
the documents' lang="zh-CN" makes Pango pick the simplified-Chinese glyphs for any fallback.
"""

from __future__ import annotations

import threading
from functools import cache

_lock = threading.Lock()  # one rendering at a time: it is CPU-bound, and fontconfig is not thread-safe


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) are not installed."""


@cache
def _weasyprint():
    try:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: the Python package is there but libpango is not
        raise PdfUnavailable(
            f"PDF output needs WeasyPrint and Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        ) from exc
    # A document is self-contained: nothing may be fetched from files or the network while rendering it.
    return weasyprint, FontConfiguration(), URLFetcher(allowed_protocols=())


def pdf_available() -> bool:
    """Whether PDFs can be made on this machine."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def render_pdf(html: str) -> bytes:
    """An A4 PDF of a rendered document (its print CSS applies); raises PdfUnavailable without WeasyPrint."""
    weasyprint, fonts, no_fetching = _weasyprint()
    with _lock:
        return weasyprint.HTML(string=html, url_fetcher=no_fetching).write_pdf(font_config=fonts)

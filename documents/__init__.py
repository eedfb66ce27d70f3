"""Official documents (公文) of a case, rendered from Jinja2 templates in zh-CN for A4 printing."""

from documents.render import (
    DOCUMENT_KINDS,
    MISSING,
    SERVED_KINDS,
    UNMASKED_KINDS,
    content_hash,
    render_document,
)

__all__ = ["DOCUMENT_KINDS", "MISSING", "SERVED_KINDS", "UNMASKED_KINDS", "content_hash", "render_document"]

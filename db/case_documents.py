"""A case's issued documents (公文) in the database: stored once each as the workflow issues them, listed
and read by the API. The table is db.cases.Document."""

from sqlalchemy import insert
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from db.cases import Document, compressed_html
from db.types import utcnow


def store_document(
    *, session: Session, case_no: str, seq: int, kind: str, title: str, content_hash: str, html: str
) -> Document:
    """Store an issued document once; an existing one (same case and seq) is returned unchanged."""
    existing = get_document(session=session, case_no=case_no, seq=seq)
    if existing is not None:
        return existing
    doc = Document(
        case_no=case_no, seq=seq, kind=kind, title=title, content_hash=content_hash, html_zlib=compressed_html(html)
    )
    session.add(doc)
    session.flush()
    return doc


def store_documents(*, session: Session, case_no: str, documents: list[dict]) -> None:
    """Store a step's issued documents (dicts of seq, kind, title, content_hash, html) once each: those whose
    seq is stored already are left unchanged. One query and one insert for them all."""
    if not documents:
        return
    seqs = [d["seq"] for d in documents]
    known = set(session.exec(select(Document.seq).where(Document.case_no == case_no, col(Document.seq).in_(seqs))))
    now = utcnow()
    rows = [
        {"case_no": case_no, "issued_at": now, **{k: v for k, v in d.items() if k != "html"}}
        | {"html_zlib": compressed_html(d["html"])}
        for d in documents
        if d["seq"] not in known
    ]
    if rows:
        session.execute(insert(Document), rows)


def get_document(*, session: Session, case_no: str, seq: int) -> Document | None:
    """One issued document of a case."""
    return session.exec(select(Document).where(Document.case_no == case_no, Document.seq == seq)).first()


def document_list(*, session: Session, case_no: str) -> list[Document]:
    """A case's issued documents in order, without their HTML (what a case's detail lists of them)."""
    query = select(Document).where(Document.case_no == case_no).order_by(col(Document.seq))
    return list(session.exec(query.options(defer(Document.html_text), defer(Document.html_zlib))))  # type: ignore[arg-type]

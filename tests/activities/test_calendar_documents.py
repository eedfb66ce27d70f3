"""A document that prints a date counted on a provisional year says so: （暂定）."""

from activities.cases import document_context
from documents import render_document
from domain.lifecycle import DocumentRequest
from tests.domain.test_enforcement import JURISDICTION, T0, ordered_case


def test_order_and_referral_print_provisional_dates_as_such():
    state = ordered_case()
    order = state.open_deadline("order_payment")
    seq = next(d.seq for d in state.documents if d.kind == "order_to_pay")
    request = DocumentRequest(seq, "order_to_pay", {"amount": "36000"})
    assert "（暂定）" not in render_document("order_to_pay", document_context(state, request, JURISDICTION, T0))
    order.provisional = True
    html = render_document("order_to_pay", document_context(state, request, JURISDICTION, T0))
    assert "（暂定）" in html
    ack = state.deadlines[0]
    ack.provisional = True
    ctx = document_context(state, DocumentRequest(2, "referral", {"to_unit": state.lead_unit}), JURISDICTION, T0)
    assert ctx["acknowledge_due"].endswith("（暂定）")

"""The enforcement documents rendered from real ladder states: payout notice, transfer, reminder, dispatch."""

from datetime import timedelta
from decimal import Decimal

from documents import render_document
from documents.context import doc_no, document_context
from domain.model import SYSTEM, Actor, WorkerClaim
from tests.domain.test_enforcement import JURISDICTION, T0, do, enforce, ordered_case

NOW = T0 + timedelta(days=8)


def render(state, req):
    return render_document(req.kind, document_context(state, req, JURISDICTION, NOW))


def test_payout_notice_lists_each_worker_share_of_the_drawdown():
    state = ordered_case(with_project=True)
    state.intake.workers[0] = WorkerClaim("王建军", "11010119900307663X", state.intake.workers[0].amount_owed)
    docs = enforce(state, drawn="30000")
    assert [d.kind for d in docs] == ["deposit_payout", "court_reminder"]  # 6,000 left: below the threshold
    html = render(state, docs[0])
    assert "工资保证金支付通知书" in html and "中国农业银行代县支行" in html
    assert "¥30,000.00（大写：人民币叁万元整）" in html and "¥10,000.00" in html  # three equal claims share it
    assert "11010119900307663X" in html and "110101********663X" not in html  # the bank needs the full number
    assert "滨河小区" in html


def test_police_transfer_names_the_police_and_the_facts():
    state = ordered_case(months=4)
    enforce(state)
    [req] = do(state, "approve_police_referral", Actor("h", "unit_head", "hrss"), NOW)
    html = render(state, req)
    assert "涉嫌犯罪案件移送书" in html and "代县公安局：" in html and "¥36,000.00（大写：人民币叁万陆仟元整）" in html
    assert "追诉标准" in html  # the proposal's reason is among the facts


def test_court_reminder_cites_the_order_and_the_reply_period():
    state = ordered_case(with_project=True)
    [req] = enforce(state)  # a project without a deposit
    html = render(state, req)
    order = next(d for d in state.documents if d.kind == "order_to_pay")
    assert "催告书" in html and doc_no(JURISDICTION, state, order.seq, "order_to_pay") in html
    assert f"〔2026〕9-{order.seq}号" in html
    assert "10个工作日" in html and "某建筑公司：" in html  # addressed to the general contractor ordered


def test_major_case_dispatch_reports_the_state_to_the_leader():
    state = ordered_case()
    [req] = do(state, "assign_leader", Actor("o", "supervisor", "hrss"), NOW, leader="县政府分管副县长")
    html = render(state, req)
    assert "重大欠薪案件调度单" in html and "县政府分管副县长" in html
    assert "限期支付" in html and "尚欠¥36,000.00" in html
    assert state.next_dispatch_at is not None
    [again] = do(state, "major_dispatch", SYSTEM, state.next_dispatch_at)
    assert again.seq == req.seq + 1 and Decimal(state.outstanding) == Decimal("36000")


def test_the_reminder_of_procedure_3_enforces_the_decision_once_its_windows_passed():
    from tests.domain.test_court_route import at, on_court_route, tick
    from tests.domain.test_court_route import do as do3

    state = on_court_route()
    tick(state, at(194))
    [req] = do3(state, "serve_court_reminder", now=at(195))
    html = render_document(req.kind, document_context(state, req, JURISDICTION, at(195)))
    decision = next(d for d in state.documents if d.kind == "payment_decision")
    assert doc_no(JURISDICTION, state, decision.seq, "payment_decision") in html and "行政处理决定书" in html
    assert "未申请行政复议或者提起行政诉讼" in html and "第五十三条、第五十四条" in html and "第三十五条" not in html

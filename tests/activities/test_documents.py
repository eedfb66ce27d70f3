"""Tests of the official documents (公文): every kind renders, escapes, and stays self-contained."""

import hashlib
import re

import pytest

from documents import DOCUMENT_KINDS, MISSING, content_hash, render_document

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

COMMON = {
    "jurisdiction_name": "代县人民政府",
    "issuer": "代县人力资源和社会保障局",
    "case_no": "DX-2026-000123",
    "issued_on": "2026年3月2日",
    "doc_no": "代欠薪令〔2026〕123-4号",
}

CONTEXTS = {
    "receipt": {
        "complainant_name": "王建军",
        "channel_label": "12345热线",
        "received_at": "2026年3月2日9时15分",
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "project_name": "阳明堡镇安置小区3号楼",
        "workers_count": 12,
        "amount_claimed": "¥36,000.00（大写：人民币叁万陆仟元整）",
        "lead_unit_name": "代县住房和城乡建设管理局",
        "acknowledge_due": "2026年3月9日",
        "hotline": "12333",
    },
    "referral": {
        "to_unit_name": "代县住房和城乡建设管理局",
        "from_unit_name": "代县信访局",
        "routing_reason": "房屋建筑工程，由住建局牵头处理",
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "project_name": "阳明堡镇安置小区3号楼",
        "amount_claimed": "¥36,000.00（大写：人民币叁万陆仟元整）",
        "workers_count": 12,
        "acknowledge_due": "2026年3月9日",
        "co_units_text": "代县人力资源和社会保障局",
        "basis": "代县人民政府办公室《关于根治拖欠农民工工资问题的通知》一(三)",
        "description": "12名木工反映2025年10月至12月工资未发放。\n项目已于2026年1月停工。",
    },
    "order_to_pay": {
        "role_phrase": "你单位作为阳明堡镇安置小区3号楼项目的施工总承包单位",
        "liable_party_name": "山西晋北建设工程有限公司",
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "amount": "¥36,000.00（大写：人民币叁万陆仟元整）",
        "workers_count": 12,
        "due_at": "2026年3月16日",
        "facts": "忻州市恒达建筑劳务有限公司拖欠12名农民工2025年10月至12月工资共计¥36,000.00，经核对考勤表和工资表属实。",
    },
    "payment_decision": {
        "role_phrase": "你单位作为阳明堡镇安置小区3号楼项目的施工总承包单位",
        "liable_party_name": "山西晋北建设工程有限公司",
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "amount": "¥36,000.00（大写：人民币叁万陆仟元整）",
        "workers_count": 12,
        "due_at": "2026年3月30日",
        "facts": "忻州市恒达建筑劳务有限公司拖欠12名农民工工资共计¥36,000.00。",
        "order_ref": "《劳动保障监察限期改正指令书》（代欠薪令〔2026〕1-3号）",
        "order_issued_on": "2026年3月2日",
        "compensation": "¥18,000.00（大写：人民币壹万捌仟元整）",
        "percent": "50",
    },
    "result_notice": {
        "complainant_name": "王建军",
        "received_at": "2026年3月2日9时15分",
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "outcome_label": "已足额支付",
        "amount_owed": "¥36,000.00",
        "amount_recovered": "¥36,000.00（大写：人民币叁万陆仟元整）",
        "closed_on": "2026年3月20日",
        "summary": "2026年3月14日山西晋北建设工程有限公司支付¥36,000.00。累计追回¥36,000.00，已全部支付到位。",
    },
    "escalation": {
        "to_unit_name": "代县住房和城乡建设管理局",
        "level_label": "领导小组办公室",
        "deadline_label": "签收受理",
        "due_at": "2026年3月9日17时30分",
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "overdue_text": "已超期2个工作日",
        "basis": "关于实施《劳动保障监察条例》若干规定第十八条",
        "request": "立即签收受理并于3个工作日内报送调查进展。",
    },
    "deposit_payout": {
        "bank": "中国农业银行代县支行",
        "project_name": "阳明堡镇安置小区3号楼",
        "amount": "¥8,000.00（大写：人民币捌仟元整）",
        "total": "¥8,000.00",
        "general_contractor": "山西晋北建设工程有限公司",
        "workers": [
            {
                "name": "王建军",
                "id_number": "142223199001011234",
                "bank": "中国农业银行代县支行",
                "bank_account": "6228480123456001171",
                "amount": "¥3,000.00",
            },
            {
                "name": "李二保",
                "id_number": "142223198805055678",
                "bank": "山西代县农村商业银行",
                "bank_account": "6230910123456789012",
                "amount": "¥5,000.00",
            },
        ],
        "payout_due": "2026年3月25日",
    },
    "police_transfer": {
        "employer_name": "忻州市恒达建筑劳务有限公司",
        "amount": "¥36,000.00（大写：人民币叁万陆仟元整）",
        "workers_count": 12,
        "facts": "该单位法定代表人于2026年3月10日起无法联系，责令支付文书已张贴送达并录像留证。",
        "order_due_at": "2026年3月16日",
        "to_unit_name": "代县公安局",
    },
    "court_reminder": {
        "liable_party_name": "忻州市恒达建筑劳务有限公司",
        "amount": "¥18,000.00（大写：人民币壹万捌仟元整）",
        "decision_ref": "代人社监罚决字〔2026〕7号行政处理决定",
        "reply_days": 10,
    },
    "major_case_dispatch": {
        "leader_title": "县政府副县长",
        "status_text": "涉及农民工86人、金额124万元，已动用工资保证金支付40万元。\n公安机关已立案侦查。",
        "next_dispatch_at": "2026年3月27日",
    },
    "blacklist_notice": {
        "employer_name": "山西某劳务有限公司",
        "credit_code": "91140923MA0K1234X5",
        "grounds": "责令支付期限届满仍未支付，拖欠数额达到拒不支付劳动报酬罪数额标准",
        "objection_due": "2026年12月7日",
        "years": 3,
    },
    "blacklist_decision": {
        "employer_name": "山西某劳务有限公司",
        "credit_code": "91140923MA0K1234X5",
        "listed_on": "2026年12月30日",
        "until": "2029年12月30日",
    },
    "service_record": {
        "served_title": "劳动保障监察限期改正指令书",
        "served_doc_no": "代欠薪令〔2026〕123-4号",
        "addressee": "山西晋北建设工程有限公司",
        "methods": [{"label": "直接送达", "ticked": True}, {"label": "邮寄送达", "ticked": False}],
        "place": "代县上馆镇建设街18号",
        "recipient": "赵建国（办公室主任）",
        "witness": "刘爱民",
        "server": "张志强、李文华",
        "served_at": "2026年3月9日10时05分",
    },
    "non_acceptance": {
        "complainant_name": "王建军",
        "employer_name": "代县某建筑劳务有限公司",
        "received_at": "2026年3月2日9时00分",
        "arrears_ended_on": "2023年6月30日",
        "limitation_text": "24个月",
        "reason": "所反映的欠薪行为于2023年6月30日终了，至收到投诉时已逾2年",
    },
}

# One free-text key per kind that a complainant or caseworker could fill with anything.
HOSTILE_KEYS = {
    "receipt": "complainant_name",
    "referral": "description",
    "order_to_pay": "facts",
    "payment_decision": "facts",
    "result_notice": "complainant_name",
    "escalation": "request",
    "deposit_payout": "project_name",
    "police_transfer": "employer_name",
    "court_reminder": "decision_ref",
    "major_case_dispatch": "status_text",
    "blacklist_notice": "employer_name",
    "blacklist_decision": "employer_name",
    "service_record": "place",
    "non_acceptance": "reason",
}


def context_for(kind: str, **overrides) -> dict:
    return {**COMMON, **CONTEXTS[kind], **overrides}


def test_every_kind_has_a_test_context():
    assert set(CONTEXTS) == set(DOCUMENT_KINDS) == set(HOSTILE_KEYS)


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_renders_a_complete_document(kind):
    html = render_document(kind, context_for(kind))
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    assert '<meta charset="utf-8">' in html
    assert "@page" in html and "A4" in html
    assert f'<h1 class="title">{DOCUMENT_KINDS[kind]}</h1>' in html
    assert COMMON["case_no"] in html
    assert COMMON["doc_no"] in html
    assert COMMON["issued_on"] in html
    assert "（印章）" in html
    assert MISSING not in html.split("<body>", 1)[1]  # a full context leaves nothing blank


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_hostile_text_is_escaped(kind):
    html = render_document(kind, context_for(kind, **{HOSTILE_KEYS[kind]: HOSTILE}))
    assert HOSTILE_ESCAPED in html
    assert HOSTILE not in html
    assert "<script" not in html.lower()


@pytest.mark.parametrize("kind", sorted(DOCUMENT_KINDS))
def test_no_external_resources(kind):
    html = render_document(kind, context_for(kind)).lower()
    for forbidden in ("http://", "https://", "<link", "<script", "src=", "@import", "url("):
        assert forbidden not in html


def test_case_specific_values_appear():
    html = render_document("receipt", context_for("receipt"))
    assert "忻州市恒达建筑劳务有限公司" in html
    assert "¥36,000.00（大写：人民币叁万陆仟元整）" in html
    assert "12人" in html
    assert "12333" in html
    order = render_document("order_to_pay", context_for("order_to_pay"))
    assert "第二十六条" in order and "第八十五条" in order
    assert "六十日" in order and "六个月" in order
    assert "向代县人民政府申请行政复议" in order


def test_deposit_payout_lists_each_worker_unmasked_with_the_bank_account():
    html = render_document("deposit_payout", context_for("deposit_payout"))
    first = html.index("142223199001011234")
    second = html.index("142223198805055678")
    assert first < second < html.index("6230910123456789012")
    assert "中国农业银行代县支行" in html and "¥5,000.00" in html
    assert len(re.findall(r'<td class="center">\d+</td>', html)) == 2
    assert '<section class="annex">' not in html  # two workers: the list is part of the notice


def test_deposit_payout_marks_what_the_bank_still_needs():
    workers = [
        {"name": "王建军", "id_number": None, "bank": "", "bank_account": None, "amount": "¥3,000.00"},
        {
            "name": "李二保",
            "id_number": "142223198805055678",
            "bank": "山西代县农村商业银行",
            "bank_account": "6230910123456789012",
            "amount": "¥5,000.00",
        },
    ]
    html = render_document("deposit_payout", context_for("deposit_payout", workers=workers))
    assert html.count(">未登记</td>") == 3 and "序号1的身份证号码或银行账户尚未登记" in html
    assert "<td>—</td>" not in html


def test_a_long_roster_follows_the_deposit_notice_as_its_annex():
    workers = [
        {
            "name": f"工人{i}",
            "id_number": f"14222319900101{i:04d}",
            "bank": "中国农业银行代县支行",
            "bank_account": f"62284801234560{i:05d}",
            "amount": "¥1,000.00",
        }
        for i in range(9)
    ]
    html = render_document("deposit_payout", context_for("deposit_payout", workers=workers))
    assert "附件所列款项" in html and '<section class="annex">' in html
    assert html.index("（印章）") < html.index("农民工工资支付明细表</h2>") < html.index("工人8")


def test_multi_line_text_becomes_paragraphs():
    html = render_document("major_case_dispatch", context_for("major_case_dispatch"))
    assert '<p class="text">公安机关已立案侦查。</p>' in html


@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_optional_key_renders_dash(value):
    context = context_for("receipt")
    del context["project_name"]
    context["hotline"] = value
    html = render_document("receipt", context)
    assert "阳明堡镇安置小区3号楼" not in html
    assert '<td colspan="3">—</td>' in html
    assert "咨询电话：—" in html


def test_missing_count_has_no_unit():
    context = context_for("order_to_pay")
    del context["workers_count"]
    assert "拖欠—农民工工资" in render_document("order_to_pay", context)


def test_order_without_a_project_role_addresses_the_employer():
    html = render_document("order_to_pay", context_for("order_to_pay", role_phrase="", facts=None))
    assert "经调查，你单位拖欠12名农民工工资共计¥36,000.00（大写：人民币叁万陆仟元整）。" in html
    assert "—" not in html.split("<body>", 1)[1]  # no facts: no paragraph, not a dash


def test_service_record_ticks_the_method_and_leaves_lines_for_what_is_not_recorded():
    html = render_document("service_record", context_for("service_record"))
    assert "☑直接送达" in html and "□邮寄送达" in html and "赵建国（办公室主任）" in html
    blank = context_for(
        "service_record",
        place=None,
        recipient=None,
        witness=None,
        server=None,
        served_at=None,
        methods=[{"label": "直接送达", "ticked": False}],
    )
    html = render_document("service_record", blank)
    assert "☑" not in html and '<span class="fill long"></span>' in html
    assert "送达时间</th><td>＿＿＿＿年＿＿月＿＿日＿＿时＿＿分" in html


def test_non_acceptance_cites_the_limitation_and_the_complainants_remedies():
    html = render_document("non_acceptance", context_for("non_acceptance"))
    assert "《劳动保障监察条例》第二十条" in html and "2023年6月30日" in html and "不予受理" in html
    assert "申请仲裁" in html and "行政复议" in html and "(check)" not in html


def test_court_reminder_defaults_to_ten_working_days():
    context = context_for("court_reminder")
    del context["reply_days"]
    html = render_document("court_reminder", context)
    assert "送达10个工作日后" in html and "第五十三条、第五十四条" in html and "第三十五条" not in html
    assert "30日后" in render_document("court_reminder", context_for("court_reminder", reply_days=30))
    assert "未申请行政复议" not in html  # said only once the windows passed (procedure 3)
    assert "未申请行政复议" in render_document("court_reminder", context_for("court_reminder", final=True))


def test_missing_required_key_raises():
    context = context_for("order_to_pay")
    del context["due_at"]
    with pytest.raises(ValueError, match="due_at"):
        render_document("order_to_pay", context)


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="unknown document kind"):
        render_document("eviction_notice", COMMON)


def test_content_hash_is_stable_and_discriminating():
    first = render_document("receipt", context_for("receipt"))
    again = render_document("receipt", context_for("receipt"))
    other = render_document("receipt", context_for("receipt", amount_claimed="36,000.01元"))
    assert content_hash(first) == content_hash(again)
    assert content_hash(first) != content_hash(other)
    assert content_hash(first) == hashlib.sha256(first.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("kind", ["blacklist_notice", "blacklist_decision"])
def test_the_blacklist_documents_name_the_persons_listed_with_the_employer(kind):
    """人社部令45号 arts. 5, 9 (procedure 3): the legal representative and the responsible persons."""
    persons = [
        {"role": "法定代表人", "name": "王某", "id_number": "11010519491231002X"},
        {"role": "直接责任人员", "name": HOSTILE, "id_number": "110101199003071233"},
    ]
    html = render_document(kind, context_for(kind, persons=persons, lapsed_on="2026年12月1日"))
    assert "法定代表人王某（公民身份号码：11010519491231002X）" in html and HOSTILE_ESCAPED in html
    assert "第九条" in html
    if kind == "blacklist_notice":
        assert "于支付期限2026年12月1日届满后仍未支付" in html
    else:
        assert "自改正之日起满6个月" in html
    plain = render_document(kind, context_for(kind))  # procedure 1 and 2: as before
    assert "第九条" not in plain and "公民身份号码" not in plain

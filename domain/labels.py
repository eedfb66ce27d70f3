"""Chinese labels of the case's stages, clocks, escalation levels, parties and outcomes."""

from domain.model import Party, Stage

STAGE_LABELS = {
    Stage.INTAKE: "受理",
    Stage.REFERRED: "待签收",
    Stage.INVESTIGATING: "立案调查",
    Stage.PAYMENT_ORDERED: "责令限期支付",
    Stage.DECIDED: "行政处理决定",
    Stage.DEPOSIT_DRAWDOWN: "动用工资保证金",
    Stage.POLICE_REFERRED: "移送公安",
    Stage.COURT_ENFORCEMENT: "申请法院强制执行",
    Stage.CLOSED: "已结案",
}

DEADLINE_LABELS = {
    "acknowledge": "签收受理",
    "investigate": "调查处理",
    "order_payment": "限期支付",
    "decision": "作出行政处理决定",
    "decision_payment": "处理决定限期支付",
    "decision_review": "申请行政复议期限",
    "decision_suit": "提起行政诉讼期限",
    "review_suit": "复议后提起行政诉讼期限",
    "police_approval": "移送审批",
    "police_transfer": "移送公安",
    "police_review": "公安立案审查",
    "deposit_payout": "保证金支付",
    "deposit_replenish": "保证金补足",
    "police_reconsider": "提请复议",
    "police_reconsider_answer": "公安复议决定",
    "procuratorate_supervision": "建议立案监督",
    "court_reminder": "催告履行",
    "court_application": "申请法院强制执行",
    "court_accept": "法院受理",
    "court_rule": "法院执行裁定",
    "blacklist_notice": "失信名单陈述申辩",
    "blacklist_decision": "失信名单列入决定",
    "arbitration_accept": "仲裁受理",
    "arbitration_award": "仲裁裁决",
    "payment_order_objection": "支付令异议期",
    "petition_register": "告知信访人是否受理",
    "referral_objection": "对转送交办提出异议",
    "petition_handle": "信访事项办结",
}

LEVEL_LABELS = {"unit_head": "单位负责人", "office": "领导小组办公室", "leader": "包案领导"}

PARTY_LABELS = {
    Party.EMPLOYER: "用人单位",
    Party.SUBCONTRACTOR: "分包单位",
    Party.GENERAL_CONTRACTOR: "施工总承包单位",
    Party.CONSTRUCTION_UNIT: "建设单位",
    Party.DEPOSIT: "工资保证金",
    Party.EMERGENCY_FUND: "应急周转金",
    Party.COURT: "法院强制执行",
}

OUTCOME_LABELS = {
    "paid_in_full": "已足额支付",
    "unsubstantiated": "投诉事项不成立",
    "withdrawn": "投诉人撤回",
    "mediated": "调解结案",
    "out_of_limitation": "超过查处时效",
    "transferred_to_court": "已转司法程序",
    "joined": "并入同一欠薪事项办理",
}

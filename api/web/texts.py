"""What the web UI says to people (zh-CN): labels of roles, statuses and values, and validation messages."""

from activities.cases import CHANNEL_LABELS
from api.texts import FORMAT_HINTS, validation_message  # noqa: F401 (the web's texts, in one place)
from domain.labels import OUTCOME_LABELS, PARTY_LABELS

ROLE_LABELS = {
    "clerk": "受理员",
    "caseworker": "承办人",
    "unit_head": "单位负责人",
    "supervisor": "领导小组办公室",
    "leader": "包案领导",
    "liaison": "联络员",
    "admin": "系统管理员",
}
DEADLINE_STATUS_LABELS = {"open": "进行中", "met": "已按期办结", "missed": "已逾期", "cancelled": "已取消"}
VALUE_LABELS: dict[str, str] = {
    **{str(k): v for k, v in PARTY_LABELS.items()},
    **OUTCOME_LABELS,
    **CHANNEL_LABELS,
    "wages": "垫付工资",
    "living": "基本生活费",
    "arbitration": "劳动仲裁",
    "payment_order": "支付令",
    "legal_aid": "法律援助",
    "applied": "提出申请",
    "accepted": "已受理",
    "rejected": "不予受理",
    "awarded": "已裁决",
    "served": "已送达",
    "objected": "债务人异议",
    "effective": "已生效",
    "requested": "申请援助",
    "granted": "已指派",
    # the result of a review or suit of a handling decision (domain/actions/challenge.py)
    "upheld": "维持原处理决定",
    "changed": "变更处理决定",
    "revoked": "撤销处理决定",
}
REFUSAL_PREFIX = {403: "无权办理", 409: "当前不能办理", 422: "输入有误"}
FORM_EXPIRED = ("页面已过期", "表单校验未通过（页面可能已过期）。请返回、刷新页面后重新提交。")
INTAKE_REPEATED = "此表单已经提交过。如需登记另一起投诉，请重新打开“受理登记”页面。"
NO_PDF = (
    "暂不能生成PDF",
    "本服务器未安装PDF生成组件（WeasyPrint 和 Pango）。请打开文书网页，用浏览器打印，或在打印对话框中选择“另存为PDF”。",
)

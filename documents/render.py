"""Render the official documents (公文) of a case as standalone, printable HTML (zh-CN, A4)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

# Shown wherever an optional value is absent.
MISSING = "—"

DOCUMENT_KINDS: dict[str, str] = {
    "receipt": "受理回执",
    "referral": "转办单",
    "order_to_pay": "劳动保障监察限期改正指令书",
    "payment_decision": "劳动保障监察行政处理决定书",
    "result_notice": "处理结果告知书",
    "escalation": "督办单",
    "deposit_payout": "工资保证金支付通知书",
    "police_transfer": "涉嫌犯罪案件移送书",
    "court_reminder": "催告书",
    "major_case_dispatch": "重大欠薪案件调度单",
    "blacklist_notice": "拖欠农民工工资失信联合惩戒对象名单列入告知书",
    "blacklist_decision": "拖欠农民工工资失信联合惩戒对象名单列入决定书",
    "service_record": "送达回证",
    "non_acceptance": "不予受理通知书",
}

# Documents served on a party: each has a 送达回证 (kind service_record) for the proof of service.
SERVED_KINDS = ("order_to_pay", "payment_decision", "court_reminder", "blacklist_notice", "blacklist_decision")
# Documents that show workers' ID numbers and bank accounts unmasked (a bank cannot pay otherwise):
# whoever opens one is recorded in the personal-data audit trail.
UNMASKED_KINDS = frozenset({"deposit_payout"})
# Shown in a roster cell the intake left empty: the bank needs it before it can pay.
NOT_REGISTERED = "未登记"


@dataclass(frozen=True)
class _Fields:
    """The context keys of one kind: required ones, and optional ones with their defaults."""

    required: tuple[str, ...]
    optional: dict[str, Any] = field(default_factory=dict)


_COMMON = ("jurisdiction_name", "issuer", "case_no", "issued_on", "doc_no")


def _dashes(*keys: str) -> dict[str, Any]:
    return {key: MISSING for key in keys}


_FIELDS: dict[str, _Fields] = {
    "receipt": _Fields(
        required=(
            "complainant_name",
            "channel_label",
            "received_at",
            "employer_name",
            "amount_claimed",
            "lead_unit_name",
            "acknowledge_due",
        ),
        optional=_dashes("project_name", "workers_count", "hotline"),
    ),
    "referral": _Fields(
        required=("to_unit_name", "from_unit_name", "employer_name", "amount_claimed", "acknowledge_due"),
        optional=_dashes("routing_reason", "project_name", "workers_count", "basis", "description", "co_units_text"),
    ),
    "order_to_pay": _Fields(
        required=("liable_party_name", "amount", "due_at"),
        optional={**_dashes("employer_name", "workers_count", "facts"), "role_phrase": ""},
    ),
    "payment_decision": _Fields(
        required=("liable_party_name", "amount", "due_at"),
        optional={
            **_dashes("employer_name", "workers_count", "facts", "order_ref", "order_issued_on"),
            **_dashes("compensation", "percent"),
            "role_phrase": "",
        },
    ),
    "result_notice": _Fields(
        required=("complainant_name", "outcome_label"),
        optional=_dashes("received_at", "employer_name", "amount_owed", "amount_recovered", "closed_on", "summary"),
    ),
    "escalation": _Fields(
        required=("to_unit_name", "level_label", "deadline_label", "due_at"),
        optional=_dashes("overdue_text", "basis", "request", "employer_name"),
    ),
    "deposit_payout": _Fields(
        required=("bank", "amount", "workers", "payout_due"),
        optional={**_dashes("project_name", "general_contractor"), "total": None},
    ),
    "police_transfer": _Fields(
        required=("employer_name", "amount"),
        # 国务院令第310号: the transfer goes to the police (公安机关) of the same level.
        optional={**_dashes("workers_count", "facts", "order_due_at"), "to_unit_name": "公安机关"},
    ),
    "court_reminder": _Fields(
        required=("liable_party_name", "amount", "decision_ref"),
        # 行政强制法 art. 54: the court may be asked ten days after the reminder is served.
        optional={"reply_days": 10, "final": False},
    ),
    "major_case_dispatch": _Fields(
        required=("leader_title", "status_text"),
        optional=_dashes("next_dispatch_at"),
    ),
    # 人社部令45号 art. 6: written prior notice with a 5-working-day objection period.
    # On procedure 3 also the persons listed with the employer (arts. 5, 9) and the lapse (art. 8).
    "blacklist_notice": _Fields(
        required=("employer_name", "grounds", "objection_due", "years"),
        optional={**_dashes("credit_code"), "persons": None, "lapsed_on": None},
    ),
    # same, arts. 8 and 11: the listing decision and its period.
    "blacklist_decision": _Fields(
        required=("employer_name", "listed_on", "until"),
        optional={
            **_dashes("credit_code"),
            "objection_text": "你单位在规定期限内未提出陈述申辩。",
            "persons": None,
            "lapsed_on": None,
        },
    ),
    # 劳动保障监察条例 art. 20: a complaint about arrears that ended longer ago than the limitation.
    "non_acceptance": _Fields(
        required=("complainant_name", "employer_name", "received_at", "reason"),
        optional={**_dashes("arrears_ended_on"), "limitation_text": "2年"},
    ),
    # The proof of service: blank lines for a service not yet recorded, filled once it is.
    "service_record": _Fields(
        required=("served_title", "served_doc_no", "addressee", "methods"),
        optional={key: "" for key in ("place", "recipient", "witness", "server", "served_at")},
    ),
}

_WORKER_KEYS = ("name", "id_number", "bank", "bank_account", "amount")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _with_unit(value: Any, unit: str) -> str:
    """Append a unit (名, 人, 日) to a present value; leave the missing mark alone."""
    return MISSING if value == MISSING else f"{value}{unit}"


def _paragraphs(value: Any) -> Markup:
    """Split free text on line breaks into escaped <p> elements."""
    lines = [line.strip() for line in str(value).splitlines() if line.strip()] or [MISSING]
    return Markup("").join(Markup('<p class="text">{}</p>').format(line) for line in lines)


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["with_unit"] = _with_unit
_env.filters["paragraphs"] = _paragraphs


def _prepare(kind: str, context: dict[str, Any]) -> dict[str, Any]:
    fields = _FIELDS[kind]
    required = _COMMON + fields.required
    missing = [key for key in required if _is_blank(context.get(key))]
    if missing:
        raise ValueError(f"document {kind!r} is missing required keys: {', '.join(missing)}")
    prepared = {key: context[key] for key in required}
    for key, default in fields.optional.items():
        value = context.get(key)
        prepared[key] = default if _is_blank(value) else value
    if kind == "deposit_payout":
        prepared["workers"] = _prepare_workers(context["workers"])
        prepared["incomplete"] = [
            i
            for i, w in enumerate(prepared["workers"], 1)
            if NOT_REGISTERED in (w["id_number"], w["bank"], w["bank_account"])
        ]
        prepared["total"] = prepared["total"] or prepared["amount"]
    prepared["title"] = DOCUMENT_KINDS[kind]
    return prepared


def _prepare_workers(workers: Any) -> list[dict[str, Any]]:
    if not isinstance(workers, (list, tuple)):
        raise ValueError("document 'deposit_payout' needs 'workers' as a list of dicts")
    rows = []
    for worker in workers:
        if not isinstance(worker, dict):
            raise ValueError("each entry of 'workers' must be a dict with " + ", ".join(_WORKER_KEYS))
        rows.append({key: NOT_REGISTERED if _is_blank(worker.get(key)) else worker[key] for key in _WORKER_KEYS})
    return rows


def render_document(kind: str, context: dict[str, Any]) -> str:
    """Render one official document of a case as a complete standalone HTML5 page."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(DOCUMENT_KINDS)}")
    template = _env.get_template(f"{kind}.html")
    return template.render(_prepare(kind, context))


def content_hash(html: str) -> str:
    """Return the SHA-256 hex digest of a rendered document, to record what was issued."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()

"""The registry of case actions: one `Action` per action, grouped by phase in the modules of this package.

Adding an action is one definition in the module of its phase and one line here; the workflow's rules
(`domain.lifecycle`), the HTTP route, the web form, the OpenAPI schema and the labels all read it from here.
"""

from domain.actions import (
    blacklist,
    challenge,
    court,
    decision,
    deposit,
    intake,
    investigation,
    major,
    order,
    petition,
    police,
    service,
    worker_routes,
)
from domain.actions.base import Action

# In the order the web offers them.
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        intake.ACCEPT,
        petition.LIMITATION_DECISION,
        intake.TRANSFER,
        petition.OBJECT_REFERRAL,
        investigation.FINDINGS,
        investigation.EXTEND_INVESTIGATION,
        order.ORDER_PAYMENT,
        decision.DECIDE_PAYMENT,
        order.RECORD_PAYMENT,
        intake.CLOSE,
        intake.NOTE,
        service.SERVE,
        order.ENFORCE,
        decision.ORDER_LAPSED,
        investigation.REPORT_ABSCONDED,
        police.APPROVE_POLICE_REFERRAL,
        police.REJECT_POLICE_REFERRAL,
        police.TRANSFER_TO_POLICE,
        police.POLICE_DECISION,
        police.REQUEST_RECONSIDERATION,
        police.REQUEST_SUPERVISION,
        challenge.REVIEW_APPLIED,
        challenge.SUIT_FILED,
        challenge.CHALLENGE_DECIDED,
        challenge.DECISION_FINAL,
        court.SERVE_COURT_REMINDER,
        court.COURT_APPLICATION,
        court.COURT_ACCEPTED,
        court.COURT_RULING,
        court.COURT_OUTCOME,
        deposit.CONFIRM_DEPOSIT_PAYOUT,
        deposit.DEPOSIT_REPLENISHED,
        major.ASSIGN_LEADER,
        major.MAJOR_DISPATCH,
        major.ADVANCE_EMERGENCY_FUND,
        major.RECOVER_EMERGENCY_FUND,
        blacklist.BLACKLIST_GROUNDS,
        blacklist.PROPOSE_BLACKLIST,
        blacklist.BLACKLIST_OBJECTION,
        blacklist.EXTEND_BLACKLIST_DECISION,
        blacklist.BLACKLIST_DECISION,
        worker_routes.WORKER_ROUTE,
    )
}

__all__ = ["ACTIONS", "Action"]

"""Activities of the early-warning workflows (workflows/project_monitor.py).

`monitor_step` and `check_instalment` are local activities (short database work, idempotent: a warning
is keyed by its source, so a retry finds the one its first attempt opened). `escalate_warning` is a
regular activity: it registers the case through the same path as the API (api.case_service.register_case,
routing included) under an Idempotency-Key of the warning, so a retry returns the same case.
"""

import logging
from datetime import datetime, timezone

from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client

from api import monitoring_service as service
from api import schemas
from api.case_service import register_case
from db.engine import session_scope
from db.monitoring import close_warning, warning_row
from domain.jurisdiction import Jurisdiction
from domain.monitor_messages import InstalmentCheck, MonitorStepInput, MonitorStepResult, OpenedWarning
from domain.monitoring import WarningStatus

log = logging.getLogger(__name__)


class MonitoringActivities:
    def __init__(self, engine: Engine, jurisdiction: Jurisdiction, client: Client, task_queue: str):
        self.engine = engine
        self.jurisdiction = jurisdiction
        self.client = client
        self.task_queue = task_queue

    @activity.defn(name="monitor_step")
    def monitor_step(self, step: MonitorStepInput) -> MonitorStepResult:
        return service.monitor_step(
            engine=self.engine, jurisdiction=self.jurisdiction, step=step, now=datetime.now(timezone.utc)
        )

    @activity.defn(name="check_instalment")
    def check_instalment(self, check: InstalmentCheck) -> list[OpenedWarning]:
        return service.check_instalment(
            engine=self.engine,
            jurisdiction=self.jurisdiction,
            report_id=check.report_id,
            seq=check.seq,
            now=datetime.now(timezone.utc),
        )

    @activity.defn(name="escalate_warning")
    async def escalate_warning(self, warning_id: int) -> str | None:
        """Register a case for a warning still open at its response deadline; its number (None if the
        warning was resolved in time)."""
        with session_scope(self.engine) as session:
            warning = warning_row(session, warning_id)
            if warning.status == WarningStatus.RESOLVED.value:
                return None
            if warning.status == WarningStatus.ESCALATED.value:
                return warning.case_no
            body = schemas.CaseCreate.model_validate(
                service.case_draft(session=session, jurisdiction=self.jurisdiction, warning=warning)
            )
            user = service.system_user(self.jurisdiction, warning)
        case_no = await register_case(
            client=self.client,
            engine=self.engine,
            body=body,
            user=user,
            jurisdiction=self.jurisdiction,
            task_queue=self.task_queue,
            idempotency_key=f"warning-{self.jurisdiction.case_prefix}-{warning_id}",
        )
        with session_scope(self.engine) as session:
            warning = warning_row(session, warning_id)
            if warning.status == WarningStatus.OPEN.value:
                close_warning(
                    session=session,
                    warning=warning,
                    status=WarningStatus.ESCALATED,
                    by=service.SYSTEM_USER,
                    case_no=case_no,
                    text=f"处置期限届满仍未化解，转立案 {case_no}（乡镇预警）",
                )
        log.info("warning %s escalated to case %s", warning_id, case_no)
        return case_no

    def all(self) -> list:
        return [self.monitor_step, self.check_instalment, self.escalate_warning]

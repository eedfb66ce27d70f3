"""Joining a complaint to its matter (有案必接, domain/joining.py): the `join_matter` activity.

The registry found the matter when the complaint was registered (db/matters.py, recorded in the intake's
`matter`), so the POST answer could name it; this activity does not look again (its answer could differ
from what the complainant was told). It sends the matter's workflow the update `join_complaint`, keyed
`join:<case_no>` (domain/joining.py join_key): Temporal answers a repeated update id with the first
result, and the matter's state lists the complaints it took, so a retry joins nothing twice. A matter that
closed meanwhile, whose workflow has ended, or that refuses, answers `joined=False`: the complaint then
proceeds alone.
"""

from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain.joining import JoinMatterInput, JoinResult, join_key


class JoiningActivities:
    def __init__(self, client: Client):
        self.client = client

    @activity.defn(name="join_matter")
    async def join_matter(self, input: JoinMatterInput) -> JoinResult:
        handle = self.client.get_workflow_handle(input.matter)
        try:
            return await handle.execute_update(
                "join_complaint", input.complaint, id=join_key(input.complaint.case_no), result_type=JoinResult
            )
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                return JoinResult(input.matter, False, reason=cause.message)
            raise
        except RPCError as err:
            if err.status in (
                RPCStatusCode.NOT_FOUND,
                RPCStatusCode.FAILED_PRECONDITION,
            ):  # the matter's workflow ended
                return JoinResult(input.matter, False, reason=f"案件 {input.matter} 已结案归档")
            raise

    def all(self) -> list:
        return [self.join_matter]

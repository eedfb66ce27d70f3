"""Upgrades: every recorded case history (tests/histories, from a real dev server) replays on today's code.

A change to workflow code that would make a running case take a different path must be guarded with
`workflow.patched(...)` (see README, "Changing workflow code"); this test fails otherwise.
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.codec import data_converter
from core.config import Settings
from domain.messages import ActionInput
from tests.workflows.conftest import SECRET_KEY, make_intake, start_case
from worker import SANDBOXED_RUNNER, UNSANDBOXED_RUNNER
from workflows.case import CaseWorkflow

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))


RUNNERS = {"sandboxed": SANDBOXED_RUNNER, "unsandboxed": UNSANDBOXED_RUNNER}


def replayer(runner=SANDBOXED_RUNNER) -> Replayer:
    """A replayer like the worker's; its codec opens the histories recorded sealed (with the tests' key) and
    passes those recorded before encryption; validators do not run in replay, so their unsealed updates
    replay as they were recorded."""
    return Replayer(
        workflows=[CaseWorkflow], data_converter=data_converter(Settings(secret_key=SECRET_KEY)), workflow_runner=runner
    )


def test_every_path_has_a_recorded_history():
    names = {p.stem for p in HISTORIES}
    assert {
        "paid_in_full",
        "acknowledge_missed",
        "transfer_disputed",
        "deposit_then_court",
        "absconded_police",
    } <= names
    # sealed, keyed, lean: a keyed payment retried after continue-as-new, both of its recorded runs
    assert {"keyed_payment_continued-v3", "keyed_payment_continued-first-run-v3"} <= names
    # procedure 3 (domain/procedure.py): its court route, challenges, blacklist, petition and limitation paths
    statutory = {
        "court_and_routes",
        "review_upheld",
        "blacklist_listed",
        "blacklist_listed-first-run",
        "absconded_police",
        "petition_objected",
        "limitation_not_accepted",
    }
    assert {f"{path}-statutory" for path in statutory} <= names
    # one matter (有案必接, domain/joining.py): the joined complaint, its matter, and one whose matter had closed
    assert {f"one_matter_{path}-matter" for path in ("joined", "matter", "alone")} <= names


@pytest.mark.parametrize("runner", RUNNERS)  # the tests' sandbox and the worker's default
@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_recorded_history_replays(path, runner):
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    result = await replayer(RUNNERS[runner]).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"


async def test_a_history_made_today_replays(env, projection, actors):
    handle = await start_case(env, make_intake())
    await handle.execute_update(CaseWorkflow.registered)
    await handle.execute_update(CaseWorkflow.act, ActionInput("accept", actors["hrss"], {}))
    await handle.execute_update(CaseWorkflow.act, ActionInput("close", actors["hrss"], {"outcome": "withdrawn"}))
    await handle.result()
    history = await handle.fetch_history()
    await replayer().replay_workflow(history)


async def test_a_changed_workflow_is_caught(tmp_path):
    """The replay test can fail: a history whose recorded commands no longer match is refused."""
    text = HISTORIES[0].read_text(encoding="utf-8")
    # pretend the case was routed to another stage's timer: drop the first local-activity marker
    history = WorkflowHistory.from_json("tampered", text)
    events = list(history.events)
    marker = next(i for i, e in enumerate(events) if e.HasField("marker_recorded_event_attributes"))
    del events[marker]
    for number, event in enumerate(events, start=1):
        event.event_id = number
    tampered = WorkflowHistory("tampered", events)
    result = await replayer().replay_workflow(tampered, raise_on_replay_failure=False)
    assert result.replay_failure is not None

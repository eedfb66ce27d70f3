"""Which version of the statutory procedure a case follows (`CaseState.procedure`).

A case keeps the procedure it started on for its whole life, so that a running case never changes its
path (the workflow sets the level behind `workflow.patched`, workflows/case.py). The rules branch on
`state.procedure >= LEVEL`; docs/deadlines.md describes each level.
"""

FIRST_WAVE = 1  # an unpaid order to correct draws the wage deposit at once
LAWFUL_LADDER = 2  # an unpaid order waits for the handling decision (行政处理决定); only its lapse moves on
# The whole statutory procedure: the court route waits for the decision's review and suit windows before
# the 催告书; challenges stop it; the blacklist per 人社部令第45号; petition clocks, the limitation and one
# matter per complaint at intake.
STATUTORY_PROCEDURE = 3

"""What the Temporal Web UI shows of a case: its details (Markdown, zh-CN) and the label of its timer."""

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import lifecycle
    from domain.formatting import clock_time
    from domain.lifecycle import DEADLINE_LABELS, LEVEL_LABELS, OUTCOME_LABELS, STAGE_LABELS
    from domain.model import CaseState, DeadlineStatus, Stage
    from domain.ui_text import md_escape


def china_time(at: datetime) -> str:
    """An instant as supervisors read it: 2026-12-01 23:59（北京时间）."""
    return f"{clock_time(at)}（北京时间）"


def unit_name(state: CaseState, code: str) -> str:
    """A unit by the name the case's policy carries (its code in cases registered before names were)."""
    return state.intake.policy.unit_names.get(code, code)


def details_markdown(state: CaseState) -> str:
    """What the case waits for and until when, in Chinese, for supervisors in the Temporal Web UI."""
    co_names = "、".join(unit_name(state, u) for u in state.co_units)
    co = f"（协办 {co_names}）" if state.co_units else ""
    lines = [f"**{state.case_no}** · {STAGE_LABELS[state.stage]} · 承办单位 {unit_name(state, state.lead_unit)}{co}"]
    if state.stage is Stage.CLOSED:
        outcome = OUTCOME_LABELS.get(state.outcome or "", state.outcome or "")
        when = f"，结案时间 {china_time(state.closed_at)}" if state.closed_at else ""
        lines.append(f"- 已结案：{outcome or '—'}{when}")
    if state.joined_to:  # 有案必接 (domain/joining.py)
        lines.append(f"- 同一欠薪事项，已并入案件 {state.joined_to} 办理")
    elif state.related_cases:
        lines.append(f"- 关联案件（同一欠薪事项）：{'、'.join(state.related_cases)}")
    levels = lifecycle.escalation_levels(state)
    waiting = [d for d in state.deadlines if d.resolved_at is None]
    for d in waiting:
        label = DEADLINE_LABELS.get(d.kind, d.kind)
        if d.status is DeadlineStatus.MISSED:
            level = levels[d.level - 1] if 0 < d.level <= len(levels) else ""
            reached = f"，已督办至{LEVEL_LABELS.get(level, level)}" if level else ""
            lines.append(f"- **已逾期**：{unit_name(state, d.unit)}「{label}」，期限 {china_time(d.due_at)}{reached}")
        else:
            provisional = "（暂定：该年节假日安排尚未载入）" if d.provisional else ""
            lines.append(f"- 等待 {unit_name(state, d.unit)}「{label}」，期限 {china_time(d.due_at)}{provisional}")
    if not waiting and state.stage is not Stage.CLOSED:
        lines.append("- 当前没有计时中的法定期限")
    if state.limitation_pending:  # procedure 3 (domain/actions/petition.py)
        lines.append("- 超过查处时效（劳动保障监察条例第20条），待劳动保障监察机构决定是否受理")
    if state.escalations:
        last = state.escalations[-1]
        lines.append(
            f"- 已督办 {len(state.escalations)} 次，最近一次 {china_time(last.at)} 升级至"
            f"{LEVEL_LABELS.get(last.level, last.level)}"
        )
    owed = state.amount_owed if state.amount_owed is not None else state.intake.amount_claimed
    lines.append(
        f"- 涉及农民工 {len(state.intake.workers)} 人，应付 {owed:,.2f} 元，已追回 {state.amount_recovered:,.2f} 元"
    )
    if state.deposit_drawn:
        lines.append(f"- 已动用工资保证金 {state.deposit_drawn:,.2f} 元")
    if state.liaison_units:
        lines.append(f"- 已移送：{'、'.join(unit_name(state, u) for u in state.liaison_units)}")
    if state.major:
        lines.append("- 重大欠薪案件")
    if state.leader:
        dispatch = f"，下次调度 {china_time(state.next_dispatch_at)}" if state.next_dispatch_at else ""
        lines.append(f"- 包案领导：{md_escape(state.leader)}{dispatch}")
    return "\n".join(lines)


def wake_summary(state: CaseState, wake: datetime) -> str:
    """The label of the timer the case waits on: until when, and which deadline (or escalation) it is."""
    until = f"等待至 {china_time(wake)}"
    levels = lifecycle.escalation_levels(state)
    for d in state.deadlines:
        if d.resolved_at is not None:
            continue
        label = DEADLINE_LABELS.get(d.kind, d.kind)
        if d.status is DeadlineStatus.OPEN and d.due_at == wake:
            return f"{until}：{unit_name(state, d.unit)}「{label}」期限届满"
        if d.status is DeadlineStatus.MISSED and wake in d.escalate_at:
            index = d.escalate_at.index(wake) + 1  # escalate_at[0] is when the second level is reached
            level = levels[index] if index < len(levels) else ""
            who = unit_name(state, d.unit)
            return f"{until}：{who}「{label}」逾期未办，升级督办至{LEVEL_LABELS.get(level, level or '上一级')}"
    if state.next_dispatch_at == wake:
        return f"{until}：包案领导定期调度"
    return until

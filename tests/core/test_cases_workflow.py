"""Case state machine: the table, permissions, reasons, sign-off, joint tasks, audit replay, numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingting.core.cases.calendar import CHINA_TZ
from qingting.core.cases.workflow import (
    STATE_KIND,
    TRANSITIONS,
    Action,
    AuditRecord,
    CaseNumber,
    CaseSnapshot,
    CaseState,
    JointTask,
    Role,
    StateKind,
    TransitionError,
    allowed_actions,
    apply_action,
    complete_task,
    replay,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
ALL = set(Role)


def run(
    case: CaseSnapshot, *steps: tuple[Action, str], roles: set[Role] = ALL
) -> tuple[CaseSnapshot, list[AuditRecord]]:
    records = []
    for i, (action, reason) in enumerate(steps):
        case, rec = apply_action(case, action, actor="u1", roles=roles, now=T0 + timedelta(hours=i), reason=reason)
        records.append(rec)
    return case, records


HAPPY = (
    (Action.REGISTER, ""),
    (Action.ASSIGN, ""),
    (Action.CLAIM, ""),
    (Action.PEND, "等待市民补充照片"),
    (Action.RESUME, ""),
    (Action.ANSWER, ""),
    (Action.CLOSE, ""),
)


def test_happy_path_and_audit_trail() -> None:
    case, records = run(CaseSnapshot(), *HAPPY)
    assert case.state is CaseState.CLOSED and case.kind is StateKind.CLOSED
    assert case.closed_at == T0 + timedelta(hours=6) and case.version == 7
    assert [r.new_state for r in records][:4] == [
        CaseState.REGISTERED,
        CaseState.ASSIGNED,
        CaseState.IN_PROGRESS,
        CaseState.PENDING,
    ]
    assert records[3].reason == "等待市民补充照片" and records[3].actor == "u1"
    assert len({r.correlation_id for r in records}) == 7
    assert replay(records) is CaseState.CLOSED


def test_every_state_is_typed_and_reachable() -> None:
    assert set(STATE_KIND) == set(CaseState)
    targets = {t.target for t in TRANSITIONS} | {CaseState.RECEIVED}
    assert set(CaseState) <= targets
    assert {s for s, k in STATE_KIND.items() if k is StateKind.CLOSED} == {
        CaseState.CLOSED,
        CaseState.NOT_RESPONSIBLE,
        CaseState.DUPLICATE,
    }


def test_undeclared_move_is_refused_clearly() -> None:
    with pytest.raises(TransitionError, match="cannot close a case that is received") as err:
        apply_action(CaseSnapshot(), Action.CLOSE, actor="u1", roles=ALL, now=T0)
    assert err.value.action is Action.CLOSE and err.value.state is CaseState.RECEIVED


def test_role_and_reason_required() -> None:
    assigned, _ = run(CaseSnapshot(), (Action.REGISTER, ""), (Action.ASSIGN, ""))
    with pytest.raises(TransitionError, match="needs one of the roles"):
        apply_action(assigned, Action.CLAIM, actor="u2", roles={Role.INTAKE}, now=T0)
    working, _ = run(assigned, (Action.CLAIM, ""), roles={Role.HANDLER})
    with pytest.raises(TransitionError, match="needs a reason"):
        apply_action(working, Action.TRANSFER, actor="u2", roles={Role.HANDLER}, now=T0, reason="  ")
    moved, rec = apply_action(
        working, Action.TRANSFER, actor="u2", roles={Role.HANDLER}, now=T0, reason="属区住建局职责"
    )
    assert moved.state is CaseState.TRANSFERRED and rec.reason == "属区住建局职责"
    assert Action.ASSIGN in allowed_actions(moved, {Role.DISPATCHER})
    assert allowed_actions(moved, {Role.HANDLER}) == ()


def test_leader_sign_off_required_for_category() -> None:
    case, _ = run(CaseSnapshot(requires_sign_off=True), *HAPPY[:3])
    with pytest.raises(TransitionError, match="签批"):
        apply_action(case, Action.ANSWER, actor="h", roles={Role.HANDLER}, now=T0)
    with pytest.raises(TransitionError, match="needs one of the roles"):
        apply_action(case, Action.SIGN_OFF, actor="h", roles={Role.HANDLER}, now=T0, reason="同意")
    signed, rec = apply_action(
        case, Action.SIGN_OFF, actor="李局长", roles={Role.LEADER}, now=T0, reason="请三日内现场核查并答复"
    )
    assert signed.state is CaseState.IN_PROGRESS and rec.old_state is rec.new_state
    assert signed.sign_off is not None and signed.sign_off.instructions == "请三日内现场核查并答复"
    answered, _ = apply_action(signed, Action.ANSWER, actor="h", roles={Role.HANDLER}, now=T0)
    # Sent back: the next answer needs a fresh sign-off.
    back, _ = apply_action(answered, Action.RETURN, actor="李局长", roles={Role.LEADER}, now=T0, reason="答复不具体")
    assert back.sign_off is None
    with pytest.raises(TransitionError, match="签批"):
        apply_action(back, Action.ANSWER, actor="h", roles={Role.HANDLER}, now=T0)


def test_joint_tasks_block_the_answer_until_done() -> None:
    tasks = (JointTask("城管局", lead=True), JointTask("住建局"))
    case, _ = run(CaseSnapshot(tasks=tasks), *HAPPY[:3])
    with pytest.raises(TransitionError, match="城管局, 住建局"):
        apply_action(case, Action.ANSWER, actor="h", roles={Role.HANDLER}, now=T0)
    case = complete_task(complete_task(case, "城管局", now=T0), "住建局", now=T0, note="已清理")
    assert all(t.done for t in case.tasks)
    with pytest.raises(KeyError):
        complete_task(case, "住建局", now=T0)
    answered, _ = apply_action(case, Action.ANSWER, actor="h", roles={Role.HANDLER}, now=T0)
    assert answered.state is CaseState.ANSWERED


def test_merge_and_reopen_window() -> None:
    with pytest.raises(TransitionError, match="duplicates"):
        apply_action(CaseSnapshot(), Action.MERGE, actor="d", roles=ALL, now=T0, reason="同一诉求")
    dup, rec = apply_action(
        CaseSnapshot(), Action.MERGE, actor="d", roles=ALL, now=T0, reason="同一诉求", merge_into="青禾〔2026〕0011号"
    )
    assert dup.state is CaseState.DUPLICATE and dup.merged_into == "青禾〔2026〕0011号"
    assert rec.detail == {"merged_into": "青禾〔2026〕0011号"}
    closed, _ = run(CaseSnapshot(), *HAPPY)
    assert closed.closed_at is not None
    late = closed.closed_at + timedelta(days=31)
    with pytest.raises(TransitionError, match="within 30 days"):
        apply_action(closed, Action.REOPEN, actor="d", roles=ALL, now=late, reason="市民反映未解决")
    reopened, _ = apply_action(
        closed, Action.REOPEN, actor="d", roles=ALL, now=late, reason="市民反映未解决", reopen_days=60
    )
    assert reopened.state is CaseState.REOPENED and reopened.kind is StateKind.OPEN and reopened.closed_at is None


def test_replay_detects_a_gap() -> None:
    _, records = run(CaseSnapshot(), *HAPPY)
    with pytest.raises(ValueError, match="record 1"):
        replay([records[0], records[2]])


def test_case_numbers_format_parse_and_sequence() -> None:
    n = CaseNumber("青禾", 2026, 12)
    assert str(n) == "青禾〔2026〕0012号"
    assert CaseNumber.parse("青禾〔2026〕0012号") == n
    assert CaseNumber.parse(" 青禾[2026]0012号") == n
    assert str(CaseNumber("青禾", 2026, 12345)) == "青禾〔2026〕12345号"
    assert n.next(2026) == CaseNumber("青禾", 2026, 13) and n.next(2027) == CaseNumber("青禾", 2027, 1)
    for bad in ("青禾〔26〕0012号", "〔2026〕0012号", "青禾〔2026〕12号", "QH-2026-0012"):
        with pytest.raises(ValueError):
            CaseNumber.parse(bad)
    assert sorted([CaseNumber("青禾", 2026, 2), CaseNumber("青禾", 2025, 9)])[0].year == 2025


_SPEC = {t.action: t for t in TRANSITIONS}


@settings(max_examples=150, deadline=None)
@given(data=st.data(), sign_off=st.booleans(), joint=st.booleans(), n=st.integers(0, 30))
def test_random_action_sequences_keep_the_machine_honest(
    data: st.DataObject, sign_off: bool, joint: bool, n: int
) -> None:
    case = CaseSnapshot(requires_sign_off=sign_off, tasks=(JointTask("甲"),) if joint else ())
    now = T0
    records: list[AuditRecord] = []
    for _ in range(n):
        # Mostly a move the table offers from here (so deep states are reached), sometimes any move.
        offered = allowed_actions(case, Role)
        guided = data.draw(st.integers(0, 9)) < 8 and offered
        action = data.draw(st.sampled_from(offered if guided else list(Action)))
        roles = data.draw(st.sets(st.sampled_from(list(Role)), min_size=1, max_size=3))
        if guided:  # usually someone who may do it, with a reason
            roles.add(data.draw(st.sampled_from(sorted(_SPEC[action].roles))))
        reason = data.draw(st.sampled_from(["理由", "理由", ""] if guided else ["", "理由"]))
        now += timedelta(days=data.draw(st.integers(0, 20)))
        before = case
        try:
            case, rec = apply_action(case, action, actor="x", roles=roles, now=now, reason=reason, merge_into="N1")
        except TransitionError:
            assert case == before  # a refused action changes nothing
            continue
        records.append(rec)
        assert rec.old_state is before.state and rec.new_state is case.state
        assert case.version == before.version + 1 == rec.version
        if joint and case.state is CaseState.IN_PROGRESS and case.tasks[0].done_at is None:
            case = replace(complete_task(case, "甲", now=now), version=case.version)
        assert case.state in set(CaseState)
        # closed_at is set exactly while the case is closed.
        assert (case.closed_at is not None) == (case.kind is StateKind.CLOSED)
        assert replay(records) is case.state
    assert replay(records) is case.state

"""Case-core speed: transitions, SLA evaluation and metrics on synthetic cases (no real case data exists).

One command:  .venv/bin/python bench/bench_cases.py [--cases 100000] [--seed 7]

- ``apply_action``: the happy path (register … close, 7 actions) applied repeatedly; µs per action.
  The issue's target (≤ 20 ms per transition *including* the DB audit insert) is for the platform;
  this is the pure part of that budget.
- ``compute_sla``: one case's timeline (received, acknowledged, a pause, answered) against the
  complaint policy (13 working days); µs per case.
- ``case_metrics``: N synthetic cases over 20 units and 2026, metrics for March 2026 per unit;
  seconds for the whole call. Cases: random receipt times in 2026, ~80 % closed within 1–20 days,
  close due 13 working days after receipt, 2 % duplicates, 3 % declined.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta

from qingting.core.cases.calendar import CHINA_TZ, WorkingCalendar
from qingting.core.cases.metrics import TOTAL, MetricCase, case_metrics
from qingting.core.cases.sla import DEFAULT_POLICIES, EventKind, TimelineEvent, compute_sla
from qingting.core.cases.workflow import Action, CaseSnapshot, CaseState, Role, apply_action

HAPPY = (
    (Action.REGISTER, ""),
    (Action.ASSIGN, ""),
    (Action.CLAIM, ""),
    (Action.PEND, "等待补充材料"),
    (Action.RESUME, ""),
    (Action.ANSWER, ""),
    (Action.CLOSE, ""),
)


def bench_actions(rounds: int) -> float:
    roles = set(Role)
    now = datetime(2026, 3, 2, 9, tzinfo=CHINA_TZ)
    t0 = time.perf_counter()
    for _ in range(rounds):
        case = CaseSnapshot()
        for action, reason in HAPPY:
            case, _ = apply_action(case, action, actor="u", roles=roles, now=now, reason=reason, correlation_id="c")
    return (time.perf_counter() - t0) / (rounds * len(HAPPY)) * 1e6


def bench_sla(cal: WorkingCalendar, rounds: int) -> float:
    policy = next(p for p in DEFAULT_POLICIES if p.name == "complaint")
    base = datetime(2026, 3, 2, 10, tzinfo=CHINA_TZ)
    events = [
        TimelineEvent(base, EventKind.RECEIVED),
        TimelineEvent(base + timedelta(hours=2), EventKind.ACKNOWLEDGED),
        TimelineEvent(base + timedelta(days=2), EventKind.PAUSED),
        TimelineEvent(base + timedelta(days=5), EventKind.RESUMED),
        TimelineEvent(base + timedelta(days=9), EventKind.ANSWERED),
    ]
    now = base + timedelta(days=10)
    t0 = time.perf_counter()
    for _ in range(rounds):
        compute_sla(policy, events, cal, now=now)
    return (time.perf_counter() - t0) / rounds * 1e6


def synthetic_cases(n: int, cal: WorkingCalendar, seed: int) -> list[MetricCase]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=CHINA_TZ)
    out = []
    for _ in range(n):
        received = start + timedelta(seconds=rng.uniform(0, 330 * 86400))
        due = cal.add_working_days(received, 13).due
        r = rng.random()
        if r < 0.02:
            state, closed = CaseState.DUPLICATE, received + timedelta(hours=1)
        elif r < 0.05:
            state, closed = CaseState.NOT_RESPONSIBLE, received + timedelta(days=1)
        elif r < 0.85:
            state, closed = CaseState.CLOSED, received + timedelta(days=rng.uniform(1, 20))
        else:
            state, closed = CaseState.IN_PROGRESS, None
        out.append(MetricCase(f"unit{rng.randrange(20):02d}", state, received, closed, due))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cal = WorkingCalendar.seeded()
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"settings: cases={args.cases} seed={args.seed} units=20 period=2026-03 policy=complaint (13 working days)")
    print("data: synthetic (generated in this script; no real case data exists)")
    print(f"apply_action: {bench_actions(2000):.1f} µs per action (happy path, 7 actions, 2000 rounds)")
    print(f"compute_sla: {bench_sla(cal, 2000):.1f} µs per case (5 events, 3 targets, 2000 rounds)")
    cases = synthetic_cases(args.cases, cal, args.seed)
    t0 = time.perf_counter()
    m = case_metrics(
        cases,
        start=datetime(2026, 3, 1, tzinfo=CHINA_TZ),
        end=datetime(2026, 4, 1, tzinfo=CHINA_TZ),
        calendar=cal,
    )
    took = time.perf_counter() - t0
    total = m[TOTAL]
    print(
        f"case_metrics: {took:.3f} s for {args.cases} cases, {len(m) - 1} units "
        f"(received={total.received} closure_rate={total.closure_rate:.3f} "
        f"on_time_rate={total.on_time_rate:.3f} median_working_days={total.median_working_days})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

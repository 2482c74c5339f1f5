"""``qingting warnings replay`` through click's runner: warnings printed, summary, clear errors."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
from click.testing import CliRunner

from qingting.cli import main

T0 = 1_778_551_200.0  # 2026-05-12 10:00 UTC+8


def write_stream(path: Path) -> None:
    rng = random.Random(11)
    rows = []
    t = T0
    n = 0
    while t < T0 + 86400:  # a quiet day of unrelated posts
        rows.append({"id": f"q{n}", "time": t, "text": f"河口村路灯坏了{n}号，希望修一下", "cluster": f"q{n % 40}"})
        n += 1
        t += rng.uniform(900, 1800)
    for i in range(240):  # then a water cut: 240 posts in 40 minutes
        rows.append(
            {
                "id": f"b{i}",
                "time": T0 + 20 * 3600 + rng.random() * 2400,
                "text": f"柳湾镇全镇停水，{rng.choice(['什么时候恢复供水', '家里没水了', '也没通知'])}",
                "source": "weibo",
                "cluster": "water",
            }
        )
    rows.append({"id": "broken", "time": "not a time", "text": "x"})
    rows.sort(key=lambda r: r["time"] if isinstance(r["time"], float) else 0.0)
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")


def test_replay_prints_warnings_and_the_summary(tmp_path: Path) -> None:
    src = tmp_path / "stream.jsonl"
    write_stream(src)
    result = CliRunner().invoke(main, ["warnings", "replay", str(src), "--scheme", "柳湾镇 停水", "--big", "200"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "级（" in out and "预警" in out  # a tier label such as Ⅳ级（蓝色）预警
    assert "items in 1 hour" in out
    assert "2026-05-13 0" in out  # 20 hours after 10:00 local: the next morning, local time
    assert "clusters past 200 items 大规模事件: 1, warned 1 (100%)" in out
    assert "1 record(s) skipped; first: broken: time" in out


def test_malformed_scheme_points_at_the_position(tmp_path: Path) -> None:
    src = tmp_path / "stream.jsonl"
    src.write_text('{"id": "1", "text": "停水"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["warnings", "replay", str(src), "--scheme", "(停水 OR 断水"])
    assert result.exit_code == 2
    assert "第 10 个字符处缺少右括号" in result.output
    assert "missing ')' at character 10" in result.output

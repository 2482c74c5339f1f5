"""The `qingting` command, through click's CliRunner: exit codes and what a user reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qingting import __version__
from qingting.cli import main

POSTS = [
    ("1", "柳湾镇今天全镇停水，什么时候恢复供水？太气人了", "2026-10-01T08:00:00+08:00"),
    ("2", "柳湾镇今天全镇停水，什么时候恢复供水？太气人了", "2026-10-01T08:01:00+08:00"),
    ("3", "荷塘乡荷花节开幕了，风景真美，推荐大家周末去玩", "2026-10-01T08:02:00+08:00"),
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out


def test_analyze_writes_assignments_errors_and_events(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"id": i, "text": t, "time": tm}, ensure_ascii=False) for i, t, tm in POSTS]
    lines.insert(1, '{"id": "bad", "text": ')
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run("analyze", str(src))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    kinds = [r["type"] for r in rows]
    assert kinds.count("assignment") == 3 and kinds.count("error") == 1
    error = next(r for r in rows if r["type"] == "error")
    assert error["record"] == "line 2" and error["field"] == "line"
    a = {r["item_id"]: r for r in rows if r["type"] == "assignment"}
    assert a["2"]["duplicate_of"] == "1" and a["2"]["duplicate_kind"] == "exact"
    assert a["1"]["sentiment_label"] == "negative" and a["3"]["sentiment_label"] == "positive"
    assert any(r["type"] == "event" and r["item_count"] == 2 for r in rows)
    assert "3 items, 1 records with errors" in err


def test_eval_clusters_on_a_tiny_gold_file(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [{"Id": i, "textCleaned": t, "clusterNo": 1 if "停水" in t else 2} for i, t, _ in POSTS]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, out, err = run(
        "eval", "clusters", str(gold), "--fields", "id=Id,text=textCleaned,cluster=clusterNo", "--json"
    )
    assert code == 0, err
    figures = json.loads(out)
    assert figures["items"] == 3 and figures["gold_clusters"] == 2
    assert figures["nmi"] == pytest.approx(1.0)


def test_eval_clusters_names_a_record_without_gold(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "text": "停水", "cluster": 1}\n{"id": "b", "text": "停水"}\n', encoding="utf-8")
    code, _, err = run("eval", "clusters", str(gold))
    assert code == 0
    assert "skipped b: cluster: missing" in err


def test_sentiment_train_then_eval(tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    good = ["服务很好，非常满意", "太棒了，下次还来", "环境优美，推荐", "很方便，点赞"]
    bad = ["太差了，再也不来", "服务态度恶劣，气死了", "脏乱差，失望", "排队两小时，垃圾"]
    train.write_text("\n".join(f"{i},{1 if t in good else 0},{t}" for i, t in enumerate(good + bad)), encoding="utf-8")
    model = tmp_path / "m.npz"
    code, out, err = run("sentiment", "train", str(train), "--columns", "id,label,text", "-o", str(model))
    assert code == 0, err
    assert model.exists() and "trained on 8 rows" in out
    code, out, err = run("eval", "sentiment", str(train), "--columns", "id,label,text", "--train", str(train), "--json")
    assert code == 0, err
    assert json.loads(out)["accuracy"] == 1.0


def test_sentiment_eval_refuses_bad_labels(tmp_path: Path) -> None:
    gold = tmp_path / "gold.tsv"
    gold.write_text("label\ttext\nmaybe\t还行\n", encoding="utf-8")
    code, _, err = run("eval", "sentiment", str(gold))
    assert code == 1
    assert "label: expected 0 or 1, got 'maybe'" in err


def test_eval_dedupe(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.txt"
    pairs.write_text(
        "今天地铁二号线因故障停运半小时\t今天地铁二号线因故障停运半小时！\t1\n你好\t再见\t0\n", encoding="utf-8"
    )
    code, out, err = run("eval", "dedupe", str(pairs), "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["pairs"] == 2 and figures["f1"] == 1.0


def test_bad_fields_option_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "x"}\n', encoding="utf-8")
    code, _, err = run("analyze", str(src), "--fields", "colour=Colour")
    assert code == 2 and "unknown field 'colour'" in err

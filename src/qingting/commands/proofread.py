"""``qingting proofread FILE``: proofreading assist (三校) for each line of a UTF-8 text file.

A thin interface over :class:`qingting.core.proofread.Proofreader`; it stores nothing.

    qingting proofread draft.txt
    qingting proofread draft.txt --json --wording 规范表述.txt --key-dates 敏感节点.txt --today 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click
import orjson

__all__ = ["register"]

KIND_LABELS = {
    "typo": "错别字",
    "idiom": "成语",
    "wording": "规范表述",
    "date": "日期",
    "weekday": "星期",
    "key_date": "敏感节点",
    "number": "数字",
    "link": "链接",
}


def register(group: click.Group) -> None:
    """Add the ``proofread`` command to the ``qingting`` command."""
    group.add_command(proofread)


def _read_lines(path: str, option: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as e:
        raise click.BadParameter(f"{path} is not UTF-8 (byte {e.start})", param_hint=option) from None
    except OSError as e:
        raise click.BadParameter(f"cannot read {path}: {e.strerror or e}", param_hint=option) from None


@click.command(name="proofread")
@click.argument("input_path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input line: {line, findings}.")
@click.option(
    "--wording",
    type=click.Path(dir_okay=False),
    default=None,
    help="The organisation's standard-wording list: one 'wrong => right' per line.",
)
@click.option(
    "--key-dates",
    type=click.Path(dir_okay=False),
    default=None,
    help="Sensitive days: one 'MM-DD name' or 'YYYY-MM-DD name' per line.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Reference day for dates without a year (default: today).",
)
def proofread(
    input_path: str, as_json: bool, wording: str | None, key_dates: str | None, today: dt.datetime | None
) -> None:
    """Check each line of FILE for typos, idioms, wording, dates and weekdays, and key dates."""
    from qingting.core.proofread import Proofreader, parse_key_dates, parse_wording_rules

    try:
        rules = parse_wording_rules(_read_lines(wording, "--wording")) if wording else []
    except ValueError as e:
        raise click.BadParameter(f"{wording}: {e}", param_hint="--wording") from None
    try:
        keys = parse_key_dates(_read_lines(key_dates, "--key-dates")) if key_dates else []
    except ValueError as e:
        raise click.BadParameter(f"{key_dates}: {e}", param_hint="--key-dates") from None
    lines = _read_lines(input_path, "FILE")
    checker = Proofreader(wording=rules, key_dates=keys, today=today.date() if today else None)
    out: Any = sys.stdout.buffer
    total = 0
    for n, line in enumerate(lines, 1):
        findings = checker.check(line)
        total += len(findings)
        if as_json:
            payload = {"line": n, "findings": [f.as_dict() for f in findings]}
            out.write(orjson.dumps(payload) + b"\n")
            continue
        for f in findings:
            suggestion = f" → {f.suggestion}" if f.suggestion else ""
            label = KIND_LABELS.get(f.kind, f.kind)
            click.echo(f"{n}:{f.start + 1}: [{label}] {f.text}{suggestion}  {f.message}")
    if as_json:
        out.flush()
    else:
        click.echo(f"{len(lines)} lines, {total} findings", err=True)

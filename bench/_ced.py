"""The CED Weibo stream for benchmarks: made once from ../shared, and the repost links it encodes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
STREAM = ROOT / "bench" / "out" / "ced.jsonl"


def ced_stream() -> Path:
    """``bench/out/ced.jsonl`` (771,960 time-ordered posts), made by ../shared/tools/ced_stream.py if missing."""
    if not STREAM.exists():
        tool = SHARED / "tools" / "ced_stream.py"
        if not tool.exists():
            sys.exit(f"CED tool not found at {tool}: this benchmark needs ../shared")
        STREAM.parent.mkdir(parents=True, exist_ok=True)
        print(f"making {STREAM} with {tool} (about a minute) …", file=sys.stderr, flush=True)
        tmp = STREAM.with_suffix(".part")
        with tmp.open("wb") as f:
            subprocess.run([sys.executable, str(tool)], stdout=f, check=True)
        tmp.rename(STREAM)
    return STREAM


def parent_id(record: Mapping[str, Any]) -> str | None:
    """The id of the item a CED repost reposts, as Weibo's ``retweeted_status`` would give it.

    ced_stream.py writes the parent's raw mid ("" = the cascade's original); item ids are
    ``r<mid>`` for reposts and ``o<cascade>`` for originals.
    """
    if record.get("kind") != "repost":
        return None
    parent = record.get("parent")
    return f"r{parent}" if parent else f"o{record['cluster']}"

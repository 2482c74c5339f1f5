"""``python -m qingting.demo [-o FILE] [--seed N] [--days N] [--scale X] [--start ISO]``.

Writes the FICTIONAL demo stream as JSON Lines (to standard output without ``-o``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from qingting.demo.stream import generate, write_jsonl


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, generate the stream and write it; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m qingting.demo", description=__doc__)
    parser.add_argument("-o", "--output", help="JSONL file to write (default: standard output)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--start", type=datetime.fromisoformat, default=None, help="e.g. 2026-06-15T00:00+08:00")
    args = parser.parse_args(argv)
    try:
        records = generate(seed=args.seed, start=args.start, days=args.days, scale=args.scale)
    except ValueError as exc:
        parser.error(str(exc))
    if args.output:
        n = write_jsonl(args.output, records)
        print(f"wrote {n} records to {args.output}", file=sys.stderr)
    else:
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

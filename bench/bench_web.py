"""Platform benchmarks: persisting ingestion (items/s) and page server times at scale.

    .venv/bin/python bench/bench_web.py ingest --items 20000 --batch 1000 [--engine core|none]
    .venv/bin/python bench/bench_web.py pages --items 1000000 --repeat 10

The work is done by ``qingting.web.benchmark`` (it needs Django's settings, so it lives beside the
platform); this is its one-command entry point under ``bench/``. Set ``QINGTING_DATABASE_URL`` to
measure server mode on PostgreSQL.
"""

from __future__ import annotations

import sys

from qingting.web.benchmark import main

if __name__ == "__main__":
    main(sys.argv[1:])

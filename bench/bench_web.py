"""Platform benchmarks: persisting ingestion (items/s) and page server times at scale.

    .venv/bin/python bench/bench_web.py ingest --items 20000 --batch 1000 [--engine core|none]
    .venv/bin/python bench/bench_web.py import --items 50000 --batch 2000
    .venv/bin/python bench/bench_web.py pages --items 1000000 --repeat 10
    .venv/bin/python bench/bench_web.py server-ingest --items 30000 --workers 2 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_platform_ingest --broker-url redis://127.0.0.1:6379/5
    .venv/bin/python bench/bench_web.py pages --items 10000000 --repeat 20 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_platform

The work is done by ``qingting.web.benchmark`` (it needs Django's settings, so it lives beside the
platform); this is its one-command entry point under ``bench/``. ``--database-url`` measures
server mode on PostgreSQL: that database is dropped and re-created first.
"""

from __future__ import annotations

import sys

from qingting.web.benchmark import main

if __name__ == "__main__":
    main(sys.argv[1:])

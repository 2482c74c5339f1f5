"""The event page's server time on a loaded demo, and the share of it the storyline costs.

    .venv/bin/python -m qingting.cli demo --no-serve        # with QINGTING_DATA_DIR=/tmp/ep-demo
    QINGTING_DATA_DIR=/tmp/ep-demo .venv/bin/python bench/bench_event_page.py [--events 3] [--repeat 5]

For the three largest events, as the county analyst (sees everything) and the township analyst
(a subset): the page's median wall and CPU time through Django's test client (no network), and
the CPU time of the sentiment-over-time, storyline and related-records selectors alone — quoted
as a share of the page's CPU time, measured in the same run (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingting.web.config.settings.embedded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from django.test import Client

    from qingting.web.accounts.models import User
    from qingting.web.monitoring import storyline
    from qingting.web.monitoring.models import Event

    print(f"data dir {os.environ.get('QINGTING_DATA_DIR')}; events {args.events}; repeat {args.repeat}")
    events = list(Event.objects.filter(merged_into__isnull=True).order_by("-item_count")[: args.events])
    for username in ("demo_analyst", "demo_liuwan"):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for e in events:
            wall, cpu = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                status = client.get(f"/events/{e.pk}/").status_code
                wall.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            c1 = time.process_time()
            for _ in range(args.repeat):
                series = storyline.sentiment_over_time(user, e)
                moments = storyline.storyline(user, e, series)
                storyline.related(user, e)
            own = (time.process_time() - c1) / args.repeat
            page, median_wall = statistics.median(cpu), statistics.median(wall)
            print(
                f"{username} event {e.pk} ({e.item_count} items, HTTP {status}): page {median_wall * 1000:.0f} ms"
                f" wall / {page * 1000:.0f} ms CPU; storyline selectors {own * 1000:.0f} ms CPU"
                f" ({100 * own / page:.0f} % of the page); {len(series.starts)} buckets of {series.bucket_hours} h;"
                f" moments {[m.kind for m in moments]}"
            )


if __name__ == "__main__":
    main()

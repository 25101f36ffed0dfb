"""Digest benchmark: 50,000 subscribers with three alerts each, 1,000 new resources.

`.venv/bin/python bench/digest.py` seeds its own database (the benchmark database's name
with `_digest_bench` added): resources, articles and subscribers through seedbench, then
saved searches drawn from a skewed distribution (a few popular filters, a long tail; one
in six with search words) and three confirmed alerts per subscriber, and puts 1,000
resources into this week's window. It starts the SMTP sink process (bench/mailsink.py)
and two task workers as bench/newsletter.py does, runs `manage.py senddigests` and waits
until every digest is sent. It reports the time the database took to match everything
(DigestRun.match_seconds), the rows created, the send rate, the processor time of the
workers and of the sink, and whether the sink got exactly one digest per row.
"""

import argparse
import importlib.util
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402 (bench/run.py: the environment and the database helpers)

# bench/newsletter.py's worker and measuring helpers (its name is the app's, hence
# loaded by path).
_spec = importlib.util.spec_from_file_location(
    "newsletter_bench", Path(__file__).resolve().parent / "newsletter.py"
)
newsletter_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(newsletter_bench)
sys.path.insert(0, str(bench.ROOT))  # it put bench/ first again: the app must win

bench.SUFFIX = "_digest_bench"
ROOT = bench.ROOT
ALERTS_PER_SUBSCRIBER = 3
WORDS = [
    "forced labour",
    "child trafficking",
    "sexual exploitation",
    "migrant workers",
    "fishing",
    "domestic servitude",
    "supply chains",
    "victim identification",
    "organ removal",
    "online recruitment",
]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=50_000, help="(50,000)")
    parser.add_argument("--new-resources", type=int, default=1_000, help="in the window (1,000)")
    parser.add_argument("--searches", type=int, default=3_000, help="distinct filters (3,000)")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes (2)")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after (s)")
    parser.add_argument("--seed", type=int, default=8, help="of the random draws (8)")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument(
        "--stock-sink", action="store_true", help="the sink reads DATA as aiosmtpd does"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser.parse_args()


def seed(arguments: argparse.Namespace) -> dict:
    """Have the subscribers, their alerts and the resources; return what it took."""
    from django.core.management import call_command
    from django.db import connections

    from newsletter.models import Subscriber
    from resources.models import Resource

    started = time.perf_counter()
    missing = max(0, arguments.subscribers - Subscriber.objects.count())
    resources = max(0, 5 * arguments.new_resources - Resource.objects.count())
    if missing or resources:
        connections.close_all()
        child = multiprocessing.get_context("fork").Process(
            target=call_command,
            args=["seedbench"],
            kwargs={
                "subscribers": missing,
                "resources": resources,
                "articles": 200 if resources else 0,
                "seed": arguments.seed,
            },
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"seedbench failed (exit code {child.exitcode}).")
    Subscriber.objects.update(
        status=Subscriber.Status.CONFIRMED,
        wants_resource_digest=True,
        digest_frequency=Subscriber.Frequency.WEEKLY,
    )
    alerts = seed_alerts(arguments)
    return {"seconds": round(time.perf_counter() - started, 1), "alerts": alerts}


def draw_filters(arguments: argparse.Namespace, draw: random.Random) -> list:
    """Return distinct LibraryQuery filters, the shapes people save most coming first."""
    from resources.filters import LibraryQuery
    from resources.models import Author, Category, Country, Region

    countries = list(Country.objects.all())
    regions = list(Region.objects.all())
    categories = list(Category.objects.all())
    authors = list(Author.objects.order_by("pk")[:500])
    shapes = [
        (30, lambda: {"terms": {"country": [draw.choice(countries)]}}),
        (15, lambda: {"terms": {"category": [draw.choice(categories)]}}),
        (
            15,
            lambda: {
                "terms": {
                    "country": [draw.choice(countries)],
                    "category": [draw.choice(categories)],
                }
            },
        ),
        (8, lambda: {"terms": {"region": [draw.choice(regions)]}}),
        (6, lambda: {"terms": {"country": draw.sample(countries, 2)}}),
        (5, lambda: {"terms": {"author": [draw.choice(authors)]}} if authors else {}),
        (4, lambda: {"year_from": draw.choice([2015, 2018, 2020, 2022])}),
        (10, lambda: {"q": draw.choice(WORDS)}),
        (
            7,
            lambda: {"q": draw.choice(WORDS), "terms": {"country": [draw.choice(countries)]}},
        ),
    ]
    weights = [weight for weight, _ in shapes]
    filters, seen = [], set()
    for _attempt in range(arguments.searches * 20):
        if len(filters) >= arguments.searches:
            break
        shape = draw.choices(shapes, weights)[0][1]()
        query = LibraryQuery(**shape)
        key = repr(sorted((k, repr(v)) for k, v in shape.items()))
        if shape and key not in seen:
            seen.add(key)
            filters.append(query)
    return filters


def seed_alerts(arguments: argparse.Namespace) -> int:
    """Give every subscriber three confirmed alerts, popular filters drawn most (Zipf)."""
    from django.utils import timezone

    from newsletter.models import Alert, SavedSearch, Subscriber

    if Alert.objects.count() >= arguments.subscribers * ALERTS_PER_SUBSCRIBER:
        return Alert.objects.count()
    Alert.objects.all().delete()
    SavedSearch.objects.all().delete()
    draw = random.Random(arguments.seed)
    searches = SavedSearch.objects.bulk_create(
        [SavedSearch(**SavedSearch.fields_for(query)) for query in draw_filters(arguments, draw)],
        ignore_conflicts=False,
    )
    popularity = [1 / (rank + 1) for rank in range(len(searches))]
    now = timezone.now()
    alerts = []
    for subscriber_id in Subscriber.objects.values_list("pk", flat=True):
        chosen = set()
        while len(chosen) < ALERTS_PER_SUBSCRIBER:
            chosen.add(draw.choices(range(len(searches)), popularity)[0])
        alerts.extend(
            Alert(subscriber_id=subscriber_id, search=searches[i], confirmed_at=now) for i in chosen
        )
    Alert.objects.bulk_create(alerts, batch_size=10_000)
    return len(alerts)


def new_window(arguments: argparse.Namespace) -> None:
    """Forget earlier runs; put exactly --new-resources published resources in this window."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from newsletter.digests import period_start, previous_period_start
    from newsletter.models import DigestRun
    from resources.models import Resource

    DBTaskResult.objects.all().delete()
    DigestRun.objects.all().delete()  # with their matches and deliveries
    now = timezone.now()
    floor = previous_period_start("weekly", period_start("weekly", now))
    published = Resource.objects.filter(status=Resource.Status.PUBLISHED)
    published.filter(published_at__gt=floor).update(published_at=floor - timedelta(days=1))
    draw = random.Random(arguments.seed)
    ids = list(published.order_by("pk").values_list("pk", flat=True))
    chosen = draw.sample(ids, min(arguments.new_resources, len(ids)))
    seconds = max(60, int((now - floor).total_seconds()) - 60)
    for pk in chosen:
        Resource.objects.filter(pk=pk).update(
            published_at=now - timedelta(seconds=draw.randrange(30, seconds))
        )


def main() -> int:
    arguments = parse_arguments()
    database = bench.use_bench_database(fresh=arguments.fresh)
    bench.django.setup()

    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Max, Min

    from newsletter.digests import DIGESTS
    from newsletter.models import Alert, DigestDelivery, DigestRun, SavedSearch

    print(f"Benchmark database: {database['NAME']} on {database['HOST'] or 'localhost'}")
    call_command("migrate", interactive=False, verbosity=0)
    seeding = seed(arguments)
    new_window(arguments)
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(
        f"Seeding: {seeding['seconds']} s; {arguments.subscribers:,} subscribers, "
        f"{Alert.objects.count():,} alerts on {SavedSearch.objects.count():,} distinct searches"
    )

    with newsletter_bench.SendingRig(
        database, arguments.workers, stock_sink=arguments.stock_sink
    ) as rig:
        started = time.perf_counter()
        queued = subprocess.run(
            [*rig.manage, "senddigests"], cwd=ROOT, env=rig.env, capture_output=True, text=True
        )
        print(queued.stdout.strip() or queued.stderr.strip())
        command_seconds = time.perf_counter() - started
        run = DigestRun.objects.get(frequency="weekly")
        counts = rig.wait_until_sent(lambda: DIGESTS.progress(run.pk), started + arguments.timeout)
        seconds = time.perf_counter() - started
    worker_peaks, worker_cpu, sink_cpu = rig.worker_peaks, rig.worker_cpu, rig.sink_cpu
    sink_results = rig.sink_results
    received = sink_results["recipients"]

    rows = DigestDelivery.objects.filter(run=run)
    span = rows.filter(status="sent").aggregate(first=Min("sent_at"), last=Max("sent_at"))
    send_seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else 0
    total = sum(received.values())
    expected = set(rows.values_list("subscriber__email", flat=True))
    report = {
        "environment": bench.environment(),
        "subscribers": arguments.subscribers,
        "alerts": Alert.objects.count(),
        "distinct_searches": SavedSearch.objects.count(),
        "new_resources": arguments.new_resources,
        "match_seconds": round(run.match_seconds, 1),
        "senddigests_seconds": round(command_seconds, 1),
        "searches_matched": run.searches_matched,
        "delivery_rows": run.subscribers_matched,
        "seconds": round(seconds, 1),
        "messages_per_second": round(total / seconds, 1) if seconds else None,
        "messages_per_second_while_sending": round(total / send_seconds, 1)
        if send_seconds
        else None,
        "worker_peak_rss_mb": worker_peaks,
        "worker_cpu_seconds": worker_cpu,
        "worker_cpu_ms_per_message": round(sum(worker_cpu) * 1000 / total, 2) if total else None,
        "sink": "aiosmtpd" if arguments.stock_sink else "mailsink",
        "sink_cpu_seconds": sink_cpu,
        "sink_cpu_ms_per_message": round(sink_cpu * 1000 / total, 3) if total else None,
        "sink_messages": total,
        "sink_bytes": sink_results["bytes"],
        "duplicates": sum(count - 1 for count in received.values() if count > 1),
        "missed": len(expected - set(received)),
        "strangers": len(set(received) - expected),
        "progress": counts,
        "load_average": os.getloadavg(),
    }
    print()
    print(
        "| subscribers | alerts | searches | new resources | match s | rows | workers "
        "| msg/s | sink count | duplicates | missed |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {arguments.subscribers:,} | {report['alerts']:,} | {report['distinct_searches']:,} "
        f"| {arguments.new_resources:,} | {report['match_seconds']} "
        f"| {report['delivery_rows']:,} | {arguments.workers} "
        f"| {report['messages_per_second']} ({report['messages_per_second_while_sending']} "
        f"while sending) | {total:,} | {report['duplicates']} | {report['missed']} |"
    )
    print(
        f"senddigests returned in {report['senddigests_seconds']} s; progress {counts}; "
        f"worker CPU {worker_cpu} s ({report['worker_cpu_ms_per_message']} ms a message, "
        f"Django's start-up included), peak RSS {worker_peaks} MB; sink ({report['sink']}) "
        f"CPU {sink_cpu} s ({report['sink_cpu_ms_per_message']} ms a message), "
        f"{sink_results['bytes']:,} bytes received; load average "
        f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"Wrote {arguments.json}")
    ok = (
        report["match_seconds"] < 120
        and total == report["delivery_rows"]
        and not report["duplicates"]
        and not report["missed"]
        and not report["strangers"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Newsletter sending benchmark: one issue to N confirmed subscribers by two db_workers.

`.venv/bin/python bench/newsletter.py` seeds its own database (the benchmark database's
name with `_newsletter` added), starts an SMTP sink process (bench/mailsink.py) that
counts the messages per recipient, starts the task workers (`manage.py db_worker`), runs
`manage.py sendissue` and waits until every delivery is done. It reports messages per
second, each worker's peak memory (VmHWM), the processor time of the workers and of the
sink, and whether the sink got exactly one message per subscriber.
bench/README.md explains the figures.
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mailsink  # noqa: E402 (bench/mailsink.py: the SMTP sink)
import run as bench  # noqa: E402 (bench/run.py: the environment and the database helpers)

bench.SUFFIX = "_newsletter_bench"
ROOT = bench.ROOT


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--subscribers", type=int, default=100_000, help="confirmed subscribers (100,000)"
    )
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes (2)")
    parser.add_argument("--batch-size", type=int, help="NEWSLETTER_BATCH_SIZE for the workers")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after (s)")
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the benchmark database first"
    )
    parser.add_argument(
        "--stock-sink", action="store_true", help="the sink reads DATA as aiosmtpd does"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser.parse_args()


# Seeding -------------------------------------------------------------------------------


def seed(subscribers: int) -> dict:
    """Have exactly `subscribers` confirmed bench subscribers; return what it took."""
    from django.core.management import call_command
    from django.db import connections

    from news.models import Article
    from newsletter.models import Subscriber

    started = time.perf_counter()
    missing = max(0, subscribers - Subscriber.objects.count())
    articles = max(0, 5 - Article.objects.count())
    if missing or articles:
        connections.close_all()
        child = multiprocessing.get_context("fork").Process(
            target=call_command,
            args=["seedbench"],
            kwargs={
                "subscribers": missing,
                "articles": articles,
                "resources": 5 if articles else 0,
            },
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"seedbench failed (exit code {child.exitcode}).")
    # seedbench mixes states as a real list has them (three in four confirmed); the
    # benchmark sends to the full number, so every one of them is confirmed here.
    Subscriber.objects.exclude(status=Subscriber.Status.CONFIRMED).update(
        status=Subscriber.Status.CONFIRMED
    )
    return {"seconds": round(time.perf_counter() - started, 1), "added": missing}


def new_issue():
    """Forget earlier runs (issues, deliveries, task rows) and compose a fresh issue."""
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from news.models import Article
    from newsletter.models import Issue
    from resources.models import Resource

    DBTaskResult.objects.all().delete()
    Issue.objects.all().delete()  # and their deliveries
    issue = Issue.objects.create(
        subject="Benchmark issue",
        slug=f"benchmark-{timezone.now():%Y%m%d%H%M%S}",
        introduction="<p>This month: new guidance on labour exploitation, and what our "
        "members learnt from a year of hotline calls.</p>",
    )
    issue.articles.set(Article.objects.order_by("pk")[:5])
    issue.resources.set(Resource.objects.order_by("pk")[:3])
    return issue


def database_url(database: dict) -> str:
    return "postgres://{}:{}@{}:{}/{}".format(
        quote(database["USER"] or "", safe=""),
        quote(database["PASSWORD"] or "", safe=""),
        quote(database["HOST"] or "", safe=""),
        database["PORT"] or 5432,
        database["NAME"],
    )


def cpu_seconds(pid: int) -> float:
    """Return the processor time pid has used so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class SendingRig:
    """The SMTP sink and the task workers of a sending benchmark, as production runs them.

    In a `with` block: the sink (bench/mailsink.py, its own process) and `workers`
    `manage.py db_worker` processes run, and `manage` and `env` start commands that send
    through them. On leaving, the workers' peak RSS and processor time and the sink's are
    read, then everything is stopped and the sink's counts are in `sink_results`.
    """

    def __init__(self, database: dict, workers: int, *, stock_sink: bool, batch_size=None):
        self.database, self.worker_count = database, workers
        self.stock_sink, self.batch_size = stock_sink, batch_size
        self.manage = [sys.executable, str(ROOT / "manage.py")]

    def __enter__(self) -> "SendingRig":
        from django.db import connections

        connections.close_all()
        port = bench_free_port()
        context = multiprocessing.get_context("spawn")
        self.ready, self.stop, self.results = context.Event(), context.Event(), context.Queue()
        self.sink = context.Process(
            target=mailsink.run_sink,
            args=(port, self.ready, self.stop, self.results, self.stock_sink),
            daemon=True,
        )
        self.sink.start()
        self.ready.wait(30)
        # Python's and aiosmtpd's start-up: not sending.
        self.sink_start_cpu = cpu_seconds(self.sink.pid)
        env = {
            **os.environ,
            "DATABASE_URL": database_url(self.database),
            "DJANGO_DEBUG": "0",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "EMAIL_USE_TLS": "0",
        }
        env.pop("EMAIL_HOST_USER", None), env.pop("EMAIL_HOST_PASSWORD", None)
        if self.batch_size:
            env["NEWSLETTER_BATCH_SIZE"] = str(self.batch_size)
        # The figures in bench/README.md were measured with 4 senders per worker.
        env.setdefault("NEWSLETTER_SEND_THREADS", "4")
        self.env = env
        self.workers = [
            subprocess.Popen(
                [*self.manage, "db_worker", "--interval", "0.5", "--no-startup-delay"]
                + ["--verbosity", "0"],
                cwd=ROOT,
                env=env,
            )
            for _ in range(self.worker_count)
        ]
        time.sleep(3)  # the workers start (Django setup) before the clock does
        return self

    @staticmethod
    def wait_until_sent(progress, deadline: float) -> dict:
        """Poll progress() (counts by delivery status) until nothing is queued or sending,
        or the perf_counter() deadline passes; return the last counts."""
        while True:
            counts = progress()
            if counts["queued"] + counts["sending"] == 0 or time.perf_counter() > deadline:
                return counts
            time.sleep(0.5)

    def __exit__(self, *exc_info) -> None:
        self.worker_peaks = [peak_rss_mb(worker.pid) for worker in self.workers]
        self.worker_cpu = [cpu_seconds(worker.pid) for worker in self.workers]
        self.sink_cpu = round(cpu_seconds(self.sink.pid) - self.sink_start_cpu, 1)
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.wait(30)
        self.stop.set()
        self.sink_results = self.results.get(timeout=60)
        self.sink.join(10)


def main() -> int:
    arguments = parse_arguments()
    database = bench.use_bench_database(fresh=arguments.fresh)
    bench.django.setup()

    from django.core.management import call_command
    from django.db import connections
    from django.db.models import Max, Min

    from newsletter.models import Delivery, Subscriber
    from newsletter.sending import progress

    print(f"Benchmark database: {database['NAME']} on {database['HOST'] or 'localhost'}")
    call_command("migrate", interactive=False, verbosity=0)
    seeding = seed(arguments.subscribers)
    subscribers = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count()
    print(f"Seeding: {seeding['seconds']} s; {subscribers:,} confirmed subscribers")
    issue = new_issue()
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")

    with SendingRig(
        database,
        arguments.workers,
        stock_sink=arguments.stock_sink,
        batch_size=arguments.batch_size,
    ) as rig:
        started = time.perf_counter()
        queued = subprocess.run(
            [*rig.manage, "sendissue", str(issue.pk)],
            cwd=ROOT,
            env=rig.env,
            capture_output=True,
            text=True,
        )
        print(queued.stdout.strip() or queued.stderr.strip())
        returned_seconds = time.perf_counter() - started
        counts = rig.wait_until_sent(lambda: progress(issue), started + arguments.timeout)
        seconds = time.perf_counter() - started
    worker_peaks, worker_cpu, sink_cpu = rig.worker_peaks, rig.worker_cpu, rig.sink_cpu
    sink_results = rig.sink_results
    received = sink_results["recipients"]

    span = Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT).aggregate(
        first=Min("sent_at"), last=Max("sent_at")
    )
    sent_span = (span["last"] - span["first"]).total_seconds() if span["first"] else 0
    total = sum(received.values())
    duplicates = sum(count - 1 for count in received.values() if count > 1)
    expected = set(
        Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).values_list(
            "email", flat=True
        )
    )
    report = {
        "environment": bench.environment(),
        "subscribers": subscribers,
        "workers": arguments.workers,
        "batch_size": arguments.batch_size,
        "sendissue_seconds": round(returned_seconds, 2),
        "seconds": round(seconds, 1),
        "messages_per_second": round(total / seconds, 1),
        "messages_per_second_while_sending": round(total / sent_span, 1) if sent_span else None,
        "worker_peak_rss_mb": worker_peaks,
        "worker_cpu_seconds": worker_cpu,
        "sink": "aiosmtpd" if arguments.stock_sink else "mailsink",
        "sink_cpu_seconds": sink_cpu,
        "sink_cpu_ms_per_message": round(sink_cpu * 1000 / total, 3) if total else None,
        "sink_messages": total,
        "sink_bytes": sink_results["bytes"],
        "sink_recipients": len(received),
        "duplicates": duplicates,
        "missed": len(expected - set(received)),
        "strangers": len(set(received) - expected),
        "progress": counts,
    }
    print()
    print(
        "| subscribers | workers | seconds | msg/s | peak RSS per worker, MB "
        "| sink count | duplicates | missed |"
    )
    print("| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    print(
        f"| {subscribers:,} | {arguments.workers} | {report['seconds']} "
        f"| {report['messages_per_second']} | {', '.join(map(str, worker_peaks))} "
        f"| {total:,} | {duplicates} | {report['missed']} |"
    )
    print(f"sendissue returned in {report['sendissue_seconds']} s; progress {counts}")
    per_message = (sum(worker_cpu) + sink_cpu) * 1000 / max(total, 1)
    print(
        f"Processor time: workers {' + '.join(map(str, worker_cpu))} s, sink {sink_cpu} s "
        f"({report['sink_cpu_ms_per_message']} ms a message; {per_message:.2f} ms with the "
        f"workers', PostgreSQL's not counted); sink ({report['sink']}) received "
        f"{sink_results['bytes']:,} bytes; load average "
        f"{' '.join(f'{load:.1f}' for load in os.getloadavg())}"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"Wrote {arguments.json}")
    ok = (
        total == subscribers
        and not duplicates
        and not report["missed"]
        and not report["strangers"]
        and report["messages_per_second"] >= 500
        and max(worker_peaks) < 200
    )
    return 0 if ok else 1


def bench_free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())

from django.core.management.base import BaseCommand

from newsletter.digests import ensure_schedule, figures, send_digests


class Command(BaseCommand):
    help = (
        "Match and queue the digests of the current week and month now, unless that "
        "period's digest was already queued; the task workers (db_worker) send them. "
        "With --schedule, also start the hourly digest check if none is pending."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="start the periodic digest check task if it is not already scheduled",
        )

    def handle(self, *args, schedule: bool, **options) -> None:
        for run, created in send_digests():
            counts = figures(run)
            self.stdout.write(
                f"{run}: {created} deliveries queued now; in all {run.subscribers_matched} "
                f"subscribers matched, sent {counts['sent']}, "
                f"waiting {counts['queued'] + counts['sending']}, failed {counts['failed']}, "
                f"skipped {counts['skipped']}."
            )
        if schedule:
            started = ensure_schedule()
            self.stdout.write(
                "Periodic digest check scheduled."
                if started
                else "The periodic check was "
                "already scheduled (or the task backend cannot run tasks later)."
            )

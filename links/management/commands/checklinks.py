from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from links.models import LinkCheck
from links.services import check_links
from links.tasks import schedule_next_check


class Command(BaseCommand):
    help = _(
        "Check the outbound links of published articles and resources now; with --schedule, "
        "also queue the daily check for db_worker (it then queues itself each day)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule", action="store_true", help=_("Queue the daily check after this one.")
        )

    def handle(self, *args, schedule: bool = False, **options) -> None:
        counts = check_links()
        labels = dict(LinkCheck.Status.choices)
        total = sum(counts.values())
        self.stdout.write(_("%(count)d links checked.") % {"count": total})
        for status, count in sorted(counts.items()):
            self.stdout.write(f"  {labels[status]}: {count}")
        if schedule:
            if schedule_next_check():
                self.stdout.write(_("The next check is queued for tomorrow."))
            else:
                self.stderr.write(_("This task backend cannot run a task later: nothing queued."))

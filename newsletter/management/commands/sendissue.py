from django.core.management.base import BaseCommand, CommandError

from newsletter.models import Issue
from newsletter.sending import progress, queue_issue


class Command(BaseCommand):
    help = (
        "Queue newsletter issue ID for sending to every confirmed subscriber, as the "
        "admin's send button does; the task workers (db_worker) send it. Returns at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("issue_id", metavar="ID", help="the id of the issue to send")

    def handle(self, *args, issue_id: str, **options) -> None:
        issue = None
        if issue_id.isascii() and issue_id.isdigit() and int(issue_id) < 2**63:
            issue = Issue.objects.filter(pk=int(issue_id)).first()
        if issue is None:
            raise CommandError(
                f"There is no newsletter issue with the id {issue_id!r}: the admin lists "
                "the issues and their ids."
            )
        already_queued = issue.is_queued
        created = queue_issue(issue)
        if already_queued:
            counts = progress(issue)
            self.stdout.write(
                f"Issue {issue.pk} ({issue.subject}) was already queued on "
                f"{issue.queued_at:%Y-%m-%d %H:%M %Z}; nothing new was queued. "
                f"Sent {counts['sent']}, waiting {counts['queued'] + counts['sending']}, "
                f"failed {counts['failed']}, skipped {counts['skipped']}."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Issue {issue.pk} ({issue.subject}) queued for {created} confirmed "
                    "subscribers; the task workers (manage.py db_worker) send it."
                )
            )

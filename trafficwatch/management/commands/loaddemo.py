from django.core.management.base import BaseCommand

from trafficwatch.demo.loader import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo articles, resources and taxonomy built from the seed site, in one "
        "transaction. For demo and development databases: rows are matched by slug (sources "
        "by name), missing ones are created, and demo rows that differ from the data file are "
        "restored to it, so staff edits to demo content are overwritten (status and "
        "publication time excepted: they are set only when a row is created). A second run "
        "changes nothing. The counts of created and updated rows include sections, sources "
        "and taxonomy."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(load_demo().summary())

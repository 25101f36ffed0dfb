from django.core.management.base import BaseCommand, CommandError, CommandParser

from trafficwatch.benchdata import TAG_POOL_SIZE, seed_bench

SIZES = ("resources", "articles", "subscribers")


class Command(BaseCommand):
    help = "Add synthetic resources, articles and subscribers in bulk, for the benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        for name in SIZES:
            parser.add_argument(f"--{name}", type=int, default=0, help=f"{name} to add")
        parser.add_argument(
            "--seed", type=int, help="seed of the random generator, to repeat a run"
        )
        parser.add_argument(
            "--tags",
            type=int,
            default=TAG_POOL_SIZE,
            help=f"tags the new articles are tagged from, created if missing "
            f"(default {TAG_POOL_SIZE:,})",
        )

    def handle(self, *args, **options) -> None:
        sizes = {name: options[name] for name in SIZES}
        for name, size in sizes.items():
            if size < 0:
                raise CommandError(f"--{name} must be 0 or more, not {size}.")
        if options["tags"] < 1:
            raise CommandError(f"--tags must be 1 or more, not {options['tags']}.")
        counts, seconds = seed_bench(**sizes, tags=options["tags"], seed=options["seed"])
        added = ", ".join(f"{counts[name]} {name}" for name in SIZES)
        self.stdout.write(self.style.SUCCESS(f"Added {added} in {seconds:.1f} s."))
        details = ", ".join(
            f"{count} {name}" for name, count in counts.items() if name not in SIZES
        )
        if details:
            self.stdout.write(f"Rows written or reused besides: {details}.")

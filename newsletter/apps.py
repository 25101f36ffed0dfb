from django.apps import AppConfig, apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the archive's cache invalidation)
        from .ratelimit import signup_rate

        # A malformed SIGNUP_RATE_LIMIT stops the site at startup, not at the first sign-up.
        signup_rate()
        post_migrate.connect(start_digest_checks, sender=self)


def start_digest_checks(*, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Start the periodic digest check after a deploy's migrate (once; see digests.py)."""
    from .digests import ensure_schedule
    from .models import DigestSchedule

    # A partial migrate (back to before the digests, or `migrate newsletter` into a new
    # database, before the task queue's own tables) leaves nothing to schedule yet.
    needed = [DigestSchedule]
    if apps.is_installed("django_tasks_db"):
        needed.append(apps.get_model("django_tasks_database", "DBTaskResult"))
    tables = set(connections[using].introspection.table_names())
    if all(model._meta.db_table in tables for model in needed):
        ensure_schedule()

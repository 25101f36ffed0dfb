from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends

from .services import check_links

CHECK_EVERY = timedelta(days=1)


@task()
def check_links_daily() -> dict[str, int]:
    """Check the outbound links, then queue the next check for a day later."""
    counts = check_links()
    schedule_next_check()
    return counts


def next_check_is_queued() -> bool:
    """Tell whether a check waits in django-tasks-db's queue (so no second chain starts)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[check_links_daily.backend], DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=check_links_daily.module_path
    ).exists()


def schedule_next_check() -> bool:
    """Queue check_links_daily a day from now, unless one is queued; False if impossible."""
    # The in-process backend of the tests runs a task at once: it cannot wait a day.
    if not task_backends[check_links_daily.backend].supports_defer:
        return False
    if not next_check_is_queued():
        check_links_daily.using(run_after=timezone.now() + CHECK_EVERY).enqueue()
    return True

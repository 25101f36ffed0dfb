"""Invalidate the archive's cached pages and feed whenever an issue changes.

Model signals, as news/signals.py explains: the admin, sendissue and the shell all pass here.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .cache import issues
from .models import Issue


def issue_changed(sender, **kwargs) -> None:
    issues.invalidate()


def issue_contents_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        issues.invalidate()


post_save.connect(issue_changed, sender=Issue)
post_delete.connect(issue_changed, sender=Issue)
for featured in (Issue.articles.through, Issue.resources.through):
    m2m_changed.connect(issue_contents_changed, sender=featured)

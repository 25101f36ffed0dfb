"""The newsletter archive's cache generation (trafficwatch/cache.py says how).

Replaced on every change to an issue or to what it features (newsletter/signals.py), and by
IssueQuerySet.update(), through which an issue is queued (update() sends no signal).
"""

from trafficwatch.cache import Generation


def never() -> None:
    """An issue joins the archive when it is queued, never at a time set in advance."""
    return None


issues = Generation("newsletter:issues", next_change=never)

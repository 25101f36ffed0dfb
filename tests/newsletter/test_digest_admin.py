"""The digest admin: each period's figures, read-only."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from newsletter import digests
from newsletter.models import DigestDelivery, DigestRun, Subscriber
from tests.factories import ConfirmedSubscriberFactory, ResourceFactory

pytestmark = pytest.mark.django_db

RUNS = "/admin/newsletter/digestrun/"


@pytest.fixture
def runs(sink_server, django_capture_on_commit_callbacks):
    """Two weeks of digests: three sent in the first, one skipped in the second."""
    readers = ConfirmedSubscriberFactory.create_batch(3, wants_resource_digest=True)
    for monday in (datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 9, 9, tzinfo=UTC)):
        with time_machine.travel(monday, tick=False):
            # Published within the period's window whatever ran before: the factory's
            # default (an hour earlier per resource the process created) would fall
            # before the window once a few hundred resources had been made.
            ResourceFactory(published_at=monday - timedelta(hours=1))
            with django_capture_on_commit_callbacks() as start:
                digests.send_digests()
            Subscriber.objects.filter(pk=readers[0].pk).update(wants_resource_digest=False)
            for callback in start:
                callback()
    return DigestRun.objects.filter(frequency="weekly").order_by("period_start")


def test_the_runs_list_shows_each_periods_delivery_figures_in_one_query(
    admin_client, runs, django_assert_num_queries
):
    """Guards against a count query per run listed."""
    # Session, user, two counts (filtered, total), the runs, two for the date hierarchy.
    with django_assert_num_queries(7):
        response = admin_client.get(RUNS, {"frequency__exact": "weekly"})

    first, second = sorted(response.context["cl"].result_list, key=lambda run: run.period_start)
    assert (first.deliveries_sent, first.deliveries_skipped, first.subscribers_matched) == (2, 1, 3)
    assert (second.deliveries_sent, second.deliveries_skipped) == (2, 0)
    assert DigestDelivery.objects.filter(run=runs[1]).count() == 2


def test_staff_cannot_add_change_or_delete_digest_rows(admin_client, runs):
    run = runs[0]
    assert admin_client.get(f"{RUNS}add/").status_code == 403
    assert admin_client.post(f"{RUNS}{run.pk}/delete/").status_code == 403
    assert admin_client.get(f"{RUNS}{run.pk}/change/").status_code == 200
    assert admin_client.get("/admin/newsletter/digestdelivery/?q=%00<script>").status_code == 200

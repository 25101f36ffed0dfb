"""The admin's front page: the work waiting, each card for those allowed to see it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from newsletter.models import Delivery
from tests.factories import (
    ArticleFactory,
    ConfirmedSubscriberFactory,
    DraftArticleFactory,
    DraftResourceFactory,
    ResourceFactory,
    SubscriberFactory,
)
from tests.newsletter.factories import SentIssueFactory

pytestmark = pytest.mark.django_db

INDEX = "/admin/"
# Session, user; drafts: count and latest per model (4); scheduled this week per model
# (2); dead links: count and latest (2); subscribers (1); last issue and its deliveries (2);
# the admin's own "recent actions".
INDEX_QUERIES = 14


def user_with(client, *codenames: str) -> User:
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_the_dashboard_counts_the_drafts_and_lists_the_latest_five(admin_client):
    for number in range(4):
        DraftArticleFactory(title=f"Draft article {number}")
    for number in range(3):
        DraftResourceFactory(title=f"Draft resource {number}")
    ArticleFactory(title="Public article")

    response = admin_client.get(INDEX)

    drafts = response.context["dashboard"]["drafts"]
    assert drafts["count"] == 7
    assert len(drafts["latest"]) == 5
    html = response.content.decode()
    assert "Drafts waiting" in html
    assert "Draft resource 2" in html
    assert "Public article" not in html


def test_the_dashboard_lists_what_is_scheduled_this_week(admin_client):
    ArticleFactory(title="Out on Friday", published_at=timezone.now() + timedelta(days=2))
    ResourceFactory(title="Out next month", published_at=timezone.now() + timedelta(days=20))

    html = admin_client.get(INDEX).content.decode()

    assert "Scheduled this week" in html
    assert "Out on Friday" in html
    assert "Out next month" not in html


def test_the_dashboard_shows_pending_and_confirmed_subscribers(admin_client):
    SubscriberFactory.create_batch(2)
    ConfirmedSubscriberFactory.create_batch(3)

    response = admin_client.get(INDEX)

    assert response.context["dashboard"]["subscribers"] == {"pending": 2, "confirmed": 3}
    assert "Waiting for confirmation" in response.content.decode()


def test_the_dashboard_shows_the_delivery_figures_of_the_last_sent_issue(admin_client):
    SentIssueFactory(subject="Older issue")
    issue = SentIssueFactory(subject="March issue", queued_at=timezone.now())
    for status in ("sent", "sent", "failed"):
        Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory(), status=status)

    response = admin_client.get(INDEX)

    last = response.context["dashboard"]["last_issue"]
    assert last["issue"] == issue
    assert ("Sent", 2) in last["figures"]
    assert ("Failed", 1) in last["figures"]
    html = response.content.decode()
    assert "March issue" in html
    assert "Older issue" not in html


def test_an_editor_sees_the_editorial_cards_and_not_the_subscribers(client):
    user_with(client, "view_article", "change_article", "view_resource")
    ConfirmedSubscriberFactory()

    response = client.get(INDEX)

    dashboard = response.context["dashboard"]
    assert "drafts" in dashboard
    assert "subscribers" not in dashboard
    assert "last_issue" not in dashboard
    assert "Waiting for confirmation" not in response.content.decode()


def test_a_newsletter_manager_sees_subscribers_and_not_drafts(client):
    user_with(client, "view_subscriber", "view_issue")
    DraftArticleFactory(title="Hidden draft")

    response = client.get(INDEX)

    dashboard = response.context["dashboard"]
    assert set(dashboard) == {"subscribers", "last_issue"}
    assert "Hidden draft" not in response.content.decode()


def test_the_dashboard_makes_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    DraftArticleFactory.create_batch(3)
    DraftResourceFactory.create_batch(3)
    ArticleFactory.create_batch(2, published_at=timezone.now() + timedelta(days=1))
    ConfirmedSubscriberFactory.create_batch(2)
    SentIssueFactory()

    with django_assert_num_queries(INDEX_QUERIES):
        response = admin_client.get(INDEX)

    assert response.status_code == 200

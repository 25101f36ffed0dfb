"""The issue admin: compose, fill, preview, send a test, send, and follow the sending."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone

from newsletter.models import Delivery, Issue
from tests.factories import (
    ArticleFactory,
    ConfirmedSubscriberFactory,
    DraftArticleFactory,
    DraftResourceFactory,
    ResourceFactory,
    ScheduledArticleFactory,
    SubscriberFactory,
)
from tests.newsletter.factories import IssueFactory, SentIssueFactory

pytestmark = pytest.mark.django_db

EDITOR_PERMISSIONS = ["view_issue", "add_issue", "change_issue", "delete_issue"]


def grant(user, *codenames: str) -> None:
    content_type = ContentType.objects.get_for_model(Issue)
    for codename in codenames:
        # "send_issue" is created here in case no migration declares it yet.
        permission, _created = Permission.objects.get_or_create(
            codename=codename, content_type=content_type, defaults={"name": codename}
        )
        user.user_permissions.add(permission)


@pytest.fixture
def editor(django_user_model):
    """A staff member who composes and sends the newsletter."""
    user = django_user_model.objects.create_user(
        "editor", "editor@example.org", "pw", is_staff=True
    )
    grant(user, *EDITOR_PERMISSIONS, "send_issue")
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def admin_url(issue: Issue, action: str = "change") -> str:
    return f"/admin/newsletter/issue/{issue.pk}/{action}/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# Composing


def test_saving_an_issue_removes_scripts_from_the_introduction(editor_client):
    article = ArticleFactory()

    response = editor_client.post(
        "/admin/newsletter/issue/add/",
        {
            "subject": "June",
            "slug": "june",
            "introduction": '<p>Hello <strong>all</strong></p><script>alert("x")</script>',
            "articles": [article.pk],
        },
    )

    assert response.status_code == 302
    issue = Issue.objects.get(slug="june")
    assert issue.introduction == "<p>Hello <strong>all</strong></p>"
    assert list(issue.articles.all()) == [article]


def test_the_slug_feed_is_refused_because_it_is_the_archive_feed(editor_client):
    response = editor_client.post(
        "/admin/newsletter/issue/add/", {"subject": "Feed", "slug": "feed"}
    )

    assert response.status_code == 200
    assert "is the address of another page" in response.content.decode()
    assert not Issue.objects.exists()


def test_the_compose_form_offers_search_as_you_type_for_articles_and_resources(editor_client):
    html = editor_client.get("/admin/newsletter/issue/add/").content.decode()

    for field in ("articles", "resources"):
        select = html[html.index(f'<select name="{field}"') :].split(">", 1)[0]
        assert 'class="admin-autocomplete' in select
    assert '<textarea name="introduction"' in html


# Filling


def test_fill_features_only_what_was_published_since_the_last_issue(editor_client):
    SentIssueFactory(queued_at=timezone.now() - timedelta(days=5))
    fresh_article = ArticleFactory(published_at=timezone.now() - timedelta(days=2))
    ArticleFactory(title="Old", published_at=timezone.now() - timedelta(days=8))
    DraftArticleFactory(published_at=timezone.now() - timedelta(days=1))
    ScheduledArticleFactory()
    fresh_resource = ResourceFactory(published_at=timezone.now() - timedelta(days=1))
    ResourceFactory(published_at=timezone.now() - timedelta(days=9))
    DraftResourceFactory(published_at=timezone.now() - timedelta(days=1))
    ResourceFactory(published_at=timezone.now() + timedelta(days=1))
    issue = IssueFactory(
        articles=[
            ArticleFactory(title="Old pick", published_at=timezone.now() - timedelta(days=20))
        ]
    )

    response = editor_client.post(admin_url(issue, "fill"), follow=True)

    assert list(issue.articles.all()) == [fresh_article]
    assert list(issue.resources.all()) == [fresh_resource]
    (message,) = messages_of(response)
    assert "1 article and 1 resource" in message


def test_fill_without_a_previous_issue_takes_the_last_thirty_days(editor_client):
    recent = ArticleFactory(published_at=timezone.now() - timedelta(days=29))
    ArticleFactory(published_at=timezone.now() - timedelta(days=31))
    issue = IssueFactory()

    editor_client.post(admin_url(issue, "fill"))

    assert list(issue.articles.all()) == [recent]


def test_fill_is_refused_on_a_sent_issue(editor_client):
    ArticleFactory()
    issue = SentIssueFactory()

    response = editor_client.post(admin_url(issue, "fill"), follow=True)

    assert not issue.articles.exists()
    assert "can no longer change" in messages_of(response)[0]


def test_fill_answers_only_posts(editor_client):
    assert editor_client.get(admin_url(IssueFactory(), "fill")).status_code == 405


# Previewing


def test_the_preview_shows_the_subject_the_email_in_a_sandbox_and_the_plain_text(editor_client):
    issue = IssueFactory(subject="June: seasonal work", articles=[ArticleFactory(title="Raids")])

    html = editor_client.get(admin_url(issue, "preview")).content.decode()

    assert "<strong>June: seasonal work</strong>" in html
    assert f'<iframe sandbox src="{admin_url(issue, "preview/email")}"' in html
    assert "<pre>" in html and "Raids" in html


def test_the_email_preview_is_served_under_a_sandboxing_policy(editor_client):
    issue = IssueFactory(subject="June: seasonal work")

    response = editor_client.get(admin_url(issue, "preview/email"))

    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "June: seasonal work" in response.content.decode()


def test_the_change_form_links_to_the_preview(editor_client):
    issue = IssueFactory()

    html = editor_client.get(admin_url(issue)).content.decode()

    assert f'href="{admin_url(issue, "preview")}"' in html


# Sending a test


def test_send_a_test_mails_the_issue_to_the_staff_members_own_address(editor_client, smtp_sink):
    issue = IssueFactory(subject="June")
    ConfirmedSubscriberFactory()

    response = editor_client.post(admin_url(issue, "send-test"), follow=True)

    (message,) = smtp_sink.messages
    assert message["To"] == "editor@example.org"
    assert message["Subject"] == "[Test] June"
    assert "A test of this issue was sent to editor@example.org." in messages_of(response)
    assert not Delivery.objects.exists()
    assert not Issue.objects.get().is_queued


def test_send_a_test_without_an_email_address_says_so(editor_client, editor, smtp_sink):
    editor.email = ""
    editor.save()

    response = editor_client.post(admin_url(IssueFactory(), "send-test"), follow=True)

    assert "Your staff account has no email address" in messages_of(response)[0]
    assert smtp_sink.messages == []


def test_send_a_test_answers_only_posts(editor_client, smtp_sink):
    assert editor_client.get(admin_url(IssueFactory(), "send-test")).status_code == 405
    assert smtp_sink.messages == []


def test_send_a_test_needs_the_csrf_token(editor, smtp_sink):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    assert client.post(admin_url(IssueFactory(), "send-test")).status_code == 403
    assert smtp_sink.messages == []


# Sending


def test_send_asks_for_confirmation_naming_how_many_will_receive_it(editor_client):
    ConfirmedSubscriberFactory.create_batch(3)
    SubscriberFactory()
    issue = IssueFactory(subject="June")

    html = editor_client.get(admin_url(issue, "send")).content.decode()

    assert "“June” will be sent to 3 confirmed subscribers." in html
    assert not Issue.objects.get().is_queued


def test_send_queues_the_issue_for_confirmed_subscribers_and_mails_each_once(
    editor_client, editor, smtp_sink, django_capture_on_commit_callbacks
):
    confirmed = ConfirmedSubscriberFactory.create_batch(2)
    SubscriberFactory(email="pending@example.org")
    SubscriberFactory(email="gone@example.org", status="unsubscribed")
    issue = IssueFactory(subject="June")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url(issue, "send"))

    assert response.status_code == 302
    assert response["Location"] == admin_url(issue)
    issue.refresh_from_db()
    assert issue.is_queued and issue.queued_by == editor
    assert {d.subscriber for d in Delivery.objects.all()} == set(confirmed)
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(s.email for s in confirmed)
    assert all(m["Subject"] == "June" for m in smtp_sink.messages)


def test_the_send_message_says_the_issue_is_queued(
    editor_client, django_capture_on_commit_callbacks, smtp_sink
):
    ConfirmedSubscriberFactory.create_batch(2)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url(IssueFactory(), "send"), follow=True)

    assert "The issue is queued for 2 subscribers: sending has started." in messages_of(response)


def test_sending_twice_creates_and_sends_nothing_more(
    editor_client, smtp_sink, django_capture_on_commit_callbacks
):
    ConfirmedSubscriberFactory.create_batch(2)
    issue = IssueFactory()
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(admin_url(issue, "send"))

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(admin_url(issue, "send"), follow=True)

    assert Delivery.objects.count() == 2
    assert len(smtp_sink.messages) == 2
    assert "This issue was already queued for sending: nothing changed." in messages_of(response)


def test_the_send_page_of_a_queued_issue_says_it_is_already_queued(editor_client):
    html = editor_client.get(admin_url(SentIssueFactory(), "send")).content.decode()

    assert "This issue was already queued for sending on" in html
    assert "Yes, send it" not in html


# Progress


def test_a_queued_issue_shows_its_deliveries_by_status(editor_client):
    issue = SentIssueFactory()
    for status in ["sent", "sent", "failed", "queued"]:
        Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory(), status=status)

    html = editor_client.get(admin_url(issue)).content.decode()

    assert "Sending: 2 of 4 sent" in html
    assert '<td data-progress-count="sent">2</td>' in html
    assert '<td data-progress-count="failed">1</td>' in html
    assert "js/issue_progress" in html


def test_the_progress_view_answers_the_counts_as_json(editor_client):
    issue = SentIssueFactory()
    Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory(), status="sent")

    data = json.loads(editor_client.get(admin_url(issue, "progress")).content)

    assert data["counts"] == {"queued": 0, "sending": 0, "sent": 1, "failed": 0, "skipped": 0}
    assert data["finished"] is True
    assert data["status"] == "Sent to 1 subscriber"


def test_a_finished_issue_stops_polling(editor_client):
    issue = SentIssueFactory()
    Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory(), status="sent")

    html = editor_client.get(admin_url(issue)).content.decode()

    assert "js/issue_progress" not in html
    assert 'data-finished="true"' in html


def test_the_list_shows_each_issues_status(editor_client, django_assert_max_num_queries):
    IssueFactory(subject="Being written")
    sending = SentIssueFactory(subject="Going out")
    sent = SentIssueFactory(subject="Done")
    for issue, status in [(sending, "queued"), (sending, "sent"), (sent, "sent"), (sent, "failed")]:
        Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory(), status=status)

    html = editor_client.get("/admin/newsletter/issue/").content.decode()

    assert "Draft" in html
    assert "Sending: 1 of 2 sent" in html
    assert "Sent to 1 subscriber (1 failed)" in html


def test_the_list_queries_do_not_grow_with_issues(editor_client, django_assert_num_queries):
    """Guards against a query per issue for its delivery counts."""
    for issue in SentIssueFactory.create_batch(3):
        Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory(), status="sent")
    editor_client.get("/admin/newsletter/issue/")  # the session is warm

    # The session, the user, its permissions (x2), the count (x2), the issues with counts.
    with django_assert_num_queries(7):
        assert editor_client.get("/admin/newsletter/issue/").status_code == 200


# A sent issue


def test_a_queued_issue_cannot_be_edited(editor_client):
    issue = SentIssueFactory(subject="June")

    html = editor_client.get(admin_url(issue)).content.decode()
    response = editor_client.post(admin_url(issue), {"subject": "Changed", "slug": issue.slug})

    assert 'name="subject"' not in html
    assert response.status_code == 403
    assert Issue.objects.get().subject == "June"


def test_a_queued_issue_cannot_be_deleted(editor_client):
    issue = SentIssueFactory()

    assert editor_client.post(admin_url(issue, "delete"), {"post": "yes"}).status_code == 403
    assert Issue.objects.exists()


# Who may do what


@pytest.mark.parametrize("action", ["change", "preview", "preview/email", "send", "progress"])
def test_visitors_are_sent_to_the_admin_login(client, action):
    response = client.get(admin_url(IssueFactory(), action))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("action", ["fill", "send-test", "send"])
def test_visitors_cannot_post_to_the_buttons(client, action, smtp_sink):
    issue = IssueFactory()

    response = client.post(admin_url(issue, action))

    assert response.status_code == 302
    assert not Issue.objects.get().is_queued
    assert smtp_sink.messages == []


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("get", "preview"),
        ("get", "preview/email"),
        ("post", "fill"),
        ("post", "send-test"),
        ("post", "send"),
        ("get", "send"),
    ],
)
def test_staff_who_may_only_view_issues_are_refused_the_buttons(
    client, django_user_model, method, action, smtp_sink
):
    viewer = django_user_model.objects.create_user("viewer", "viewer@example.org", is_staff=True)
    grant(viewer, "view_issue")
    client.force_login(viewer)
    issue = IssueFactory()

    assert getattr(client, method)(admin_url(issue, action)).status_code == 403
    assert not Issue.objects.get().is_queued
    assert smtp_sink.messages == []


def test_staff_who_may_edit_but_not_send_cannot_send(client, django_user_model):
    writer = django_user_model.objects.create_user("writer", "w@example.org", is_staff=True)
    grant(writer, *EDITOR_PERMISSIONS)
    client.force_login(writer)
    issue = IssueFactory()

    html = client.get(admin_url(issue)).content.decode()

    assert client.post(admin_url(issue, "send")).status_code == 403
    assert f'href="{admin_url(issue, "send")}"' not in html
    assert not Issue.objects.get().is_queued


def test_an_unknown_issue_answers_404(editor_client):
    assert editor_client.get("/admin/newsletter/issue/999999/preview/").status_code == 404

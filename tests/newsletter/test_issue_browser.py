"""The newsletter archive and the issue admin, in a real Chromium."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from newsletter.models import Delivery
from tests.factories import ArticleFactory, ConfirmedSubscriberFactory, ResourceFactory
from tests.newsletter.factories import IssueFactory, SentIssueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every WCAG 2.0, 2.1 and 2.2 success criterion at levels A and AA that axe checks.
WCAG_AA = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}


def log_in(page, live_server, user) -> None:
    """Give the browser the session of user, as if they had logged in to the admin."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def archive(db) -> list:
    issues = SentIssueFactory.create_batch(
        2, articles=ArticleFactory.create_batch(2), resources=ResourceFactory.create_batch(2)
    )
    return issues


def test_a_reader_goes_from_the_sign_up_page_to_an_issue_and_its_article(page, archive):
    newest = archive[0]
    article = newest.articles.order_by("-published_at").first()
    page.goto("/newsletter/subscribe/")

    page.get_by_role("link", name="Read the past issues in the newsletter archive").click()
    page.get_by_role("link", name=newest.subject).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(newest.subject)
    page.get_by_role("link", name=article.title).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(article.title)


@pytest.mark.parametrize("which", ["list", "issue"])
def test_the_archive_pages_pass_axe(page, axe, archive, which):
    page.goto("/newsletter/issues/" if which == "list" else archive[0].get_absolute_url())

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_the_empty_archive_passes_axe(page, axe):
    page.goto("/newsletter/issues/")

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_the_staff_preview_of_an_unsent_issue_passes_axe(page, axe, live_server, admin_user):
    issue = IssueFactory(articles=ArticleFactory.create_batch(2))
    log_in(page, live_server, admin_user)
    page.goto(issue.get_absolute_url())
    expect(page.get_by_text("Not sent yet — preview.")).to_be_visible()

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_the_admin_preview_shows_the_email_in_a_sandbox_without_scripts(
    page, live_server, admin_user
):
    issue = IssueFactory(subject="June", articles=[ArticleFactory(title="Raids in Porto")])
    log_in(page, live_server, admin_user)

    page.goto(f"/admin/newsletter/issue/{issue.pk}/preview/")

    email = page.frame_locator("iframe[sandbox]")
    expect(email.get_by_text("Raids in Porto").first).to_be_visible()
    assert page.locator("iframe[sandbox]").get_attribute("sandbox") == ""


def test_the_sending_counts_refresh_while_the_issue_is_sent(page, live_server, admin_user):
    issue = SentIssueFactory()
    deliveries = [
        Delivery.objects.create(issue=issue, subscriber=ConfirmedSubscriberFactory())
        for _ in range(3)
    ]
    log_in(page, live_server, admin_user)
    page.goto(f"/admin/newsletter/issue/{issue.pk}/change/")
    expect(page.get_by_text("Sending: 0 of 3 sent")).to_be_visible()

    Delivery.objects.filter(pk=deliveries[0].pk).update(status=Delivery.Status.SENT)
    expect(page.locator('[data-progress-count="sent"]')).to_have_text("1", timeout=6000)
    Delivery.objects.filter(issue=issue).update(status=Delivery.Status.SENT)

    expect(page.get_by_text("Sent to 3 subscribers")).to_be_visible(timeout=6000)
    expect(page.locator("#issue-progress")).to_have_attribute("data-finished", "true")

"""Anonymous pages come from the cache, and every change shows on the very next request."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from news.models import Article
from newsletter.sending import queue_issue
from tests.factories import (
    ArticleFactory,
    DraftArticleFactory,
    ResourceFactory,
    ScheduledArticleFactory,
    SourceFactory,
)
from tests.newsletter.factories import IssueFactory, SentIssueFactory
from tests.processes import in_another_process
from tests.trafficwatch.admin_forms import form_data
from trafficwatch import preview

pytestmark = pytest.mark.django_db

NEWS_PAGES = ["/", "/news/"]


@pytest.fixture
def staff(admin_client):
    return admin_client


def visit_all(client, urls) -> None:
    for url in urls:
        assert client.get(url).status_code == 200


def test_a_page_seen_before_is_served_again_without_asking_the_database(
    client, django_assert_num_queries
):
    article = ArticleFactory(title="Network dismantled in Bulgaria")
    ResourceFactory(title="Guidelines for first responders")
    first = client.get("/")

    with django_assert_num_queries(0):
        again = client.get("/")

    assert again.content == first.content
    assert "Network dismantled in Bulgaria" in again.text
    assert "Guidelines for first responders" in again.text
    assert article.title in client.get(article.get_absolute_url()).text


def test_the_newsletter_archive_is_served_again_without_asking_the_database(
    client, django_assert_num_queries
):
    issue = SentIssueFactory(subject="March issue")
    for url in ("/newsletter/issues/", issue.get_absolute_url()):
        first = client.get(url)
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content
        assert "March issue" in again.text


def test_an_issue_sent_shows_in_the_archive_at_once(client):
    SentIssueFactory(subject="March issue")
    visit_all(client, ["/newsletter/issues/"])
    issue = IssueFactory(subject="April issue")

    queue_issue(issue)

    assert "April issue" in client.get("/newsletter/issues/").text


def test_an_article_unpublished_after_an_issue_went_out_leaves_its_page_at_once(client):
    article = ArticleFactory(title="Network dismantled in Bulgaria")
    issue = SentIssueFactory(articles=[article])
    assert article.title in client.get(issue.get_absolute_url()).text

    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)

    assert article.title not in client.get(issue.get_absolute_url()).text


def test_a_title_edited_in_the_admin_shows_on_the_next_visit_to_every_page(client, staff):
    article = ArticleFactory(title="Old headline", tags=["romania"])
    pages = [*NEWS_PAGES, "/news/?tag=romania", article.get_absolute_url()]
    visit_all(client, pages)

    url = f"/admin/news/article/{article.pk}/change/"
    data = form_data(staff.get(url), title="New headline")
    assert staff.post(url, data).status_code == 302

    for page in pages:
        text = client.get(page).text
        assert "New headline" in text, page
        assert "Old headline" not in text, page


def test_a_draft_published_from_the_admin_list_shows_on_home_and_news_at_once(client, staff):
    ArticleFactory(title="Already public")
    draft = DraftArticleFactory(title="Fresh from the newsroom")
    visit_all(client, NEWS_PAGES)
    assert client.get(draft.get_absolute_url()).status_code == 404

    staff.post("/admin/news/article/", {"action": "publish", "_selected_action": [draft.pk]})

    for page in NEWS_PAGES:
        assert "Fresh from the newsroom" in client.get(page).text, page
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_an_article_unpublished_from_the_admin_list_disappears_at_once(client, staff):
    article = ArticleFactory(title="Withdrawn story")
    visit_all(client, [*NEWS_PAGES, article.get_absolute_url()])

    staff.post("/admin/news/article/", {"action": "unpublish", "_selected_action": [article.pk]})

    for page in NEWS_PAGES:
        assert "Withdrawn story" not in client.get(page).text, page
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_resource_deleted_in_the_admin_leaves_the_library_and_home_at_once(client, staff):
    resource = ResourceFactory(title="Outdated handbook")
    pages = ["/", "/resources/", resource.get_absolute_url()]
    visit_all(client, pages)

    response = staff.post(f"/admin/resources/resource/{resource.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    assert "Outdated handbook" not in client.get("/").text
    assert "Outdated handbook" not in client.get("/resources/").text
    assert client.get(resource.get_absolute_url()).status_code == 404


def test_a_renamed_source_shows_on_the_article_page_at_once(client):
    source = SourceFactory(name="Old agency name")
    article = ArticleFactory(source=source)
    assert "Old agency name" in client.get(article.get_absolute_url()).text

    source.name = "New agency name"
    source.save()

    assert "New agency name" in client.get(article.get_absolute_url()).text


def test_staff_see_the_preview_banner_and_the_public_never_gets_their_page(client, staff):
    draft = DraftArticleFactory(title="Embargoed report")
    url = draft.get_absolute_url()

    for _ in range(2):
        response = staff.get(url)
        assert response.status_code == 200
        assert "Not public:" in response.text

    assert client.get(url).status_code == 404


def test_a_page_opened_through_a_preview_link_is_not_served_to_others(client):
    draft = DraftArticleFactory(title="Shared for review")
    url = draft.get_absolute_url()

    shared = client.get(url, {preview.TOKEN_PARAMETER: preview.make_token(draft)})
    assert "Not public:" in shared.text

    assert client.get(url).status_code == 404
    assert "Shared for review" not in client.get("/news/").text


def test_staff_pages_are_made_afresh_even_when_the_public_page_is_cached(client, staff):
    article = ArticleFactory(title="Public story")
    client.get(article.get_absolute_url())
    Article.objects.filter(pk=article.pk).update(title="Corrected story")

    assert "Corrected story" in staff.get(article.get_absolute_url()).text


def test_a_scheduled_article_appears_by_itself_when_its_time_comes(client):
    now = timezone.now()
    ArticleFactory(title="Already public")
    scheduled = ScheduledArticleFactory(
        title="Published at nine", published_at=now + timedelta(minutes=10)
    )
    with time_machine.travel(now, tick=False):
        for page in NEWS_PAGES:
            assert "Published at nine" not in client.get(page).text

    # Well within the hour a cached page lives: only the generation can end it.
    with time_machine.travel(now + timedelta(minutes=11), tick=False):
        for page in NEWS_PAGES:
            assert "Published at nine" in client.get(page).text, page
        assert client.get(scheduled.get_absolute_url()).status_code == 200


def test_a_scheduled_resource_appears_in_the_library_by_itself_when_its_time_comes(client):
    # The library compares with the database's clock (Now()): wait, rather than travel.
    soon = timezone.now() + timedelta(seconds=1)
    ResourceFactory(title="Older report")
    ResourceFactory(title="Report of the year", published_at=soon)
    assert "Report of the year" not in client.get("/resources/").text
    assert "Report of the year" not in client.get("/").text

    time.sleep(max((soon - timezone.now()).total_seconds(), 0) + 0.1)

    assert "Report of the year" in client.get("/resources/").text
    assert "Report of the year" in client.get("/").text


def test_the_librarys_partial_answer_is_cached_apart_from_the_whole_page(client):
    ResourceFactory(title="Labour exploitation guide")
    whole = client.get("/resources/")
    partial = client.get("/resources/", headers={"X-Library-Partial": "1"})
    again = client.get("/resources/")

    assert "<html" in whole.text and "<html" not in partial.text
    assert again.content == whole.content
    assert "X-Library-Partial" in again["Vary"]


def test_a_cached_page_still_carries_the_security_headers(client):
    ArticleFactory()
    first = client.get("/news/")
    again = client.get("/news/")

    for header in ["Content-Security-Policy", "X-Content-Type-Options", "Permissions-Policy"]:
        assert again[header] == first[header], header
    assert "Set-Cookie" not in again.headers


@pytest.mark.django_db(transaction=True)
@pytest.mark.redis_db(7)
def test_with_redis_a_page_cached_by_one_process_is_fresh_in_another_after_a_change(redis_cache):
    article = ArticleFactory(title="Before the change")

    def visit():
        with CaptureQueriesContext(connection) as queries:
            text = Client().get("/news/").text
        return text, len(queries)

    first, _ = in_another_process(visit)
    # A second process finds the page the first one cached in Redis.
    again, queries = in_another_process(visit)
    assert queries == 0
    assert again == first and "Before the change" in again

    article.title = "After the change"
    article.save()  # this process invalidates

    text, _ = in_another_process(visit)
    assert "After the change" in text
    assert "Before the change" not in text

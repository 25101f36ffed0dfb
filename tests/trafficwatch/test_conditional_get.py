"""Feed readers and scripts polling the feeds and the CSV export get 304 while nothing changed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from news.models import Article
from tests.factories import ArticleFactory, CountryFactory, ResourceFactory
from tests.newsletter.factories import SentIssueFactory

pytestmark = pytest.mark.django_db

NEWS_URLS = ["/news/feed/", "/news/feed/tag/romania/", "/news/feed/section/news-flash/"]
LIBRARY_URLS = [
    "/resources/feed/",
    "/resources/feed/?country=albania",
    "/resources/export.csv",
    "/resources/export.csv?country=albania",
]
ARCHIVE_URL = "/newsletter/issues/feed/"
URLS = [*NEWS_URLS, *LIBRARY_URLS, ARCHIVE_URL]
# Unchanged since the last poll: every feed and export answers from its cache generation.
NOT_MODIFIED_QUERIES = 0


@pytest.fixture
def albania(db):
    return CountryFactory(name="Albania", slug="albania")


@pytest.fixture
def content(albania):
    ArticleFactory(title="Network dismantled", tags=["romania"])
    ResourceFactory(title="Guidance for labour inspectors", countries=[albania])
    SentIssueFactory(subject="March issue")


def revalidate(client, url: str, response, *, etag: bool = True, date: bool = True):
    headers = {}
    if etag:
        headers["If-None-Match"] = response["ETag"]
    if date:
        headers["If-Modified-Since"] = response["Last-Modified"]
    return client.get(url, headers=headers)


@pytest.mark.parametrize("url", URLS)
def test_an_unchanged_feed_or_export_answers_not_modified_with_no_body(client, content, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"] and first["Last-Modified"]

    by_etag = revalidate(client, url, first, date=False)
    by_date = revalidate(client, url, first, etag=False)

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == first["ETag"]


@pytest.mark.parametrize("url", URLS)
def test_answering_not_modified_asks_nothing_of_the_database(
    client, content, url, django_assert_num_queries
):
    first = client.get(url)
    with django_assert_num_queries(NOT_MODIFIED_QUERIES):
        assert revalidate(client, url, first).status_code == 304


@pytest.mark.parametrize("url", NEWS_URLS)
def test_a_published_article_changes_the_news_feeds(client, content, url):
    first = client.get(url)

    ArticleFactory(title="Second raid this month", tags=["romania"])

    for again in (revalidate(client, url, first), revalidate(client, url, first, etag=False)):
        assert again.status_code == 200
        assert "Second raid this month" in again.text
        assert again["ETag"] != first["ETag"]


@pytest.mark.parametrize("url", LIBRARY_URLS)
def test_a_published_resource_changes_the_library_feed_and_export(client, content, albania, url):
    first = client.get(url)

    ResourceFactory(title="Shelter standards", countries=[albania])

    for again in (revalidate(client, url, first), revalidate(client, url, first, etag=False)):
        assert again.status_code == 200
        body = b"".join(again.streaming_content) if again.streaming else again.content
        assert "Shelter standards" in body.decode()
        assert again["ETag"] != first["ETag"]


def test_a_sent_issue_changes_the_archive_feed(client, content):
    first = client.get(ARCHIVE_URL)

    SentIssueFactory(subject="April issue", queued_at=timezone.now())

    again = revalidate(client, ARCHIVE_URL, first)
    assert again.status_code == 200
    assert "April issue" in again.text
    assert again["ETag"] != first["ETag"]


def test_an_edited_issue_changes_the_archive_feed(client):
    issue = SentIssueFactory(subject="May issue")
    first = client.get(ARCHIVE_URL)

    issue.subject = "May issue (corrected)"
    issue.save()

    again = revalidate(client, ARCHIVE_URL, first)
    assert again.status_code == 200
    assert "May issue (corrected)" in again.text


def test_a_deleted_issue_leaves_the_archive_feed_for_readers_that_send_only_a_date(client):
    SentIssueFactory(subject="June issue", queued_at=timezone.now() - timedelta(days=2))
    newest = SentIssueFactory(subject="Sent by mistake", queued_at=timezone.now())
    first = client.get(ARCHIVE_URL)

    newest.delete()

    again = revalidate(client, ARCHIVE_URL, first, etag=False)
    assert again.status_code == 200
    assert "Sent by mistake" not in again.text


def test_an_unpublished_article_leaves_the_feed_for_readers_that_send_only_a_date(client, content):
    article = ArticleFactory(title="Retracted story")
    first = client.get("/news/feed/")

    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)

    again = revalidate(client, "/news/feed/", first, etag=False)
    assert again.status_code == 200
    assert "Retracted story" not in again.text


def test_a_change_in_the_same_second_still_moves_the_last_modified_date(client, content):
    first = client.get("/news/feed/")

    ArticleFactory(title="Breaking at once")

    again = revalidate(client, "/news/feed/", first, etag=False)
    assert again.status_code == 200
    assert "Breaking at once" in again.text
    assert again["Last-Modified"] != first["Last-Modified"]


def test_a_scheduled_article_changes_the_feed_when_its_time_comes(client, content):
    now = timezone.now()
    ArticleFactory(title="Embargo lifted", published_at=now + timedelta(minutes=10))
    with time_machine.travel(now, tick=False):
        first = client.get("/news/feed/")
        assert "Embargo lifted" not in first.text
        assert revalidate(client, "/news/feed/", first).status_code == 304

    with time_machine.travel(now + timedelta(minutes=11), tick=False):
        again = revalidate(client, "/news/feed/", first)
    assert again.status_code == 200
    assert "Embargo lifted" in again.text


def test_the_etag_of_one_filter_does_not_answer_for_another(client, content):
    everything = client.get("/resources/feed/")

    albania_only = client.get(
        "/resources/feed/?country=albania", headers={"If-None-Match": everything["ETag"]}
    )

    assert albania_only.status_code == 200


def test_a_bad_parameter_still_answers_the_clear_400(client, content):
    response = client.get("/resources/export.csv?year=soon")

    assert response.status_code == 400
    assert "year" in response.text

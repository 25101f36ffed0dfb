"""The news list's cached count: every change is visible on the next request, never stale."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from news.models import Article
from tests.factories import ArticleFactory, DraftArticleFactory

pytestmark = pytest.mark.django_db


def shown(client, **query) -> int:
    """Return the number of articles the list says it shows."""
    return client.get("/news/", query).context["page_obj"].paginator.count


def test_a_published_article_counts_on_the_next_request(client):
    ArticleFactory()
    assert shown(client) == 1

    ArticleFactory()

    assert shown(client) == 2


def test_publishing_and_unpublishing_in_bulk_count_at_once(client):
    """The admin's actions use QuerySet.update(), which sends no signal."""
    draft = DraftArticleFactory()
    assert shown(client) == 0

    Article.objects.filter(pk=draft.pk).update(status=Article.Status.PUBLISHED)
    assert shown(client) == 1

    Article.objects.filter(pk=draft.pk).update(status=Article.Status.DRAFT)
    assert shown(client) == 0


def test_a_deleted_article_stops_counting_at_once(client):
    article = ArticleFactory()
    assert shown(client) == 1

    article.delete()

    assert shown(client) == 0


def test_tagging_an_article_counts_on_the_tag_page_at_once(client):
    ArticleFactory(tags=["romania"])
    other = ArticleFactory(tags=["spain"])
    assert shown(client, tag="romania") == 1

    other.tags.add("romania")
    assert shown(client, tag="romania") == 2

    other.tags.remove("romania")
    assert shown(client, tag="romania") == 1


def test_the_tag_and_section_lists_are_counted_apart(client):
    ArticleFactory(tags=["romania"])
    ArticleFactory(tags=["spain"])

    assert shown(client, tag="romania") == 1
    assert shown(client, tag="spain") == 1
    assert shown(client) == 2


def test_a_scheduled_article_counts_once_its_time_comes_without_any_save(client):
    now = timezone.now()
    ArticleFactory(published_at=now - timedelta(days=1))
    ArticleFactory(published_at=now + timedelta(hours=1))
    assert shown(client) == 1

    with time_machine.travel(now + timedelta(hours=2)):
        assert shown(client) == 2

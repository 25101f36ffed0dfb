"""Draft → scheduled → published in the admin: the state column, its filter, the actions."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from news.models import Article
from resources.models import Resource
from tests.factories import (
    ArticleFactory,
    DraftArticleFactory,
    DraftResourceFactory,
    ScheduledArticleFactory,
)

pytestmark = pytest.mark.django_db

ARTICLES = "/admin/news/article/"
RESOURCES = "/admin/resources/resource/"


def run(admin_client, changelist: str, action: str, items, **extra):
    data = {"action": action, "_selected_action": [item.pk for item in items], **extra}
    return admin_client.post(changelist, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_list_tells_drafts_scheduled_and_published_apart(admin_client):
    DraftArticleFactory()
    ScheduledArticleFactory()
    ArticleFactory()

    html = admin_client.get(ARTICLES).content.decode()

    assert "Scheduled for" in html
    assert ">Draft<" in html
    assert ">Published<" in html


@pytest.mark.parametrize(
    ("state", "title"),
    [("draft", "A draft"), ("scheduled", "Coming soon"), ("published", "Out already")],
)
def test_the_publication_filter_keeps_the_items_in_that_state(admin_client, state, title):
    DraftArticleFactory(title="A draft")
    ScheduledArticleFactory(title="Coming soon")
    ArticleFactory(title="Out already")

    response = admin_client.get(ARTICLES, {"publication": state})

    assert [article.title for article in response.context["cl"].result_list] == [title]


def test_a_garbage_publication_filter_value_lists_everything(admin_client):
    ArticleFactory.create_batch(2)

    response = admin_client.get(ARTICLES, {"publication": "<script>"})

    assert response.status_code == 200


def test_publish_now_makes_drafts_and_scheduled_items_public_at_once(admin_client):
    draft, scheduled = DraftArticleFactory(), ScheduledArticleFactory()

    response = run(admin_client, ARTICLES, "publish_now", [draft, scheduled])

    assert messages_of(response) == ["2 items are now public."]
    assert set(Article.objects.published()) == {draft, scheduled}


def test_publish_now_leaves_the_time_of_a_public_item_alone(admin_client):
    earlier = timezone.now() - timedelta(days=30)
    article = ArticleFactory(published_at=earlier)

    run(admin_client, ARTICLES, "publish_now", [article])

    article.refresh_from_db()
    assert article.published_at == earlier


def test_schedule_asks_for_the_time_then_schedules_the_selected_resources(admin_client):
    drafts = DraftResourceFactory.create_batch(2, published_at=None)

    form = admin_client.post(
        RESOURCES, {"action": "schedule", "_selected_action": [draft.pk for draft in drafts]}
    )
    assert form.status_code == 200
    assert 'type="datetime-local"' in form.content.decode()

    when = (timezone.localtime() + timedelta(days=5)).replace(second=0, microsecond=0)
    response = run(
        admin_client, RESOURCES, "schedule", drafts, apply="1",
        publish_at=when.strftime("%Y-%m-%dT%H:%M"),
    )  # fmt: skip

    assert "2 items are scheduled for" in messages_of(response)[0]
    for resource in Resource.objects.filter(pk__in=[draft.pk for draft in drafts]):
        assert resource.status == Resource.Status.PUBLISHED
        assert resource.published_at == when
    assert not Resource.objects.published().exists()


@pytest.mark.parametrize("value", ["", "yesterday", "2020-01-01T10:00", "9999-99-99T99:99"])
def test_schedule_refuses_a_missing_past_or_garbage_time_with_a_message(admin_client, value):
    draft = DraftArticleFactory()

    response = run(admin_client, ARTICLES, "schedule", [draft], apply="1", publish_at=value)

    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_unpublish_turns_scheduled_items_back_into_drafts(admin_client):
    scheduled = ScheduledArticleFactory()

    run(admin_client, ARTICLES, "unpublish", [scheduled])

    scheduled.refresh_from_db()
    assert scheduled.status == Article.Status.DRAFT

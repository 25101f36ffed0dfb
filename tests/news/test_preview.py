"""Previewing a draft or scheduled article: staff in place, reviewers through a shared link."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from tests.factories import ArticleFactory, DraftArticleFactory, ScheduledArticleFactory
from trafficwatch import preview

pytestmark = pytest.mark.django_db

# The article (with neighbours), its tags, the related articles: as for a public article,
# after the public query that found nothing.
PREVIEW_QUERIES = 4


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].partition("/")[2]


def test_staff_see_a_draft_on_its_real_page_with_a_banner_saying_it_is_not_public(admin_client):
    draft = DraftArticleFactory(title="Shelter opens in Gdańsk", body="<p>Beds for 20.</p>")

    response = admin_client.get(draft.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Shelter opens in Gdańsk" in html
    assert "Beds for 20." in html
    assert "Not public:" in html
    assert "draft." in html


def test_a_scheduled_article_says_when_it_will_appear(admin_client):
    when = timezone.now() + timedelta(days=3)
    scheduled = ScheduledArticleFactory(published_at=when)

    html = admin_client.get(scheduled.get_absolute_url()).content.decode()

    assert "scheduled for" in html
    assert str(timezone.localtime(when).year) in html


def test_a_preview_is_never_cached_and_kept_out_of_search_engines(admin_client):
    draft = DraftArticleFactory()

    response = admin_client.get(draft.get_absolute_url())

    cache_control = response["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.content.decode()


def test_the_public_gets_404_for_a_draft_and_a_scheduled_article(client):
    for article in (DraftArticleFactory(), ScheduledArticleFactory()):
        assert client.get(article.get_absolute_url()).status_code == 404


def test_staff_without_the_view_permission_get_404(client):
    user = User.objects.create_user("intern", password="pw", is_staff=True)
    client.force_login(user)
    draft = DraftArticleFactory()

    assert client.get(draft.get_absolute_url()).status_code == 404

    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_a_public_article_shows_no_banner_to_staff(admin_client):
    article = ArticleFactory()

    html = admin_client.get(article.get_absolute_url()).content.decode()

    assert "Not public:" not in html


def test_the_share_page_of_the_admin_gives_a_link_that_opens_the_draft_for_anyone(
    admin_client, client
):
    draft = DraftArticleFactory(title="Draft for the partner")

    link = admin_client.get(f"/admin/news/article/{draft.pk}/share-preview/").context["link"]
    response = client.get(path_of(link))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Draft for the partner" in html
    assert "Not public:" in html
    assert "preview link" in html
    assert "no-store" in response["Cache-Control"]


def test_the_change_form_offers_to_share_a_preview_of_a_draft_only(admin_client):
    draft, public = DraftArticleFactory(), ArticleFactory()

    draft_form = admin_client.get(f"/admin/news/article/{draft.pk}/change/").content.decode()
    public_form = admin_client.get(f"/admin/news/article/{public.pk}/change/").content.decode()

    assert f"/admin/news/article/{draft.pk}/share-preview/" in draft_form
    assert "share-preview" not in public_form


def test_a_link_for_one_article_does_not_open_another(client):
    shared, other = DraftArticleFactory(), DraftArticleFactory()
    token = preview.make_token(shared)

    response = client.get(f"{other.get_absolute_url()}?preview={token}")

    assert response.status_code == 404


def test_a_tampered_or_garbage_token_answers_404(client):
    draft = DraftArticleFactory()
    token = preview.make_token(draft)

    for bad in (token[:-2] + "xx", "garbage", "", "a:b:c", "%00"):
        assert client.get(draft.get_absolute_url(), {"preview": bad}).status_code == 404


def test_a_resource_token_does_not_open_an_article_with_the_same_id(client):
    from tests.factories import DraftResourceFactory

    draft = DraftArticleFactory()
    resource = DraftResourceFactory()
    resource_token = preview.make_token(resource)

    url = f"{draft.get_absolute_url()}?preview={resource_token}"
    # The same number could name both; the salt per model keeps them apart.
    assert client.get(url).status_code == 404


def test_a_link_older_than_the_limit_says_it_expired(client, settings):
    settings.PREVIEW_LINK_MAX_AGE = 7 * 24 * 60 * 60
    draft = DraftArticleFactory(title="Secret headline")
    token = preview.make_token(draft)

    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        response = client.get(draft.get_absolute_url(), {"preview": token})

    assert response.status_code == 410
    html = response.content.decode()
    assert "This preview link has expired" in html
    assert "Secret headline" not in html
    assert "no-store" in response["Cache-Control"]


def test_a_link_keeps_working_while_the_article_is_edited(client):
    draft = DraftArticleFactory(title="First title")
    token = preview.make_token(draft)
    draft.title = "Second title"
    draft.save()

    html = client.get(draft.get_absolute_url(), {"preview": token}).content.decode()

    assert "Second title" in html


def test_a_link_to_an_article_published_since_shows_the_public_page(client):
    draft = DraftArticleFactory()
    token = preview.make_token(draft)
    draft.status = "published"
    draft.published_at = timezone.now() - timedelta(minutes=1)
    draft.save()

    response = client.get(draft.get_absolute_url(), {"preview": token})

    assert response.status_code == 200
    assert "Not public:" not in response.content.decode()


def test_a_preview_makes_a_fixed_number_of_queries(client, django_assert_num_queries):
    draft = DraftArticleFactory()
    draft.tags.add("romania", "eurojust")
    ArticleFactory().tags.add("romania")
    token = preview.make_token(draft)

    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(draft.get_absolute_url(), {"preview": token})

    assert response.status_code == 200

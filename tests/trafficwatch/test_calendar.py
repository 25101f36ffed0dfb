"""The editorial calendar: what is scheduled for four weeks, what appeared in the last two."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import formats, timezone

from tests.factories import ArticleFactory, DraftArticleFactory, ResourceFactory

pytestmark = pytest.mark.django_db

CALENDAR = "/admin/calendar/"
# Session, user; scheduled and published articles; scheduled and published resources.
CALENDAR_QUERIES = 6


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def test_the_calendar_lists_scheduled_items_by_day_with_links_to_edit_them(admin_client):
    article = ArticleFactory(title="Article for Tuesday", published_at=in_days(3))
    resource = ResourceFactory(title="Report for later", published_at=in_days(20))

    html = admin_client.get(CALENDAR).content.decode()

    assert "Article for Tuesday" in html
    assert "Report for later" in html
    assert f"/admin/news/article/{article.pk}/change/" in html
    assert f"/admin/resources/resource/{resource.pk}/change/" in html
    day = formats.date_format(timezone.localdate(article.published_at), "DATE_FORMAT")
    assert day in html
    assert html.index("Article for Tuesday") < html.index("Report for later")


def test_the_calendar_shows_what_was_published_in_the_last_two_weeks_only(admin_client):
    ArticleFactory(title="Published yesterday", published_at=in_days(-1))
    ResourceFactory(title="Published last week", published_at=in_days(-7))
    ArticleFactory(title="Published a month ago", published_at=in_days(-30))

    html = admin_client.get(CALENDAR).content.decode()

    assert "Published yesterday" in html
    assert "Published last week" in html
    assert "Published a month ago" not in html


def test_drafts_and_items_beyond_four_weeks_are_not_in_the_calendar(admin_client):
    DraftArticleFactory(title="Still a draft", published_at=in_days(2))
    ArticleFactory(title="Far future", published_at=in_days(40))

    html = admin_client.get(CALENDAR).content.decode()

    assert "Still a draft" not in html
    assert "Far future" not in html
    assert "Nothing is scheduled for the coming four weeks." in html


def test_the_calendar_is_linked_from_the_admin_index(admin_client):
    assert CALENDAR in admin_client.get("/admin/").content.decode()


def test_staff_who_may_not_view_articles_or_resources_cannot_open_the_calendar(client):
    user = User.objects.create_user("newsletter", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_subscriber"))
    client.force_login(user)

    assert client.get(CALENDAR).status_code == 403
    assert CALENDAR not in client.get("/admin/").content.decode()


def test_staff_who_may_view_articles_only_see_articles_only(client):
    user = User.objects.create_user("writer", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)
    ArticleFactory(title="Scheduled article", published_at=in_days(1))
    ResourceFactory(title="Scheduled resource", published_at=in_days(1))

    html = client.get(CALENDAR).content.decode()

    assert "Scheduled article" in html
    assert "Scheduled resource" not in html


def test_visitors_are_sent_to_the_login(client):
    response = client.get(CALENDAR)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_calendar_makes_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    for days in (1, 2, 9, -1, -3):
        ArticleFactory(published_at=in_days(days))
        ResourceFactory(published_at=in_days(days))

    with django_assert_num_queries(CALENDAR_QUERIES):
        response = admin_client.get(CALENDAR)

    assert response.status_code == 200

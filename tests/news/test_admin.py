"""The news admin, as staff use it: lists, filters, tags autocomplete, actions, images."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from taggit.models import Tag

from news.models import Article
from tests.factories import (
    ArticleFactory,
    ArticleWithImageFactory,
    DraftArticleFactory,
    NewsFlashSectionFactory,
    ScheduledArticleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/news/article/"


@pytest.fixture
def staff(admin_client):
    return admin_client


def gif() -> SimpleUploadedFile:
    """Return a real one-pixel GIF, as a browser uploads it."""
    pixel = (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    return SimpleUploadedFile("pixel.gif", pixel, content_type="image/gif")


def article_form(**fields) -> dict:
    """Return the POST data of the add form, with the required fields filled in."""
    return {
        "title": "Network dismantled",
        "slug": "network-dismantled",
        "section": NewsFlashSectionFactory().pk,
        "status": Article.Status.PUBLISHED,
        "published_at_0": "2026-03-14",
        "published_at_1": "10:00:00",
        "body": "<p>Police freed 14 women.</p>",
        "teaser": "",
        "standfirst": "",
        "source_url": "",
        "byline": "",
        "image_alt": "",
        "image_caption": "",
        "image_credit": "",
        "image_licence": "",
        "image_licence_url": "",
        **fields,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_article_list_shows_section_status_time_and_source_columns(staff):
    ArticleFactory(source=SourceFactory(name="Eurojust"))

    html = staff.get(CHANGELIST).content.decode()

    for column in ("column-section", "column-status", "column-published_at", "column-source"):
        assert column in html
    assert "Eurojust" in html


def test_the_article_list_filters_by_status(staff):
    ArticleFactory(title="Out already")
    DraftArticleFactory(title="Not yet")

    html = staff.get(CHANGELIST, {"status__exact": "draft"}).content.decode()

    assert "Not yet" in html
    assert "Out already" not in html


def test_the_article_list_searches_titles(staff):
    ArticleFactory(title="Network dismantled in Spain")
    ArticleFactory(title="Summit on child protection")

    html = staff.get(CHANGELIST, {"q": "Spain"}).content.decode()

    assert "Network dismantled in Spain" in html
    assert "Summit on child protection" not in html


def test_the_article_list_drills_down_by_date(staff):
    ArticleFactory()

    html = staff.get(CHANGELIST).content.decode()

    assert '<nav class="toplinks">' in html  # the date hierarchy's navigation


def test_publishing_selected_drafts_says_how_many_were_published(staff):
    drafts = DraftArticleFactory.create_batch(2)
    ArticleFactory()

    response = staff.post(
        CHANGELIST,
        {"action": "publish", "_selected_action": [article.pk for article in drafts]},
        follow=True,
    )

    assert messages_of(response) == ["2 articles were published."]
    assert Article.objects.published().count() == 3


def test_publishing_a_scheduled_draft_says_it_waits_for_its_time(staff):
    scheduled = ScheduledArticleFactory(status=Article.Status.DRAFT)

    response = staff.post(
        CHANGELIST, {"action": "publish", "_selected_action": [scheduled.pk]}, follow=True
    )

    assert messages_of(response) == [
        "1 article was published. 1 of them is scheduled and appears at its publication time."
    ]
    assert not Article.objects.published().exists()


def test_unpublishing_selected_articles_says_how_many_were_unpublished(staff):
    published = ArticleFactory.create_batch(3)

    response = staff.post(
        CHANGELIST,
        {"action": "unpublish", "_selected_action": [article.pk for article in published[:2]]},
        follow=True,
    )

    assert messages_of(response) == ["2 articles were unpublished."]
    assert list(Article.objects.published()) == [published[2]]


def test_the_tags_autocomplete_finds_tags_by_name(staff):
    Tag.objects.create(name="Romania")
    Tag.objects.create(name="Roma communities")
    Tag.objects.create(name="Spain")

    response = staff.get(
        reverse("admin:autocomplete"),
        {"app_label": "news", "model_name": "article", "field_name": "tags", "term": "rom"},
    )

    assert response.status_code == 200
    assert sorted(result["text"] for result in json.loads(response.content)["results"]) == [
        "Roma communities",
        "Romania",
    ]


def test_the_tags_autocomplete_is_for_staff_only(client):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "news", "model_name": "article", "field_name": "tags", "term": "rom"},
    )

    assert response.status_code == 302  # to the admin login


def test_the_article_form_offers_the_tags_autocomplete(staff):
    html = staff.get(f"{CHANGELIST}add/").content.decode()

    assert 'data-field-name="tags"' in html
    assert "admin-autocomplete" in html
    assert 'id="add_id_tags"' in html  # the "+" that adds a new tag


def test_the_article_form_shows_the_tags_already_chosen(staff):
    article = ArticleFactory(tags=["Romania"])

    html = staff.get(f"{CHANGELIST}{article.pk}/change/").content.decode()

    assert f'<option value="{Tag.objects.get(name="Romania").pk}" selected>Romania</option>' in html


def test_saving_the_article_form_sets_the_chosen_tags(staff):
    romania, spain = Tag.objects.create(name="Romania"), Tag.objects.create(name="Spain")

    response = staff.post(f"{CHANGELIST}add/", article_form(tags=[romania.pk, spain.pk]))

    assert response.status_code == 302
    article = Article.objects.get(slug="network-dismantled")
    assert sorted(tag.name for tag in article.tags.all()) == ["Romania", "Spain"]


def test_the_article_form_refuses_an_image_without_alt_text(staff):
    response = staff.post(f"{CHANGELIST}add/", article_form(image=gif(), image_alt=""))

    assert response.status_code == 200
    assert "Describe the image for people who cannot see it." in response.content.decode()
    assert not Article.objects.exists()


def test_the_article_form_refuses_an_image_without_caption_credit_and_licence(staff):
    response = staff.post(
        f"{CHANGELIST}add/", article_form(image=gif(), image_alt="A blank pixel.")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Say what the image shows, under it." in page
    assert "Credit whoever made the image." in page
    assert "Name the licence the image is used under." in page
    assert not Article.objects.exists()


def test_the_article_form_saves_a_described_and_credited_image(staff):
    response = staff.post(
        f"{CHANGELIST}add/",
        article_form(
            image=gif(),
            image_alt="A blank pixel.",
            image_caption="A pixel.",
            image_credit="The team",
            image_licence="CC0",
        ),
    )

    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.image_width, article.image_height, article.image_alt) == (
        1,
        1,
        "A blank pixel.",
    )


def test_the_article_form_refuses_a_file_that_is_not_an_image(staff):
    text = SimpleUploadedFile("notes.jpg", b"not an image", content_type="image/jpeg")

    response = staff.post(f"{CHANGELIST}add/", article_form(image=text, image_alt="Notes"))

    assert response.status_code == 200
    assert not Article.objects.exists()


def test_a_public_article_has_a_view_on_site_link(staff):
    article = ArticleWithImageFactory()

    html = staff.get(f"{CHANGELIST}{article.pk}/change/").content.decode()

    assert "View on site" in html


def test_a_draft_has_no_view_on_site_link(staff):
    article = DraftArticleFactory()

    html = staff.get(f"{CHANGELIST}{article.pk}/change/").content.decode()

    assert "View on site" not in html


@pytest.mark.parametrize(
    "path", ["/admin/news/section/", "/admin/news/source/", "/admin/taggit/tag/"]
)
def test_the_section_source_and_tag_lists_open(staff, path):
    ArticleFactory(source=SourceFactory(), tags=["Romania"])

    assert staff.get(path).status_code == 200


def test_a_tag_page_opens_quickly_however_many_articles_carry_the_tag(
    staff, django_assert_max_num_queries
):
    """Guards against taggit's inline of every tagged item on the tag's change page."""
    ArticleFactory.create_batch(5, tags=["Romania"])
    tag = Tag.objects.get(name="Romania")

    with django_assert_max_num_queries(12):
        assert staff.get(f"/admin/taggit/tag/{tag.pk}/change/").status_code == 200

"""Articles: what "published" means, sanitizing and teasers, images, related articles."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from news.models import Article
from tests.factories import (
    ArticleFactory,
    ArticleWithImageFactory,
    DraftArticleFactory,
    ScheduledArticleFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db


def test_published_articles_are_those_with_status_published_and_a_past_time():
    article = ArticleFactory()
    DraftArticleFactory()
    ScheduledArticleFactory()

    assert list(Article.objects.published()) == [article]


def test_an_article_scheduled_for_tomorrow_appears_by_itself_tomorrow():
    # published() compares with the application's clock, which time-machine moves; the
    # database's Now() would not move with it (see ArticleQuerySet.published).
    tomorrow = timezone.now() + timedelta(days=1)
    article = ArticleFactory(published_at=tomorrow)
    assert not Article.objects.published().filter(pk=article.pk).exists()

    with time_machine.travel(tomorrow + timedelta(minutes=1), tick=False):
        assert Article.objects.published().filter(pk=article.pk).exists()


def test_an_article_scheduled_for_tomorrow_is_still_hidden_a_minute_before():
    tomorrow = timezone.now() + timedelta(days=1)
    article = ArticleFactory(published_at=tomorrow)

    with time_machine.travel(tomorrow - timedelta(minutes=1), tick=False):
        assert not Article.objects.published().filter(pk=article.pk).exists()


def test_the_body_is_sanitized_when_the_article_is_saved():
    article = ArticleFactory(
        body='<p onclick="steal()">Freed<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)" target="_blank">x</a>'
    )

    article.refresh_from_db()
    assert article.body == '<p>Freed</p><a target="_blank" rel="noopener noreferrer nofollow">x</a>'


def test_a_missing_teaser_is_taken_from_the_start_of_the_body():
    article = ArticleFactory(teaser="", body="<p>Six victims were taken to safety.</p>")

    assert article.teaser == "Six victims were taken to safety."


def test_a_teaser_written_by_staff_is_kept():
    article = ArticleFactory(teaser="Our own summary.", body="<p>Something longer.</p>")

    assert article.teaser == "Our own summary."


def test_a_derived_teaser_cuts_accented_text_at_a_word_boundary_near_200_characters():
    words = [
        "Częstochowa",
        "Arūnė",
        "Łódź",
        "Brașov",
        "Plzeň",
        "Rīga",
        "Győr",
        "Niš",
        "Škofja",
        "Chișinău",
    ]
    body = "<p>" + " ".join(words * 10) + "</p>"

    teaser = ArticleFactory(teaser="", body=body).teaser

    assert teaser.endswith("…")
    assert 150 <= len(teaser) <= Article.TEASER_LENGTH + 1
    assert teaser[:-1].split()[-1] in words


def test_an_image_without_alt_text_is_refused_by_validation():
    article = ArticleWithImageFactory.build(image_alt="  ", section=ArticleFactory().section)

    with pytest.raises(ValidationError) as error:
        article.full_clean()

    assert "image_alt" in error.value.message_dict


def test_an_image_without_alt_text_is_refused_by_the_database():
    article = ArticleWithImageFactory()

    with pytest.raises(IntegrityError, match="news_article_image_has_alt_text"):
        Article.objects.filter(pk=article.pk).update(image_alt="")


def test_an_article_without_an_image_needs_no_alt_text():
    article = ArticleFactory.build(image_alt="", section=ArticleFactory().section)

    article.full_clean()


def test_an_uploaded_image_records_its_size_and_dimensions():
    article = ArticleWithImageFactory()

    article.refresh_from_db()
    assert (article.image_width, article.image_height) == (1200, 675)
    assert article.image_bytes == article.image.size > 0
    assert article.image_type == "image/jpeg"


def test_an_article_cannot_take_the_slug_of_the_feed():
    article = ArticleFactory.build(slug="feed", section=ArticleFactory().section)

    with pytest.raises(ValidationError) as error:
        article.full_clean()

    assert "slug" in error.value.message_dict


def test_related_articles_come_most_shared_tags_first():
    article = ArticleFactory(tags=["romania", "eurojust", "labour", "spain"])
    one = ArticleFactory(tags=["romania"])
    three = ArticleFactory(tags=["romania", "eurojust", "labour"])
    two = ArticleFactory(tags=["eurojust", "spain", "agriculture"])
    ArticleFactory(tags=["agriculture"])

    related = list(Article.objects.related_to(article))

    assert related == [three, two, one]
    assert [item.shared_tags for item in related] == [3, 2, 1]


def test_related_articles_leave_out_the_article_drafts_and_scheduled_ones():
    article = ArticleFactory(tags=["romania"])
    DraftArticleFactory(tags=["romania"])
    ScheduledArticleFactory(tags=["romania"])

    assert list(Article.objects.related_to(article)) == []


def test_related_articles_stop_at_the_limit_newest_first_among_equals():
    article = ArticleFactory(tags=["romania"])
    others = [ArticleFactory(tags=["romania"]) for _ in range(5)]

    assert list(Article.objects.related_to(article, limit=4)) == others[:4]


def test_an_article_without_tags_has_no_related_articles():
    article = ArticleFactory()
    ArticleFactory(tags=["romania"])

    assert list(Article.objects.related_to(article)) == []


def test_neighbours_are_the_published_articles_just_before_and_after():
    newest, middle, oldest = ArticleFactory.create_batch(3)
    DraftArticleFactory(published_at=middle.published_at + timedelta(minutes=1))

    annotated = Article.objects.with_neighbours().get(pk=middle.pk)

    assert annotated.previous_article == {"slug": oldest.slug, "title": oldest.title}
    assert annotated.next_article == {"slug": newest.slug, "title": newest.title}


def test_the_oldest_article_has_no_previous_and_the_newest_no_next():
    newest, oldest = ArticleFactory.create_batch(2)

    assert Article.objects.with_neighbours().get(pk=oldest.pk).previous_article is None
    assert Article.objects.with_neighbours().get(pk=newest.pk).next_article is None


def test_articles_published_at_the_same_moment_are_neighbours_in_id_order():
    moment = timezone.now() - timedelta(hours=1)
    first, second, third = (ArticleFactory(published_at=moment) for _ in range(3))

    annotated = Article.objects.with_neighbours().get(pk=second.pk)

    assert annotated.previous_article["slug"] == first.slug
    assert annotated.next_article["slug"] == third.slug


def test_related_articles_sharing_several_tags_come_before_newer_ones_sharing_one():
    article = ArticleFactory(tags=["romania", "eurojust", "labour"])
    newer_sharing_one = [ArticleFactory(tags=["romania"]) for _ in range(5)]
    sharing_two = [ArticleFactory(tags=["romania", "labour"]) for _ in range(5)]

    related = list(Article.objects.related_to(article, limit=4))

    assert newer_sharing_one[0].published_at > sharing_two[0].published_at
    assert related == sharing_two[:4]
    assert [item.shared_tags for item in related] == [2, 2, 2, 2]


def test_related_articles_fill_up_with_the_newest_sharing_one_tag():
    article = ArticleFactory(tags=["romania", "eurojust"])
    sharing_one = [ArticleFactory(tags=["eurojust"]) for _ in range(5)]
    sharing_two = ArticleFactory(tags=["romania", "eurojust", "spain"])
    DraftArticleFactory(tags=["romania", "eurojust"])

    related = list(Article.objects.related_to(article, limit=4))

    assert related == [sharing_two, *sharing_one[:3]]
    assert [item.shared_tags for item in related] == [2, 1, 1, 1]


def test_tagged_keeps_the_articles_with_the_tag_only():
    romania = ArticleFactory(tags=["romania", "spain"])
    ArticleFactory(tags=["spain"])
    tag = Tag.objects.get(name="romania")

    assert list(Article.objects.tagged(tag)) == [romania]


def test_the_published_count_of_a_tag_leaves_out_drafts_scheduled_and_other_models():
    ArticleFactory.create_batch(3, tags=["romania"])
    ArticleFactory(tags=["spain"])
    DraftArticleFactory(tags=["romania"])
    ScheduledArticleFactory(tags=["romania"])
    tag = Tag.objects.get(name="romania")
    # A tagging of another kind of object: not an article, whatever its id.
    TaggedItem.objects.create(content_object=SectionFactory(), tag=tag)

    assert Article.objects.count_published(tag=tag) == 3
    assert Article.objects.published().tagged(tag).count() == 3


def test_the_published_count_of_a_tag_within_a_section():
    news_flash = SectionFactory()
    ArticleFactory.create_batch(2, tags=["romania"], section=news_flash)
    ArticleFactory(tags=["romania"])
    DraftArticleFactory(tags=["romania"], section=news_flash)
    tag = Tag.objects.get(name="romania")

    assert Article.objects.count_published(section=news_flash, tag=tag) == 2
    assert Article.objects.count_published(section=news_flash) == 2
    assert Article.objects.count_published() == 3


@time_machine.travel(timezone.now(), tick=False)
def test_a_scheduled_article_counts_for_its_tag_once_due():
    ScheduledArticleFactory(tags=["romania"], published_at=timezone.now() + timedelta(hours=1))
    tag = Tag.objects.get(name="romania")

    assert Article.objects.count_published(tag=tag) == 0
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert Article.objects.count_published(tag=tag) == 1

"""`manage.py seedbench`: synthetic data at scale for the benchmarks, written in bulk."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from taggit.models import TaggedItem

from news.models import Article
from newsletter.models import Subscriber
from resources.models import Author, Category, Country, Region, Resource, ResourceAuthor
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def seedbench(**sizes) -> str:
    out = StringIO()
    call_command("seedbench", seed=1, stdout=out, **sizes)
    return out.getvalue()


def test_seedbench_creates_exactly_the_numbers_of_rows_asked_for():
    seedbench(resources=50, articles=20, subscribers=30)

    assert Resource.objects.count() == 50
    assert Article.objects.count() == 20
    assert Subscriber.objects.count() == 30


def test_every_seeded_resource_has_countries_regions_a_category_and_a_year():
    seedbench(resources=50)

    resources = Resource.objects.annotate(
        country_count=Count("countries", distinct=True),
        region_count=Count("regions", distinct=True),
    )
    assert all(1 <= resource.country_count <= 3 for resource in resources)
    assert all(1 <= resource.region_count <= 2 for resource in resources)
    assert all(resource.category_id and 1995 <= resource.year <= 2026 for resource in resources)


def test_seeded_authors_are_numbered_from_zero_in_citation_order():
    seedbench(resources=50)

    assert ResourceAuthor.objects.exists()
    for resource in Resource.objects.prefetch_related("authorships"):
        positions = [authorship.position for authorship in resource.authorships.all()]
        assert positions == list(range(len(positions)))
        assert len(positions) <= 4


def test_seeded_resources_can_be_found_by_their_authors_category_and_countries():
    seedbench(resources=30)

    for resource in Resource.objects.select_related("category").prefetch_related(
        "countries", "authorships__author"
    ):
        names = [resource.category.name, *(c.name for c in resource.countries.all())]
        names += [author.name for author in resource.ordered_authors()]
        assert all(name in resource.search_terms for name in names)
        assert Resource.objects.search(resource.category.name).filter(pk=resource.pk).exists()


def test_seeded_articles_have_a_teaser_and_tags():
    seedbench(articles=20)

    assert not Article.objects.filter(teaser="").exists()
    tagged = set(TaggedItem.objects.values_list("object_id", flat=True))
    assert tagged == set(Article.objects.values_list("pk", flat=True))


def test_seeded_articles_are_spread_over_the_two_home_page_sections():
    seedbench(articles=60)

    sections = set(Article.objects.values_list("section__slug", flat=True))
    assert sections == {"news-flash", "european-resource-center"}


def test_most_seeded_content_is_published_and_drafts_stay_hidden():
    seedbench(resources=200, articles=200)

    drafts = Article.objects.filter(status=Article.Status.DRAFT).count()
    assert Article.objects.published().count() == 200 - drafts
    assert Article.objects.published().count() >= 150
    assert Resource.objects.published().count() >= 150


def test_seeded_subscribers_have_unique_bench_addresses_in_mixed_states():
    seedbench(subscribers=30)

    emails = list(Subscriber.objects.order_by("email").values_list("email", flat=True))
    assert emails[0] == "bench-0000001@example.org"
    assert emails[-1] == "bench-0000030@example.org"
    assert Subscriber.objects.values("status").distinct().count() >= 2
    assert not Subscriber.objects.filter(status="confirmed", confirmed_at=None).exists()


def test_a_second_run_adds_the_same_numbers_again_without_slug_collisions():
    seedbench(resources=50, articles=20, subscribers=30)
    seedbench(resources=50, articles=20, subscribers=30)

    assert Resource.objects.count() == 100
    assert Article.objects.count() == 40
    assert Subscriber.objects.count() == 60
    assert Resource.objects.filter(slug="bench-resource-00000100").exists()


def test_seeding_leaves_existing_content_alone():
    article = ArticleFactory(slug="bench-article-launch")

    seedbench(articles=5)

    assert Article.objects.get(pk=article.pk).title == article.title
    assert Article.objects.count() == 6


def test_the_same_seed_writes_the_same_titles():
    seedbench(resources=10)
    first = list(Resource.objects.order_by("slug").values_list("title", flat=True))
    Resource.objects.all().delete()

    seedbench(resources=10)

    assert list(Resource.objects.order_by("slug").values_list("title", flat=True)) == first


def test_the_summary_names_the_rows_added_and_the_time_taken():
    output = seedbench(resources=5, articles=3, subscribers=2)

    assert "Added 5 resources, 3 articles, 2 subscribers in" in output


def test_a_negative_size_is_refused():
    with pytest.raises(CommandError, match="--resources"):
        call_command("seedbench", resources=-1)


def test_seeding_two_thousand_resources_takes_a_bounded_number_of_queries(
    django_assert_max_num_queries,
):
    """Guards against per-row inserts: 2,000 resources and ~11,000 link rows, in batches."""
    with django_assert_max_num_queries(200):
        seedbench(resources=2000)

    assert Resource.objects.count() == 2000


def test_seeded_resources_draw_from_the_taxonomy_sizes_of_the_issue():
    """About 250 countries, 30 regions, 25 categories and 20,000 distinct authors (issue #6)."""
    seedbench(resources=10)

    assert (Country.objects.count(), Region.objects.count(), Category.objects.count()) == (
        250,
        30,
        25,
    )
    assert Author.objects.values("name").distinct().count() == 20_000
    assert Country.objects.filter(name__in=["Albania", "Viet Nam", "Greenland"]).count() == 3

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from news.models import Article
from resources.models import Resource, ResourceAuthor
from trafficwatch.demo.loader import CONTENT_PATH

CONTENT = json.loads(CONTENT_PATH.read_text(encoding="utf-8"))
EUROJUST_ARTICLE = "actions-taken-to-stop-romanian-human-trafficking-network"
LEBANON_CURRICULUM = (
    "Training-of-Trainers Curriculum on Standard Operating Procedures for Identification and "
    "Referral of Trafficked Persons in Lebanon"
)


def loaddemo() -> str:
    out = StringIO()
    call_command("loaddemo", stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded(db) -> str:
    return loaddemo()


def test_loaddemo_loads_every_article_of_the_data_file(loaded):
    assert Article.objects.count() == len(CONTENT["articles"]) == 46


def test_loaddemo_loads_every_resource_of_the_data_file(loaded):
    assert Resource.objects.count() == len(CONTENT["resources"]) == 10


def test_demo_articles_and_resources_are_public(loaded):
    assert Article.objects.published().count() == len(CONTENT["articles"])
    assert Resource.objects.published().count() == len(CONTENT["resources"])


def test_the_eurojust_press_release_has_its_source_and_section(loaded):
    article = Article.objects.get(slug=EUROJUST_ARTICLE)

    assert article.source.name == "Eurojust"
    assert article.source.home_page == "https://www.eurojust.europa.eu/"
    assert article.section.name == "European Resource Center"


def test_the_lebanon_curriculum_keeps_its_country_regions_author_and_year(loaded):
    resource = Resource.objects.get(title=LEBANON_CURRICULUM)
    (author,) = resource.ordered_authors()

    assert [country.name for country in resource.countries.all()] == ["Lebanon"]
    assert sorted(region.name for region in resource.regions.all()) == [
        "Middle East",
        "North Africa",
    ]
    assert (author.name, author.sort_name) == ("Markéta Von Hagen", "Von Hagen, Markéta")
    assert resource.year == 2013


def test_worldwide_is_both_a_country_and_a_region(loaded):
    resource = Resource.objects.get(title="Understanding Human Trafficking In Conflict")

    assert [country.slug for country in resource.countries.all()] == ["worldwide"]
    assert [region.slug for region in resource.regions.all()] == ["worldwide"]


def test_authors_keep_their_citation_order(loaded):
    resource = Resource.objects.get(title="Understanding Human Trafficking In Conflict")

    assert [author.name for author in resource.ordered_authors()] == [
        "Jamille Bigio",
        "Rachel Vogelstein",
    ]


def test_unicode_survives_in_article_bodies(loaded):
    article = Article.objects.get(title="Bakhita Section meeting: co-operating to help refugees")

    assert "Częstochowa" in article.body
    assert "Sr. Bożena Noga" in article.body


def test_the_news_flash_keeps_the_captured_teaser_ending_in_an_ellipsis(loaded):
    article = Article.objects.in_section("news-flash").get(
        title="Cop accused of sex crimes against human trafficking victims"
    )

    assert article.teaser == (
        "A police officer was arrested Wednesday after he was found to have had…"
    )
    assert article.standfirst.startswith("Officer was investigating an Eastern European gang")


def test_articles_are_dated_newest_first_in_the_order_of_the_data_file(loaded):
    in_file = [item["slug"] for item in CONTENT["articles"] if item["section"] == "news-flash"]

    by_date = Article.objects.in_section("news-flash").order_by("-published_at")
    assert list(by_date.values_list("slug", flat=True)) == in_file


def test_the_newest_article_is_dated_a_few_hours_before_the_load(loaded):
    newest = Article.objects.latest("published_at").published_at

    assert timezone.now() - timedelta(hours=12) < newest < timezone.now()


def test_the_data_file_holds_no_email_address():
    assert "@" not in CONTENT_PATH.read_text(encoding="utf-8")


def test_a_second_run_reports_nothing_created_or_updated(loaded):
    assert "(0 created, 0 updated)" in loaddemo()


def test_a_second_run_adds_no_rows(loaded):
    counts = (Article.objects.count(), Resource.objects.count(), ResourceAuthor.objects.count())

    loaddemo()

    assert (
        Article.objects.count(),
        Resource.objects.count(),
        ResourceAuthor.objects.count(),
    ) == counts


def test_a_second_run_saves_nothing(loaded):
    before = {
        "articles": dict(Article.objects.values_list("slug", "updated_at")),
        "resources": dict(Resource.objects.values_list("slug", "updated_at")),
    }

    loaddemo()

    assert before == {
        "articles": dict(Article.objects.values_list("slug", "updated_at")),
        "resources": dict(Resource.objects.values_list("slug", "updated_at")),
    }


def test_a_run_restores_a_demo_article_that_staff_edited(loaded):
    Article.objects.filter(slug=EUROJUST_ARTICLE).update(title="Edited by staff")

    output = loaddemo()

    assert Article.objects.get(slug=EUROJUST_ARTICLE).title == (
        "Actions taken to stop Romanian human trafficking network"
    )
    assert "(0 created, 1 updated)" in output


def test_a_run_restores_the_tags_of_a_demo_article(loaded):
    article = Article.objects.get(slug=EUROJUST_ARTICLE)
    article.tags.clear()

    loaddemo()

    assert "eurojust" in article.tags.slugs()


def test_a_run_restores_the_author_order_of_a_demo_resource(loaded):
    resource = Resource.objects.get(title="Understanding Human Trafficking In Conflict")
    first, second = resource.authorships.all()
    first.position, second.position = 1, 0
    ResourceAuthor.objects.bulk_update([first, second], ["position"])

    loaddemo()

    assert [author.name for author in resource.ordered_authors()] == [
        "Jamille Bigio",
        "Rachel Vogelstein",
    ]


def test_a_run_keeps_the_publication_time_staff_set(loaded):
    moved = timezone.now() - timedelta(days=400)
    Article.objects.filter(slug=EUROJUST_ARTICLE).update(published_at=moved)

    loaddemo()

    assert Article.objects.get(slug=EUROJUST_ARTICLE).published_at == moved


def test_every_demo_article_renders_at_its_url(loaded, client):
    for article in Article.objects.all():
        assert client.get(article.get_absolute_url()).status_code == 200, article.slug

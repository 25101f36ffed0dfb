"""The RSS feed of the library (`/resources/feed/`): the newest resources matching a filter."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resources.feeds import FEED_ITEMS
from tests.factories import (
    CategoryFactory,
    CountryFactory,
    DraftResourceFactory,
    RegionFactory,
    ResourceFactory,
)
from tests.resources.test_params import PARAMETERS, VALUES

URL = "/resources/feed/"
# With an empty cache: the next scheduled publication (for the ETag); the resources with
# their category, then their countries, regions and authors.
FEED_QUERIES = 5
TITLE = "Resources matching these filters"  # of the library's <link rel="alternate">


def channel(response) -> ElementTree.Element:
    assert response["Content-Type"].startswith("application/rss+xml")
    return ElementTree.fromstring(response.content).find("channel")


def titles(response) -> list[str]:
    return [item.findtext("title") for item in channel(response).iter("item")]


def test_the_links_of_the_feed_are_absolute_on_the_site_url(client, db, settings):
    settings.SITE_URL = "https://traffickingwatch.example"
    ResourceFactory(slug="a-guide", countries=[CountryFactory(slug="lebanon")])

    feed = channel(client.get(URL, {"country": "lebanon", "page": "3"}))

    assert feed.findtext("link") == "https://traffickingwatch.example/resources/?country=lebanon"
    item = feed.find("item")
    assert item.findtext("link") == "https://traffickingwatch.example/resources/a-guide/"
    assert item.findtext("guid") == "https://traffickingwatch.example/resources/a-guide/"


def test_the_feed_points_to_itself_with_its_filters(client, db, settings):
    settings.SITE_URL = "https://traffickingwatch.example"
    CountryFactory(slug="lebanon")

    feed = channel(client.get(URL, {"country": "lebanon"}))

    self_link = feed.find("{http://www.w3.org/2005/Atom}link")
    assert (
        self_link.get("href") == "https://traffickingwatch.example/resources/feed/?country=lebanon"
    )


@pytest.mark.parametrize(
    "params",
    [
        {"country": ["country-a", "country-b"], "category": "category-p"},
        {"author": "author-l", "year_from": "2019"},
        {"region": "region-x", "year": ["2018", "2021"]},
    ],
)
def test_the_feed_holds_the_resources_the_library_lists(client, library, params):
    page = client.get("/resources/", params).context["page_obj"]

    assert sorted(titles(client.get(URL, params))) == sorted(
        card["title"] for card in page.object_list
    )


def test_the_feed_leaves_out_drafts(client, db):
    ResourceFactory(title="Published")
    DraftResourceFactory(title="Draft")

    assert titles(client.get(URL)) == ["Published"]


def test_the_feed_lists_the_newest_first_whatever_the_sort(client, db):
    now = timezone.now()
    for title, hours_ago in [("B older", 2), ("A oldest", 3), ("C newest", 1)]:
        ResourceFactory(title=title, published_at=now - timedelta(hours=hours_ago))

    assert titles(client.get(URL, {"sort": "title"})) == ["C newest", "B older", "A oldest"]


def test_the_feed_holds_the_fifty_newest_resources(client, db):
    for _ in range(FEED_ITEMS + 1):
        ResourceFactory()

    assert len(titles(client.get(URL))) == FEED_ITEMS == 50


def test_the_title_of_the_feed_says_what_is_followed(client, db):
    CategoryFactory(name="Guidance", slug="guidance")
    CountryFactory(name="Worldwide", slug="worldwide")
    RegionFactory(name="Worldwide", slug="worldwide")

    feed = channel(client.get(URL, {"region": "worldwide", "category": "guidance"}))

    assert feed.findtext("title") == "TraffickingWatch resources: Guidance · Worldwide"


def test_the_title_of_the_unfiltered_feed_names_the_library(client, db):
    assert channel(client.get(URL)).findtext("title") == "TraffickingWatch resources"


def test_an_item_is_described_by_its_summary(client, db):
    ResourceFactory(summary="Guidance for labour inspectors & police.")

    item = channel(client.get(URL)).find("item")

    assert item.findtext("description") == "Guidance for labour inspectors & police."


def test_an_item_is_categorised_by_its_category_countries_and_regions(client, db):
    ResourceFactory(
        category=CategoryFactory(name="Guidance"),
        countries=[CountryFactory(name="Lebanon"), CountryFactory(name="Jordan")],
        regions=[RegionFactory(name="Middle East")],
    )

    item = channel(client.get(URL)).find("item")

    categories = [category.text for category in item.iter("category")]
    assert categories == ["Guidance", "Jordan", "Lebanon", "Middle East"]


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("region", "no-such-region"),
        ("category", "Not a slug!"),
        ("year_from", "abcd"),
        ("sort", "newest"),
        ("q", "trafficking\x00"),
        ("q", "\x1b"),  # XML cannot carry it in the feed's title: was a 500
    ],
)
def test_an_invalid_value_answers_400_naming_the_parameter(client, db, parameter, value):
    response = client.get(URL, {parameter: value})

    assert response.status_code == 400
    assert f"The parameter “{parameter}” is not valid" in response.content.decode()


@pytest.mark.django_db
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.dictionaries(st.sampled_from(PARAMETERS), st.lists(VALUES, max_size=3), max_size=6))
def test_no_combination_of_parameters_ever_gets_a_500(client, query):
    assert client.get(URL, query).status_code in {200, 400}


@pytest.mark.parametrize("count", [3, 30])
def test_the_feed_makes_as_many_queries_for_30_resources_as_for_3(
    client, db, count, django_assert_num_queries
):
    """Guards against a query per item for its category, countries, regions or authors."""
    countries = [CountryFactory(), CountryFactory()]
    for _ in range(count):
        ResourceFactory(countries=countries, regions=[RegionFactory()])

    with django_assert_num_queries(FEED_QUERIES):
        assert len(titles(client.get(URL))) == count


def test_the_library_offers_the_feed_of_its_current_filter(client, library):
    """The feed of the filter in view, without the page: <link rel=alternate> and a link."""
    html = client.get("/resources/", {"region": "region-x", "page": "1"}).content.decode()

    feed = "/resources/feed/?region=region-x"
    alternate = f'rel="alternate" type="application/rss+xml" title="{TITLE}" href="{feed}"'
    assert alternate in html
    assert f'<a href="{feed}">Follow these results (RSS)</a>' in html

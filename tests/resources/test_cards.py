"""The library's cards read in one query (ResourceQuerySet.cards()) and rendered once per
process ({% resource_card %}): what they show must be what the resources hold now."""

import pytest
from django.template import engines

from resources.models import Author, Country, Resource, ResourceAuthor
from tests.factories import (
    AuthorFactory,
    CountryFactory,
    RegionFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def resources() -> list[Resource]:
    zambia, albania, moldova = (CountryFactory(name=n) for n in ("Zambia", "Albania", "Moldova"))
    europe, worldwide = RegionFactory(name="Europe"), RegionFactory(name="Worldwide")
    # Authors whose citation order is not their name's order, nor their ids'.
    wong, adams, von_hagen = (AuthorFactory(name=n) for n in ("Wong", "Adams", "Von Hagen"))
    return [
        ResourceFactory(
            title="Guide & <tools>",
            summary="Trafficking for labour: a guide.",
            countries=[zambia, albania, moldova],
            regions=[worldwide, europe],
            authors=[von_hagen, wong, adams],
        ),
        ResourceFactory(title="Bare", summary="", year=None, category=None),
        ResourceFactory(title="Annual report", countries=[moldova], authors=[adams]),
    ]


def orm_cards(ids: list[int]) -> list[dict]:
    """Return each id's card with its regions and authors, read through the ORM."""
    by_id = Resource.objects.select_related("category").prefetch_related(
        "countries", "regions", "authorships__author"
    )
    found = {resource.pk: resource for resource in by_id.filter(pk__in=ids)}
    return [
        {
            **found[pk].card,
            "regions": [region.name for region in found[pk].regions.all()],
            "authors": [author.name for author in found[pk].ordered_authors()],
        }
        for pk in ids
    ]


def test_a_card_holds_what_the_resource_shows_in_the_same_order(resources):
    ids = [resources[2].pk, resources[0].pk, resources[1].pk]

    cards = Resource.objects.cards(ids)

    assert cards == orm_cards(ids)
    assert cards[1]["countries"] == ["Albania", "Moldova", "Zambia"]
    assert cards[1]["authors"] == ["Von Hagen", "Wong", "Adams"]  # citation order
    assert cards[2]["category"] == "" and cards[2]["year"] is None


def test_cards_follow_their_keys_then_the_title(resources):
    ids = [resource.pk for resource in resources]  # Guide, Bare, Annual report

    cards = Resource.objects.cards(ids, keys=[5, 1, 5], offset=1, limit=1)

    # Bare first (key 1); then "Annual report" before "Guide": the titles break the tie.
    assert [card["title"] for card in cards] == ["Annual report"]


def test_a_search_gives_each_card_its_snippet_with_the_words_marked(resources):
    (card,) = Resource.objects.cards([resources[0].pk], search="trafficked")

    assert "\ue000Trafficking\ue001" in card["snippet"]


def test_no_ids_make_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Resource.objects.cards([]) == []


def test_the_card_tag_renders_what_including_the_partial_does(resources):
    included = engines["django"].from_string(
        '{% include "includes/resource_card.html" with card=card level=2 detailed=True %}'
    )
    tag = engines["django"].from_string(
        "{% load library %}{% resource_card card level=2 detailed=True %}"
    )

    for card in Resource.objects.cards([resource.pk for resource in resources], search="guide"):
        # Twice: the second rendering is the one kept from the first.
        assert tag.render({"card": card}) == included.render({"card": card})
        assert tag.render({"card": card}) == included.render({"card": card})


def test_the_library_shows_a_renamed_country_and_a_new_author_order_at_once(client, resources):
    assert "Albania, Moldova, Zambia" in client.get("/resources/").text

    Country.objects.filter(name="Albania").update(name="Shqipëria")
    guide = resources[0]
    ResourceAuthor.objects.filter(resource=guide, author__name="Adams").update(position=0)
    ResourceAuthor.objects.filter(resource=guide, author__name="Von Hagen").update(position=2)
    Author.objects.filter(name="Wong").update(name="Wong Kar")

    html = client.get("/resources/", {"q": "guide"}).text
    assert "Moldova, Shqipëria, Zambia" in html
    assert "Adams, Wong Kar, Von Hagen" in html


def test_a_card_escapes_what_staff_wrote(client, resources):
    html = client.get("/resources/").text

    assert "Guide &amp; &lt;tools&gt;" in html
    assert "<tools>" not in html

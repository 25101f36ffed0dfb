"""Full-text search in the library: stemming, accents, websearch syntax, ranking, snippets."""

import pytest

from resources.models import Resource
from tests.factories import AuthorFactory, CategoryFactory, CountryFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def found(client, q: str, **params) -> list[str]:
    response = client.get("/resources/", {"q": q, **params})
    assert response.status_code == 200
    return [card["title"] for card in response.context["page_obj"].object_list]


def test_a_search_finds_other_forms_of_the_word(client):
    ResourceFactory(title="Identifying trafficking victims", summary="")

    assert found(client, "trafficked") == ["Identifying trafficking victims"]


def test_a_search_without_accents_finds_words_with_them(client):
    ResourceFactory(title="Shelters", summary="A study of shelters in Częstochowa.")

    assert found(client, "Czestochowa") == ["Shelters"]


def test_a_search_with_accents_finds_words_without_them(client):
    ResourceFactory(title="Cafe workers", summary="Labour in a cafe.")

    assert found(client, "café") == ["Cafe workers"]


def test_a_quoted_phrase_finds_the_words_together_only(client):
    ResourceFactory(title="Forced labour in farming", summary="")
    ResourceFactory(title="Labour inspections were forced to close", summary="")

    assert found(client, '"forced labour"') == ["Forced labour in farming"]


def test_a_word_after_a_minus_leaves_out_the_resources_with_it(client):
    ResourceFactory(title="Trafficking of children", summary="")
    ResourceFactory(title="Trafficking of adults", summary="")

    assert found(client, "trafficking -children") == ["Trafficking of adults"]


def test_or_finds_either_word(client):
    ResourceFactory(title="Lebanon report", summary="")
    ResourceFactory(title="Jordan report", summary="")
    ResourceFactory(title="Egypt report", summary="")

    assert set(found(client, "Lebanon or Jordan")) == {"Lebanon report", "Jordan report"}


def test_every_word_must_match_without_or(client):
    ResourceFactory(title="Lebanon report", summary="")
    ResourceFactory(title="Lebanon and Jordan report", summary="")

    assert found(client, "Lebanon Jordan") == ["Lebanon and Jordan report"]


def test_a_hit_in_the_title_ranks_above_a_hit_in_the_summary(client):
    ResourceFactory(title="A handbook", summary="On the rights of domestic workers.", year=2024)
    ResourceFactory(title="Domestic workers", summary="A handbook.", year=2001)

    assert found(client, "domestic workers") == ["Domestic workers", "A handbook"]


def test_sorting_by_year_overrides_the_relevance(client):
    ResourceFactory(title="A handbook", summary="On the rights of domestic workers.", year=2024)
    ResourceFactory(title="Domestic workers", summary="A handbook.", year=2001)

    assert found(client, "domestic workers", sort="-year") == ["A handbook", "Domestic workers"]


def test_a_search_finds_the_authors_names(client):
    ResourceFactory(title="Report", summary="", authors=[AuthorFactory(name="Markéta von Hagen")])

    assert found(client, "Hagen") == ["Report"]


def test_a_search_finds_the_countries_and_the_category(client):
    ResourceFactory(
        title="Report",
        summary="",
        countries=[CountryFactory(name="Lebanon")],
        category=CategoryFactory(name="Training curriculum"),
    )

    assert found(client, "Lebanon curriculum") == ["Report"]


def test_renaming_a_country_updates_the_search(client):
    country = CountryFactory(name="Burma")
    ResourceFactory(title="Report", summary="", countries=[country])

    country.name = "Myanmar"
    country.save()

    assert found(client, "Myanmar") == ["Report"]
    assert found(client, "Burma") == []


def test_refreshing_the_search_terms_twice_changes_nothing(db):
    ResourceFactory(countries=[CountryFactory()])

    assert Resource.objects.refresh_search_terms() == 0


def test_the_text_of_the_file_is_searched(client):
    resource = ResourceFactory(title="Report", summary="")
    Resource.objects.filter(pk=resource.pk).update(file_text="Annex on seasonal agriculture")

    assert found(client, "agriculture") == ["Report"]


def test_search_combines_with_the_facets(client):
    lebanon = CountryFactory(slug="lebanon")
    ResourceFactory(title="Trafficking in Lebanon", countries=[lebanon])
    ResourceFactory(title="Trafficking elsewhere")

    assert found(client, "trafficking", country="lebanon") == ["Trafficking in Lebanon"]


def test_each_hit_shows_a_snippet_with_the_words_marked(client):
    ResourceFactory(title="Report", summary="Survivors of trafficking need shelter.")

    html = client.get("/resources/", {"q": "shelter"}).content.decode()

    assert "Survivors of trafficking need <mark>shelter</mark>" in html


def test_the_snippet_escapes_the_summary_and_marks_only_the_hits(client):
    ResourceFactory(title="Report", summary="Note <script>alert('x')</script> on trafficking")

    html = client.get("/resources/", {"q": "trafficking"}).content.decode()

    assert "<script>alert" not in html
    assert (
        "Note &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; on <mark>trafficking</mark>" in html
    )


def test_a_near_miss_suggests_the_corrected_search(client):
    ResourceFactory(title="Identifying trafficking victims", summary="")

    response = client.get("/resources/", {"q": "trafickng victims"})

    html = response.content.decode()
    assert response.context["suggestion"] == "trafficking victims"
    assert 'Did you mean <a href="?q=trafficking+victims">trafficking victims</a>?' in html


def test_the_suggestion_keeps_the_other_filters(client):
    lebanon = CountryFactory(slug="lebanon")
    ResourceFactory(title="Identifying trafficking victims", summary="", countries=[lebanon])

    html = client.get("/resources/", {"q": "trafickng", "country": "lebanon"}).content.decode()

    assert 'href="?q=trafficking&amp;country=lebanon"' in html


def test_no_suggestion_when_nothing_is_close(client):
    ResourceFactory(title="Identifying trafficking victims", summary="")

    response = client.get("/resources/", {"q": "zzzzqqq"})

    assert response.context["suggestion"] is None
    assert "Did you mean" not in response.content.decode()


def test_drafts_are_not_suggested(client):
    from tests.factories import DraftResourceFactory

    DraftResourceFactory(title="Confidential trafficking", summary="")

    response = client.get("/resources/", {"q": "confidental"})

    assert response.context["suggestion"] is None


def test_an_empty_search_result_offers_the_search_without_filters(client):
    lebanon = CountryFactory(slug="lebanon")
    ResourceFactory(title="Lebanon report", countries=[lebanon])
    ResourceFactory(title="Shelter guide")

    html = client.get("/resources/", {"q": "shelter", "country": "lebanon"}).content.decode()

    assert 'href="/resources/?q=shelter">Search the whole library for “shelter”</a>' in html


def test_the_suggestion_keeps_the_search_syntax(client):
    ResourceFactory(title="Forced labour of children", summary="")

    response = client.get("/resources/", {"q": '"forced labur" -chidren'})

    assert response.context["suggestion"] == '"forced labour" -children'

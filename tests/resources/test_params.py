"""Bad input on the library (CONTRACT.md): 400 naming the parameter, 404 past the end, no 500."""

from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import CountryFactory, ResourceFactory

PARAMETERS = ["q", "country", "region", "category", "author", "year", "year_from", "year_to"]
PARAMETERS += ["sort", "page"]


@pytest.fixture
def resource(db):
    return ResourceFactory(countries=[CountryFactory(slug="lebanon")], year=2013)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("country", "no-such-country"),
        ("region", "no-such-region"),
        ("category", "no-such-category"),
        ("author", "no-such-author"),
        ("country", "Not a slug!"),
        ("country", "x" * 300),
        ("year", "20x9"),
        ("year", "199"),
        ("year", "20190"),
        ("year", "２０１９"),
        ("year_from", "abcd"),
        ("year_to", "-2020"),
        ("sort", "newest"),
        ("sort", "relevance;drop"),
        ("page", "0"),
        ("page", "-1"),
        ("q", "x" * 201),
        ("q", "trafficking\x00"),
        ("q", "labour\x1bexploitation"),
    ],
)
def test_an_invalid_value_answers_400_naming_the_parameter(client, resource, parameter, value):
    response = client.get("/resources/", {parameter: value})

    assert response.status_code == 400
    assert f"The parameter “{parameter}” is not valid" in response.content.decode()


def test_the_400_page_links_back_to_the_unfiltered_library(client, resource):
    response = client.get("/resources/", {"country": "atlantis"})

    assert 'href="/resources/"' in response.content.decode()


def test_one_unknown_value_among_known_ones_answers_400(client, resource):
    response = client.get("/resources/", {"country": ["lebanon", "atlantis"]})

    assert response.status_code == 400


def test_a_first_year_after_the_last_answers_400_naming_year_from(client, resource):
    response = client.get("/resources/", {"year_from": "2020", "year_to": "2010"})

    assert response.status_code == 400
    assert "The parameter “year_from” is not valid" in response.content.decode()


def test_more_than_fifty_values_of_one_parameter_answer_400(client, resource):
    response = client.get("/resources/", {"year": [str(year) for year in range(1950, 2010)]})

    assert response.status_code == 400


def test_a_search_of_200_characters_is_accepted(client, resource):
    assert client.get("/resources/", {"q": "x" * 200}).status_code == 200


def test_blank_values_from_an_empty_form_are_ignored(client, resource):
    response = client.get(
        "/resources/", {"q": "", "year_from": "", "year_to": "", "sort": "", "country": ""}
    )

    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 1


def test_relevance_without_a_search_falls_back_to_the_newest_first(client, resource):
    assert client.get("/resources/", {"sort": "relevance"}).status_code == 200


def test_a_page_past_the_end_answers_404(client, resource):
    assert client.get("/resources/", {"page": "2"}).status_code == 404


def test_a_page_past_the_end_of_a_filtered_list_answers_404(client, resource):
    assert client.get("/resources/", {"country": "lebanon", "page": "2"}).status_code == 404


def test_unknown_parameters_are_ignored(client, resource):
    assert client.get("/resources/", {"country[]": "x", "utm_source": "mail"}).status_code == 200


def test_a_unicode_search_is_accepted(client, resource):
    assert client.get("/resources/", {"q": "Częstochowa 人口贩卖 🙂 \u202e"}).status_code == 200


# Values a person or a robot might send: text of any kind, near-valid values, huge numbers.
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["lebanon", "2013", "2020", "0", "-1", "1", "99999999999999999999"]),
    st.sampled_from(["relevance", "-year", "year", "title", '"forced', "-", "or", "!!", "&"]),
    st.from_regex(r"[0-9]{1,6}", fullmatch=True),
)


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.dictionaries(st.sampled_from(PARAMETERS), st.lists(VALUES, max_size=3), max_size=6))
def test_no_combination_of_parameters_ever_gets_a_500(client, resource, query):
    response = client.get("/resources/", query)

    assert response.status_code in {200, 400, 404}


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=200))
def test_no_search_text_ever_gets_a_500(client, resource, q):
    response = client.get("/resources/", {"q": q})

    assert response.status_code in {200, 400}


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parameter=st.sampled_from(PARAMETERS), value=st.binary(max_size=20))
def test_no_raw_bytes_in_the_query_string_ever_get_a_500(client, resource, parameter, value):
    response = client.get(f"/resources/?{parameter}={quote_from_bytes(value)}")

    assert response.status_code in {200, 400, 404}

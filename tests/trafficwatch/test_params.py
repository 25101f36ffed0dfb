"""Public query parameters: garbage answers 400 naming the parameter, never 500 (CONTRACT.md)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ArticleFactory


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "", "１", "99999999999999999999"])
def test_an_invalid_page_number_answers_400_naming_the_parameter(client, value):
    response = client.get("/news/", {"page": value})
    assert response.status_code == 400
    assert "page" in response.content.decode()


@pytest.mark.django_db
def test_a_page_past_the_end_answers_404(client):
    ArticleFactory()
    assert client.get("/news/", {"page": "2"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["section", "tag"])
def test_an_unknown_news_filter_answers_400_naming_the_parameter(client, parameter):
    response = client.get("/news/", {parameter: "no-such-thing"})
    assert response.status_code == 400
    assert parameter in response.content.decode()


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.text(max_size=30),
    section=st.text(max_size=30),
    tag=st.text(max_size=30),
    path=st.sampled_from(["/news/", "/resources/"]),
)
def test_no_query_string_ever_gets_a_500(client, page, section, tag, path):
    query = {"page": page}
    if path == "/news/":
        query.update(section=section, tag=tag)
    response = client.get(path, query)
    assert response.status_code in {200, 400, 404}

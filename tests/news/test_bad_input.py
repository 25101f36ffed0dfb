"""Bad input on the news pages and feeds: 400 naming the parameter, 404, never a 500."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2.0", "1e3"])
@pytest.mark.parametrize("query", [{}, {"tag": "romania"}, {"section": "news-flash"}])
def test_an_invalid_page_number_answers_400_naming_the_parameter(client, value, query):
    ArticleFactory(tags=["Romania"])

    response = client.get("/news/", {**query, "page": value})

    assert response.status_code == 400
    assert "The parameter “page” is not valid:" in response.content.decode()


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("tag", "no-such-tag"), ("section", "no-such-section"), ("tag", "<script>"), ("tag", "")],
)
def test_an_unknown_tag_or_section_answers_400_naming_the_parameter(client, parameter, value):
    response = client.get("/news/", {parameter: value})

    assert response.status_code == 400
    assert f"The parameter “{parameter}” is not valid:" in response.content.decode()


@pytest.mark.parametrize("query", [{}, {"tag": "romania"}, {"section": "news-flash"}])
def test_a_page_past_the_end_answers_404(client, query):
    ArticleFactory(tags=["Romania"])

    assert client.get("/news/", {**query, "page": "2"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/news/feed/tag/no-such-tag/",
        "/news/feed/section/no-such-section/",
        "/news/feed/tag/",
        "/news/feed/tag/a%20b/",
        "/news/feed/section/%3Cscript%3E/",
        "/news/feed/nonsense/",
    ],
)
def test_a_feed_that_does_not_exist_answers_404(client, url):
    assert client.get(url).status_code == 404


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(slug=st.text(max_size=40), kind=st.sampled_from(["tag", "section"]))
def test_no_feed_path_ever_gets_a_500(client, slug, kind):
    response = client.get(f"/news/feed/{kind}/{quote(slug, safe='')}/")

    assert response.status_code in {200, 404}

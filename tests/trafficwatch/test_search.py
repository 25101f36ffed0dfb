"""The site search (/search/): articles and resources together, the library's search engine."""

from datetime import timedelta
from urllib.parse import quote_from_bytes

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    ArticleFactory,
    DraftArticleFactory,
    DraftResourceFactory,
    ResourceFactory,
    ScheduledArticleFactory,
)

pytestmark = pytest.mark.django_db


def hits(client, q: str, **params) -> list[str]:
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200, response.content.decode()
    return [hit.item.title for hit in response.context["page_obj"].object_list]


def test_a_search_finds_articles_and_resources_together(client):
    ArticleFactory(title="Shelters reopen in Warsaw", body="")
    ResourceFactory(title="Standards for shelters", summary="")
    ArticleFactory(title="Elections", body="<p>Nothing about it.</p>")

    assert set(hits(client, "shelters")) == {"Shelters reopen in Warsaw", "Standards for shelters"}


def test_each_hit_says_whether_it_is_news_or_a_resource(client):
    ArticleFactory(title="Shelters reopen in Warsaw", body="")
    ResourceFactory(title="Standards for shelters", summary="")

    html = client.get("/search/", {"q": "shelters"}).content.decode()

    assert '<span class="badge">News</span>' in html
    assert '<span class="badge">Resource</span>' in html


def test_a_search_finds_other_forms_of_the_word(client):
    ArticleFactory(title="Police", body="<p>A trafficking ring was dismantled.</p>")

    assert hits(client, "trafficked") == ["Police"]


def test_a_search_without_accents_finds_words_with_them(client):
    ArticleFactory(title="Arrests", body="<p>Arrests in <strong>Częstochowa</strong>.</p>")

    assert hits(client, "Czestochowa") == ["Arrests"]


def test_a_quoted_phrase_finds_the_words_together_only(client):
    ArticleFactory(title="Forced labour on farms", body="")
    ResourceFactory(title="Labour inspectors were forced to stop", summary="")

    assert hits(client, '"forced labour"') == ["Forced labour on farms"]


def test_a_word_after_a_minus_leaves_out_the_hits_with_it(client):
    ArticleFactory(title="Trafficking of children", body="")
    ResourceFactory(title="Trafficking of adults", summary="")

    assert hits(client, "trafficking -children") == ["Trafficking of adults"]


def test_or_finds_either_word(client):
    ArticleFactory(title="Lebanon news", body="")
    ResourceFactory(title="Jordan report", summary="")
    ArticleFactory(title="Egypt news", body="")

    assert set(hits(client, "Lebanon or Jordan")) == {"Lebanon news", "Jordan report"}


def test_words_in_tags_of_the_body_are_not_searched(client):
    ArticleFactory(
        title="Report", body='<p><a href="https://example.org/smuggling">The report</a></p>'
    )

    assert hits(client, "smuggling") == []


def test_a_hit_in_the_title_ranks_before_a_hit_in_the_body(client):
    ArticleFactory(
        title="Court news",
        body="<p>The court heard of debt bondage.</p>",
        published_at=timezone.now() - timedelta(hours=1),
    )
    ResourceFactory(
        title="Debt bondage in Europe",
        summary="",
        published_at=timezone.now() - timedelta(days=30),
    )
    ArticleFactory(
        title="Bondage cases rise",
        body="",
        published_at=timezone.now() - timedelta(days=60),
    )

    assert hits(client, "bondage") == ["Debt bondage in Europe", "Bondage cases rise", "Court news"]


def test_drafts_and_future_articles_and_resources_are_never_found(client):
    DraftArticleFactory(title="Draft shelters article")
    ScheduledArticleFactory(title="Scheduled shelters article")
    DraftResourceFactory(title="Draft shelters resource")
    ResourceFactory(
        title="Future shelters resource", published_at=timezone.now() + timedelta(days=1)
    )
    ArticleFactory(title="Published shelters article")

    response = client.get("/search/", {"q": "shelters"})

    assert [hit.item.title for hit in response.context["page_obj"].object_list] == [
        "Published shelters article"
    ]
    assert "1 result for" in response.content.decode()


def test_the_snippet_marks_the_words_found_in_the_body(client):
    ArticleFactory(
        title="Police",
        standfirst="A raid in the north.",
        body="<p>Officers freed twelve workers held in <em>debt bondage</em> on a farm.</p>",
    )

    html = client.get("/search/", {"q": "bondage"}).content.decode()

    assert "held in debt <mark>bondage</mark> on a farm" in html


def test_the_snippet_comes_from_the_standfirst_when_it_has_the_words(client):
    ArticleFactory(
        title="Police",
        standfirst="Debt bondage on farms in the north.",
        teaser="Twelve workers were freed.",
        body="<p>The appendix also mentions bondage.</p>",
    )

    html = client.get("/search/", {"q": "bondage"}).content.decode()

    assert "Debt <mark>bondage</mark> on farms" in html
    assert "appendix" not in html


def test_the_snippet_escapes_html_in_the_text(client):
    ArticleFactory(
        title="Phishing",
        standfirst="",
        body="<p>The message hid a &lt;script&gt;alert(1)&lt;/script&gt; in a shelter form.</p>",
    )
    ArticleFactory(title="Lead", standfirst="A <b>shelter</b> & more", body="")

    html = client.get("/search/", {"q": "shelter"}).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; in a <mark>shelter</mark>" in html
    assert "<script>alert" not in html
    assert "<mark>shelter</mark>&lt;/b&gt; &amp; more" in html
    assert "<b>" not in html


def test_a_search_of_one_kind_keeps_the_counts_of_both(client):
    ArticleFactory(title="Shelters reopen", body="")
    ResourceFactory(title="Shelter standards", summary="")
    ResourceFactory(title="Shelter funding", summary="")

    response = client.get("/search/", {"q": "shelter", "type": "news"})

    assert [hit.item.title for hit in response.context["page_obj"]] == ["Shelters reopen"]
    assert set(hits(client, "shelter", type="resources")) == {
        "Shelter standards",
        "Shelter funding",
    }
    assert response.context["tabs"] == [("news", "News", 1), ("resources", "Resources", 2)]
    assert response.context["total"] == 3


def test_a_misspelt_search_suggests_the_word_from_a_title(client):
    ArticleFactory(title="Trafficking ring dismantled", body="")

    response = client.get("/search/", {"q": "trafickng"})

    assert response.context["suggestion"] == "trafficking"
    assert 'href="?q=trafficking"' in response.content.decode()


def test_a_search_that_finds_something_suggests_nothing(client):
    ArticleFactory(title="Trafficking ring dismantled", body="")

    assert client.get("/search/", {"q": "trafficking"}).context["suggestion"] is None


def test_an_empty_search_shows_the_search_form(client):
    response = client.get("/search/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<input type="search" id="search-q" name="q"' in html
    assert "results for" not in html


def test_twenty_hits_fill_a_page_and_the_rest_go_on_the_next(client):
    for n in range(21):
        ArticleFactory(title=f"Shelter {n}", body="")

    assert len(hits(client, "shelter")) == 20
    assert len(hits(client, "shelter", page="2")) == 1


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("q", "x" * 201),
        ("q", "shelter\x00"),
        ("q", "shelter\x1b[31m"),
        ("type", "articles"),
        ("type", "news;drop"),
        ("page", "0"),
        ("page", "two"),
    ],
)
def test_a_bad_value_answers_400_naming_the_parameter(client, parameter, value):
    response = client.get("/search/", {"q": "shelter", **{parameter: value}})

    assert response.status_code == 400
    assert f"The parameter “{parameter}” is not valid" in response.content.decode()


def test_a_page_past_the_end_is_not_found(client):
    ArticleFactory(title="Shelter", body="")

    assert client.get("/search/", {"q": "shelter", "page": "2"}).status_code == 404


def test_every_page_has_a_search_box_that_leads_here(client):
    html = client.get("/news/").content.decode()

    assert '<form class="site-search" role="search" method="get" action="/search/"' in html
    assert '<label class="visually-hidden" for="site-search-q">' in html


def test_a_page_of_results_takes_the_same_queries_however_many_hits(
    client, django_assert_num_queries
):
    """Guards against a hit's snippet, section or category being fetched one by one."""
    for n in range(3):
        ArticleFactory(title=f"Shelter news {n}", body="<p>About a shelter.</p>")
        ResourceFactory(title=f"Shelter report {n}", summary="On shelters.")

    # With an empty cache: the next scheduled article and resource (they end the cache
    # generations the page is cached under), the counts with the ranked page (one query),
    # its articles, its resources.
    with django_assert_num_queries(5):
        response = client.get("/search/", {"q": "shelter"})

    assert len(response.context["page_obj"].object_list) == 6


def test_a_search_that_finds_nothing_adds_one_query_for_the_suggestion(
    client, django_assert_num_queries
):
    """Guards against the suggestion looking words up one by one."""
    ArticleFactory(title="Trafficking ring dismantled", body="")
    ResourceFactory(title="Trafficking report", summary="")

    # With an empty cache: the next scheduled article and resource, the counts (with an
    # empty page) and the suggestion.
    with django_assert_num_queries(4):
        client.get("/search/", {"q": "trafickng exploitatoin"})


def test_the_empty_search_form_asks_only_when_the_cached_pages_expire(
    client, django_assert_num_queries
):
    # With an empty cache: the next scheduled article and resource, nothing else.
    with django_assert_num_queries(2):
        client.get("/search/")


def test_a_search_made_before_is_answered_without_the_database(client, django_assert_num_queries):
    ArticleFactory(title="Shelter news", body="<p>About a shelter.</p>")
    first = client.get("/search/", {"q": "shelter"})

    with django_assert_num_queries(0):
        again = client.get("/search/", {"q": "shelter"})

    assert again.content == first.content


def test_a_new_article_shows_in_a_search_made_before_at_once(client):
    ResourceFactory(title="Shelter standards")
    assert "Shelter news" not in client.get("/search/", {"q": "shelter"}).text

    ArticleFactory(title="Shelter news", body="<p>About a shelter.</p>")

    assert "Shelter news" in client.get("/search/", {"q": "shelter"}).text


@pytest.fixture
def content(db):
    ArticleFactory(title="Shelter", body="<p>A shelter &amp; more.</p>")
    ResourceFactory(title="Shelter standards")


VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["news", "resources", "", "0", "1", "2", "-1", "99999999999999999999"]),
    st.sampled_from(['"forced', "-", "or", "!!", "&", "shelter", "-shelter", '"', "<b>"]),
)


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.dictionaries(
        st.sampled_from(["q", "type", "page"]), st.lists(VALUES, max_size=3), max_size=3
    )
)
def test_no_combination_of_parameters_ever_gets_a_500(client, content, query):
    response = client.get("/search/", query)

    assert response.status_code in {200, 400, 404}


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parameter=st.sampled_from(["q", "type", "page"]), value=st.binary(max_size=20))
def test_no_raw_bytes_in_the_query_string_ever_get_a_500(client, content, parameter, value):
    response = client.get(f"/search/?{parameter}={quote_from_bytes(value)}")

    assert response.status_code in {200, 400, 404}


@pytest.mark.parametrize("kind", ["", "news", "resources"])
def test_the_page_read_with_the_counts_is_the_page_of_the_ranked_hits(kind):
    """SiteResults.fetch() (counts and page in one query) against ranked_rows() alone."""
    from trafficwatch.search import SiteQuery, SiteResults

    for n in range(14):
        ArticleFactory(title=f"Shelter news {n}", body="<p>A shelter. " + "Shelter. " * (n % 3))
        ResourceFactory(title=f"Shelter report {n}", summary="On shelters." * (n % 4))
    query = SiteQuery("shelter", kind)
    ranked = [(row[0], row[1]) for row in SiteResults(query).ranked_rows()]
    for offset in (0, 20):
        results = SiteResults(query)
        results.fetch(offset, 20)
        assert results.counts == {"news": 14, "resources": 14}
        page = results[offset : min(offset + 20, len(ranked))]
        assert [(hit.kind, hit.item.pk) for hit in page] == ranked[offset : offset + 20]

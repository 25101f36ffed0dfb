"""A reader in a real browser: from an article to the list of one of its tags."""

import pytest

from tests.factories import ArticleFactory, ArticleWithImageFactory, SourceFactory
from tests.test_browser import WCAG_AA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article():
    article = ArticleWithImageFactory(
        title="Criminal network dismantled in Spain and Romania",
        standfirst="Police in two countries freed 14 women.",
        byline="Press office",
        source=SourceFactory(name="Eurojust", home_page="https://www.eurojust.europa.eu/"),
        source_url="https://www.eurojust.europa.eu/news/example",
        body="<p>Spanish and Romanian police dismantled a network.</p>",
        tags=["Romania", "Sexual exploitation"],
    )
    ArticleFactory(title="Romanian court convicts recruiters", tags=["Romania"])
    ArticleFactory(title="Summit on protecting children online", tags=["Online recruitment"])
    return article


def test_a_reader_follows_a_tag_from_an_article_to_the_list_of_that_tag(page, article):
    page.goto(article.get_absolute_url())
    assert page.get_by_role("img", name=article.image_alt).is_visible()

    page.get_by_role("link", name="Romania", exact=True).click()

    page.wait_for_url("**/news/?tag=romania")
    assert page.get_by_role("heading", level=1).inner_text() == "News tagged “Romania”"
    assert page.get_by_role("link", name="Romanian court convicts recruiters").is_visible()
    assert page.get_by_role("link", name="Summit on protecting children online").count() == 0


def test_the_image_of_an_article_loads_in_a_size_that_fits_the_screen(page, article):
    page.goto(article.get_absolute_url())

    image = page.get_by_role("img", name=article.image_alt)

    # srcset: the browser picks one of the renditions (480/960/1440 px) or the original.
    assert image.evaluate("image => image.complete && image.naturalWidth > 0")
    assert image.evaluate("image => image.currentSrc").startswith(page.url.split("/news/")[0])


def test_an_article_with_an_image_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe, article):
    page.goto(article.get_absolute_url())

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_a_tag_page_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe, article):
    page.goto("/news/?tag=romania")

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()

"""axe on every public page type, on a desktop screen and on a 375 px phone.

A serious or critical violation fails the test; lesser ones are printed for the next pass.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from newsletter.tokens import make_confirmation_token, make_unsubscribe_token
from tests.factories import (
    ArticleFactory,
    ArticleWithImageFactory,
    CountryFactory,
    ResourceCenterSectionFactory,
    ResourceFactory,
    SubscriberFactory,
)
from tests.newsletter.factories import SentIssueFactory
from tests.test_browser import WCAG_AA

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 375, "height": 812},
}
BLOCKING = {"serious", "critical"}


@dataclass
class Site:
    article: object
    section: object
    resource: object
    country: object
    issue: object


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep the article's uploaded image out of the checkout's media/ folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def site() -> Site:
    section = ResourceCenterSectionFactory()
    article = ArticleWithImageFactory(
        title="Criminal network dismantled in Spain and Romania",
        standfirst="Police in two countries freed 14 women.",
        body="<p>Police dismantled a network.</p><blockquote><p>Victims first.</p></blockquote>",
        section=section,
        tags=["Sexual exploitation"],
    )
    ArticleFactory(title="New Balkan route for migrants causes alarm")
    country = CountryFactory(name="Lebanon", slug="lebanon")
    resource = ResourceFactory(
        title="Identifying trafficking victims", countries=[country], year=2013
    )
    ResourceFactory(title="Yearbook on illegal migration", year=2012)
    issue = SentIssueFactory(subject="March: labour exploitation", articles=[article])
    return Site(article, section, resource, country, issue)


def submit_a_bad_address(page) -> None:
    page.goto(reverse("newsletter:subscribe"))
    page.locator("#main").get_by_label("Email").fill("not an address")
    page.locator("#main").get_by_role("button", name="Subscribe").click()
    page.wait_for_selector(".errorlist, [aria-invalid=true]")


# Each page type: how to get there. Existing desktop checks elsewhere cover some of these
# pages with other content; here each runs at both widths with the same content.
PAGES = {
    "home": lambda page, site: page.goto("/"),
    "news list": lambda page, site: page.goto(reverse("news:article-list")),
    "news by tag": lambda page, site: page.goto(
        reverse("news:article-list") + "?tag=sexual-exploitation"
    ),
    "news by section": lambda page, site: page.goto(
        reverse("news:article-list") + f"?section={site.section.slug}"
    ),
    "article with image": lambda page, site: page.goto(site.article.get_absolute_url()),
    "library": lambda page, site: page.goto(reverse("resources:resource-list")),
    "library filtered and searched": lambda page, site: page.goto(
        reverse("resources:resource-list") + "?q=trafficking&country=lebanon&year=2013"
    ),
    "library with no result and a suggestion": lambda page, site: page.goto(
        reverse("resources:resource-list") + "?q=trafickng+victims"
    ),
    "resource": lambda page, site: page.goto(site.resource.get_absolute_url()),
    "site search": lambda page, site: page.goto(reverse("search") + "?q=trafficking"),
    "empty site search": lambda page, site: page.goto(reverse("search")),
    "subscribe form": lambda page, site: page.goto(reverse("newsletter:subscribe")),
    "subscribe form with errors": lambda page, site: submit_a_bad_address(page),
    "subscribe thanks": lambda page, site: page.goto(reverse("newsletter:subscribe-thanks")),
    "confirm": lambda page, site: page.goto(
        reverse("newsletter:confirm", args=[make_confirmation_token(SubscriberFactory())])
    ),
    "unsubscribe": lambda page, site: page.goto(
        reverse("newsletter:unsubscribe", args=[make_unsubscribe_token(SubscriberFactory())])
    ),
    "newsletter archive": lambda page, site: page.goto(reverse("newsletter:issues")),
    "newsletter issue": lambda page, site: page.goto(
        reverse("newsletter:issue", args=[site.issue.slug])
    ),
    "bad request": lambda page, site: page.goto(reverse("resources:resource-list") + "?page=abc"),
    "not found": lambda page, site: page.goto("/news/no-such-article/"),
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_no_page_type_has_a_serious_or_critical_axe_violation_at_either_width(
    page, axe, site, name, viewport
):
    page.set_viewport_size(VIEWPORTS[viewport])
    response = PAGES[name](page, site)
    assert response is None or response.status < 500

    results = axe.run(page, options=WCAG_AA)

    violations = results.response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    others = [v for v in violations if v["impact"] not in BLOCKING]
    if others:
        print(f"{name} at {viewport}, minor:", [(v["id"], v["impact"]) for v in others])
    assert not blocking, results.generate_report()

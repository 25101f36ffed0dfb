"""Citations of a resource: the formatted text, RIS, BibTeX, their downloads, Highwire tags."""

import re

import pytest
from django.core.files.base import ContentFile

from resources import citations
from resources.models import Resource
from resources.views import published_resources
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    CountryFactory,
    DraftResourceFactory,
    RegionFactory,
    ResourceFactory,
)

SITE_URL = "https://traffickingwatch.example"
LEBANON_TITLE = (
    "Training-of-Trainers Curriculum on Standard Operating Procedures for Identification "
    "and Referral of Trafficked Persons in Lebanon"
)
LEBANON_URL = f"{SITE_URL}/resources/lebanon-curriculum/"
ICMPD = "International Centre for Migration Policy Development (ICMPD)"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def loaded(resource: Resource) -> Resource:
    """Return the resource as the views load it: authors, countries, regions prefetched."""
    return published_resources().get(pk=resource.pk)


@pytest.fixture
def lebanon_curriculum(db) -> Resource:
    """The demo's training curriculum by Markéta Von Hagen."""
    resource = ResourceFactory(
        title=LEBANON_TITLE,
        slug="lebanon-curriculum",
        summary="The draft Standard Operating Procedures (SOPs) for Identification\n\n"
        "and Referral of Trafficked Persons in Lebanon.",
        year=2013,
        category=CategoryFactory(name="Training curriculum", slug="training-curriculum"),
        authors=[AuthorFactory(name="Markéta Von Hagen", sort_name="Von Hagen, Markéta")],
        countries=[CountryFactory(name="Lebanon", slug="lebanon")],
        publisher=ICMPD,
    )
    return loaded(resource)


def authors(*sort_names: str) -> list:
    return [AuthorFactory(name=name, sort_name=name) for name in sort_names]


@pytest.mark.parametrize(
    ("sort_names", "expected"),
    [
        ((), "Guide to shelters. (2019). La Strada. "),
        (("Von Hagen, Markéta",), "Von Hagen, M. (2019). Guide to shelters. La Strada. "),
        (
            ("Von Hagen, Markéta", "Ng, Anna Beata"),
            "Von Hagen, M., & Ng, A. B. (2019). Guide to shelters. La Strada. ",
        ),
        (
            ("Von Hagen, Markéta", "Ng, Anna", "Dupont, Jean-Pierre"),
            "Von Hagen, M., Ng, A., & Dupont, J.-P. (2019). Guide to shelters. La Strada. ",
        ),
    ],
)
def test_the_formatted_citation_names_the_authors_in_order(db, sort_names, expected):
    resource = ResourceFactory(
        title="Guide to shelters",
        slug="guide",
        year=2019,
        publisher="La Strada",
        authors=authors(*sort_names),
    )

    assert (
        citations.formatted_citation(loaded(resource)) == f"{expected}{SITE_URL}/resources/guide/"
    )


def test_the_formatted_citation_omits_a_missing_publisher_and_prefers_the_external_url(db):
    resource = ResourceFactory(
        title="Guide to shelters",
        year=2019,
        external_url="https://lastrada.example/guide.pdf",
        authors=authors("Organisation for Security"),
    )

    assert citations.formatted_citation(loaded(resource)) == (
        "Organisation for Security (2019). Guide to shelters. https://lastrada.example/guide.pdf"
    )


def test_the_ris_record_of_the_demo_curriculum(lebanon_curriculum):
    assert citations.ris(lebanon_curriculum) == (
        "TY  - GEN\r\n"
        "AU  - Von Hagen, Markéta\r\n"
        "PY  - 2013\r\n"
        f"TI  - {LEBANON_TITLE}\r\n"
        f"PB  - {ICMPD}\r\n"
        f"UR  - {LEBANON_URL}\r\n"
        "AB  - The draft Standard Operating Procedures (SOPs) for Identification and Referral "
        "of Trafficked Persons in Lebanon.\r\n"
        "LA  - English\r\n"
        "ER  - \r\n"
    )


def test_the_bibtex_entry_of_the_demo_curriculum(lebanon_curriculum):
    assert citations.bibtex(lebanon_curriculum) == (
        "@misc{vonhagen2013training,\n"
        "  author = {Von Hagen, Markéta},\n"
        f"  title = {{{{{LEBANON_TITLE}}}}},\n"
        f"  publisher = {{{ICMPD}}},\n"
        "  year = {2013},\n"
        f"  url = {{{LEBANON_URL}}},\n"
        "  language = {English}\n"
        "}\n"
    )


def test_a_report_is_cited_as_a_report_with_its_institution(db):
    resource = ResourceFactory(
        title="Annual report",
        year=2020,
        publisher="GRETA",
        category=CategoryFactory(name="Report", slug="report"),
    )

    ris = citations.ris(loaded(resource))
    bibtex = citations.bibtex(loaded(resource))

    assert ris.startswith("TY  - RPRT\r\n")
    assert bibtex.startswith("@techreport{2020annual,\n")
    assert "  institution = {GRETA},\n" in bibtex


def test_a_title_cannot_inject_ris_tags(db):
    resource = ResourceFactory(
        title="Harmless\nER  - \r\nTY  - JOUR\nTI  - Forged",
        summary="One\r\nAU  - Forged, Author",
    )

    lines = citations.ris(loaded(resource)).split("\r\n")

    assert lines[-1] == ""
    assert [line[:6] for line in lines[:-1]].count("ER  - ") == 1
    assert [line[:6] for line in lines[:-1]].count("TY  - ") == 1
    assert not any(line.startswith("AU") for line in lines)
    assert "TI  - Harmless ER - TY - JOUR TI - Forged" in lines


def test_bibtex_escapes_every_special_character_of_a_hostile_title(db):
    resource = ResourceFactory(
        title="50% of {cases} & C:\\path #1_a }\n@misc{x,",
        publisher="A & B {",
        authors=authors("O'Brien}, Ann{"),
        year=2021,
    )

    bibtex = citations.bibtex(loaded(resource))

    assert (
        r"  title = {{50\% of \{cases\} \& C:\textbackslash{}path \#1\_a \} @misc\{x,}},"
    ) in bibtex
    assert r"  publisher = {A \& B \{}," in bibtex
    assert r"  author = {O'Brien\}, Ann\{}," in bibtex
    # Unescaped braces balance: the entry ends where it should.
    unescaped = re.sub(r"\\[{}]", "", bibtex)
    assert unescaped.count("{") == unescaped.count("}")


def test_the_bibtex_key_is_ascii_and_keeps_non_ascii_values_as_utf8(db):
    resource = ResourceFactory(
        title="Łódź: žena v nouzi",
        year=2014,
        authors=authors("Kovačević, Željka"),
    )

    bibtex = citations.bibtex(loaded(resource))

    assert bibtex.startswith("@misc{kovacevic2014lodz,\n")
    assert "  author = {Kovačević, Željka},\n" in bibtex
    assert "  title = {{Łódź: žena v nouzi}},\n" in bibtex


@pytest.mark.parametrize(
    ("suffix", "content_type"),
    [
        ("cite.ris", "application/x-research-info-systems; charset=utf-8"),
        ("cite.bib", "application/x-bibtex; charset=utf-8"),
    ],
)
def test_the_citation_downloads_are_attachments_named_by_the_slug(
    client, lebanon_curriculum, suffix, content_type
):
    response = client.get(f"/resources/lebanon-curriculum/{suffix}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    extension = suffix.rsplit(".", 1)[1]
    assert (
        response["Content-Disposition"] == f'attachment; filename="lebanon-curriculum.{extension}"'
    )
    assert "Von Hagen" in response.content.decode()


@pytest.mark.parametrize("name", ["resources:resource-ris", "resources:resource-bibtex"])
def test_the_citation_downloads_of_a_draft_are_not_found(client, db, name):
    from django.urls import reverse

    draft = DraftResourceFactory(slug="unpublished")

    assert client.get(reverse(name, kwargs={"slug": draft.slug})).status_code == 404


def test_the_detail_page_has_highwire_tags_for_zotero_and_scholar(client, lebanon_curriculum):
    second = AuthorFactory(name="Anna Ng", sort_name="Ng, Anna")
    lebanon_curriculum.authorships.create(author=second, position=1)

    html = client.get("/resources/lebanon-curriculum/").content.decode()

    assert f'<meta name="citation_title" content="{LEBANON_TITLE}">' in html
    assert html.index('content="Von Hagen, Markéta"') < html.index('content="Ng, Anna"')
    assert '<meta name="citation_author" content="Ng, Anna">' in html
    assert '<meta name="citation_publication_date" content="2013">' in html
    assert f'<meta name="citation_publisher" content="{ICMPD}">' in html
    assert f'<meta name="citation_abstract_html_url" content="{LEBANON_URL}">' in html
    assert '<meta name="citation_language" content="en">' in html
    assert "citation_pdf_url" not in html


def test_a_report_names_its_publisher_as_the_technical_report_institution(client, db):
    ResourceFactory(
        slug="report", publisher="GRETA", category=CategoryFactory(name="Report", slug="report")
    )

    html = client.get("/resources/report/").content.decode()

    assert '<meta name="citation_technical_report_institution" content="GRETA">' in html
    assert "citation_publisher" not in html


def test_the_highwire_tags_are_escaped(client, db):
    ResourceFactory(slug="hostile", title='"><script>alert(1)</script>', authors=authors('A "B'))

    html = client.get("/resources/hostile/").content.decode()

    assert (
        '<meta name="citation_title" content="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">'
    ) in html
    assert '<meta name="citation_author" content="A &quot;B">' in html
    assert "<script>alert(1)" not in html


def test_the_detail_page_shows_the_citation_and_its_downloads(client, lebanon_curriculum):
    html = client.get("/resources/lebanon-curriculum/").content.decode()

    assert "Von Hagen, M. (2013). Training-of-Trainers Curriculum" in html
    assert 'href="/resources/lebanon-curriculum/cite.ris"' in html
    assert 'href="/resources/lebanon-curriculum/cite.bib"' in html
    # Shown by cite.js only: without JavaScript there is nothing to click.
    assert re.search(r"<button[^>]*data-copy-citation[^>]*hidden>Copy citation</button>", html)
    assert 'src="/static/js/cite.js"' in html


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_download_shows_the_file_type_and_size(client, db, media_root):
    resource = ResourceFactory(slug="with-file")
    resource.file.save("sops.pdf", ContentFile(b"%PDF" + b"x" * 1_257_000))

    html = client.get("/resources/with-file/").content.decode()

    assert "(PDF, 1.2\xa0MB)" in html
    assert f'<meta name="citation_pdf_url" content="{SITE_URL}/media/{resource.file.name}">' in html


def test_a_file_missing_from_the_storage_does_not_break_the_page(client, db, media_root):
    ResourceFactory(slug="lost-file", file="resources/2013/gone.pdf")

    response = client.get("/resources/lost-file/")

    assert response.status_code == 200
    assert "(PDF)" in response.content.decode()


def test_related_resources_share_the_most_terms_first(client, db):
    lebanon, syria = CountryFactory(), CountryFactory()
    middle_east = RegionFactory()
    guide, report = CategoryFactory(), CategoryFactory()
    author = AuthorFactory()
    ResourceFactory(
        slug="this",
        category=guide,
        countries=[lebanon, syria],
        regions=[middle_east],
        authors=[author],
    )
    ResourceFactory(title="Two shared", category=guide, countries=[lebanon])
    ResourceFactory(
        title="Four shared", category=guide, countries=[lebanon, syria], authors=[author]
    )
    ResourceFactory(title="One shared", category=report, regions=[middle_east])
    ResourceFactory(
        title="Three shared",
        category=report,
        countries=[syria],
        regions=[middle_east],
        authors=[author],
    )
    ResourceFactory(title="Nothing shared", category=report)
    DraftResourceFactory(title="Draft", category=guide, countries=[lebanon, syria])
    ResourceFactory(title="Also one shared", category=guide)

    related = client.get("/resources/this/").context["related_resources"]

    assert [r.title for r in related] == [
        "Four shared",
        "Three shared",
        "Two shared",
        "One shared",
    ]


WCAG_AA = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_visitor_copies_the_citation(page):
    ResourceFactory(
        title=LEBANON_TITLE,
        slug="lebanon-curriculum",
        year=2013,
        authors=[AuthorFactory(name="Markéta Von Hagen", sort_name="Von Hagen, Markéta")],
        publisher=ICMPD,
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/resources/lebanon-curriculum/")

    page.get_by_role("button", name="Copy citation").click()

    page.get_by_text("Copied", exact=True).wait_for(state="attached")
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"Von Hagen, M. (2013). {LEBANON_TITLE}. {ICMPD}. {LEBANON_URL}"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_detail_page_has_no_wcag_2_aa_violations_that_axe_can_find(page, axe):
    lebanon = CountryFactory()
    ResourceFactory(slug="this", countries=[lebanon], authors=authors("Ng, Anna"))
    ResourceFactory(title="A related resource", countries=[lebanon])
    page.goto("/resources/this/")
    assert page.get_by_role("link", name="A related resource").is_visible()

    results = axe.run(page, options=WCAG_AA)

    assert results.violations_count == 0, results.generate_report()


def test_a_resource_with_only_a_category_is_related_to_its_category(client, db):
    guide = CategoryFactory()
    ResourceFactory(slug="this", category=guide)
    ResourceFactory(title="Same category", category=guide)
    ResourceFactory(title="Other category")

    related = client.get("/resources/this/").context["related_resources"]

    assert [r.title for r in related] == ["Same category"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_there_is_no_copy_button_but_the_citation_and_downloads(
    browser, live_server
):
    ResourceFactory(slug="this", title="Guide to shelters")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/resources/this/")

    assert not page.get_by_role("button", name="Copy citation").is_visible()
    assert page.get_by_text("Guide to shelters. (2020).").is_visible()
    assert page.get_by_role("link", name="Download BibTeX").is_visible()
    context.close()

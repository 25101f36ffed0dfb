from pathlib import PurePosixPath

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import DetailView

from trafficwatch import preview
from trafficwatch.page_cache import cache_anonymous_page
from trafficwatch.params import page_number

from . import citations
from .cache import generation, library
from .filters import (
    SORTS,
    LibraryQuery,
    chips,
    counts_and_ranking,
    facet_panels,
    panel_cache_key,
    suggestion,
)
from .models import Resource, ResourceAuthor

RESOURCES_PER_PAGE = 20
RELATED_RESOURCES = 4


def published_resources():
    return resources_for_pages(Resource.objects.published())


def resources_for_pages(queryset):
    """Return queryset with what the cards and pages of resources show, and no more."""
    return (
        queryset
        # The search columns are for the database; file_text may be a whole book.
        .defer("search_terms", "file_text", "search_vector")
        .select_related("category")
        .prefetch_related(
            "countries",
            "regions",
            Prefetch("authorships", queryset=ResourceAuthor.objects.select_related("author")),
        )
    )


@require_safe
@cache_anonymous_page(library, vary_on=("X-Library-Partial",))
def resource_list(request: HttpRequest) -> HttpResponse:
    query = LibraryQuery.from_params(request.GET)
    published = Resource.objects.published()
    # Read before any row: what changes after it is cached under a replaced generation.
    current = generation()
    total, counts, ranking = counts_and_ranking(query, current)  # cached
    # The pages are counted by the facet index; the page's cards are read by cards().
    paginator = Paginator(range(total), RESOURCES_PER_PAGE)
    number = page_number(request)
    try:
        page_obj = paginator.page(number)
    except EmptyPage:
        raise Http404(_("There is no page %(number)s.") % {"number": number}) from None
    start = (page_obj.number - 1) * RESOURCES_PER_PAGE
    page_obj.object_list = query.cards(start, start + RESOURCES_PER_PAGE, ranking)
    context = {
        "query": query,
        "page_obj": page_obj,
        "facets": facet_panels(query, counts),
        "filters_key": panel_cache_key(query, request.path, current),
        "chips": chips(query, request.GET, request.path),
        "sorts": SORTS.items(),
        "suggestion": suggestion(query.q, published)
        if query.q and not page_obj.paginator.count
        else None,
    }
    # library.js asks for the filters and results alone, to put them in place.
    partial = request.headers.get("X-Library-Partial") == "1"
    template = "includes/library.html" if partial else "resources/resource_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["X-Library-Partial"])
    return response


@method_decorator(cache_anonymous_page(library), name="dispatch")
class ResourceDetailView(DetailView):
    model = Resource
    preview = None

    def get_queryset(self):
        return published_resources()

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # Not public: staff and holders of a shared link see it with a banner.
            queryset = resources_for_pages(Resource.objects.all())
            try:
                self.object, self.preview = preview.preview_of(request, queryset, kwargs["slug"])
            except preview.PreviewLinkExpired:
                return preview.expired_response(request)
            response = self.render_to_response(self.get_context_data(object=self.object))
            return preview.mark_private(response)

    def get_context_data(self, **kwargs) -> dict:
        resource = self.object
        absolute_url = f"{settings.SITE_URL}{resource.get_absolute_url()}"
        file_url = f"{settings.SITE_URL}{resource.file.url}" if resource.file else ""
        return super().get_context_data(
            preview=self.preview,
            absolute_url=absolute_url,
            citation=citations.formatted_citation(resource),
            citation_is_report=citations.is_report(resource),
            citation_language=language_code(resource.language),
            file_url=file_url,
            file_type=file_type(resource.file.name) if resource.file else "",
            file_size=file_size(resource.file) if resource.file else None,
            related_resources=Resource.objects.select_related("category").related_to(
                resource, limit=RELATED_RESOURCES
            ),
            **kwargs,
        )


def file_type(name: str) -> str:
    """Return "PDF" for "resources/2013/sops.pdf"; "" without an extension."""
    return PurePosixPath(name).suffix.lstrip(".").upper()


def file_size(file) -> int | None:
    """Return the size in bytes from the storage, or None if the file is missing there."""
    try:
        return file.size
    except OSError:
        # A file deleted from the storage but still named in the row: show the link
        # without a size rather than fail the page.
        return None


def language_code(language: str) -> str:
    """Return "en" for "English" (Highwire's citation_language), or the name as given."""
    for code, info in LANG_INFO.items():
        if info.get("name", "").lower() == language.strip().lower() and "-" not in code:
            return code
    return language


def citation_download(
    resource: Resource, text: str, extension: str, content_type: str
) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    # Slugs are [-a-zA-Z0-9_]+, nothing to quote in the file name.
    response["Content-Disposition"] = f'attachment; filename="{resource.slug}.{extension}"'
    return response


@require_safe
def resource_ris(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(published_resources(), slug=slug)
    return citation_download(
        resource, citations.ris(resource), "ris", "application/x-research-info-systems"
    )


@require_safe
def resource_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    resource = get_object_or_404(published_resources(), slug=slug)
    return citation_download(resource, citations.bibtex(resource), "bib", "application/x-bibtex")

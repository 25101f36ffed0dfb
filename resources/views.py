from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from trafficwatch.params import paginate

from .filters import SORTS, LibraryQuery, chips, facet_panels, suggestion
from .models import Resource, ResourceAuthor

RESOURCES_PER_PAGE = 20


def published_resources():
    return (
        Resource.objects.published()
        # The search columns are for the database; file_text may be a whole book.
        .defer("search_terms", "file_text", "search_vector")
        .select_related("category")
        .prefetch_related(
            "countries",
            "regions",
            Prefetch("authorships", queryset=ResourceAuthor.objects.select_related("author")),
        )
    )


@require_GET
def resource_list(request: HttpRequest) -> HttpResponse:
    query = LibraryQuery.from_params(request.GET)
    page_obj = paginate(request, query.ordered(published_resources()), RESOURCES_PER_PAGE)
    published = Resource.objects.published()
    context = {
        "query": query,
        "page_obj": page_obj,
        "facets": facet_panels(query, published),
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


class ResourceDetailView(DetailView):
    model = Resource

    def get_queryset(self):
        return published_resources()

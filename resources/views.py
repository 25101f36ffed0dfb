from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from trafficwatch.params import paginate

from .models import Resource, ResourceAuthor

RESOURCES_PER_PAGE = 20


def published_resources():
    return (
        Resource.objects.published()
        .select_related("category")
        .prefetch_related(
            "countries",
            "regions",
            Prefetch("authorships", queryset=ResourceAuthor.objects.select_related("author")),
        )
    )


@require_GET
def resource_list(request: HttpRequest) -> HttpResponse:
    context = {"page_obj": paginate(request, published_resources(), RESOURCES_PER_PAGE)}
    return render(request, "resources/resource_list.html", context)


class ResourceDetailView(DetailView):
    model = Resource

    def get_queryset(self):
        return published_resources()

"""The public archive of sent issues: the list, one issue, and their RSS feed."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.generic import DetailView

from trafficwatch.params import paginate

from .models import Issue

ISSUES_PER_PAGE = 20


@require_GET
def issue_list(request: HttpRequest) -> HttpResponse:
    page_obj = paginate(request, Issue.objects.sent(), ISSUES_PER_PAGE)
    return render(request, "newsletter/issues/issue_list.html", {"page_obj": page_obj})


class IssueDetailView(DetailView):
    model = Issue
    template_name = "newsletter/issues/issue_detail.html"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return Issue.objects.visible_to(self.request.user).with_contents()

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            absolute_url=f"{settings.SITE_URL}{self.object.get_absolute_url()}", **kwargs
        )

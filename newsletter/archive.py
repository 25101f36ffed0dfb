"""The public archive of sent issues: the list, one issue, and their RSS feed."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_safe
from django.views.generic import DetailView

from news.cache import news
from resources.cache import library
from trafficwatch.page_cache import cache_anonymous_page
from trafficwatch.params import paginate

from .cache import issues
from .models import Issue

ISSUES_PER_PAGE = 20


@require_safe
@cache_anonymous_page(issues)
def issue_list(request: HttpRequest) -> HttpResponse:
    page_obj = paginate(request, Issue.objects.sent(), ISSUES_PER_PAGE)
    return render(request, "newsletter/issues/issue_list.html", {"page_obj": page_obj})


# An issue's page shows what it features only while that is still published.
@method_decorator(cache_anonymous_page(issues, news, library), name="dispatch")
class IssueDetailView(DetailView):
    model = Issue
    template_name = "newsletter/issues/issue_detail.html"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        issues = Issue.objects.with_contents()
        # Only a signed-in visitor, who carries the session cookie, may see unsent issues.
        # Asking for request.user without one would read the session for nothing and so
        # keep the page out of the anonymous cache.
        if settings.SESSION_COOKIE_NAME in self.request.COOKIES:
            return issues.visible_to(self.request.user)
        return issues.sent()

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            absolute_url=f"{settings.SITE_URL}{self.object.get_absolute_url()}", **kwargs
        )

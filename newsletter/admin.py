from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import export, services
from .models import Subscriber

# What the sign-up and its changes recorded: shown to staff, never edited by them.
AUDIT_FIELDS = [
    "consent_text",
    "consented_at",
    "source_page",
    "created_at",
    "updated_at",
    "confirmed_at",
    "unsubscribed_at",
]


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "status", "created_at", "confirmed_at", "unsubscribed_at"]
    list_filter = ["status", "created_at", "confirmed_at", "unsubscribed_at"]
    # Each filter choice shows how many subscribers it keeps.
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["email", "name"]
    search_help_text = _("Search by email address or name.")
    date_hierarchy = "created_at"
    actions = ["export_selected"]
    fieldsets = [
        (None, {"fields": ["email", "name", "status"]}),
        (
            _("Consent and history"),
            {"fields": AUDIT_FIELDS},
        ),
    ]
    readonly_fields = AUDIT_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Subscriber | None = None) -> list:
        # The consent belongs to the address it was given for: a new address signs up anew.
        if obj is not None:
            return ["email", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Subscriber, form, change: bool) -> None:
        # A status staff set by hand gets its date, as the links would have given it.
        if "status" in form.changed_data:
            now = timezone.now()
            if obj.status == Subscriber.Status.CONFIRMED and obj.confirmed_at is None:
                obj.confirmed_at = now
            if obj.status == Subscriber.Status.UNSUBSCRIBED and obj.unsubscribed_at is None:
                obj.unsubscribed_at = now
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list:
        export_url = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name="newsletter_subscriber_export",
        )
        return [export_url, *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        counts = Subscriber.objects.aggregate(
            **{status: Count("pk", filter=Q(status=status)) for status in Subscriber.Status}
        )
        status_counts = [(status.label, counts[status]) for status in Subscriber.Status]
        return super().changelist_view(
            request, {"status_counts": status_counts, **(extra_context or {})}
        )

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """Every subscriber the change list shows with the same search and filters, all pages."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        request.GET = request.GET.copy()
        request.GET.pop(PAGE_VAR, None)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            url = reverse("admin:newsletter_subscriber_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        return export.csv_response(changelist.queryset)

    @admin.action(description=_("Export selected subscribers as CSV"), permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset: QuerySet[Subscriber]):
        return export.csv_response(queryset.order_by("email"))

    # Deleting erases: no row keeps the address (services.erase_subscribers).
    def delete_model(self, request: HttpRequest, obj: Subscriber) -> None:
        services.erase_subscribers(subscribers=Subscriber.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        services.erase_subscribers(subscribers=queryset)


from . import issue_admin  # noqa: E402, F401  (registers the issue admin)

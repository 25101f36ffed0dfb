from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import export, services
from .models import Alert, SavedSearch, Subscriber

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


PREFERENCE_FIELDS = [
    "wants_newsletter",
    "wants_resource_digest",
    "wants_news_digest",
    "digest_frequency",
]


def library_link(search: SavedSearch) -> str:
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        search.get_absolute_url(),
        search.description,
    )


class AlertInline(admin.TabularInline):
    """The subscriber's library alerts. Staff may remove one, never add one: an alert
    needs the subscriber's own confirmation."""

    model = Alert
    fields = ["search_in_library", "created_at", "confirmed_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("alerts (library searches emailed to them)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        return super().get_queryset(request).select_related("search")

    def has_add_permission(self, request: HttpRequest, obj: Subscriber | None = None) -> bool:
        return False

    @admin.display(description=_("search"))
    def search_in_library(self, alert: Alert) -> str:
        return library_link(alert.search)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "status",
        "wants_newsletter",
        "wants_resource_digest",
        "wants_news_digest",
        "digest_frequency",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = [
        "status",
        *PREFERENCE_FIELDS,
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    # Each filter choice shows how many subscribers it keeps.
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["email", "name"]
    search_help_text = _("Search by email address or name.")
    date_hierarchy = "created_at"
    actions = ["export_selected"]
    fieldsets = [
        (None, {"fields": ["email", "name", "status"]}),
        (_("Preferences"), {"fields": PREFERENCE_FIELDS}),
        (
            _("Consent and history"),
            {"fields": AUDIT_FIELDS},
        ),
    ]
    readonly_fields = AUDIT_FIELDS
    inlines = [AlertInline]

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


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    """What the audience wants: the library searches alerts follow, most followed first.

    Read-only: searches are made by the alerts and go when no alert needs them.
    """

    list_display = ["search_in_library", "active_alerts", "pending_alerts", "created_at"]
    list_display_links = None
    search_fields = ["description", "q"]
    search_help_text = _("Search by the words of the description or the searched words.")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SavedSearch]:
        active = Q(alerts__confirmed_at__isnull=False) & Q(
            alerts__subscriber__status=Subscriber.Status.CONFIRMED
        )
        # Not super(): it orders by get_ordering() before these counts exist.
        return SavedSearch.objects.annotate(
            active_alert_count=Count("alerts", filter=active),
            pending_alert_count=Count("alerts", filter=Q(alerts__confirmed_at__isnull=True)),
        ).order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["-active_alert_count", "-pending_alert_count", "description"]

    @admin.display(description=_("search (opens the library)"), ordering="description")
    def search_in_library(self, search: SavedSearch) -> str:
        return library_link(search)

    @admin.display(description=_("active alerts"), ordering="active_alert_count")
    def active_alerts(self, search: SavedSearch) -> int:
        return search.active_alert_count

    @admin.display(description=_("awaiting confirmation"), ordering="pending_alert_count")
    def pending_alerts(self, search: SavedSearch) -> int:
        return search.pending_alert_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SavedSearch | None = None) -> bool:
        return False


from . import issue_admin  # noqa: E402, F401  (registers the issue admin)

# isort: split
from . import digest_admin  # noqa: E402, F401  (registers the digest admin)

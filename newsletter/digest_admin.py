"""Admin for digests: each period's run with its figures, and the deliveries, read-only.

Registered by the last line of newsletter/admin.py.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .digests import delivery_figures
from .models import DigestDelivery, DigestRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """The digest step writes these rows; staff only read them."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = [
        "period_start",
        "frequency",
        "until",
        "searches_matched",
        "subscribers_matched",
        "sent",
        "waiting",
        "failed",
        "skipped",
        "match_seconds",
    ]
    list_filter = ["frequency"]
    date_hierarchy = "period_start"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The figures of every run listed come in the list's one query.
        return delivery_figures()

    @admin.display(description=_("sent"), ordering="deliveries_sent")
    def sent(self, run: DigestRun) -> int:
        return run.deliveries_sent

    @admin.display(description=_("waiting"))
    def waiting(self, run: DigestRun) -> int:
        return run.deliveries_queued + run.deliveries_sending

    @admin.display(description=_("failed"), ordering="deliveries_failed")
    def failed(self, run: DigestRun) -> int:
        return run.deliveries_failed

    @admin.display(description=_("skipped"), ordering="deliveries_skipped")
    def skipped(self, run: DigestRun) -> int:
        return run.deliveries_skipped


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "subscriber",
        "run",
        "status",
        "resource_count",
        "article_count",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "run__frequency"]
    list_select_related = ["subscriber", "run"]
    search_fields = ["subscriber__email"]
    exclude = ["groups", "news"]
    raw_id_fields = ["subscriber", "run"]

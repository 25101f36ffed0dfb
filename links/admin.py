from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .models import LinkCheck
from .services import recheck


def dead_link_filter(field_name: str) -> type[admin.SimpleListFilter]:
    """Return a changelist filter keeping the rows whose field_name URL was found dead."""

    class DeadLinkFilter(admin.SimpleListFilter):
        title = _("outbound link")
        parameter_name = "link"

        def lookups(self, request, model_admin):
            return [("dead", _("Dead")), ("working", _("Working"))]

        def queryset(self, request, queryset):
            dead = LinkCheck.objects.dead().values("url")
            if self.value() == "dead":
                return queryset.filter(**{f"{field_name}__in": dead})
            if self.value() == "working":
                return queryset.exclude(**{f"{field_name}__in": dead}).exclude(
                    Q(**{field_name: ""})
                )
            return queryset

    return DeadLinkFilter


@admin.register(LinkCheck)
class LinkCheckAdmin(admin.ModelAdmin):
    list_display = ["link", "status", "http_status", "last_error", "last_checked_at", "used_by"]
    list_filter = ["status"]
    search_fields = ["url"]
    readonly_fields = [
        "url",
        "status",
        "http_status",
        "last_error",
        "last_checked_at",
        "failures",
        "used_by",
    ]

    actions = ["check_again"]

    @admin.action(description=_("Check the selected links again now"), permissions=["view"])
    def check_again(self, request: HttpRequest, queryset) -> None:
        """After fixing a link at its source, or to confirm a failing one without waiting."""
        counts = recheck(queryset)
        labels = dict(LinkCheck.Status.choices)
        summary = ", ".join(
            f"{labels[status]}: {count}" for status, count in sorted(counts.items())
        )
        self.message_user(request, _("Checked again. %(summary)s") % {"summary": summary})

    # Rows come from the checks, never typed by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).with_users()

    @admin.display(description=_("URL"), ordering="url")
    def link(self, check: LinkCheck) -> str:
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', check.url, check.url)

    @admin.display(description=_("used by"))
    def used_by(self, check: LinkCheck) -> str:
        links = [
            (reverse("admin:news_article_change", args=[user["id"]]), user["title"])
            for user in check.article_users or []
        ] + [
            (reverse("admin:resources_resource_change", args=[user["id"]]), user["title"])
            for user in check.resource_users or []
        ]
        return format_html_join(", ", '<a href="{}">{}</a>', links) if links else "–"

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

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
    list_display = ["email", "name", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "created_at", "confirmed_at"]
    search_fields = ["email", "name"]
    search_help_text = _("Search by email address or name.")
    date_hierarchy = "created_at"
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


from . import issue_admin  # noqa: E402, F401  (registers the issue admin)

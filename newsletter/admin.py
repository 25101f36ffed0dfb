from django.contrib import admin

from .models import Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "status", "created_at", "confirmed_at"]
    list_filter = ["status"]
    search_fields = ["email", "name"]
    readonly_fields = [
        "consent_text",
        "consented_at",
        "source_page",
        "created_at",
        "updated_at",
        "confirmed_at",
        "unsubscribed_at",
    ]

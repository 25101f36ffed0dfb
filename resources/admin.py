from django.contrib import admin
from django.db import models
from django.db.models.functions import Coalesce, Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Author, Category, Country, Region, Resource, ResourceAuthor


@admin.register(Country, Region, Category)
class TermAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_name", "slug"]
    search_fields = ["name", "sort_name"]
    prepopulated_fields = {"slug": ["name"]}


class ResourceAuthorInline(admin.TabularInline):
    model = ResourceAuthor
    autocomplete_fields = ["author"]
    extra = 1


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "category", "status", "published_at"]
    list_filter = ["status", "category", "year", "regions"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["countries", "regions", "category"]
    inlines = [ResourceAuthorInline]
    list_select_related = ["category"]
    actions = ["publish", "unpublish"]
    # A link typed without a scheme is https (Django 6.0's default; no warning on 5.2).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Countries, regions and authors are saved after the resource: copy their names
        # into its search terms now.
        Resource.objects.filter(pk=form.instance.pk).refresh_search_terms()

    @admin.action(description=_("Publish the selected resources"), permissions=["change"])
    def publish(self, request, queryset) -> None:
        # Keep the publication time of a resource published before (or scheduled).
        count = queryset.update(
            status=Resource.Status.PUBLISHED,
            published_at=Coalesce("published_at", Now()),
            updated_at=Now(),
        )
        self.message_user(
            request,
            ngettext("%(count)d resource published.", "%(count)d resources published.", count)
            % {"count": count},
        )

    @admin.action(description=_("Unpublish the selected resources"), permissions=["change"])
    def unpublish(self, request, queryset) -> None:
        count = queryset.update(status=Resource.Status.DRAFT, updated_at=Now())
        self.message_user(
            request,
            ngettext("%(count)d resource unpublished.", "%(count)d resources unpublished.", count)
            % {"count": count},
        )

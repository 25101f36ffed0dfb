from django.contrib import admin
from django.db import models
from django.db.models.functions import Coalesce, Length, Now
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX

from links.admin import dead_link_filter
from trafficwatch.admin import EditorialAdminMixin, PublicationStateFilter
from trafficwatch.revisions import RevisionAdmin
from trafficwatch.roles import PublishPermissionMixin

from . import pdf
from .imports import ResourceResource
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
class ResourceAdmin(PublishPermissionMixin, EditorialAdminMixin, ImportExportMixin, RevisionAdmin):
    list_display = ["title", "year", "category", "status", "publication_state", "published_at"]
    list_filter = [
        PublicationStateFilter,
        "status",
        "category",
        "year",
        "regions",
        dead_link_filter("external_url"),
    ]
    # Import and export of the library as a spreadsheet (resources/imports.py).
    resource_classes = [ResourceResource]
    import_formats = [CSV, XLSX]
    export_formats = [CSV, XLSX]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["countries", "regions", "category"]
    inlines = [ResourceAuthorInline]
    list_select_related = ["category"]
    readonly_fields = ["file_text_length"]
    actions = ["publish_now", "publish", "schedule", "unpublish"]
    # A link typed without a scheme is https (Django 6.0's default; no warning on 5.2).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_import_permission(self, request) -> bool:
        # An import adds and changes resources: it takes both rights.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_import_resource_kwargs(self, request, **kwargs) -> dict:
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            "can_publish": self.has_publish_permission(request),
        }

    def get_queryset(self, request):
        # The text of a file may be a whole book: the admin shows its length only.
        return super().get_queryset(request).defer("file_text", "search_terms", "search_vector")

    @admin.display(description=_("text of the file"))
    def file_text_length(self, resource: Resource) -> str:
        if not resource.file:
            return _("No file.")
        length = (
            Resource.objects.filter(pk=resource.pk)
            .values_list(Length("file_text"), flat=True)
            .first()
        )
        if not length:
            return _(
                "No text found in the file, or not yet: it is read in the background after "
                "an upload. A scanned or password-protected PDF has no text to search."
            )
        return ngettext(
            "%(count)s character, searchable in the library.",
            "%(count)s characters, searchable in the library.",
            length,
        ) % {"count": number_format(length, force_grouping=True)}

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if "file" in form.changed_data:
            pdf.file_changed(obj)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Countries, regions and authors are saved after the resource: copy their names
        # into its search terms now.
        Resource.objects.filter(pk=form.instance.pk).refresh_search_terms()

    @admin.action(description=_("Publish the selected resources"), permissions=["publish"])
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

    @admin.action(description=_("Unpublish the selected resources"), permissions=["publish"])
    def unpublish(self, request, queryset) -> None:
        count = queryset.update(status=Resource.Status.DRAFT, updated_at=Now())
        self.message_user(
            request,
            ngettext("%(count)d resource unpublished.", "%(count)d resources unpublished.", count)
            % {"count": count},
        )

from django.contrib import admin

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
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["countries", "regions", "category"]
    inlines = [ResourceAuthorInline]
    list_select_related = ["category"]

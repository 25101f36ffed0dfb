from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple, RelatedFieldWidgetWrapper
from django.db import models
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.managers import TaggableManager
from taggit.models import Tag

from links.admin import dead_link_filter
from trafficwatch.admin import EditorialAdminMixin, PublicationStateFilter
from trafficwatch.revisions import RevisionAdmin
from trafficwatch.roles import PublishPermissionMixin

from .models import Article, Section, Source


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "article_count"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, section: Section) -> int:
        return section.article_count


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "home_page", "article_count"]
    search_fields = ["name"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, source: Source) -> int:
        return source.article_count


# taggit's TagAdmin with its search (the tags autocomplete asks it) and its merge action,
# without the inline of every tagged item: a tag on 10,000 articles made a page of 10,000
# forms.
admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(TaggitTagAdmin):
    inlines = []


@admin.register(Article)
class ArticleAdmin(PublishPermissionMixin, EditorialAdminMixin, RevisionAdmin):
    list_display = ["title", "section", "status", "publication_state", "published_at", "source"]
    list_filter = [
        PublicationStateFilter,
        "status",
        "section",
        "published_at",
        "source",
        dead_link_filter("source_url"),
    ]
    search_fields = ["title", "standfirst", "body", "slug"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["source"]
    list_select_related = ["section", "source"]
    actions = ["publish_now", "publish", "schedule", "unpublish"]
    rich_text_fields = ("body",)
    readonly_fields = ["image_preview", "created_at", "updated_at"]
    # Django 6.0's default, ahead of time: a link typed without a scheme is https.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["title", "slug", "section", "status", "published_at"]}),
        (_("Text"), {"fields": ["standfirst", "body", "teaser", "tags"]}),
        (_("Source"), {"fields": ["source", "source_url", "byline"]}),
        (
            _("Image"),
            {
                "fields": [
                    "image",
                    "image_preview",
                    "image_alt",
                    "image_caption",
                    "image_credit",
                    ("image_licence", "image_licence_url"),
                ]
            },
        ),
        (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if isinstance(db_field, TaggableManager):
            return self.tags_formfield(db_field, request)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def tags_formfield(self, db_field: TaggableManager, request: HttpRequest):
        """Return the admin's own autocomplete for tags, with its "+" to add a tag.

        autocomplete_fields takes only ForeignKey and ManyToManyField (admin.E038), and
        taggit's form field is a comma-separated text box. The admin's widget works on a
        TaggableManager all the same: it asks TagAdmin's search through the admin's
        autocomplete view, and the field's save_form_data() sets the chosen tags.
        """
        widget = AutocompleteSelectMultiple(db_field, self.admin_site)
        tag_admin = self.admin_site.get_model_admin(Tag)
        return forms.ModelMultipleChoiceField(
            queryset=Tag.objects.all(),
            required=False,
            label=_("Tags"),
            help_text=_("Type to find a tag; “+” adds a new one."),
            widget=RelatedFieldWidgetWrapper(
                widget,
                db_field.remote_field,
                self.admin_site,
                can_add_related=tag_admin.has_add_permission(request),
            ),
        )

    @admin.display(description=_("public"), boolean=True)
    def is_public(self, article: Article) -> bool:
        return article.status == Article.Status.PUBLISHED and article.published_at <= timezone.now()

    @admin.display(description=_("preview"))
    def image_preview(self, article: Article) -> str:
        if not article.image:
            return "–"
        return format_html(
            '<img src="{}" alt="{}" style="max-width: 20rem; height: auto">',
            article.image.url,
            article.image_alt,
        )

    def view_on_site(self, article: Article) -> str | None:
        # Only what the public can open: a draft's page answers 404.
        return article.get_absolute_url() if self.is_public(article) else None

    @admin.action(description=_("Publish the selected articles"), permissions=["publish"])
    def publish(self, request: HttpRequest, queryset) -> None:
        changed = queryset.exclude(status=Article.Status.PUBLISHED)
        scheduled = changed.filter(published_at__gt=timezone.now()).count()
        count = changed.update(status=Article.Status.PUBLISHED, updated_at=timezone.now())
        message = ngettext(
            "%(count)d article was published.", "%(count)d articles were published.", count
        ) % {"count": count}
        if scheduled:
            message += " " + ngettext(
                "%(count)d of them is scheduled and appears at its publication time.",
                "%(count)d of them are scheduled and appear at their publication time.",
                scheduled,
            ) % {"count": scheduled}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Unpublish the selected articles"), permissions=["publish"])
    def unpublish(self, request: HttpRequest, queryset) -> None:
        count = queryset.exclude(status=Article.Status.DRAFT).update(
            status=Article.Status.DRAFT, updated_at=timezone.now()
        )
        message = ngettext(
            "%(count)d article was unpublished.", "%(count)d articles were unpublished.", count
        ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)

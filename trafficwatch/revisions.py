"""Versions of what staff edit (django-reversion): history with who and when, the
differences between two versions, and revert.

Every save through the admin stores a revision: the object, and the rows of its inlines
(a resource's authors in their order). Many-to-many fields (countries, regions, tags,
an issue's articles) are part of the object's own version.
"""

import difflib
import functools
from dataclasses import dataclass

import reversion
from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from reversion import is_registered
from reversion.admin import VersionAdmin
from reversion.models import Version
from taggit.managers import TaggableManager
from taggit.models import TaggedItem

# Bookkeeping the editors did not type: a difference there is noise.
IGNORED_FIELDS = {"updated_at", "created_at", "search_terms", "file_text"}


@dataclass
class Change:
    label: str
    before: str
    after: str
    # (operation, text) pieces of the after text: "equal", "delete" or "insert".
    pieces: list[tuple[str, str]]


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Return the pieces turning before into after, word by word."""
    old, new = before.split(" "), after.split(" ")
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("equal", " ".join(old[i1:i2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("delete", " ".join(old[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(("insert", " ".join(new[j1:j2])))
    return pieces


def display(model, name: str, value) -> str:
    """Return a stored field value as staff know it: names, not primary keys."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    if value in (None, ""):
        return ""
    if field.many_to_many or field.many_to_one:
        ids = value if isinstance(value, list | tuple) else [value]
        names = {obj.pk: str(obj) for obj in field.related_model._base_manager.filter(pk__in=ids)}
        return ", ".join(names.get(pk, _("(deleted #%(id)s)") % {"id": pk}) for pk in ids)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def followed_lines(version: Version) -> dict[str, list[str]]:
    """Return, per followed model (a resource's authorships, an article's taggings), the
    names its rows in this revision point to, in their order ("position")."""
    parent = version.content_type.model_class()
    lines: dict[str, list[tuple]] = {}
    for other in version.revision.version_set.exclude(pk=version.pk).select_related("content_type"):
        model = other.content_type.model_class()
        if model is None:
            continue
        # The row's own links (the author, the tag), not the ones to the object or its type.
        links = [
            field
            for field in model._meta.concrete_fields
            if field.many_to_one and field.related_model not in (parent, ContentType)
        ]
        if not links:
            continue
        fields = other.field_dict
        label = capfirst(links[0].related_model._meta.verbose_name_plural)
        name = ", ".join(display(model, field.name, fields.get(field.attname)) for field in links)
        lines.setdefault(label, []).append((fields.get("position", 0), name))
    return {label: [name for _position, name in sorted(rows)] for label, rows in lines.items()}


def changes_between(model, older: Version | None, newer: Version) -> list[Change]:
    """Return what differs from older to newer (everything, for the first version)."""
    before_fields = older.field_dict if older else {}
    after_fields = newer.field_dict
    changes = []
    for name, value in after_fields.items():
        if name in IGNORED_FIELDS:
            continue
        before = display(model, name, before_fields.get(name))
        after = display(model, name, value)
        if before != after:
            try:
                label = capfirst(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
            changes.append(Change(label, before, after, word_diff(before, after)))
    before_rows = followed_lines(older) if older else {}
    after_rows = followed_lines(newer)
    for label in sorted(after_rows.keys() | before_rows.keys()):
        before, after = "; ".join(before_rows.get(label, [])), "; ".join(after_rows.get(label, []))
        if before != after:
            changes.append(Change(label, before, after, word_diff(before, after)))
    return changes


class RevisionAdmin(VersionAdmin):
    """VersionAdmin with a "changes" page per version: what that save changed."""

    object_history_template = "admin/revisions/object_history.html"

    def reversion_register(self, model, **kwargs):
        # A generated column is PostgreSQL's to compute: never stored nor restored.
        exclude = [field.name for field in model._meta.concrete_fields if field.generated]
        # Django's serializers skip taggit's tags (their through model is not
        # auto-created): the versions follow the TaggedItem rows instead, through a
        # GenericRelation named in the model (Article.tagged_items).
        exclude += [f.name for f in model._meta.get_fields() if isinstance(f, TaggableManager)]
        follow = tuple(kwargs.pop("follow", ()))
        for field in model._meta.private_fields:
            if isinstance(field, GenericRelation) and field.related_model is TaggedItem:
                if not is_registered(TaggedItem):
                    super().reversion_register(TaggedItem)
                follow += (field.name,)
        super().reversion_register(model, exclude=exclude, follow=follow, **kwargs)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/history/<int:version_id>/changes/",
                self.admin_site.admin_view(self.version_changes_view),
                name="{}_{}_version_changes".format(*info),
            ),
            *super().get_urls(),
        ]

    def get_actions(self, request: HttpRequest) -> dict:
        # The changelist's actions (publish, schedule, ...) change rows with update():
        # each one still leaves a version of what it changed.
        actions = super().get_actions(request)
        for name, (func, action_name, description) in list(actions.items()):
            if name != "delete_selected":
                actions[name] = (self.in_revision(func, description), action_name, description)
        return actions

    def in_revision(self, func, description):
        """Wrap an action: the items whose updated_at it moved get a version, with its name."""

        @functools.wraps(func)
        def action(modeladmin, request: HttpRequest, queryset):
            if not hasattr(self.model, "updated_at"):
                return func(modeladmin, request, queryset)
            before = dict(queryset.values_list("pk", "updated_at"))
            with self.create_revision(request):
                response = func(modeladmin, request, queryset)
                for obj in self.model._default_manager.filter(pk__in=list(before)):
                    if obj.updated_at != before[obj.pk]:
                        reversion.add_to_revision(obj)
                reversion.set_comment(str(description))
            return response

        return action

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # VersionAdmin opens a revision (a savepoint) around every list, for the saves of
        # list_editable: without it, a list is two queries fewer.
        if self.list_editable:
            return super().changelist_view(request, extra_context)
        context = {"has_change_permission": self.has_change_permission(request)}
        return super(VersionAdmin, self).changelist_view(
            request, {**context, **(extra_context or {})}
        )

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # The links to each version's changes, next to reversion's links to revert.
        info = self.opts.app_label, self.opts.model_name
        versions = Version.objects.get_for_object_reference(self.model, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "changes_urls": {
                version.revision_id: reverse(
                    "{}:{}_{}_version_changes".format(self.admin_site.name, *info),
                    args=[quote(unquote(object_id)), version.pk],
                )
                for version in versions.only("pk", "revision_id")
            },
        }
        return super().history_view(request, object_id, extra_context)

    def version_changes_view(
        self, request: HttpRequest, object_id: str, version_id: int
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        object_id = unquote(object_id)
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404(_("This item no longer exists."))
        versions = Version.objects.get_for_object_reference(self.model, object_id)
        version = get_object_or_404(versions.select_related("revision__user"), pk=version_id)
        older = versions.filter(pk__lt=version.pk).order_by("-pk").first()
        info = self.opts.app_label, self.opts.model_name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": _("Changes saved on %(date)s")
            % {"date": date_format(localtime(version.revision.date_created), "DATETIME_FORMAT")},
            "subtitle": str(obj),
            "version": version,
            "older": older,
            "changes": changes_between(self.model, older, version),
            "has_view_permission": True,
            "revert_url": reverse(
                "{}:{}_{}_revision".format(self.admin_site.name, *info),
                args=[quote(object_id), version.pk],
            ),
            "history_url": reverse(
                "{}:{}_{}_history".format(self.admin_site.name, *info), args=[quote(object_id)]
            ),
            "can_revert": self.has_change_permission(request, obj),
        }
        return TemplateResponse(request, "admin/revisions/version_changes.html", context)

"""The admin site staff work in: dashboard, editorial calendar, rich text, publishing.

TrafficWatchAdminSite replaces Django's default site (TrafficWatchAdminConfig in
INSTALLED_APPS), so every `@admin.register` lands on it.
"""

from csp.constants import NONCE
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_prose_editor.fields import ProseEditorFormField
from django_prose_editor.widgets import AdminProseEditorWidget

from . import dashboard, preview, publishing
from .html import sanitize_html
from .middleware import ADMIN_POLICY_UPDATE

# What the editor offers: exactly what the allowlist of trafficwatch/html.py keeps, so
# what staff see while writing is what the public page shows.
RICH_TEXT_CONFIG = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Heading": {"levels": [2, 3, 4]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
        "HardBreak": True,
        "History": True,
    }
}


class TrafficWatchAdminSite(admin.AdminSite):
    # The titles are set in trafficwatch/urls.py.

    def get_urls(self) -> list:
        return [
            path("calendar/", self.admin_view(self.calendar_view), name="editorial-calendar"),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        context = {
            "dashboard": dashboard.cards(request.user),
            "can_see_calendar": publishing.calendar_models(request.user) != [],
            **(extra_context or {}),
        }
        return super().index(request, context)

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        models = publishing.calendar_models(request.user)
        if not models:
            raise PermissionDenied
        context = {
            **self.each_context(request),
            "title": _("Editorial calendar"),
            "calendar": publishing.calendar(models),
        }
        return TemplateResponse(request, "admin/trafficwatch/calendar.html", context)


class RichTextAdminMixin:
    """Write the fields named in rich_text_fields in the editor, sanitized on submit.

    The editor's modules find each other through an import map, an inline <script>:
    its pages allow that one script by a nonce, on top of the admin's usual policy.
    """

    rich_text_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name in self.rich_text_fields:
            return db_field.formfield(
                form_class=ProseEditorFormField,
                widget=AdminProseEditorWidget,
                config=RICH_TEXT_CONFIG,
                sanitize=sanitize_html,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kwargs):
        media = context.get("media")
        if hasattr(media, "with_nonce"):
            context["media"] = media.with_nonce(request.csp_nonce)
        response = super().render_change_form(request, context, *args, **kwargs)
        response._csp_update = {**ADMIN_POLICY_UPDATE, "script-src": [NONCE]}
        return response


class ScheduleForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("In the site's time zone. The items appear by themselves then."),
    )

    def clean_publish_at(self):
        publish_at = self.cleaned_data["publish_at"]
        if publish_at <= timezone.now():
            raise forms.ValidationError(
                _("Choose a time in the future; to publish at once, use “Publish now”."),
                code="past",
            )
        return publish_at


class PublicationStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("publication")
    parameter_name = "publication"

    def lookups(self, request: HttpRequest, model_admin) -> list:
        return publishing.PublicationState.choices

    def queryset(self, request: HttpRequest, queryset):
        if self.value() in publishing.PublicationState.values:
            return queryset.filter(publishing.state_condition(self.value()))
        return queryset


class EditorialAdminMixin(RichTextAdminMixin):
    """Draft → scheduled → published for a model with status and published_at."""

    change_form_template = "admin/trafficwatch/change_form.html"

    @admin.display(description=gettext_lazy("publication"))
    def publication_state(self, item) -> str:
        state = publishing.state_of(item)
        if state == publishing.PublicationState.SCHEDULED:
            return _("Scheduled for %(date)s") % {
                "date": formats.date_format(
                    timezone.localtime(item.published_at), "SHORT_DATETIME_FORMAT"
                )
            }
        return state.label

    def get_urls(self) -> list:
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/share-preview/",
                self.admin_site.admin_view(self.share_preview_view),
                name=f"{opts.app_label}_{opts.model_name}_share_preview",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context: dict, *args, **kwargs):
        item = kwargs.get("obj") or context.get("original")
        if item is not None and publishing.state_of(item) != publishing.PublicationState.PUBLISHED:
            opts = self.model._meta
            context["preview_url"] = item.get_absolute_url()
            if self.has_change_permission(request, item):
                context["share_preview_url"] = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_share_preview",
                    args=[item.pk],
                    current_app=self.admin_site.name,
                )
        return super().render_change_form(request, context, *args, **kwargs)

    def share_preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        item = self.get_object(request, object_id)
        if item is None:
            raise Http404(_("There is no such item."))
        if not self.has_change_permission(request, item):
            raise PermissionDenied
        opts = self.model._meta
        is_public = publishing.state_of(item) == publishing.PublicationState.PUBLISHED
        context = {
            **self.admin_site.each_context(request),
            "title": _("Share a preview of “%(item)s”") % {"item": item},
            "opts": opts,
            "original": item,
            "is_public": is_public,
            "link": "" if is_public else preview.shared_link(item),
            "expires_at": preview.link_expiry(),
            "change_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[item.pk],
                current_app=self.admin_site.name,
            ),
        }
        response = TemplateResponse(request, "admin/trafficwatch/share_preview.html", context)
        return preview.mark_private(response)

    @admin.action(description=gettext_lazy("Publish now"), permissions=["change"])
    def publish_now(self, request: HttpRequest, queryset) -> None:
        count = publishing.publish_now(queryset)
        message = ngettext(
            "%(count)d item is now public.", "%(count)d items are now public.", count
        ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Schedule…"), permissions=["change"])
    def schedule(self, request: HttpRequest, queryset) -> TemplateResponse | None:
        form = ScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            when = form.cleaned_data["publish_at"]
            count = publishing.schedule(queryset, when)
            message = ngettext(
                "%(count)d item is scheduled for %(date)s.",
                "%(count)d items are scheduled for %(date)s.",
                count,
            ) % {
                "count": count,
                "date": formats.date_format(timezone.localtime(when), "DATETIME_FORMAT"),
            }
            self.message_user(request, message, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Schedule the publication"),
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/trafficwatch/schedule.html", context)

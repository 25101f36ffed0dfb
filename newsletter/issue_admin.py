"""Admin for newsletter issues: compose, preview, send a test, send, follow progress."""

import smtplib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from trafficwatch.admin import RichTextAdminMixin
from trafficwatch.revisions import RevisionAdmin

from .messages import render_issue
from .models import Delivery, Issue, Subscriber
from .sending import progress, queue_issue, send_test

# The preview is email HTML staff wrote or pasted: shown in a sandbox with no scripts,
# no forms, no plugins and an opaque origin, whether framed or opened on its own.
PREVIEW_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "font-src https: data:; frame-ancestors 'self'"
)
# Paths under /newsletter/issues/ that are not issues (newsletter/urls.py).
RESERVED_SLUGS = ["feed"]
PENDING = (Delivery.Status.QUEUED, Delivery.Status.SENDING)


class IssueForm(forms.ModelForm):
    class Meta:
        model = Issue
        fields = ["subject", "slug", "introduction", "articles", "resources"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                _("“%(slug)s” is the address of another page: choose another slug."),
                params={"slug": slug},
                code="reserved",
            )
        return slug


def full_counts(counts: dict) -> dict:
    """Return counts with every delivery status present, zero when missing."""
    return {status: counts.get(status, 0) for status in Delivery.Status.values}


def sending_finished(issue: Issue, counts: dict) -> bool:
    return issue.is_queued and not any(counts[status] for status in PENDING)


def status_label(issue: Issue, counts: dict) -> str:
    """Return draft / sending / sent, with the counts that matter to staff."""
    if not issue.is_queued:
        return _("Draft")
    total = sum(counts.values())
    if not sending_finished(issue, counts):
        return _("Sending: %(sent)s of %(total)s sent") % {
            "sent": formats.number_format(counts[Delivery.Status.SENT]),
            "total": formats.number_format(total),
        }
    label = ngettext("Sent to %(sent)s subscriber", "Sent to %(sent)s subscribers", counts["sent"])
    label %= {"sent": formats.number_format(counts[Delivery.Status.SENT])}
    if counts[Delivery.Status.FAILED]:
        label += " " + _("(%(failed)s failed)") % {
            "failed": formats.number_format(counts[Delivery.Status.FAILED])
        }
    return label


@admin.register(Issue)
class IssueAdmin(RichTextAdminMixin, RevisionAdmin):
    form = IssueForm
    rich_text_fields = ("introduction",)
    list_display = ["subject", "status", "queued_at", "updated_at"]
    list_display_links = ["subject"]
    search_fields = ["subject", "slug", "introduction"]
    search_help_text = gettext_lazy("Search by subject, slug or introduction.")
    autocomplete_fields = ["articles", "resources"]
    prepopulated_fields = {"slug": ["subject"]}
    fieldsets = [
        (None, {"fields": ["subject", "slug", "introduction"]}),
        (gettext_lazy("Featured"), {"fields": ["articles", "resources"]}),
        (
            gettext_lazy("History"),
            {"fields": ["created_at", "updated_at", "queued_at", "queued_by"]},
        ),
    ]
    readonly_fields = ["created_at", "updated_at", "queued_at", "queued_by"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).with_delivery_counts()

    @admin.display(description=gettext_lazy("status"))
    def status(self, issue: Issue) -> str:
        return status_label(issue, full_counts(issue.delivery_counts or {}))

    # A queued issue is what subscribers received and the archive shows: staff may look
    # at it, follow its sending, but no longer change or delete it.
    def has_change_permission(self, request: HttpRequest, obj: Issue | None = None) -> bool:
        if obj is not None and obj.is_queued:
            return False
        return super().has_change_permission(request, obj)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        # Reverting would turn what subscribers received back into an editable draft.
        issue = self.get_object(request, unquote(object_id))
        if issue is not None and issue.is_queued:
            raise PermissionDenied
        return super().revision_view(request, object_id, version_id, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: Issue | None = None) -> bool:
        if obj is not None and obj.is_queued:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        # The bulk delete checks no issue's state: drafts are deleted one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_send_permission(self, request: HttpRequest) -> bool:
        """Sending reaches every subscriber: it takes its own permission, not just "change"."""
        return request.user.has_perm(f"{self.opts.app_label}.send_issue")

    def get_prepopulated_fields(self, request: HttpRequest, obj: Issue | None = None) -> dict:
        if obj is not None and obj.is_queued:
            return {}
        return super().get_prepopulated_fields(request, obj)

    def get_urls(self) -> list:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = [
            ("preview/", self.preview_view, "preview"),
            ("preview/email/", self.preview_email_view, "preview_email"),
            ("fill/", self.fill_view, "fill"),
            ("send-test/", self.send_test_view, "send_test"),
            ("send/", self.send_view, "send"),
            ("progress/", self.progress_view, "progress"),
        ]
        # Before the default URLs: their "<path:object_id>/" would match these too.
        return [
            *(
                path(
                    f"<path:object_id>/{route}",
                    self.admin_site.admin_view(view),
                    name=f"{prefix}_{name}",
                )
                for route, view, name in views
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        issue = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if issue is not None:
            counts = full_counts(progress(issue)) if issue.is_queued else {}
            extra_context.update(
                {
                    "issue": issue,
                    "can_edit_issue": self.has_change_permission(request, issue),
                    "can_test_issue": super().has_change_permission(request),
                    "can_send_issue": self.has_send_permission(request),
                    "progress_rows": [
                        (status, label, counts[status]) for status, label in Delivery.Status.choices
                    ]
                    if counts
                    else [],
                    "status_label": status_label(issue, counts) if counts else "",
                    "sending_finished": sending_finished(issue, counts) if counts else False,
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # The buttons' views

    def _issue(self, request: HttpRequest, object_id: str) -> Issue:
        issue = self.get_object(request, object_id)
        if issue is None:
            raise Http404(_("There is no newsletter issue with that ID."))
        return issue

    def _require_change_permission(self, request: HttpRequest) -> None:
        # The model-level permission: previewing or testing a sent issue is still useful.
        if not super().has_change_permission(request):
            raise PermissionDenied

    def _change_url(self, issue: Issue) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[issue.pk]
        )

    def _context(self, request: HttpRequest, issue: Issue, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "issue": issue,
            "original": issue,
            "title": title,
            "subtitle": issue.subject,
            "has_view_permission": self.has_view_permission(request, issue),
            **extra,
        }

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        issue = self._issue(request, object_id)
        self._require_change_permission(request)
        message = render_issue(issue)
        context = self._context(request, issue, _("Preview"), message=message)
        return TemplateResponse(request, "admin/newsletter/issue/preview.html", context)

    @method_decorator(xframe_options_sameorigin)
    def preview_email_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        issue = self._issue(request, object_id)
        self._require_change_permission(request)
        response = HttpResponse(render_issue(issue).html)
        response["Content-Security-Policy"] = PREVIEW_CSP
        return response

    @method_decorator(require_POST)
    def fill_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        issue = self._issue(request, object_id)
        self._require_change_permission(request)
        if issue.is_queued:
            messages.error(request, _("This issue has been sent: it can no longer change."))
            return HttpResponseRedirect(self._change_url(issue))
        since = issue.fill_since()
        articles, resources = issue.fill_with_published_since_last_issue()
        messages.success(
            request,
            _(
                "The issue now features %(articles)s and %(resources)s, everything published "
                "since %(since)s."
            )
            % {
                "articles": ngettext("%(count)s article", "%(count)s articles", articles)
                % {"count": articles},
                "resources": ngettext("%(count)s resource", "%(count)s resources", resources)
                % {"count": resources},
                "since": formats.date_format(since, "DATETIME_FORMAT"),
            },
        )
        return HttpResponseRedirect(self._change_url(issue))

    @method_decorator(require_POST)
    def send_test_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        issue = self._issue(request, object_id)
        self._require_change_permission(request)
        email = request.user.email
        if not email:
            messages.error(
                request,
                _(
                    "Your staff account has no email address, so there is nowhere to send "
                    "the test. Add one to your user account, then try again."
                ),
            )
            return HttpResponseRedirect(self._change_url(issue))
        try:
            send_test(issue, to_email=email)
        except ValidationError:
            messages.error(
                request,
                _(
                    "The email address of your staff account, %(email)s, is not valid. "
                    "Correct it in your user account, then try again."
                )
                % {"email": email},
            )
        except (smtplib.SMTPException, OSError) as error:
            messages.error(
                request,
                _("The test could not be sent to %(email)s: %(error)s")
                % {"email": email, "error": error},
            )
        else:
            messages.success(
                request, _("A test of this issue was sent to %(email)s.") % {"email": email}
            )
        return HttpResponseRedirect(self._change_url(issue))

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        issue = self._issue(request, object_id)
        if not self.has_send_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            was_queued = issue.is_queued
            # Idempotent: a second click (or a sendissue run) creates and sends nothing twice.
            queue_issue(issue, queued_by=request.user)
            if was_queued:
                messages.warning(
                    request, _("This issue was already queued for sending: nothing changed.")
                )
            else:
                queued = sum(progress(issue).values())
                messages.success(
                    request,
                    ngettext(
                        "The issue is queued for %(count)s subscriber: sending has started.",
                        "The issue is queued for %(count)s subscribers: sending has started.",
                        queued,
                    )
                    % {"count": formats.number_format(queued)},
                )
            return HttpResponseRedirect(self._change_url(issue))
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        context = self._context(
            request,
            issue,
            _("Send this issue?"),
            recipients=Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count(),
        )
        return TemplateResponse(request, "admin/newsletter/issue/send_confirmation.html", context)

    @method_decorator(require_GET)
    def progress_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        issue = self._issue(request, object_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        counts = full_counts(progress(issue)) if issue.is_queued else {}
        return JsonResponse(
            {
                "counts": counts,
                "status": status_label(issue, counts) if issue.is_queued else _("Draft"),
                "finished": sending_finished(issue, counts) if counts else False,
            }
        )

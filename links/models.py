from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from django.utils.translation import gettext_lazy as _


class LinkCheckQuerySet(models.QuerySet):
    def dead(self):
        """Keep the links found dead by the last check."""
        return self.filter(status=LinkCheck.Status.DEAD)

    def with_users(self):
        """Add article_users and resource_users: [{id, title}] of what links to each URL."""
        from news.models import Article
        from resources.models import Resource

        def users(model, field: str):
            linking = model._base_manager.filter(**{field: OuterRef("url")}).order_by("pk")
            return ArraySubquery(linking.values(json=JSONObject(id="pk", title="title")))

        return self.annotate(
            article_users=users(Article, "source_url"),
            resource_users=users(Resource, "external_url"),
        )


class LinkCheck(models.Model):
    """The last word on one outbound URL, shared by every article and resource linking it."""

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        OK = "ok", _("Working")
        # One failure that may be passing (a timeout, a 5xx): dead if the next check fails.
        FAILING = "failing", _("Failing once")
        # 401, 403 and 429 say the site refuses robots, not that the page is gone.
        BLOCKED = "blocked", _("Refuses automatic checks")
        DEAD = "dead", _("Dead")

    url = models.URLField(_("URL"), max_length=500, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.UNCHECKED
    )
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(
        _("consecutive failures"), default=0, help_text=_("Reset by a working check.")
    )

    objects = LinkCheckQuerySet.as_manager()

    class Meta:
        ordering = ["url"]
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.url

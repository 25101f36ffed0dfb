from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Count, Max, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import JSONObject, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from news.models import Article
from resources.models import Resource
from trafficwatch.html import excerpt, sanitize_html

from .cache import issues as archive_cache

# "Everything published since the last issue" for the very first issue.
FILL_WINDOW_WITHOUT_PREVIOUS_ISSUE = timedelta(days=30)


class Subscriber(models.Model):
    """A person who asked for the newsletter; confirmed only after the double opt-in."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    email = models.EmailField(_("email"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    consent_text = models.TextField(_("consent text shown"), blank=True)
    consented_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    source_page = models.CharField(_("signed up on page"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    # Preferences (the signed preferences page): which mailings, and how often digests come.
    # Each applies from the next send; status still rules (only confirmed people get mail).
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    wants_newsletter = models.BooleanField(_("receives the newsletter"), default=True)
    wants_resource_digest = models.BooleanField(
        _("receives the digest of new resources"),
        default=False,
        help_text=_("Resources matching their alerts, or every new resource without alerts."),
    )
    wants_news_digest = models.BooleanField(_("receives the digest of news"), default=False)
    digest_frequency = models.CharField(
        _("digest frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="subscriber_email_case_insensitive"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.normalize_email(self.email)
        super().save(*args, **kwargs)

    @staticmethod
    def normalize_email(email: str) -> str:
        """Return the address as stored: trimmed and lower-cased."""
        return email.strip().lower()


class IssueQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Update the rows (see QuerySet.update), and the archive's cache if any changed.

        Queuing an issue is an update() (sending.queue_issue): it sends no model signal,
        yet it puts the issue in the public archive.
        """
        count = super().update(**kwargs)
        if count:
            archive_cache.invalidate()
        return count

    def sent(self):
        """Keep issues whose sending has started: the public archive shows these."""
        return self.filter(queued_at__isnull=False)

    def visible_to(self, user):
        """Keep the issues user may read: sent ones, and unsent ones too for staff."""
        if user.is_staff and user.has_perm("newsletter.view_issue"):
            return self.all()
        return self.sent()

    def with_contents(self):
        """Prefetch the featured articles and resources still published, as the archive shows.

        Something unpublished after the issue went out drops out of its archive page too.
        """
        return self.prefetch_related(
            Prefetch(
                "articles",
                queryset=Article.objects.published().select_related("section", "source"),
                to_attr="featured_articles",
            ),
            Prefetch(
                "resources",
                queryset=Resource.objects.published()
                .select_related("category")
                .prefetch_related("countries"),
                to_attr="featured_resources",
            ),
        )

    def with_delivery_counts(self):
        """Annotate each issue with delivery_counts: its deliveries per status (or None).

        One subquery per issue shown, not a join: the changelist's count stays cheap and
        each issue's deliveries are read once, whatever their number.
        """
        counts = (
            Delivery.objects.filter(issue=OuterRef("pk"))
            .order_by()
            .values("issue")
            .annotate(
                counts=JSONObject(
                    **{
                        status: Count("pk", filter=Q(status=status))
                        for status in Delivery.Status.values
                    }
                )
            )
            .values("counts")
        )
        return self.annotate(delivery_counts=Subquery(counts, output_field=models.JSONField()))

    def last_queued_at(self):
        """Return when the latest of these issues was queued, or None."""
        return self.sent().aggregate(latest=Max("queued_at"))["latest"]


class Issue(models.Model):
    """One newsletter mailing, composed by staff and sent to every confirmed subscriber."""

    subject = models.CharField(_("subject"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=200, unique=True, help_text=_("The address of its archive page.")
    )
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("HTML; sanitized when saved.")
    )
    articles = models.ManyToManyField(
        "news.Article", blank=True, related_name="newsletter_issues", verbose_name=_("articles")
    )
    resources = models.ManyToManyField(
        "resources.Resource",
        blank=True,
        related_name="newsletter_issues",
        verbose_name=_("resources"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set once, when staff press "send" (or run sendissue): from then on the issue is
    # public in the archive and its content no longer changes.
    queued_at = models.DateTimeField(_("queued for sending"), null=True, blank=True)
    queued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queued by"),
    )

    objects = IssueQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-created_at"]
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        # Checked by IssueAdmin.has_send_permission: sending reaches every subscriber.
        permissions = [("send_issue", _("Can send newsletter issues"))]

    def __str__(self) -> str:
        return self.subject

    def save(self, *args, **kwargs) -> None:
        self.introduction = sanitize_html(self.introduction)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("newsletter:issue", kwargs={"slug": self.slug})

    @property
    def is_queued(self) -> bool:
        return self.queued_at is not None

    @property
    def summary(self) -> str:
        """Return the start of the introduction as plain text, for lists and search engines."""
        return excerpt(self.introduction, 300)

    def fill_since(self) -> datetime:
        """Return the start of "everything published since the last issue" for this issue."""
        previous = Issue.objects.exclude(pk=self.pk).last_queued_at()
        return previous or timezone.now() - FILL_WINDOW_WITHOUT_PREVIOUS_ISSUE

    def fill_with_published_since_last_issue(self) -> tuple[int, int]:
        """Feature everything published since the last issue; return (articles, resources)."""
        since = self.fill_since()
        articles = list(
            Article.objects.published().filter(published_at__gt=since).values_list("pk", flat=True)
        )
        resources = list(
            Resource.objects.published().filter(published_at__gt=since).values_list("pk", flat=True)
        )
        self.articles.set(articles)
        self.resources.set(resources)
        return len(articles), len(resources)


class OutboxRow(models.Model):
    """One message to one subscriber, as a worker claims, sends and records it
    (newsletter/sending.py's Outbox): issues and digests alike."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (unsubscribed)")

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A claimed row belongs to its worker until the lease ends; after that the sweeper
    # hands it to another (the worker may have died).
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        abstract = True


class Delivery(OutboxRow):
    """One issue to one subscriber: the outbox row a worker claims, sends and records.

    Created for every confirmed subscriber before anything is sent; unique per (issue,
    subscriber), so queuing twice never makes a second copy.
    """

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("issue")
    )
    # Deleting a subscriber deletes their deliveries: the address is gone everywhere.
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscriber"),
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="delivery_once"),
        ]
        indexes = [
            # The claim query: due rows of one issue, oldest first.
            models.Index(
                fields=["issue", "next_attempt_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} → {self.subscriber}"


class SavedSearchQuerySet(models.QuerySet):
    def for_library_query(self, query) -> "SavedSearch":
        """Return the saved search for a validated resources.filters.LibraryQuery.

        Stored once per distinct filter however many alerts follow it: the digest matches
        each distinct filter once, and the admin counts what the audience asks for.
        """
        fields = SavedSearch.fields_for(query)
        search, _created = self.get_or_create(query=fields.pop("query"), defaults=fields)
        return search


class SavedSearch(models.Model):
    """A library filter (facets, years, search words) that alerts follow.

    `query` is the canonical query string of /resources/ (sorted, without sort or page),
    so the same filter chosen in any order is one row. The term ids are copied into arrays
    so that the digest can match thousands of filters against new resources in one SQL
    statement; `description` says the filter in words ("Guides · Worldwide · 2020 or later").
    """

    query = models.CharField(_("library query"), max_length=2000, unique=True)
    description = models.CharField(_("description"), max_length=1000)
    q = models.CharField(_("search words"), max_length=200, blank=True)
    country_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    region_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    category_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    author_ids = ArrayField(models.IntegerField(), default=list, blank=True)
    years = ArrayField(models.IntegerField(), default=list, blank=True)
    year_from = models.IntegerField(null=True, blank=True)
    year_to = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved library search")
        verbose_name_plural = _("saved library searches")

    def __str__(self) -> str:
        return self.description

    def get_absolute_url(self) -> str:
        """The library page showing this filter."""
        url = reverse("resources:resource-list")
        return f"{url}?{self.query}" if self.query else url

    @staticmethod
    def fields_for(query) -> dict:
        """Return the model fields describing a LibraryQuery (query string, words, ids)."""
        from resources.filters import canonical_query_string, describe

        return {
            "query": canonical_query_string(query),
            "description": describe(query),
            "q": query.q,
            "country_ids": sorted(term.pk for term in query.terms.get("country", [])),
            "region_ids": sorted(term.pk for term in query.terms.get("region", [])),
            "category_ids": sorted(term.pk for term in query.terms.get("category", [])),
            "author_ids": sorted(term.pk for term in query.terms.get("author", [])),
            "years": sorted(query.years),
            "year_from": query.year_from,
            "year_to": query.year_to,
        }


class Alert(models.Model):
    """A subscriber following a saved search: "email me new matches".

    Active once confirmed (by the double opt-in link sent when it was asked for): an
    address typed on the library page by a stranger gets nothing until its owner agrees.
    """

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("subscriber")
    )
    search = models.ForeignKey(
        SavedSearch, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("search")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "search"], name="alert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} · {self.search}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None


class DigestRun(models.Model):
    """One digest period of one frequency (a week, a month): its matching and its figures.

    Created once per period by the first digest check after the period starts; its
    deliveries are the outbox the send tasks drain, scoped by the run (newsletter/digests.py).
    """

    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Subscriber.Frequency.choices
    )
    period_start = models.DateTimeField(_("period starts"))
    # Everything published up to this moment is in this run's windows; the next run of a
    # subscriber starts where their last window ended.
    until = models.DateTimeField(_("published up to"))
    searches_matched = models.PositiveIntegerField(_("saved searches with matches"), default=0)
    subscribers_matched = models.PositiveIntegerField(_("subscribers with a digest"), default=0)
    match_seconds = models.FloatField(_("matching time (seconds)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "frequency"]
        verbose_name = _("digest run")
        verbose_name_plural = _("digest runs")
        constraints = [
            models.UniqueConstraint(fields=["frequency", "period_start"], name="digest_run_once"),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.period_start)
        return f"{self.get_frequency_display()} {start:%Y-%m-%d}"


class DigestMatch(models.Model):
    """A saved search and a resource or article of a run's window that it matches.

    Written in one INSERT…SELECT per run, once per distinct search however many follow it.
    """

    run = models.ForeignKey(DigestRun, on_delete=models.CASCADE, related_name="matches")
    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, null=True, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(resource__isnull=True) ^ Q(article__isnull=True),
                name="digest_match_one_item",
            ),
        ]
        indexes = [models.Index(fields=["run", "search"], name="digest_match_search")]

    def __str__(self) -> str:
        return f"{self.run} · {self.search_id} · {self.resource_id or self.article_id}"


class DigestDelivery(OutboxRow):
    """One digest to one subscriber for one run: the outbox row, with what it lists.

    Unique per (subscriber, run), so a second check of the same period creates nothing.
    `groups` holds, per alert, the ids it matched in the window (since, until]:
    [{"search": id or null for "every new resource", "resources": [...], "articles": [...]}];
    `news` the new articles for a news digest.
    """

    run = models.ForeignKey(
        DigestRun, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("run")
    )
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="digest_deliveries",
        verbose_name=_("subscriber"),
    )
    since = models.DateTimeField(_("published after"))
    until = models.DateTimeField(_("published up to"))
    groups = models.JSONField(_("matches per alert"), default=list, blank=True)
    news = ArrayField(models.IntegerField(), default=list, blank=True)
    resource_count = models.PositiveIntegerField(_("resources"), default=0)
    article_count = models.PositiveIntegerField(_("articles"), default=0)

    class Meta:
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "run"], name="digest_delivery_once"),
        ]
        indexes = [
            # The claim query: due rows of one run, oldest first.
            models.Index(
                fields=["run", "next_attempt_at"],
                condition=models.Q(status__in=["queued", "sending"]),
                name="digest_delivery_due",
            ),
            # Where a subscriber's next window starts: the end of their last one.
            models.Index(fields=["subscriber", "-until"], name="digest_delivery_last"),
        ]

    def __str__(self) -> str:
        return f"{self.run} → {self.subscriber}"


class DigestSchedule(models.Model):
    """The one row saying when the next scheduled digest check is due.

    Only the check task enqueued for exactly `next_check_at` runs and queues its
    successor: a second bootstrap or a duplicate task finds another time there and stops.
    """

    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    last_check_at = models.DateTimeField(_("last check"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest schedule")
        verbose_name_plural = _("digest schedule")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="digest_schedule_single")]

    def __str__(self) -> str:
        return str(_("Digest schedule"))

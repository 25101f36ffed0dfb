"""Digests: new resources and articles matching each subscriber's alerts, weekly or monthly.

Periods. A weekly digest covers an ISO week (from Monday 00:00 in settings.TIME_ZONE), a
monthly one a calendar month. The first digest check after a period starts creates that
period's `DigestRun` (unique per frequency and period) and, in the same transaction,
matches and queues; later checks of the same period find the run and only restart its
sending if work remains. So "week N's digest" goes out at the start of week N.

Windows. Each delivery row stores its window (since, until]: `until` is the run's time,
`since` the end of the subscriber's previous digest window, but never earlier than the
start of the previous period. So a first digest (or the first after a long pause) covers
at most the previous period and the start of this one, and consecutive digests neither
skip nor repeat anything.
A resource counts by its `published_at`: one back-dated into a past window is not sent.

Matching happens in the database, set-based, in two statements per run:
1. every distinct SavedSearch followed by an active (confirmed) alert of a subscriber of
   this frequency is matched against the resources published in the widest window, facet
   id arrays with `&&`, category and years, search words with
   `search_vector @@ websearch_to_tsquery(SEARCH_CONFIG, q)`, into `DigestMatch`. An
   article matches a search made only of words (no facet or year) whose words it matches;
2. one INSERT…SELECT creates a `DigestDelivery` per confirmed subscriber of the frequency
   with something in their own window: per active alert the matches, or every new
   resource when they want the resource digest and follow no alert; every new article
   when they want the news digest. `ON CONFLICT DO NOTHING` on (subscriber, run).
Nobody with nothing new gets a row, nor an email.

Sending goes through the newsletter's outbox machinery (newsletter/sending.py: claims with
a lease, one SMTP connection per batch, retries with back-off, sweep), scoped by the run.
Just before each message the subscriber is read again: unsubscribed, or neither digest
wanted any longer, means skipped; a resource or article unpublished since is left out.
Each section (an alert's list, the news) is rendered once per run and worker process,
in text and HTML, CRLF and UTF-8, and shared by every digest listing the same items; the
digest templates' frame is rendered once per language with markers where the subscriber's
values go. A digest is then joined from bytes, not rendered, and filled into a byte
skeleton of the MIME message, as issues are (messages.py), with Django's email classes
as the fallback. Both ways give the same bytes as rendering the templates (tests check).

Scheduling. `check_digests` runs the step and enqueues itself DIGEST_CHECK_SECONDS later
(run_after). The one `DigestSchedule` row holds the time the next check is due; a check
task whose scheduled time is not that one stops (a duplicate), so there is one chain of
checks however often it is bootstrapped. `ensure_schedule()` bootstraps it: after every
`migrate` (post_migrate, newsletter/apps.py) and by `manage.py senddigests --schedule`;
it also replaces a chain whose check is two intervals overdue (a lost task queue).
`manage.py senddigests` runs the step by hand at once.
"""

import functools
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import formataddr, formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.db import connection, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.base import Task

from news.models import Article
from resources.models import SEARCH_CONFIG, Resource, ResourceAuthor

from .emails import list_unsubscribe_headers
from .messages import (
    BULK_HEADERS,
    CONTROL_CHARACTERS,
    SIMPLE_ADDRESS,
    clean_name,
    greeting_for,
    marked_bytes,
)
from .models import (
    Alert,
    Delivery,
    DigestDelivery,
    DigestMatch,
    DigestRun,
    DigestSchedule,
    SavedSearch,
    Subscriber,
)
from .sending import QUEUED, SEND_PRIORITY, SWEEP_PRIORITY, Outbox
from .tokens import preferences_url

logger = logging.getLogger(__name__)

Frequency = Subscriber.Frequency
CHECK_PRIORITY = 10


# Periods -----------------------------------------------------------------------------


def period_start(frequency: str, at: datetime) -> datetime:
    """Return when the period (ISO week or calendar month) holding `at` started, locally."""
    day = timezone.localtime(at).date()
    if frequency == Frequency.WEEKLY:
        day -= timedelta(days=day.weekday())
    else:
        day = day.replace(day=1)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def previous_period_start(frequency: str, start: datetime) -> datetime:
    return period_start(frequency, start - timedelta(days=1))


# Matching and queuing ----------------------------------------------------------------


def tables() -> dict[str, str]:
    return {
        "resource": Resource._meta.db_table,
        "resource_country": Resource.countries.through._meta.db_table,
        "resource_region": Resource.regions.through._meta.db_table,
        "resource_author": ResourceAuthor._meta.db_table,
        "article": Article._meta.db_table,
        "search": SavedSearch._meta.db_table,
        "alert": Alert._meta.db_table,
        "subscriber": Subscriber._meta.db_table,
        "match": DigestMatch._meta.db_table,
        "delivery": DigestDelivery._meta.db_table,
    }


# Facets empty: the search is words only, which an article can match as well.
WORDS_ONLY = """
    cardinality(s.country_ids) = 0 AND cardinality(s.region_ids) = 0
    AND cardinality(s.category_ids) = 0 AND cardinality(s.author_ids) = 0
    AND cardinality(s.years) = 0 AND s.year_from IS NULL AND s.year_to IS NULL
"""

MATCH_SQL = """
WITH new_resources AS MATERIALIZED (
    SELECT r.id, r.published_at, r.category_id::int AS category_id, r.year, r.search_vector,
        ARRAY(SELECT c.country_id::int FROM {resource_country} c WHERE c.resource_id = r.id)
            AS country_ids,
        ARRAY(SELECT g.region_id::int FROM {resource_region} g WHERE g.resource_id = r.id)
            AS region_ids,
        ARRAY(SELECT a.author_id::int FROM {resource_author} a WHERE a.resource_id = r.id)
            AS author_ids
    FROM {resource} r
    WHERE r.status = %(published)s AND r.published_at > %(floor)s
      AND r.published_at <= %(until)s
),
searches AS MATERIALIZED (
    SELECT s.id, s.country_ids, s.region_ids, s.category_ids, s.author_ids, s.years,
        s.year_from, s.year_to,
        CASE WHEN s.q <> '' THEN websearch_to_tsquery(%(config)s::regconfig, s.q) END AS words
    FROM {search} s
    WHERE EXISTS (
        SELECT 1 FROM {alert} a JOIN {subscriber} sub ON sub.id = a.subscriber_id
        WHERE a.search_id = s.id AND a.confirmed_at IS NOT NULL
          AND sub.status = %(confirmed)s AND sub.wants_resource_digest
          AND sub.digest_frequency = %(frequency)s
    )
)
INSERT INTO {match} (run_id, search_id, resource_id, article_id, published_at)
SELECT %(run)s, s.id, r.id, NULL, r.published_at
FROM searches s JOIN new_resources r ON
    (cardinality(s.country_ids) = 0 OR s.country_ids && r.country_ids)
    AND (cardinality(s.region_ids) = 0 OR s.region_ids && r.region_ids)
    AND (cardinality(s.author_ids) = 0 OR s.author_ids && r.author_ids)
    AND (cardinality(s.category_ids) = 0 OR r.category_id = ANY(s.category_ids))
    AND (cardinality(s.years) = 0 OR r.year = ANY(s.years))
    AND (s.year_from IS NULL OR r.year >= s.year_from)
    AND (s.year_to IS NULL OR r.year <= s.year_to)
    AND (s.words IS NULL OR r.search_vector @@ s.words)
UNION ALL
SELECT %(run)s, s.id, NULL, a.id, a.published_at
FROM searches s JOIN {article} a ON a.search_vector @@ s.words
WHERE s.words IS NOT NULL AND {words_only}
  AND a.status = %(published_article)s AND a.published_at > %(floor)s
  AND a.published_at <= %(until)s
"""

DELIVERIES_SQL = """
WITH eligible AS MATERIALIZED (
    SELECT s.id, s.wants_resource_digest AS wants_resources, s.wants_news_digest AS wants_news,
        GREATEST(
            %(floor)s,
            (SELECT max(d.until) FROM {delivery} d WHERE d.subscriber_id = s.id)
        ) AS since,
        EXISTS (
            SELECT 1 FROM {alert} a WHERE a.subscriber_id = s.id AND a.confirmed_at IS NOT NULL
        ) AS has_alerts
    FROM {subscriber} s
    WHERE s.status = %(confirmed)s AND s.digest_frequency = %(frequency)s
      AND (s.wants_resource_digest OR s.wants_news_digest)
),
hits AS MATERIALIZED (
    SELECT e.id AS subscriber_id, a.search_id, m.resource_id, m.article_id, m.published_at
    FROM eligible e
    JOIN {alert} a ON a.subscriber_id = e.id AND a.confirmed_at IS NOT NULL
    JOIN {match} m ON m.run_id = %(run)s AND m.search_id = a.search_id
        AND m.published_at > e.since
    WHERE e.wants_resources
    UNION ALL
    SELECT e.id, NULL, r.id, NULL, r.published_at
    FROM eligible e JOIN {resource} r ON r.status = %(published)s
        AND r.published_at > e.since AND r.published_at <= %(until)s
    WHERE e.wants_resources AND NOT e.has_alerts
),
per_search AS (
    SELECT subscriber_id, search_id,
        COALESCE(array_agg(resource_id ORDER BY published_at DESC, resource_id)
            FILTER (WHERE resource_id IS NOT NULL), '{{}}') AS resources,
        COALESCE(array_agg(article_id ORDER BY published_at DESC, article_id)
            FILTER (WHERE article_id IS NOT NULL), '{{}}') AS articles
    FROM hits GROUP BY subscriber_id, search_id
),
groups AS (
    SELECT subscriber_id,
        jsonb_agg(
            jsonb_build_object('search', search_id, 'resources', resources, 'articles', articles)
            ORDER BY search_id NULLS FIRST
        ) AS groups
    FROM per_search GROUP BY subscriber_id
),
counts AS (
    SELECT subscriber_id, count(DISTINCT resource_id) AS resources,
        COALESCE(array_agg(DISTINCT article_id) FILTER (WHERE article_id IS NOT NULL), '{{}}')
            AS articles
    FROM hits GROUP BY subscriber_id
),
news AS (
    SELECT e.id AS subscriber_id, array_agg(a.id ORDER BY a.published_at DESC, a.id) AS news
    FROM eligible e JOIN {article} a ON a.status = %(published_article)s
        AND a.published_at > e.since AND a.published_at <= %(until)s
    WHERE e.wants_news
    GROUP BY e.id
)
INSERT INTO {delivery}
    (run_id, subscriber_id, since, until, groups, news, resource_count, article_count,
     status, attempts, next_attempt_at, last_error, created_at)
SELECT %(run)s, e.id, e.since, %(until)s, COALESCE(g.groups, '[]'::jsonb),
    COALESCE(n.news, '{{}}'), COALESCE(c.resources, 0),
    (SELECT count(DISTINCT item) FROM unnest(
        COALESCE(n.news, '{{}}') || COALESCE(c.articles, '{{}}')) AS item),
    %(queued)s, 0, %(until)s, '', %(until)s
FROM eligible e
LEFT JOIN groups g ON g.subscriber_id = e.id
LEFT JOIN counts c ON c.subscriber_id = e.id
LEFT JOIN news n ON n.subscriber_id = e.id
WHERE g.subscriber_id IS NOT NULL OR n.subscriber_id IS NOT NULL
ON CONFLICT DO NOTHING
"""


def queue_digest(frequency: str) -> tuple[DigestRun, int]:
    """Match and queue the current period's digest of frequency, once; start sending.

    Returns the run and the deliveries created (0 when the period was already done).
    """
    now = timezone.now()
    start = period_start(frequency, now)
    created = 0
    with transaction.atomic():
        # A concurrent check waits on the unique (frequency, period) row, then finds it.
        run, new = DigestRun.objects.get_or_create(
            frequency=frequency, period_start=start, defaults={"until": now}
        )
        if new:
            created = match_and_queue(run, floor=previous_period_start(frequency, start))
        transaction.on_commit(lambda: DIGESTS.start(run.pk))
    return run, created


def match_and_queue(run: DigestRun, *, floor: datetime) -> int:
    """Fill the run's matches and create its deliveries in two statements; return rows."""
    params = {
        "run": run.pk,
        "floor": floor,
        "until": run.until,
        "frequency": run.frequency,
        "config": SEARCH_CONFIG,
        "confirmed": Subscriber.Status.CONFIRMED,
        "published": Resource.Status.PUBLISHED,
        "published_article": Article.Status.PUBLISHED,
        "queued": QUEUED,
    }
    started = time.monotonic()
    with connection.cursor() as cursor:
        # Millions of (subscriber, alert, item) rows are grouped: in memory, not on disk;
        # and compiling the plan (JIT) cost seconds for a statement that runs once.
        cursor.execute(
            "SET LOCAL work_mem = %s; SET LOCAL jit = off", [settings.DIGEST_MATCH_WORK_MEM]
        )
        cursor.execute(MATCH_SQL.format(words_only=WORDS_ONLY, **tables()), params)
        cursor.execute(DELIVERIES_SQL.format(**tables()), params)
        created = cursor.rowcount
    run.match_seconds = time.monotonic() - started
    run.searches_matched = run.matches.values("search").distinct().count()
    run.subscribers_matched = created
    run.save(update_fields=["match_seconds", "searches_matched", "subscribers_matched"])
    logger.info(
        "Digest %s: %s deliveries queued, matched in %.1f s.", run, created, run.match_seconds
    )
    return created


def send_digests() -> list[tuple[DigestRun, int]]:
    """Queue the current period's digests of every frequency (once per period)."""
    return [queue_digest(frequency) for frequency in Frequency.values]


def figures(run: DigestRun) -> dict[str, int]:
    """Return the number of the run's deliveries in each status, every status present."""
    return DIGESTS.progress(run.pk)


# The outbox --------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One heading of a digest (an alert's matches, or the news), rendered in text and HTML.

    Rendered once per run for every subscriber whose section lists the same items: most
    followers of a search share its window, so most digests are assembled, not rendered.
    """

    news: bool
    resources: frozenset[int]
    articles: frozenset[int]
    text: str
    html: str
    text_piece: "Piece" = field(init=False, repr=False, compare=False)
    html_piece: "Piece" = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_piece", Piece.of(self.text))
        object.__setattr__(self, "html_piece", Piece.of(self.html))


@dataclass(frozen=True)
class DigestContent:
    """What one digest lists, read for a batch of deliveries at once."""

    sections: list[Section]


# Rendered sections kept per run and worker; enough for every distinct filter of a run.
SECTION_CACHE_SIZE = 5_000
RUN_CACHES: dict[tuple[int, datetime], dict[str, dict]] = {}
RUN_CACHES_LOCK = threading.Lock()


def run_cache(run: DigestRun) -> dict[str, dict]:
    """Return the sections and items rendered for run in this worker process.

    Shared by the send threads and the successive send tasks of a worker: each rendered
    every section again, which was most of the work of a batch.
    """
    key = (run.pk, run.created_at)
    with RUN_CACHES_LOCK:
        if key not in RUN_CACHES:
            if len(RUN_CACHES) >= 4:  # a weekly and a monthly run at most, in practice
                del RUN_CACHES[next(iter(RUN_CACHES))]
            RUN_CACHES[key] = {"sections": {}, "items": {}}
        return RUN_CACHES[key]


class DigestOutbox(Outbox):
    """Digest deliveries, scoped by their run; each message is assembled for its reader."""

    model = DigestDelivery
    scope = "run_id"

    def send_task(self) -> Task:
        return send_digest_deliveries

    def sweep_task(self) -> Task:
        return sweep_digest_deliveries

    def load(self, scope_id: int) -> DigestRun | None:
        return DigestRun.objects.filter(pk=scope_id).first()

    def wanted(self, subscriber: Subscriber) -> bool:
        return super().wanted(subscriber) and (
            subscriber.wants_resource_digest or subscriber.wants_news_digest
        )

    def prepare_batch(self, scope: DigestRun, delivery_ids: list[int]) -> dict[int, DigestContent]:
        rows = list(
            DigestDelivery.objects.filter(pk__in=delivery_ids).values_list("pk", "groups", "news")
        )
        search_ids, resource_ids, article_ids = set(), set(), set()
        for _pk, groups, news in rows:
            article_ids.update(news)
            for group in groups:
                if group["search"] is not None:
                    search_ids.add(group["search"])
                resource_ids.update(group["resources"])
                article_ids.update(group["articles"])
        # Read again now: whatever was unpublished since the matching drops out.
        searches = SavedSearch.objects.in_bulk(search_ids)
        shared = run_cache(scope)
        cache = shared["sections"]
        if len(cache) > SECTION_CACHE_SIZE:
            cache.clear()
        resources, articles = items(shared["items"], resource_ids, article_ids)
        language = get_language()
        content = {}
        for pk, groups, news in rows:
            sections = []
            for group in groups:
                search = group["search"]
                if search is not None and search not in searches:
                    continue  # the search is gone with its last alert
                sections.append(
                    cached_section(
                        cache,
                        language,
                        searches.get(search),
                        tuple(i for i in group["resources"] if i in resources),
                        tuple(i for i in group["articles"] if i in articles),
                        resources,
                        articles,
                    )
                )
            news_ids = tuple(i for i in news if i in articles)
            sections.append(
                cached_section(cache, language, None, (), news_ids, resources, articles, news=True)
            )
            content[pk] = DigestContent(sections=[s for s in sections if s is not None])
        return content

    def message(
        self, scope: DigestRun, row: DigestContent | None, subscriber: Subscriber, *, raw, mail
    ) -> bytes | EmailMultiAlternatives | None:
        if row is None:
            return None
        message = digest_message(row, subscriber)
        if message is None:
            return None
        if raw and SIMPLE_ADDRESS.fullmatch(subscriber.email):
            data = message.as_bytes()
            if data is not None:
                return data
        email = message.email(connection=mail)
        email.message()  # a malformed address or header fails here, not mid-SMTP
        return email


DIGESTS = DigestOutbox()


# The message -------------------------------------------------------------------------


def items(cache: dict, resource_ids: set[int], article_ids: set[int]) -> tuple[dict, dict]:
    """Return what the email shows of each resource and article still published, by id.

    Whether each is still published is read every time; what it shows, once per run.
    """
    site_url = settings.SITE_URL
    # The application's clock, as everywhere in sending (the tests move it).
    now = timezone.now()
    resources = Resource.objects.filter(
        pk__in=resource_ids, status=Resource.Status.PUBLISHED, published_at__lte=now
    )
    articles = Article.objects.published(now).filter(pk__in=article_ids)
    shown_resources = cache.setdefault("resources", {})
    shown_articles = cache.setdefault("articles", {})
    live_resources = set(resources.values_list("pk", flat=True))
    live_articles = set(articles.values_list("pk", flat=True))
    for resource in (
        resources.filter(pk__in=live_resources - shown_resources.keys())
        .select_related("category")
        .only("title", "slug", "year", "category__name")  # not the long texts
    ):
        shown_resources[resource.pk] = {
            "id": resource.pk,
            "title": resource.title,
            "url": site_url + resource.get_absolute_url(),
            "year": resource.year,
            "category": resource.category.name if resource.category else "",
        }
    for article in articles.filter(pk__in=live_articles - shown_articles.keys()).only(
        "title", "slug"
    ):
        shown_articles[article.pk] = {
            "id": article.pk,
            "title": article.title,
            "url": site_url + article.get_absolute_url(),
        }
    return (
        {pk: shown_resources[pk] for pk in live_resources},
        {pk: shown_articles[pk] for pk in live_articles},
    )


def section(
    cache: dict, search: SavedSearch | None, resources: list, articles: list, *, news=False
) -> Section | None:
    """Return the rendered section listing these items (None if empty), from cache if seen."""
    return cached_section(
        cache,
        get_language(),
        search,
        tuple(item["id"] for item in resources),
        tuple(item["id"] for item in articles),
        {item["id"]: item for item in resources},
        {item["id"]: item for item in articles},
        news=news,
    )


def cached_section(
    cache: dict,
    language: str | None,
    search: SavedSearch | None,
    resource_ids: tuple[int, ...],
    article_ids: tuple[int, ...],
    resources: dict[int, dict],
    articles: dict[int, dict],
    *,
    news: bool = False,
) -> Section | None:
    """Return the section listing these items by id (None if empty), rendered once."""
    if not (resource_ids or article_ids):
        return None
    key = (language, news, search.pk if search else None, resource_ids, article_ids)
    found = cache.get(key)  # another send thread may clear the cache meanwhile
    if found is None:
        site_url = settings.SITE_URL
        if news:
            title, url = _("News"), site_url + reverse("news:article-list")
        elif search is not None:
            title, url = search.description, site_url + search.get_absolute_url()
        else:
            title, url = _("New in the library"), site_url + reverse("resources:resource-list")
        context = {
            "title": title,
            "url": url,
            "resources": [resources[i] for i in resource_ids],
            "articles": [articles[i] for i in article_ids],
        }
        found = cache[key] = Section(
            news=news,
            resources=frozenset(resource_ids),
            articles=frozenset(article_ids),
            text=render_to_string("newsletter/digest/section.txt", context),
            html=render_to_string("newsletter/digest/section.html", context),
        )
    return found


@dataclass(frozen=True)
class Piece:
    """A stretch of a digest's text or HTML, with its SMTP bytes and line lengths.

    A digest is joined from pieces (the frame, the sections, the subscriber's values), so
    the bytes and the longest line of each are worked out once, not per 30 kB message.
    """

    text: str
    data: bytes  # CRLF line breaks, UTF-8
    first: int  # bytes before the first line break (all of them if none)
    last: int  # bytes after the last line break
    longest: int  # the longest line between the first and the last break
    broken: bool  # holds a line break
    joinable: bool  # its CRLF form is the same joined to anything that follows

    @classmethod
    def of(cls, text: str) -> "Piece":
        data = crlf(text).encode()
        lines = data.split(b"\r\n")
        return cls(
            text=text,
            data=data,
            first=len(lines[0]),
            last=len(lines[-1]),
            longest=max((len(line) for line in lines[1:-1]), default=0),
            broken=len(lines) > 1,
            joinable=not text.endswith("\r"),
        )


def joined(pieces: list[Piece]) -> tuple[bytes, int, int, int] | None:
    """Return the pieces' bytes and the lengths of their first, longest and last lines.

    None if joining them would change their line breaks (a CR ending a piece).
    """
    if not all(piece.joinable for piece in pieces[:-1]):
        return None
    first = longest = current = 0
    broken = False
    for piece in pieces:
        if piece.broken:
            if not broken:
                first, broken = current + piece.first, True
            longest = max(longest, current + piece.first, piece.longest)
            current = piece.last
        else:
            current += piece.first
    if not broken:
        first = current
    return b"".join(piece.data for piece in pieces), first, max(longest, current), current


@dataclass(frozen=True)
class DigestMessage:
    """One subscriber's digest: what both ways of making its email start from."""

    name: str
    address: str
    subject: str
    text_pieces: list[Piece]
    html_pieces: list[Piece]
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return "".join(piece.text for piece in self.text_pieces)

    @property
    def html(self) -> str:
        return "".join(piece.text for piece in self.html_pieces)

    def email(self, *, connection=None) -> EmailMultiAlternatives:
        email = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text,
            to=[formataddr((self.name, self.address)) if self.name else self.address],
            headers={**BULK_HEADERS, **self.headers},
            connection=connection,
        )
        email.attach_alternative(self.html, "text/html")
        return email

    def as_bytes(self) -> bytes | None:
        """Return the email as SMTP DATA from the skeleton, or None if only Django's will do.

        Equal to email().message().as_bytes() but for Date and Message-ID (a test checks):
        building a MIME message of 30 kB with Python's email package took most of a send.
        """
        mark = skeleton()
        to = formataddr((self.name, self.address), charset="utf-8") if self.name else self.address
        extra = "".join(f"{name}: {value}\r\n" for name, value in self.headers.items())
        text, html = joined(self.text_pieces), joined(self.html_pieces)
        if text is None or html is None:  # a stray CR before a LF: join, then convert
            text, html = joined([Piece.of(self.text)]), joined([Piece.of(self.html)])
        text_data, _first, text_longest, text_last = text
        html_data, html_first, html_longest, _last = html
        if (
            mark is None
            or not (self.subject.isascii() and extra.isascii() and to.isascii())
            or CONTROL_CHARACTERS.search(self.subject + to + extra.replace("\r\n", ""))
            or len(self.subject) > 900
            # As the lines of text + html: the text's last line and the HTML's first are one.
            or max(text_longest, html_longest, text_last + html_first) > 998
        ):
            return None
        values = {
            SKELETON_TO: to.encode(),
            SKELETON_SUBJECT: self.subject.encode(),
            SKELETON_HEADERS: extra.encode(),
            SKELETON_DATE: formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode(),
            SKELETON_ID: make_msgid(domain=DNS_NAME).encode(),
            SKELETON_TEXT: text_data,
            SKELETON_HTML: html_data,
        }
        return SKELETON_MARKERS.sub(lambda match: values[match[0]], mark)


SKELETON_TO = b"to@tw-digest-marker.invalid"
SKELETON_SUBJECT = b"TWDIGESTSUBJECTMARKER"
SKELETON_HEADERS = b"X-TW-Digest-Headers: TWDIGESTHEADERSMARKER\r\n"
SKELETON_DATE = b"TWDIGESTDATEMARKER"
SKELETON_ID = b"<TWDIGESTIDMARKER@tw-digest-marker.invalid>"
SKELETON_TEXT = b"TWDIGESTTEXTMARKER"
SKELETON_HTML = b"TWDIGESTHTMLMARKER"
SKELETON_PARTS = (
    SKELETON_TO, SKELETON_SUBJECT, SKELETON_HEADERS, SKELETON_DATE, SKELETON_ID,
    SKELETON_TEXT, SKELETON_HTML,
)  # fmt: skip
SKELETON_MARKERS = re.compile(b"|".join(re.escape(marker) for marker in SKELETON_PARTS))


@functools.cache
def skeleton() -> bytes | None:
    """Return a digest email with byte markers for every part that varies, or None."""
    name, value = SKELETON_HEADERS.decode().rstrip().split(": ")
    email = DigestMessage(
        name="",
        address=SKELETON_TO.decode(),
        subject=SKELETON_SUBJECT.decode(),
        text_pieces=[Piece.of(SKELETON_TEXT.decode())],
        html_pieces=[Piece.of(SKELETON_HTML.decode())],
        headers={name: value},
    ).email()
    email.extra_headers.update({"Date": SKELETON_DATE.decode(), "Message-ID": SKELETON_ID.decode()})
    return marked_bytes(email, SKELETON_PARTS)


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


# What varies per subscriber in digest.txt and digest.html: rendered once per language
# with these markers (letters only, so escaping leaves them alone), then split at them.
FRAME_VALUES = ("subject", "greeting", "preferences_url", "unsubscribe_url")
FRAME_SECTIONS = "TWDIGESTFRAMESECTIONS"
FRAME_MARKERS = {f"TWDIGESTFRAME{name.upper().replace('_', '')}": name for name in FRAME_VALUES}
FRAME_MARKERS[FRAME_SECTIONS] = "sections"
FRAME_SPLIT = re.compile("(" + "|".join(FRAME_MARKERS) + ")")


@dataclass(frozen=True)
class FrameSection:
    text: str = FRAME_SECTIONS
    html: str = FRAME_SECTIONS


@functools.lru_cache(maxsize=32)
def frame(
    template: str, language: str | None, site_name: str, site_url: str
) -> tuple[Piece | str, ...]:
    """Return the digest template rendered once, as fixed pieces and the names of slots."""
    context = {marker_value: marker for marker, marker_value in FRAME_MARKERS.items()}
    context.update(sections=[FrameSection()], site_name=site_name, site_url=site_url)
    rendered = render_to_string(template, context)
    return tuple(
        FRAME_MARKERS[part] if part in FRAME_MARKERS else Piece.of(part)
        for part in FRAME_SPLIT.split(rendered)
        if part
    )


def fill(
    frame_parts: tuple[Piece | str, ...], values: dict[str, Piece], sections: list[Piece]
) -> list[Piece]:
    pieces = []
    for part in frame_parts:
        if part == "sections":
            pieces.extend(sections)
        elif isinstance(part, str):
            pieces.append(values[part])
        else:
            pieces.append(part)
    return pieces


def digest_message(content: DigestContent, subscriber: Subscriber) -> DigestMessage | None:
    """Return the digest to subscriber, or None when nothing is left to list.

    The sections follow the subscriber's preferences as they are now. The message is the
    digest templates' rendering, joined from a once-rendered frame and sections.
    """
    sections = [
        section
        for section in content.sections
        if (subscriber.wants_news_digest if section.news else subscriber.wants_resource_digest)
    ]
    resource_count = len(frozenset().union(*(section.resources for section in sections)))
    article_count = len(frozenset().union(*(section.articles for section in sections)))
    if not (resource_count or article_count):
        return None
    language = get_language()
    site = (language, settings.SITE_NAME, settings.SITE_URL)
    subject = subject_for(site[:2], resource_count, article_count)
    headers = list_unsubscribe_headers(subscriber)
    values = {
        "subject": subject,
        "greeting": greeting_for(subscriber),
        "preferences_url": preferences_url(subscriber),
        # The header's very link (signed once, not twice): "<https://…>".
        "unsubscribe_url": headers["List-Unsubscribe"][1:-1],
    }
    return DigestMessage(
        name=clean_name(subscriber.name),
        address=subscriber.email,
        subject=subject,
        text_pieces=fill(
            frame("newsletter/digest/digest.txt", *site),
            {name: Piece.of(str(value)) for name, value in values.items()},
            [section.text_piece for section in sections],
        ),
        html_pieces=fill(
            frame("newsletter/digest/digest.html", *site),
            {name: Piece.of(conditional_escape(value)) for name, value in values.items()},
            [section.html_piece for section in sections],
        ),
        headers=headers,
    )


@functools.lru_cache(maxsize=4096)
def subject_for(site: tuple[str | None, str], resources: int, articles: int) -> str:
    """Return digest_subject(resources, articles) for the (language, site name)."""
    return digest_subject(resources, articles)


def digest_subject(resources: int, articles: int) -> str:
    parts = []
    if resources:
        parts.append(
            ngettext("%(count)s new resource", "%(count)s new resources", resources)
            % {"count": resources}
        )
    if articles:
        parts.append(
            ngettext("%(count)s news article", "%(count)s news articles", articles)
            % {"count": articles}
        )
    return _("Your %(site_name)s digest: %(contents)s") % {
        "site_name": settings.SITE_NAME,
        "contents": ", ".join(parts),
    }


# The tasks ---------------------------------------------------------------------------


@task(priority=SEND_PRIORITY)
def send_digest_deliveries(run_id: int) -> dict[str, int]:
    """Send due digest deliveries of the run in batches until none is left."""
    return DIGESTS.send(run_id)


@task(priority=SWEEP_PRIORITY)
def sweep_digest_deliveries(run_id: int) -> str:
    """Recover what dead workers left of the run; reschedule itself until it is done."""
    return DIGESTS.sweep_and_reschedule(run_id)


@task(priority=CHECK_PRIORITY)
def check_digests(scheduled_for: str) -> str:
    """Queue the digests that are due, then the next check; only the scheduled chain runs."""
    with transaction.atomic():
        schedule, _created = DigestSchedule.objects.select_for_update().get_or_create(pk=1)
        expected = schedule.next_check_at and schedule.next_check_at.isoformat()
        if expected != scheduled_for:
            return "superseded"
        # Scheduled first: should this worker die now, the next check is already queued.
        schedule_check(schedule)
    send_digests()
    return "checked"


def schedule_check(schedule: DigestSchedule, *, delay: float | None = None) -> None:
    """Make the next check of schedule (locked by the caller) due after delay seconds."""
    if delay is None:
        delay = settings.DIGEST_CHECK_SECONDS
    now = timezone.now()
    schedule.last_check_at = now
    schedule.next_check_at = now + timedelta(seconds=delay)
    schedule.save(update_fields=["last_check_at", "next_check_at"])
    due = schedule.next_check_at
    # In the same transaction: the database queue commits the task with the row, or neither.
    check_digests.using(run_after=due).enqueue(due.isoformat())


def ensure_schedule() -> bool:
    """Start the chain of digest checks unless one is pending; return whether it started.

    A backend that cannot run a task later (the in-process one of the tests) gets none.
    """
    if not check_digests.get_backend().supports_defer:
        return False
    overdue = timezone.now() - timedelta(seconds=2 * settings.DIGEST_CHECK_SECONDS)
    with transaction.atomic():
        schedule, _created = DigestSchedule.objects.select_for_update().get_or_create(pk=1)
        if schedule.next_check_at is not None and schedule.next_check_at > overdue:
            return False
        schedule_check(schedule, delay=0)
    return True


def delivery_figures():
    """Annotate digest runs with their deliveries per status, for the admin."""
    return DigestRun.objects.annotate(
        **{
            f"deliveries_{status}": Count("deliveries", filter=Q(deliveries__status=status))
            for status in Delivery.Status.values
        }
    )

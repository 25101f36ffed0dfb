"""Benchmarks: seed a separate database at scale, then time the public pages in-process.

`make bench` runs this file; `.venv/bin/python bench/run.py --help` lists the options and
bench/README.md explains what is measured. Only the benchmark database is touched: the
database of DATABASE_URL (or of the embedded server) with `_bench` appended to its name.
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trafficwatch.settings")
# Measure what production runs: DEBUG off (with it on, Django also keeps every query).
os.environ["DJANGO_DEBUG"] = "0"
# With DEBUG off the settings refuse the development key. This process serves no one and
# signs nothing that outlives it, so a throwaway key will do.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))

import warnings  # noqa: E402 (the environment above must be set first)

import django  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

SUFFIX = "_bench"
FULL_SIZES = {"resources": 100_000, "articles": 50_000, "subscribers": 50_000}
QUICK_SIZES = {"resources": 2_000, "articles": 1_000, "subscribers": 1_000}
WARMUP_SECONDS = 5  # at most, per page


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, size in FULL_SIZES.items():
        parser.add_argument(
            f"--{name}", type=int, help=f"{name} in the database (default {size:,})"
        )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and 50 requests a page: "
        + ", ".join(f"{size:,} {name}" for name, size in QUICK_SIZES.items()),
    )
    parser.add_argument("--requests", type=int, help="timed requests per page (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests per page first")
    parser.add_argument(
        "--max-seconds", type=float, default=30, help="stop timing a page after this long"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop and recreate the benchmark database first"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="use a dummy cache, so every request computes what the pages cache (facet counts)",
    )
    parser.add_argument(
        "--only", help="time only the pages whose label contains this text (e.g. library)"
    )
    parser.add_argument("--no-export", action="store_true", help="skip the CSV export")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    arguments = parser.parse_args()
    sizes = QUICK_SIZES if arguments.quick else FULL_SIZES
    for name, size in sizes.items():
        if getattr(arguments, name) is None:
            setattr(arguments, name, size)
    if arguments.requests is None:
        arguments.requests = 50 if arguments.quick else 200
    return arguments


def use_bench_database(*, fresh: bool) -> dict:
    """Point the default database at `<name>_bench` on the same server; create it if missing."""
    from django.conf import settings

    database = settings.DATABASES["default"]  # loading settings starts the embedded server
    database["NAME"] = f"{database['NAME']}{SUFFIX}"
    connection = psycopg2.connect(
        dbname="postgres",
        user=database["USER"],
        password=database["PASSWORD"],
        host=database["HOST"],
        port=database["PORT"],
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            name = sql.Identifier(database["NAME"])
            if fresh:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
    finally:
        connection.close()
    return database


def row_counts() -> dict[str, int]:
    from news.models import Article
    from newsletter.models import Subscriber
    from resources.models import Resource

    return {
        "resources": Resource.objects.count(),
        "articles": Article.objects.count(),
        "subscribers": Subscriber.objects.count(),
    }


def seed(arguments: argparse.Namespace) -> dict:
    """Top the benchmark database up to the requested sizes; return what was added and how fast.

    seedbench runs in a forked child, so the peak memory of this process is that of serving
    pages, not of building 100,000 rows.
    """
    from django.core.management import call_command
    from django.db import connections

    existing = row_counts()
    missing = {name: max(0, getattr(arguments, name) - count) for name, count in existing.items()}
    for name, count in existing.items():
        if count > getattr(arguments, name):
            print(f"Note: the database already holds {count:,} {name}; --fresh starts over.")
    started = time.perf_counter()
    if any(missing.values()):
        connections.close_all()  # the child opens its own connection
        child = multiprocessing.get_context("fork").Process(
            target=call_command, args=["seedbench"], kwargs={"seed": arguments.seed, **missing}
        )
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"seedbench failed (exit code {child.exitcode}).")
    return {
        "added": missing,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def pages(arguments: argparse.Namespace) -> list[tuple[str, str]]:
    """Return (label, URL) of the pages to time; page numbers are kept within the data."""
    from urllib.parse import quote

    from django.db.models import Count
    from django.urls import NoReverseMatch, reverse
    from taggit.models import Tag

    from news import views as news_views
    from news.models import Article, Section
    from resources import views as resource_views
    from resources.models import Resource

    articles = Article.objects.published().order_by("pk").only("slug")
    resources = Resource.objects.published().order_by("pk").only("slug")
    article_count, resource_count = articles.count(), resources.count()
    if not article_count or not resource_count:
        raise SystemExit("The benchmark needs published articles and resources: seed some.")
    article_pages = -(-article_count // getattr(news_views, "ARTICLES_PER_PAGE", 20))
    resource_pages = -(-resource_count // getattr(resource_views, "RESOURCES_PER_PAGE", 20))
    try:  # the pages of a sitemap index, when /sitemap.xml is one
        sitemap_page = [
            ("sitemap page", reverse("django.contrib.sitemaps.views.sitemap", args=["resources"]))
        ]
    except NoReverseMatch:
        sitemap_page = []
    # The tag on most articles: the heaviest tag page and tag feed.
    popular_tag = (
        Tag.objects.annotate(uses=Count("taggit_taggeditem_items"))
        .order_by("-uses")
        .values_list("slug", flat=True)
        .first()
    )
    news_pages = [("news feed", "/news/feed/")]
    library_pages = library_filter_pages()
    if popular_tag:
        news_pages += [
            ("news tag page", f"/news/?tag={quote(popular_tag)}"),
            ("news tag feed", f"/news/feed/tag/{quote(popular_tag)}/"),
        ]
    # The section with most articles, its page and its feed; then the articles' sitemap.
    popular_section = (
        Section.objects.annotate(n=Count("articles")).order_by("-n").values_list("slug", flat=True)
    ).first()
    if popular_section:
        news_pages += [
            ("news section page", f"/news/?section={quote(popular_section)}"),
            ("news section feed", f"/news/feed/section/{quote(popular_section)}/"),
        ]
    try:
        news_sitemap = reverse("django.contrib.sitemaps.views.sitemap", args=["news"])
        news_pages.append(("news sitemap page", news_sitemap))
    except NoReverseMatch:
        pass
    return [
        ("home", "/"),
        ("news list", "/news/"),
        ("news list, deep page", f"/news/?page={min(50, article_pages)}"),
        ("article", articles[article_count // 2].get_absolute_url()),
        *news_pages,
        ("resource library", "/resources/"),
        ("library, deep page", f"/resources/?page={min(100, resource_pages)}"),
        *library_pages,
        ("library feed", "/resources/feed/"),
        ("resource", resources[resource_count // 2].get_absolute_url()),
        ("sitemap", "/sitemap.xml"),
        *sitemap_page,
        ("health check", "/healthz"),
    ]


def library_filter_pages() -> list[tuple[str, str]]:
    """Return the library filtered by one facet, by three, and searched (issue #6).

    The region on most resources; then, among its resources, the most frequent country and
    category: the heaviest filters that still leave results.
    """
    from django.db.models import Count

    from resources.models import Category, Country, Region, Resource

    published = Resource.objects.published()
    region = Region.objects.annotate(n=Count("resources")).order_by("-n", "pk").first()
    if region is None:
        return []
    in_region = published.filter(regions=region)
    country = (
        Country.objects.filter(resources__in=in_region).annotate(n=Count("*")).order_by("-n", "pk")
    ).first()
    category = (
        Category.objects.filter(resources__in=in_region).annotate(n=Count("*")).order_by("-n", "pk")
    ).first()
    pages = [("library, one facet", f"/resources/?region={region.slug}")]
    if country and category:
        url = f"/resources/?region={region.slug}&country={country.slug}&category={category.slug}"
        pages.append(("library, three facets", url))
    # An accented place name of the synthetic titles and summaries (a few % of resources).
    pages.append(("library, search", "/resources/?q=Cz%C4%99stochowa"))
    # The field's own word, in about 40% of the resources: the most hits to rank (issue #4).
    pages.append(("library, search of a common word", "/resources/?q=trafficking"))
    pages.append(("site search", "/search/?q=trafficking"))
    return pages


def explain_slowest(fetch, urls: list[str]) -> dict:
    """Request urls with an empty library cache; return the slowest query and its EXPLAIN ANALYZE."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from resources.cache import invalidate

    slowest = {"seconds": -1.0}
    for url in urls:
        invalidate()  # a new generation: the library's cache as good as empty
        with CaptureQueriesContext(connection) as queries:
            fetch(url)
        for query in queries.captured_queries:
            if float(query["time"]) > slowest["seconds"]:
                slowest = {"url": url, "sql": query["sql"], "seconds": float(query["time"])}
    if "sql" not in slowest:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest['sql']}")
        slowest["plan"] = "\n".join(row[0] for row in cursor.fetchall())
    return slowest


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of already sorted values."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def figures(timings: list[float]) -> dict:
    """Return the latency percentiles and rate of these request durations (seconds)."""
    timings = sorted(timings)
    return {
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 0.50) * 1000, 1),
        "p95_ms": round(percentile(timings, 0.95) * 1000, 1),
        "p99_ms": round(percentile(timings, 0.99) * 1000, 1),
        "mean_ms": round(statistics.fmean(timings) * 1000, 1),
        "requests_per_second": round(len(timings) / sum(timings), 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def measure(fetch, url: str, arguments: argparse.Namespace) -> dict:
    """Time one page: warm up, count its queries once, then time up to N requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = {"url": url}
    try:
        warm_until = time.perf_counter() + WARMUP_SECONDS
        for _ in range(arguments.warmup):
            response = fetch(url)
            if response.status_code != 200 or time.perf_counter() > warm_until:
                break
        with CaptureQueriesContext(connection) as queries:
            response = fetch(url)
    except Exception as error:  # a page that crashes is reported, the others still run
        return {**result, "error": f"{type(error).__name__}: {error}"}
    result.update(status=response.status_code, queries=len(queries), bytes=len(response.content))
    if response.status_code != 200:
        return result
    timings = []
    stop_at = time.perf_counter() + arguments.max_seconds
    while len(timings) < arguments.requests and time.perf_counter() < stop_at:
        started = time.perf_counter()
        fetch(url)
        timings.append(time.perf_counter() - started)
    return {**result, **figures(timings)}


def measure_signup(client, arguments: argparse.Namespace, secure: bool) -> dict:
    """Time newsletter sign-up POSTs, each a new address, as a browser sends them.

    The confirmation email is queued (a task row), not sent: the request is what is timed.
    The rate limit is lifted for this process only; every sign-up stays in the database.
    """
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/newsletter/subscribe/"
    settings.SIGNUP_RATE_LIMIT = "999999999/m"
    origin = settings.SITE_URL if secure else "http://testserver"
    run = time.time_ns()

    def post(number: int):
        return client.post(
            url,
            {"email": f"bench-{run}-{number}@example.org", "consent": "on"},
            secure=secure,
            headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
        )

    result = {"label": "newsletter sign-up (POST)", "url": url}
    for number in range(arguments.warmup):
        post(-1 - number)
    with CaptureQueriesContext(connection) as queries:
        response = post(0)
    result.update(status=response.status_code, queries=len(queries), bytes=len(response.content))
    if response.status_code != 303:
        return result
    timings = []
    stop_at = time.perf_counter() + arguments.max_seconds
    while len(timings) < arguments.requests and time.perf_counter() < stop_at:
        started = time.perf_counter()
        post(len(timings) + 1)
        timings.append(time.perf_counter() - started)
    return {**result, **figures(timings)}


def measure_export(fetch) -> dict:
    """Stream the CSV export of the whole library once: time, size, queries, peak memory.

    The peak is that of Python's heap while streaming (tracemalloc), measured in a second
    run because tracing slows the first; RSS only ever grows and would mostly show the
    pages timed before.
    """
    import tracemalloc

    from django.db import connection

    from resources.models import Resource

    url = "/resources/export.csv"
    result = {"label": "CSV export, whole library", "url": url}
    queries = []

    # Counted as executed: CaptureQueriesContext reads the query log, which the request
    # empties when it starts (reset_queries), so it can miss the queries of a request.
    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    try:
        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = fetch(url)
            size = sum(len(chunk) for chunk in response.streaming_content)
        seconds = time.perf_counter() - started
        tracemalloc.start()
        for _ in fetch(url).streaming_content:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    except Exception as error:  # reported like a page that crashes
        return {**result, "error": f"{type(error).__name__}: {error}"}
    return {
        **result,
        "status": response.status_code,
        "rows": Resource.objects.published().count(),
        "seconds": round(seconds, 2),
        "megabytes": round(size / 1024**2, 1),
        "queries": len(queries),
        "peak_python_heap_mb": round(peak / 1024**2, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def environment() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "memory_gb": round(memory_gb, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server_version,
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def markdown(results: list[dict]) -> str:
    lines = [
        "| page | URL | p50 ms | p95 ms | p99 ms | req/s | queries | requests | peak RSS so far, MB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for page in results:
        if "p50_ms" not in page:
            problem = page.get("error") or f"HTTP {page.get('status')}"
            lines.append(f"| {page['label']} | `{page['url']}` | {problem} | | | | | | |")
            continue
        lines.append(
            f"| {page['label']} | `{page['url']}` | {page['p50_ms']} | {page['p95_ms']} "
            f"| {page['p99_ms']} | {page['requests_per_second']} | {page['queries']} "
            f"| {page['requests']} | {page['peak_rss_mb']} |"
        )
    return "\n".join(lines)


def main() -> int:
    arguments = parse_arguments()
    database = use_bench_database(fresh=arguments.fresh)
    if arguments.no_cache:
        from django.conf import settings

        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    django.setup()
    # WhiteNoise warns that STATIC_ROOT is missing: this process runs no collectstatic.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers")

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    print(f"Benchmark database: {database['NAME']} on {database['HOST'] or 'localhost'}")
    call_command("migrate", interactive=False, verbosity=0)
    seeding = seed(arguments)
    with connections["default"].cursor() as cursor:
        # Bulk inserts leave the planner without statistics until autovacuum comes by;
        # a settled production database has them, so the pages are measured with them.
        cursor.execute("VACUUM (ANALYZE)")
    if any(seeding["added"].values()):
        added = ", ".join(f"{count:,} {name}" for name, count in seeding["added"].items())
        print(f"Seeding: {seeding['seconds']} s for {added}, peak RSS {seeding['peak_rss_mb']} MB")
    else:
        print("Seeding: nothing to add, the database already holds the requested sizes")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test Client's host
    # Production serves collectstatic's hashed files; the plain storage needs no collectstatic
    # (nothing is written into the checkout) and builds the same URLs with a prefix join.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A production worker's start-up (trafficwatch/wsgi.py): its long-lived objects frozen
    # out of the garbage collector's full collections, as gunicorn's workers have them.
    import trafficwatch.wsgi  # noqa: F401

    client = Client()
    # An https SITE_URL turns on the redirect to https; ask for https so pages are not 301s.
    secure = getattr(settings, "SECURE_SSL_REDIRECT", False)

    def fetch(url: str):
        return client.get(url, secure=secure)

    baseline_rss_mb = round(peak_rss_mb(), 1)
    results = []
    for label, url in pages(arguments):
        if arguments.only and arguments.only not in label:
            continue
        page = {"label": label, **measure(fetch, url, arguments)}
        results.append(page)
        print(f"  {label}: {page.get('p50_ms', page.get('error') or page.get('status'))}")
    if not arguments.only or arguments.only in "newsletter sign-up":
        signup = measure_signup(client, arguments, secure)
        results.append(signup)
        print(f"  {signup['label']}: {signup.get('p50_ms', signup.get('status'))}")
    library = [page["url"] for page in results if page["url"].startswith("/resources/?")]
    slowest = explain_slowest(fetch, library) if library else {}
    export = {} if arguments.no_export else measure_export(fetch)
    report = {
        "environment": environment(),
        "sizes": row_counts(),
        "seeding": seeding,
        "pages": results,
        "export": export,
        "slowest_library_query": slowest,
        "cache": "none (--no-cache)"
        if arguments.no_cache
        else settings.CACHES["default"]["BACKEND"],
        "baseline_rss_mb": baseline_rss_mb,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    connections.close_all()
    print()
    print(markdown(results))
    print()
    if slowest:
        print(
            f"Slowest query of the library pages with an empty cache: "
            f"{slowest['seconds'] * 1000:.1f} ms, on {slowest['url']}\n{slowest['sql']}\n"
        )
        print(f"{slowest['plan']}\n")
    if arguments.no_export:
        pass
    elif "seconds" in export:
        print(
            f"CSV export of {export['rows']:,} resources: {export['seconds']} s, "
            f"{export['megabytes']} MB, {export['queries']} queries, peak Python heap "
            f"{export['peak_python_heap_mb']} MB while streaming, peak RSS so far "
            f"{export['peak_rss_mb']} MB"
        )
    else:
        print(f"CSV export: {export.get('error')}")
    print(
        f"Peak RSS of the process: {baseline_rss_mb} MB before the first page, "
        f"{report['peak_rss_mb']} MB at the end"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"Wrote {arguments.json}")
    return 1 if any("p50_ms" not in page for page in results) or "error" in export else 0


if __name__ == "__main__":
    sys.exit(main())

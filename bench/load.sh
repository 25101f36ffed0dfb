#!/usr/bin/env bash
# Load test: wrk against gunicorn with production settings on the seeded benchmark database.
#
#   bench/load.sh                 # 30 s per URL, 50 connections
#   DURATION=10s bench/load.sh    # shorter
#
# Uses the database of DATABASE_URL with `_bench` appended (as bench/run.py does; created,
# migrated and seeded with --quick sizes when missing, or LOAD_RESOURCES / LOAD_ARTICLES).
# REDIS_URL, when set, is passed on (the shared cache); otherwise each gunicorn worker
# caches in its own memory. Prints req/s, p50/p99 latency and non-2xx responses per URL,
# and the same for a static file of about the home page's size served by whitenoise.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "bench/load.sh needs wrk: apt-get install wrk" >&2
    exit 1
fi
: "${DATABASE_URL:?set DATABASE_URL (its database with _bench appended is used)}"

DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-2}
PORT=${PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY=${DJANGO_SECRET_KEY:-load-test-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export SITE_URL=$BASE

# Prepare the database (bench/run.py's helpers) and write the URLs to request.
.venv/bin/python - "$WORK/urls" <<'PYTHON'
import argparse
import os
import sys

sys.path.insert(0, os.getcwd())
from bench import run  # noqa: E402 (sets the environment run.py expects)

urls_file = sys.argv[1]
database = run.use_bench_database(fresh=False)
run.django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from news.models import Article  # noqa: E402

print(f"Database: {database['NAME']}", file=sys.stderr)
call_command("migrate", interactive=False, verbosity=0)
sizes = argparse.Namespace(
    resources=int(os.environ.get("LOAD_RESOURCES", run.QUICK_SIZES["resources"])),
    articles=int(os.environ.get("LOAD_ARTICLES", run.QUICK_SIZES["articles"])),
    subscribers=0,
    seed=1,
)
seeding = run.seed(sizes)
if any(seeding["added"].values()):
    print(f"Seeded {seeding['added']} in {seeding['seconds']} s", file=sys.stderr)
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
articles = Article.objects.published().order_by("pk")
article = articles[articles.count() // 2]
filters = dict(run.library_filter_pages())
pages = [
    ("home", "/"),
    ("news list", "/news/"),
    ("article", article.get_absolute_url()),
    ("library", "/resources/"),
    ("library, three facets", filters.get("library, three facets", "/resources/")),
    ("library, search", filters["library, search"]),
]
with open(urls_file, "w") as output:
    for label, url in pages:
        output.write(f"{label}\t{url}\n")
PYTHON

# The database URL the server gets: the same server, the _bench database.
BENCH_URL="${DATABASE_URL%/*}/$(basename "${DATABASE_URL%%\?*}")_bench"
DATABASE_URL=$BENCH_URL .venv/bin/python manage.py collectstatic --noinput -v 0

DATABASE_URL=$BENCH_URL HOST=127.0.0.1 PORT=$PORT WEB_CONCURRENCY=${WEB_CONCURRENCY:-3} \
    .venv/bin/python -m gunicorn trafficwatch.wsgi --config gunicorn.conf.py \
    --access-logfile /dev/null >"$WORK/gunicorn.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
    sleep 0.2
done
curl -fsS -o /dev/null "$BASE/healthz" || { cat "$WORK/gunicorn.log"; exit 1; }

# A static file of about the home page's size (both uncompressed: wrk asks for no gzip).
HOME_BYTES=$(curl -fsS "$BASE/" | wc -c)
STATIC=$(find staticfiles -regextype posix-extended -type f \
    -regex '.*\.[0-9a-f]{12}\.(css|js|svg|png|woff2)' -printf '%s %P\n' |
    awk -v target="$HOME_BYTES" '{ d = $1 - target; if (d < 0) d = -d; print d, $1, $2 }' |
    sort -n | head -1 | awk '{ print $3 }')
[ -n "$STATIC" ] || { echo "No hashed static file in staticfiles/." >&2; exit 1; }
printf 'static file (%s)\t/static/%s\n' "$(basename "$STATIC")" "$STATIC" >>"$WORK/urls"

echo
echo "wrk: $CONNECTIONS connections, $THREADS threads, $DURATION per URL; gunicorn ${WEB_CONCURRENCY:-3} workers; ${REDIS_URL:+Redis cache}${REDIS_URL:-local-memory cache}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo
printf '| %-44s | %8s | %8s | %8s | %7s | %8s |\n' page bytes "req/s" "p50" "p99" "non-2xx"
printf '| %-44s | %8s | %8s | %8s | %7s | %8s |\n' ":--" "--:" "--:" "--:" "--:" "--:"
while IFS=$'\t' read -r label url; do
    bytes=$(curl -sS "$BASE$url" | wc -c)
    curl -sS -o /dev/null "$BASE$url"  # warm the cache once
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency "$BASE$url" >"$WORK/wrk.txt" 2>&1
    awk -v label="$label" -v bytes="$bytes" '
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx/ { bad = $NF }
        /Socket errors/ { errors = $0 }
        END {
            printf "| %-44s | %8s | %8.0f | %8s | %7s | %8d |\n", label, bytes, rps, p50, p99, bad
            if (errors) print "  " label ": " errors > "/dev/stderr"
        }' "$WORK/wrk.txt"
done <"$WORK/urls"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

"""Settings for TraffickingWatch; every deployment difference is an environment variable.

The variables and their defaults are the public contract in CONTRACT.md and the README.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# pytest sets PYTEST_VERSION: tests run with DEBUG off, no secret to keep, no collectstatic.
TESTING = "PYTEST_VERSION" in os.environ

DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY and not TESTING:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off the development key is refused: "
        "set DJANGO_SECRET_KEY to a long random value (for example the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if urlsplit(SITE_URL).scheme not in {"http", "https"} or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(f"SITE_URL must be an absolute http(s) URL, not {SITE_URL!r}.")
SITE_IS_HTTPS = urlsplit(SITE_URL).scheme == "https"
SITE_NAME = "TraffickingWatch"

INSTALLED_APPS = [
    # Django's admin with our site: the dashboard and the editorial calendar.
    "trafficwatch.apps.TrafficWatchAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "taggit",
    "django_prose_editor",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "reversion",
    "import_export",
    "trafficwatch",
    "news",
    "resources",
    "newsletter",
    "links",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise, so static files get the policy headers too.
    "trafficwatch.middleware.ContentSecurityPolicyMiddleware",
    "trafficwatch.middleware.PolicyHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that finds the database down answers the friendly 503 page.
    "trafficwatch.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out (username, address) pair before the password
# is even checked (docs: https://django-axes.readthedocs.io/en/latest/2_installation.html).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "trafficwatch.urls"
WSGI_APPLICATION = "trafficwatch.wsgi.application"
ASGI_APPLICATION = "trafficwatch.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trafficwatch.context_processors.site",
            ],
        },
    },
]

# PostgreSQL is the one database (CONTRACT.md): DATABASE_URL when given, otherwise an
# embedded server whose data lives in the git-ignored .data/ folder of the checkout.
CONN_MAX_AGE = 60 * 10  # 10 minutes: persistent connections
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
else:
    from .embedded_database import embedded_database_settings

    DATABASES = {
        "default": {
            **embedded_database_settings(BASE_DIR / ".data" / "postgres"),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    }
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploads (images, files of resources) go to an S3-compatible bucket when one is named
# (django-storages); boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
MEDIA_ORIGINS: list[str] = []  # where pages load uploaded images from, beside 'self'
if AWS_STORAGE_BUCKET_NAME:
    s3_endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "")
    s3_region = os.environ.get("AWS_S3_REGION_NAME", "")
    s3_domain = os.environ.get("AWS_S3_CUSTOM_DOMAIN", "")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": s3_endpoint or None,
            "region_name": s3_region or None,
            "custom_domain": s3_domain or None,
            # Uploads are public pages' images and files: plain, cacheable URLs, and a
            # second upload of "report.pdf" does not replace the first.
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
    if s3_domain:
        MEDIA_ORIGINS = [f"https://{s3_domain}"]
    elif s3_endpoint:
        endpoint = urlsplit(s3_endpoint)
        MEDIA_ORIGINS = [
            f"{endpoint.scheme}://{endpoint.netloc}",
            f"{endpoint.scheme}://*.{endpoint.netloc}",
        ]
    else:
        MEDIA_ORIGINS = ["https://*.amazonaws.com"]
# Development and tests serve static files straight from static/, without collectstatic.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Email: an SMTP server when EMAIL_HOST is set, else printed to the console.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsletter@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = 30  # seconds
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Cache: a shared Redis when REDIS_URL is set, else this process's memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background tasks (email, newsletter sending) through Django's task API; `manage.py
# db_worker` runs them. The backend is a setting so a larger site can move to RQ or Celery.
# Under pytest tasks run in-process when enqueued (after the commit that enqueued them),
# unless TASKS_BACKEND says otherwise; tests of the real workers start `db_worker`
# processes with TASKS_BACKEND=django_tasks_db.DatabaseBackend.
DEFAULT_TASKS_BACKEND = (
    "django_tasks.backends.immediate.ImmediateBackend"
    if TESTING
    else "django_tasks_db.DatabaseBackend"
)
TASKS = {
    "default": {"BACKEND": os.environ.get("TASKS_BACKEND", DEFAULT_TASKS_BACKEND)},
}

SIGNUP_RATE_LIMIT = os.environ.get("SIGNUP_RATE_LIMIT", "10/m")
# How long a shared preview link of a draft or scheduled item opens it (seconds).
PREVIEW_LINK_MAX_AGE = int(os.environ.get("PREVIEW_LINK_MAX_AGE", 7 * 24 * 60 * 60))


def env_positive_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        value = -1
    if not 0 < value < float("inf"):
        raise ImproperlyConfigured(f"{name} must be a positive number, not {os.environ[name]!r}.")
    return value


# Newsletter sending (newsletter/sending.py). A worker owns the deliveries it claimed for
# NEWSLETTER_LEASE_SECONDS (renewed while it works); after that another worker takes them
# over. A temporary SMTP failure is retried after RETRY_BASE, 2×, 4×… seconds, at most
# MAX_ATTEMPTS times. The tests and the benchmark shorten these through the environment.
NEWSLETTER_LEASE_SECONDS = env_positive_number("NEWSLETTER_LEASE_SECONDS", 300)
NEWSLETTER_RETRY_BASE_SECONDS = env_positive_number("NEWSLETTER_RETRY_BASE_SECONDS", 60)
NEWSLETTER_MAX_ATTEMPTS = int(env_positive_number("NEWSLETTER_MAX_ATTEMPTS", 5))
NEWSLETTER_SWEEP_SECONDS = env_positive_number("NEWSLETTER_SWEEP_SECONDS", 60)
NEWSLETTER_BATCH_SIZE = int(env_positive_number("NEWSLETTER_BATCH_SIZE", 200))
# How many send tasks one issue starts: at most this many workers send it at once.
NEWSLETTER_SEND_TASKS = int(env_positive_number("NEWSLETTER_SEND_TASKS", 4))
# Senders side by side in one worker, each with its own SMTP connection; a worker killed
# mid-send may have had one message in flight per sender. One by default, so that a killed
# worker repeats at most one message (issues 5 and 7); more senders trade that for speed
# (bench/README.md: 4 per worker send about three times as fast to a slow server).
NEWSLETTER_SEND_THREADS = int(env_positive_number("NEWSLETTER_SEND_THREADS", 1))
# Proxies whose X-Forwarded-For is believed (trafficwatch/client.py); gunicorn reads the
# same variable for X-Forwarded-Proto.
TRUSTED_PROXIES = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Security: secure cookies and HSTS follow an https SITE_URL (issue #2).
SECURE_CONTENT_TYPE_NOSNIFF = True
# "same-origin": a visitor who follows a link away (or leaves with the quick-exit button)
# tells the next site nothing of what they read here. Same-origin POSTs still carry
# Origin and Referer, which the CSRF checks need (templates/newsletter/token_page.html).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = [SITE_URL]
if SITE_IS_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # A TLS-terminating proxy in front of gunicorn sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365  # one year
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # The health check is probed over plain http by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy (django-csp 4; trafficwatch/middleware.py relaxes it for the
# admin only). Public pages run no inline script or style: everything is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        # static/js/library.js fetches the library's results in place.
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "upgrade-insecure-requests": SITE_IS_HTTPS,
    }
}
# Uploaded images served from a bucket (AWS_STORAGE_BUCKET_NAME above).
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += MEDIA_ORIGINS
# Browser features no page of ours uses, denied to the page and anything it could embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# Cross-Origin-Resource-Policy: no other site may embed our pages, images or files.
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"

# Admin sign-in throttling (django-axes): five failures lock the pair (username, client
# address) for 15 minutes. Not the username alone, which would let anybody lock staff out,
# and not forever. The address is the client behind our proxies, not the load balancer.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=15)
# A locked-out pair that keeps guessing does not push its own end of lockout further.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "trafficwatch.client.client_address"
AXES_LOCKOUT_CALLABLE = "trafficwatch.lockout.lockout"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Every attempt, failed or not, is logged and listed in the admin.
AXES_DISABLE_ACCESS_LOG = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "trafficwatch": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Digests (newsletter/digests.py): a task checks every DIGEST_CHECK_SECONDS whether a new
# week or month has started and, once per period, matches and queues its digests; it is
# sent like an issue (the NEWSLETTER_* sending settings apply).
DIGEST_CHECK_SECONDS = env_positive_number("DIGEST_CHECK_SECONDS", 60 * 60)  # 1 hour
# PostgreSQL's work_mem for the digest matching transaction only (sorting every match).
DIGEST_MATCH_WORK_MEM = os.environ.get("DIGEST_MATCH_WORK_MEM", "256MB")

"""Settings come from the environment; production refuses unsafe defaults (issue #2)."""

import ast
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "traffickingwatch.example",
    "SITE_URL": "https://traffickingwatch.example",
    # Settings never connect at import; the URL only has to be a PostgreSQL one.
    "DATABASE_URL": "postgres://tw:secret@db.invalid:5432/trafficwatch",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter with a clean environment, as a deployment would."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "trafficwatch.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(expression: str, **env: str):
    """Evaluate expression over the settings a fresh process gets from env."""
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        f"print(repr(({expression})))",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip())


def test_production_without_a_secret_key_refuses_to_start_with_a_clear_message():
    env = {**PRODUCTION_ENV}
    del env["DJANGO_SECRET_KEY"]
    result = run_python("import django; django.setup()", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_mode_accepts_the_development_key():
    env = {**PRODUCTION_ENV, "DJANGO_DEBUG": "1"}
    del env["DJANGO_SECRET_KEY"]
    assert settings_value("settings.SECRET_KEY.startswith('django-insecure')", **env) is True


def test_an_unreadable_debug_flag_is_refused():
    result = run_python(
        "import django; django.setup()", **{**PRODUCTION_ENV, "DJANGO_DEBUG": "maybe"}
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 1 or 0" in result.stderr


def test_a_database_url_that_is_not_postgresql_is_refused():
    env = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///db.sqlite3"}
    result = run_python("import django; django.setup()", **env)
    assert result.returncode != 0
    assert "must point at PostgreSQL" in result.stderr


def test_an_https_site_url_turns_on_secure_cookies_and_hsts():
    values = settings_value(
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS >= 31536000, settings.SECURE_SSL_REDIRECT",
        **PRODUCTION_ENV,
    )
    assert values == (True, True, True, True)


def test_an_http_site_url_leaves_cookies_usable_over_plain_http():
    env = {**PRODUCTION_ENV, "SITE_URL": "http://127.0.0.1:8000"}
    assert settings_value(
        "settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS", **env
    ) == (False, 0)


def test_allowed_hosts_and_database_come_from_the_environment():
    value = settings_value(
        "settings.ALLOWED_HOSTS, settings.DATABASES['default']['HOST'], "
        "settings.DATABASES['default']['CONN_MAX_AGE'] > 0",
        **PRODUCTION_ENV,
    )
    assert value == (["traffickingwatch.example"], "db.invalid", True)


def test_email_goes_through_smtp_only_when_a_host_is_set():
    console = settings_value("settings.EMAIL_BACKEND", **PRODUCTION_ENV)
    smtp = settings_value(
        "settings.EMAIL_BACKEND, settings.EMAIL_PORT, settings.EMAIL_USE_TLS",
        **PRODUCTION_ENV,
        EMAIL_HOST="smtp.example",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
    )
    assert console == "django.core.mail.backends.console.EmailBackend"
    assert smtp == ("django.core.mail.backends.smtp.EmailBackend", 587, True)


def test_redis_url_makes_redis_the_cache():
    backend = settings_value(
        "settings.CACHES['default']['BACKEND']",
        **PRODUCTION_ENV,
        REDIS_URL="redis://127.0.0.1:6379/1",
    )
    assert backend == "django.core.cache.backends.redis.RedisCache"


def test_deploy_check_in_production_settings_prints_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        env={"PATH": os.environ["PATH"], **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."

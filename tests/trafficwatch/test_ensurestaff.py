"""`manage.py ensurestaff`: the staff login `make run` guarantees (issue #2)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from trafficwatch.management.commands import ensurestaff


def signs_in(client, username: str, password: str) -> bool:
    """Sign in through the admin's login form, as staff do (and as django-axes counts)."""
    response = client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}
    )
    return response.status_code == 302 and response["Location"] == "/admin/"


@pytest.fixture
def login_file(tmp_path, monkeypatch):
    path = tmp_path / "staff-login.txt"
    monkeypatch.setattr(ensurestaff, "GENERATED_LOGIN_FILE", path)
    for variable in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
    return path


@pytest.mark.django_db
def test_the_login_from_the_environment_opens_the_admin(client, login_file, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "correct horse battery staple")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "editor@example.org")
    call_command("ensurestaff")
    assert signs_in(client, "editor", "correct horse battery staple")
    assert client.get("/admin/").status_code == 200
    assert get_user_model().objects.get(username="editor").email == "editor@example.org"


@pytest.mark.django_db
def test_without_environment_a_generated_login_is_printed_and_works(client, login_file, capsys):
    call_command("ensurestaff")
    printed = capsys.readouterr().out
    username, password = login_file.read_text().strip().split(":")
    assert f"{username} / {password}" in printed
    assert signs_in(client, username, password)


@pytest.mark.django_db
def test_a_second_run_prints_the_same_login_and_changes_nothing(login_file, capsys):
    call_command("ensurestaff")
    first = capsys.readouterr().out
    user = get_user_model().objects.get(username="admin")
    call_command("ensurestaff")
    assert capsys.readouterr().out == first
    assert get_user_model().objects.get(username="admin").password == user.password


@pytest.mark.django_db
def test_a_changed_password_in_the_environment_is_applied(client, login_file, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "editor")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "first password 123")
    call_command("ensurestaff")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "second password 456")
    call_command("ensurestaff")
    assert not signs_in(client, "editor", "first password 123")
    assert signs_in(client, "editor", "second password 456")

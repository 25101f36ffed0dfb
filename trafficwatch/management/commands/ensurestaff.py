import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

# Where the generated password of the development login is kept (git-ignored), so a
# second `make run` prints the same login instead of changing it.
GENERATED_LOGIN_FILE = Path(settings.BASE_DIR) / ".data" / "staff-login.txt"


class Command(BaseCommand):
    help = (
        "Ensure a staff login exists: from DJANGO_SUPERUSER_USERNAME/PASSWORD/EMAIL when set, "
        "otherwise an 'admin' superuser with a generated password, printed."
    )

    def handle(self, *args, **options) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()
        if username and password:
            self._ensure(username, password, email)
            self.stdout.write(f"Staff login: {username} (password from DJANGO_SUPERUSER_PASSWORD)")
            return
        username = username or "admin"
        password = self._generated_password(username)
        self._ensure(username, password, email)
        self.stdout.write(
            self.style.SUCCESS(f"Staff login for /admin/: {username} / {password}")
            + f"  (kept in {GENERATED_LOGIN_FILE})"
        )

    @transaction.atomic
    def _ensure(self, username: str, password: str, email: str) -> None:
        user, _ = get_user_model().objects.get_or_create(username=username)
        changed = not (user.is_staff and user.is_superuser and user.is_active)
        user.is_staff = user.is_superuser = user.is_active = True
        if email and user.email != email:
            user.email, changed = email, True
        if not user.check_password(password):
            user.set_password(password)
            changed = True
        if changed:
            user.save()

    def _generated_password(self, username: str) -> str:
        if GENERATED_LOGIN_FILE.exists():
            saved_username, _, saved_password = (
                GENERATED_LOGIN_FILE.read_text().strip().partition(":")
            )
            if saved_username == username and saved_password:
                return saved_password
        password = secrets.token_urlsafe(12)
        GENERATED_LOGIN_FILE.parent.mkdir(parents=True, exist_ok=True)
        GENERATED_LOGIN_FILE.write_text(f"{username}:{password}\n")
        GENERATED_LOGIN_FILE.chmod(0o600)
        return password

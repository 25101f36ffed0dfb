from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TrafficWatchConfig(AppConfig):
    """The project's own app: site-wide pages, commands and the PostgreSQL extensions."""

    name = "trafficwatch"
    verbose_name = _("TraffickingWatch")
    # Two configs live here: "trafficwatch" in INSTALLED_APPS means this one.
    default = True

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import grant_administrator_everything

        # After every migrate: an app added later (its permissions made by Django's own
        # post_migrate handler) is the Administrator's too, as migration 0002_roles gave
        # it everything that existed then.
        post_migrate.connect(grant_administrator_everything, dispatch_uid="administrator-role")


class TrafficWatchAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with the site that opens on the dashboard (trafficwatch/admin.py)."""

    default_site = "trafficwatch.admin.TrafficWatchAdminSite"
    default = False

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrafficWatchConfig(AppConfig):
    """The project's own app: site-wide pages, commands and the PostgreSQL extensions."""

    name = "trafficwatch"
    verbose_name = _("TraffickingWatch")

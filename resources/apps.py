from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "resources"
    verbose_name = _("Resource library")

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the cache invalidation)

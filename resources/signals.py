"""Invalidate the library's cached fragments whenever what they show changes.

The house style keeps logic in services, but a change must reach the cache through every
path that makes one: the admin, the shell, the demo loader, a data migration, a related
manager's add(). Model signals are the one hook all of them pass through. (QuerySet.update()
and bulk_create() send none: the code using them on resources invalidates itself.)
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from .cache import invalidate
from .models import Author, Category, Country, Region, Resource, ResourceAuthor

WATCHED = (Resource, ResourceAuthor, Country, Region, Category, Author)
RELATIONS = (Resource.countries.through, Resource.regions.through, ResourceAuthor)


def library_row_changed(sender, **kwargs) -> None:
    invalidate()


def library_relation_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        invalidate()


for model in WATCHED:
    post_save.connect(library_row_changed, sender=model)
    post_delete.connect(library_row_changed, sender=model)
for through in RELATIONS:
    m2m_changed.connect(library_relation_changed, sender=through)

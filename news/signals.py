"""Invalidate the news lists' cached counts whenever what they count changes.

The house style keeps logic in services, but a change must reach the cache through every
path that makes one: the admin, the shell, the demo loader, taggit's tag manager. Model
signals are the one hook all of them pass through. (QuerySet.update() sends none:
ArticleQuerySet.update() invalidates itself.)
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from taggit.models import Tag, TaggedItem

from .cache import news
from .models import Article, Section, Source


def news_row_changed(sender, **kwargs) -> None:
    news.invalidate()


def article_tags_changed(sender, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        news.invalidate()


for model in (Article, Section, Source, Tag, TaggedItem):
    post_save.connect(news_row_changed, sender=model)
    post_delete.connect(news_row_changed, sender=model)
m2m_changed.connect(article_tags_changed, sender=Article.tags.through)

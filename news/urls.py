from django.urls import path, re_path

from . import feeds, views

app_name = "news"
urlpatterns = [
    path("", views.article_list, name="article-list"),
    # Before the articles: "feed" is a reserved article slug (news.models.RESERVED_SLUGS).
    path("feed/", feeds.LatestArticlesFeed(), name="feed"),
    # taggit makes slugs of accented tag names with their letters kept ("częstochowa").
    re_path(r"^feed/tag/(?P<slug>[-\w]+)/$", feeds.TagFeed(), name="tag-feed"),
    path("feed/section/<slug:slug>/", feeds.SectionFeed(), name="section-feed"),
    path("<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
]

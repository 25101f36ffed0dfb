from django.urls import path

from . import views

app_name = "news"
urlpatterns = [
    path("", views.article_list, name="article-list"),
    path("<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
]

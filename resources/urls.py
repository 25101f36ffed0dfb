from django.urls import path

from . import export, feeds, views

app_name = "resources"
urlpatterns = [
    path("", views.resource_list, name="resource-list"),
    path("export.csv", export.resource_export, name="export"),
    # Before the resources: a resource with the slug "feed" would be hidden behind it.
    path("feed/", feeds.ResourceFeed(), name="feed"),
    path("<slug:slug>/", views.ResourceDetailView.as_view(), name="resource-detail"),
    path("<slug:slug>/cite.ris", views.resource_ris, name="resource-ris"),
    path("<slug:slug>/cite.bib", views.resource_bibtex, name="resource-bibtex"),
]
